// SPDX-License-Identifier: Apache-2.0

/// Immutable bytes behind a reference, so copying a `Tensor`, `Node` or `Graph` never
/// copies weights.
///
/// The storage either owns a heap allocation (freed in `deinit`) or borrows memory that
/// some owner object keeps alive; in that case the storage holds a strong reference to
/// the owner for as long as it exists. Nothing ever writes through the pointer after
/// construction, which is what makes sharing across threads sound.
public struct SharedBytes: Sendable, Hashable, CustomStringConvertible {
  final class Storage: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    let owner: AnyObject?
    let freeOnDeinit: Bool

    init(base: UnsafeRawPointer?, count: Int, owner: AnyObject?, freeOnDeinit: Bool) {
      self.base = base
      self.count = count
      self.owner = owner
      self.freeOnDeinit = freeOnDeinit
    }

    deinit {
      if freeOnDeinit, let base { free(UnsafeMutableRawPointer(mutating: base)) }
    }
  }

  let storage: Storage

  /// No bytes.
  public static let empty = SharedBytes(storage: Storage(base: nil, count: 0, owner: nil, freeOnDeinit: false))

  init(storage: Storage) { self.storage = storage }

  /// Copies `bytes` into new storage.
  public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    let count = bytes.count
    guard count > 0, let memory = malloc(count) else {
      self = .empty
      return
    }
    let buffer = UnsafeMutableRawBufferPointer(start: memory, count: count)
    // Contiguous sources (arrays, raw buffers) copy with memcpy; iterating byte by byte
    // made a 10 MB copy take milliseconds.
    let copied: Void? = bytes.withContiguousStorageIfAvailable { source in
      buffer.copyMemory(from: UnsafeRawBufferPointer(source))
    }
    if copied == nil { _ = buffer.initializeMemory(as: UInt8.self, from: bytes) }
    storage = Storage(base: UnsafeRawPointer(memory), count: count, owner: nil, freeOnDeinit: true)
  }

  /// Takes ownership of a `malloc`ed block; it is released with `free` when the last
  /// copy of the value goes away.
  public init(adoptingMallocBlock base: UnsafeMutableRawPointer, count: Int) {
    storage = Storage(base: UnsafeRawPointer(base), count: count, owner: nil, freeOnDeinit: true)
  }

  /// Refers to `count` bytes at `base` that `owner` keeps valid and unchanged for its
  /// whole lifetime; the new value keeps `owner` alive.
  public init(borrowing base: UnsafeRawPointer, count: Int, owner: AnyObject) {
    storage = Storage(base: base, count: count, owner: owner, freeOnDeinit: false)
  }

  /// Writes `count` bytes through `body` into fresh storage.
  public init(
    count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void
  ) rethrows {
    guard count > 0, let memory = malloc(count) else {
      self = .empty
      return
    }
    do {
      try body(UnsafeMutableRawBufferPointer(start: memory, count: count))
    } catch {
      free(memory)
      throw error
    }
    storage = Storage(base: UnsafeRawPointer(memory), count: count, owner: nil, freeOnDeinit: true)
  }

  /// The number of bytes.
  public var count: Int { storage.count }

  /// Whether there are no bytes.
  public var isEmpty: Bool { storage.count == 0 }

  /// Calls `body` with the bytes; the pointer must not escape.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
  }

  /// The address of the first byte (nil when empty). It stays valid, and the bytes
  /// unchanged, for as long as this value or a copy of it is alive; callers must keep one
  /// alive while they use the pointer.
  public var unsafeBaseAddress: UnsafeRawPointer? { storage.base }

  /// The bytes as an array (copies).
  public var array: [UInt8] { withUnsafeBytes { Array($0) } }

  /// Whether both hold the same bytes; shared storage compares equal without reading it.
  public static func == (lhs: SharedBytes, rhs: SharedBytes) -> Bool {
    if lhs.storage === rhs.storage { return true }
    guard lhs.count == rhs.count else { return false }
    guard lhs.count > 0, let a = lhs.storage.base, let b = rhs.storage.base else { return true }
    return memcmp(a, b, lhs.count) == 0
  }

  /// Hashes the bytes, consistently with `==`.
  public func hash(into hasher: inout Hasher) {
    withUnsafeBytes { hasher.combine(bytes: $0) }
  }

  /// The size only (`"1024 bytes"`), so that printing a tensor never dumps its weights.
  public var description: String { "\(count) bytes" }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
