// SPDX-License-Identifier: Apache-2.0

internal import CZlib
import Dispatch
import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where encoded bytes go: a file descriptor, memory, or nowhere; optionally also
/// through a gzip compressor that only counts its output.
///
/// protobuf-c hands the encoder's output over in many small pieces; this buffers them
/// into large writes, so the whole encoded graph never has to sit in memory.
///
/// A full buffer is written by a background thread while the other of two buffers fills:
/// the kernel's copy into the page cache (a third of a `round_weights` run, whose 100 MB
/// of output is computed into these buffers) then overlaps encoding and computing.
final class ByteSink {
  private let fd: Int32?
  private var memory: [UInt8]?
  private var buffer: UnsafeMutableRawPointer
  /// The buffer not being filled; it may be being written.
  private var spare: UnsafeMutableRawPointer
  /// Where a file sink's two buffers live; nil when they were allocated one by one.
  private let pages: LargePages?
  private let capacity = 1 << 20
  // One thread fills the sink; the checks cost more than the copies of small pieces.
  @exclusivity(unchecked) private var used = 0
  private var gzip: GzipCounter?
  private let writer: BackgroundWriter?
  /// Bytes accepted so far.
  @exclusivity(unchecked) private(set) var count = 0
  /// The first write error (errno), if any; later writes are dropped. Complete after `flush`.
  var writeError: Int32? { writer?.error }
  /// The pending tensors of the message being packed, by token address (`BinaryEncoder`).
  var pending: [UnsafeRawPointer: SharedBytes] = [:]
  /// Pieces of pending tensors given their place in `buffer` but not yet computed; they
  /// are computed together, over the cores, before the buffer is written.
  private var unproduced: [Piece] = []

  /// `count` bytes of `bytes` from `offset`, to be computed at `position` in the buffer.
  private struct Piece {
    var bytes: SharedBytes
    var offset: Int
    var position: Int
    var count: Int
  }

  /// A sink that writes to `fd` (not closed here), or keeps the bytes when `fd` is nil.
  init(fd: Int32?, keepInMemory: Bool = false, countGzip: Bool = false) {
    self.fd = fd
    self.memory = keepInMemory ? [] : nil
    if fd != nil, let pages = LargePages(byteCount: 2 * capacity) {
      self.pages = pages
      self.buffer = pages.start
      self.spare = pages.start + capacity
    } else {
      self.pages = nil
      self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
      self.spare = UnsafeMutableRawPointer.allocate(byteCount: fd == nil ? 0 : capacity, alignment: 64)
    }
    self.gzip = countGzip ? GzipCounter() : nil
    self.writer = fd.map { BackgroundWriter(fd: $0) }
  }

  deinit {
    writer?.wait()
    if pages == nil {
      buffer.deallocate()
      spare.deallocate()
    }
  }

  func append(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    count += bytes.count
    gzip?.consume(bytes)
    if memory != nil { memory?.append(contentsOf: bytes) }
    guard fd != nil else { return }
    if used + bytes.count <= capacity {
      (buffer + used).copyMemory(from: base, byteCount: bytes.count)
      used += bytes.count
      return
    }
    if bytes.count >= capacity {
      // Written from where it is (the mapped input, usually), after what came before.
      flush()
      writer?.writeNow(bytes)
    } else {
      handOff()
      buffer.copyMemory(from: base, byteCount: bytes.count)
      used = bytes.count
    }
  }

