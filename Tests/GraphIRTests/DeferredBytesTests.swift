// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Synchronization
import Testing

/// Bytes computed on demand (`SharedBytes(count:producer:)`): what weight transforms hand
/// the encoder instead of a second copy of the weights.
@Suite struct DeferredBytesTests {
  /// Byte i is `i * 7 + 3` (mod 256); the producer records every range it is asked for.
  final class Recorder: Sendable {
    let calls = Mutex<[Range<Int>]>([])
  }

  static func pattern(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 7 &+ 3) }

  static func deferred(_ count: Int, _ recorder: Recorder) -> SharedBytes {
    SharedBytes(count: count) { offset, buffer in
      recorder.calls.withLock { $0.append(offset..<offset + buffer.count) }
      for index in 0..<buffer.count { buffer[index] = pattern(offset + index) }
    }
  }

  @Test func piecesAreWholeBlocksAndNothingIsKept() throws {
    let recorder = Recorder()
    let bytes = Self.deferred(1000, recorder)
    #expect(bytes.isPending)
    var streamed: [UInt8] = []
    bytes.forEachPiece(maximumSize: 300) { streamed += $0 }
    #expect(streamed == (0..<1000).map(Self.pattern))
    // 300 rounds down to 256: pieces start on 64-byte boundaries.
    #expect(recorder.calls.withLock { $0 } == [0..<256, 256..<512, 512..<768, 768..<1000])
    #expect(bytes.isPending, "streaming must not keep the bytes")
  }

  @Test func readingComputesOnceAndKeeps() throws {
    let recorder = Recorder()
    let bytes = Self.deferred(200, recorder)
    let copy = bytes
    #expect(bytes.array == (0..<200).map(Self.pattern))
    #expect(!copy.isPending)
    #expect(copy == SharedBytes((0..<200).map(Self.pattern)))
    #expect(recorder.calls.withLock { $0 } == [0..<200])
    var piece = [UInt8](repeating: 0, count: 64)
    piece.withUnsafeMutableBytes { bytes.copyBytes(from: 128, into: $0) }
    #expect(piece == (128..<192).map(Self.pattern))
    #expect(recorder.calls.withLock { $0.count } == 1)
  }

  @Test func emptyIsPlainEmpty() {
    let bytes = SharedBytes(count: 0) { _, _ in Issue.record("no bytes to produce") }
    #expect(bytes.isEmpty)
    #expect(!bytes.isPending)
  }
}
