// SPDX-License-Identifier: Apache-2.0

/// The position of each node by name: an open-addressing table over the names' UTF-8
/// bytes, for validation, which looks up every node's name and every input once after
/// each step.
///
/// `Dictionary<String, Int>` hashes with SipHash a byte at a time, and node names are
/// long (40 to 100 bytes in Keras graphs): its hashing was three quarters of validation.
/// This hash takes eight bytes a step. Its seed is random per process, as Swift's is, so
/// that a crafted file cannot pile its names into one bucket.
struct NodeNameIndex {
  /// Why building the index failed.
  enum Problem: Error {
    case emptyName(index: Int)
    case duplicate(String)
  }

  /// Node position + 1 per slot; 0 marks an empty slot.
  private var slots: [Int32]
  /// The full hash of the name in each slot, so that a probe compares strings only on a
  /// likely match.
  private var hashes: [UInt64]
  private let mask: Int
  private let seed: UInt64
  private let nodes: [Node]

  /// Indexes `nodes`' names; throws on an empty or repeated name.
  init(_ nodes: [Node]) throws(Problem) {
    var capacity = 16
    // At most half full keeps probe sequences short.
    while capacity < nodes.count * 2 { capacity <<= 1 }
    slots = [Int32](repeating: 0, count: capacity)
    hashes = [UInt64](repeating: 0, count: capacity)
    mask = capacity - 1
    seed = UInt64.random(in: .min ... .max)
    self.nodes = nodes
    // By index: iterating the nodes would copy each (six reference counts up and down).
    for position in nodes.indices {
      let name = nodes[position].name
      if name.isEmpty { throw .emptyName(index: position) }
      let hash = Self.hash(name, seed: seed)
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 {
        if hashes[slot] == hash && nodes[Int(slots[slot]) - 1].name == name { throw .duplicate(name) }
        slot = (slot + 1) & mask
      }
      slots[slot] = Int32(position + 1)
      hashes[slot] = hash
    }
  }

  /// The position of the node named `name`, if there is one.
  func position(of name: String) -> Int? {
    let hash = Self.hash(name, seed: seed)
    var slot = Int(truncatingIfNeeded: hash) & mask
    while slots[slot] != 0 {
      let position = Int(slots[slot]) - 1
      if hashes[slot] == hash && nodes[position].name == name { return position }
      slot = (slot + 1) & mask
    }
    return nil
  }

  static func hash(_ name: String, seed: UInt64) -> UInt64 {
    if let hash = name.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0), seed: seed) }) {
      return hash
    }
    var copy = name
    return copy.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
  }

  /// A multiply-and-fold hash over 8-byte words, the tail zero-padded; the length is
  /// mixed in, so names that differ only by trailing zero bytes still differ.
  static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var hash = seed ^ (UInt64(bytes.count) &* multiplier)
    guard let base = bytes.baseAddress else { return fold(hash) }
    var offset = 0
    while bytes.count - offset >= 8 {
      hash = fold((hash ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier)
      offset += 8
    }
    let rest = bytes.count - offset
    if rest > 0 {
      var tail: UInt64 = 0
      if bytes.count >= 8 {
        // The last eight bytes, shifted so that only the unhashed ones remain.
        tail = base.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self) >> (8 * (8 - rest))
      } else {
        for index in 0..<rest { tail |= UInt64(base.load(fromByteOffset: index, as: UInt8.self)) << (8 * index) }
      }
      hash = fold((hash ^ tail) &* multiplier)
    }
    return fold(hash &* multiplier)
  }

  /// Brings the well-mixed high bits down to where the table's mask reads them.
  private static func fold(_ value: UInt64) -> UInt64 { value ^ (value >> 32) }
}