  /// Appends the tag and length of a length-delimited field (wire type 2).
  func appendFieldHeader(number: UInt32, length: Int) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: WireWriter.maxFieldHeaderSize) { scratch in
      let count = WireWriter.writeFieldHeader(number: number, length: length, to: scratch)
      append(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: scratch[..<count])))
    }
  }

  /// Whether the sink only counts bytes: `packInPlace` then never calls its packer.
  var countsOnly: Bool { fd == nil && memory == nil && gzip == nil }

  /// Whether `packInPlace` takes a piece of `size` bytes.
  func canPackInPlace(_ size: Int) -> Bool { size <= capacity }

  /// Appends `size` bytes that `pack` writes at the address it is given, in the write
  /// buffer; a sink that only counts skips `pack`. `size` must pass `canPackInPlace`.
  func packInPlace(_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) {
    guard !countsOnly else {
      count += size
      return
    }
    if fd != nil && capacity - used < size { handOff() }
    // Sinks without a file reuse the buffer as scratch space.
    let start = fd != nil ? buffer + used : buffer
    let packed = pack(start.assumingMemoryBound(to: UInt8.self))
    precondition(packed == size, "protobuf-c packed \(packed) bytes where it measured \(size)")
    let produced = UnsafeRawBufferPointer(start: start, count: size)
    count += size
    gzip?.consume(produced)
    if memory != nil { memory?.append(contentsOf: produced) }
    if fd != nil { used += size }
  }

  /// Appends shared bytes; pending (computed) bytes are produced straight into the write
  /// buffer, a piece at a time, and not at all when only the size is wanted.
  func append(_ shared: SharedBytes) {
    guard !countsOnly else {
      count += shared.count
      return
    }
    guard shared.isPending else {
      shared.withUnsafeBytes { append($0) }
      return
    }
    var offset = 0
    while offset < shared.count {
      // Pieces of whole 64-byte blocks, as producers expect; the last may be shorter.
      if capacity - used < 64 { handOff() }
      var size = Swift.min(capacity - used, shared.count - offset)
      if offset + size < shared.count { size &= ~63 }
      // A file sink computes the piece later with the buffer's other pieces, on all
      // cores; a tensor is usually too small to be worth splitting on its own.
      if fd != nil && memory == nil && gzip == nil {
        unproduced.append(Piece(bytes: shared, offset: offset, position: used, count: size))
        count += size
        offset += size
        used += size
        continue
      }
      let piece = UnsafeMutableRawBufferPointer(start: buffer + used, count: size)
      shared.copyBytes(from: offset, into: piece)
      let produced = UnsafeRawBufferPointer(piece)
      count += size
      gzip?.consume(produced)
      if memory != nil { memory?.append(contentsOf: produced) }
      offset += size
      if fd != nil {
        used += size
      }
    }
  }

  /// Writes out what is buffered and waits until everything appended has been written.
  func flush() {
    handOff()
    writer?.wait()
  }

  /// Starts writing the buffer in the background and continues in the spare one, once
  /// that one's own write has finished.
  private func handOff() {
    produce()
    guard used > 0, let writer else {
      used = 0
      return
    }
    writer.start(UnsafeRawBufferPointer(start: buffer, count: used))
    swap(&buffer, &spare)
    used = 0
  }

  /// Computes the buffer's unproduced pieces, split into equal shares of bytes, one per
  /// core. A share boundary inside a piece falls on a multiple of 64 bytes from the
  /// piece's start, as producers expect.
  private func produce() {
    guard !unproduced.isEmpty else { return }
    let pieces = unproduced
    unproduced.removeAll(keepingCapacity: true)
    let total = pieces.reduce(0) { $0 + $1.count }
    // Below 64 KB a second thread costs more than it saves.
    let parts = total >= 1 << 16 ? coreCount : 1
    // The buffer as an address, because pointers are not Sendable; each share writes
    // only its own bytes of it.
    let base = Int(bitPattern: buffer)
    let work: @Sendable (Int) -> Void = { part in
      let start = total * part / parts
      let end = total * (part + 1) / parts
      var first = 0
      for piece in pieces {
        let last = first + piece.count
        defer { first = last }
        guard last > start, first < end else { continue }
        // Shares meet at the same rounded point, so every byte is computed exactly once.
        let from = start <= first ? 0 : (start - first) & ~63
        let to = end >= last ? piece.count : (end - first) & ~63
        guard from < to, let output = UnsafeMutableRawPointer(bitPattern: base + piece.position + from) else {
          continue
        }
        piece.bytes.copyBytes(
          from: piece.offset + from, into: UnsafeMutableRawBufferPointer(start: output, count: to - from))
      }
    }
    if parts == 1 {
      work(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: parts, execute: work)
    }
  }

  /// The kept bytes (memory sinks only).
  var bytes: [UInt8] { memory ?? [] }

  /// The size of the gzip stream of everything appended, once; nil if not counting.
  func finishGzip() -> Int? { gzip?.finish() }

}

/// Fresh anonymous memory, asked for in 2 MB pages (transparent huge pages, which Linux
/// grants on request in its default `madvise` mode), unmapped on deinit.
///
/// A 4 KB page of fresh memory costs a page fault and a zeroing the first time it is
/// touched: the 512 faults of the sink's two 1 MB buffers took 0.6 ms of a 10 MB graph's
/// 8 ms `quantize_weights` run (on this project's benchmark VM, where a fault costs over a
/// microsecond). One 2 MB page faults once. Where the kernel declines, the memory is
/// ordinary memory and behaves as before.
final class LargePages {
  /// The first byte, on a 2 MB boundary.
  let start: UnsafeMutableRawPointer
  private let mapping: UnsafeMutableRawPointer
  private let mappedCount: Int

