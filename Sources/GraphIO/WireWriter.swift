// SPDX-License-Identifier: Apache-2.0

/// Writes the pieces of protobuf wire format this module builds by hand: base-128 varints
/// and the header (tag and length) of a length-delimited field. `WireReader` reads them.
enum WireWriter {
  /// The most bytes a field header takes: a 5-byte tag and a 10-byte length.
  static let maxFieldHeaderSize = 15

  /// Writes `value` into `out` from index `start`, which leaves room for 10 bytes; returns
  /// the index after it.
  static func writeVarint(_ value: UInt64, to out: UnsafeMutableBufferPointer<UInt8>, at start: Int = 0) -> Int {
    var rest = value
    var next = start
    while rest >= 0x80 {
      out[next] = UInt8(truncatingIfNeeded: rest) | 0x80
      rest >>= 7
      next += 1
    }
    out[next] = UInt8(rest)
    return next + 1
  }

  /// Writes the tag (wire type 2) and `length` of field `number` at the start of `out`,
  /// which has room for `maxFieldHeaderSize` bytes; returns how many it took.
  static func writeFieldHeader(number: UInt32, length: Int, to out: UnsafeMutableBufferPointer<UInt8>) -> Int {
    writeVarint(UInt64(length), to: out, at: writeVarint(UInt64(number) << 3 | 2, to: out))
  }

  /// Appends `value` as a varint.
  static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { scratch in
      let count = writeVarint(value, to: scratch)
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
    }
  }

  /// Appends the tag (wire type 2) and `length` of field `number`.
  static func appendFieldHeader(number: UInt32, length: Int, to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxFieldHeaderSize) { scratch in
      let count = writeFieldHeader(number: number, length: length, to: scratch)
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
    }
  }
}