  /// Maps at least `byteCount` bytes; nil if the system has no memory to map.
  init?(byteCount: Int) {
    let large = 1 << 21
    let rounded = (byteCount + large - 1) & ~(large - 1)
    // A large page must lie on a 2 MB boundary; mapping one more page leaves room to align.
    mappedCount = rounded + large
    guard let mapped = mmap(nil, mappedCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      mapped != MAP_FAILED
    else { return nil }
    mapping = mapped
    start = mapped.alignedUp(toMultipleOf: large)
    #if os(Linux)
      // Only a request: a kernel without transparent huge pages maps 4 KB pages.
      _ = madvise(start, rounded, Self.hugePage)
    #endif
  }

  deinit { munmap(mapping, mappedCount) }

  /// `MADV_HUGEPAGE`, which Glibc's headers may not name.
  private static let hugePage: Int32 = 14
}

/// Writes buffers to a file descriptor on a background thread, one at a time, in order.
///
/// The owner hands over a buffer with `write` and does not touch it again until `wait`
/// has returned; that discipline is what makes sharing the buffer with the thread sound.
private final class BackgroundWriter: @unchecked Sendable {
  private let fd: Int32
  private let queue = DispatchQueue(label: "ByteSink.writer")
  private let idle = DispatchSemaphore(value: 1)
  /// Set by the writing thread; read by the owner only after `wait`.
  private var firstError: Int32?

  init(fd: Int32) { self.fd = fd }

  /// The first error, as of the last `wait`.
  var error: Int32? { firstError }

  /// Starts writing `bytes`, after the write in flight, if any, has finished.
  func start(_ bytes: UnsafeRawBufferPointer) {
    idle.wait()
    let start = Int(bitPattern: bytes.baseAddress)
    let count = bytes.count
    queue.async {
      self.writeNow(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: start), count: count))
      self.idle.signal()
    }
  }

  /// Waits until the write in flight, if any, has finished.
  func wait() {
    idle.wait()
    idle.signal()
  }

  /// Writes `bytes` on the calling thread; the caller has waited for the write in flight.
  func writeNow(_ bytes: UnsafeRawBufferPointer) {
    guard firstError == nil, var next = bytes.baseAddress else { return }
    var remaining = bytes.count
    while remaining > 0 {
      let written = write(fd, next, remaining)
      if written < 0 {
        if errno == EINTR { continue }
        firstError = errno
        return
      }
      remaining -= written
      next += written
    }
  }
}

/// Counts the size of a gzip stream (level 6, as `gzip` and `zlib.compress` default to)
/// without keeping it.
final class GzipCounter {
  private var stream = z_stream()
  private var output: UnsafeMutablePointer<UInt8>
  private let outputSize = 1 << 16
  private var total = 0
  private var ready = false
  private var result: Int?

  init() {
    output = .allocate(capacity: outputSize)
    // 15 window bits + 16 selects the gzip wrapper.
    ready = CZlib_deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK
  }

  deinit {
    if ready { deflateEnd(&stream) }
    output.deallocate()
  }

  func consume(_ bytes: UnsafeRawBufferPointer) {
    guard ready, let base = bytes.baseAddress else { return }
    // zlib counts in UInt32; feed huge pieces in slices.
    var offset = 0
    while offset < bytes.count {
      let piece = min(bytes.count - offset, 1 << 30)
      stream.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: UInt8.self))
      stream.avail_in = UInt32(piece)
      repeat {
        stream.next_out = output
        stream.avail_out = UInt32(outputSize)
        deflate(&stream, Z_NO_FLUSH)
        total += outputSize - Int(stream.avail_out)
      } while stream.avail_out == 0
      offset += piece
    }
  }

  func finish() -> Int? {
    if let result { return result }
    guard ready else { return nil }
    var status: Int32
    repeat {
      stream.next_out = output
      stream.avail_out = UInt32(outputSize)
      status = deflate(&stream, Z_FINISH)
      total += outputSize - Int(stream.avail_out)
    } while status == Z_OK
    result = status == Z_STREAM_END ? total : nil
    return result
  }
}
