// SPDX-License-Identifier: Apache-2.0

/// One node of a graph (`NodeDef`).
public struct Node: Sendable, Hashable {
  /// The node's name, unique within the graph; other nodes' inputs refer to it by this name.
  public var name: String
  /// The node's op type, such as `Conv2D`, `Const` or `Placeholder`.
  public var op: String
  /// The node's inputs (`input`): data inputs first, then control inputs (`^node`), as
  /// TensorFlow requires.
  public var inputs: [InputRef]
  /// The requested device, such as `/device:GPU:0`; empty when unconstrained.
  public var device: String
  /// The node's attributes (`attr`), such as `T`, `strides` or a `Const`'s `value`.
  public var attrs: AttrMap
  /// `experimental_debug_info`, encoded; carried through untouched.
  public var experimentalDebugInfo: SharedBytes?
  /// `experimental_type` (a `FullTypeDef`), encoded; carried through untouched.
  public var experimentalType: SharedBytes?
  /// Fields this tool's schema does not know, in file order; written back unchanged.
  public var unknownFields: [UnknownField]
  /// The encoded NodeDef this node was decoded from; set by the decoder, last.
  package var source: NodeSource

  /// A node with the given name, op type, inputs, device and attributes, and none of the
  /// experimental or unknown fields.
  public init(
    name: String, op: String, inputs: [InputRef] = [], device: String = "",
    attrs: AttrMap = AttrMap()
  ) {
    self.name = name
    self.op = op
    self.inputs = inputs
    self.device = device
    self.attrs = attrs
    self.experimentalDebugInfo = nil
    self.experimentalType = nil
    self.unknownFields = []
    self.source = .unknown
  }

  /// The data inputs, in order (control inputs left out).
  public var dataInputs: [InputRef] { inputs.filter { !$0.isControl } }

  /// The control inputs, in order.
  public var controlInputs: [InputRef] { inputs.filter(\.isControl) }
}

/// The bytes of the NodeDef (without its tag and length) that a node was decoded from,
/// borrowed from the decoder's input, with the fields they decoded to.
///
/// A weight transform leaves most nodes as they were read, and re-encoding each one
/// (mirroring it into protobuf-c structs, measuring and packing them) was a third of
/// writing DenseNet-121; an encoder copies these bytes instead, while the node's fields
/// are still the decoded ones. They then decode to the same node, so the output means
/// the same.
///
/// The fields are kept, not compared by value: they share storage with the node's, and
/// a change to a shared array or string copies it first (copy-on-write), so storage still
/// shared is storage unchanged. That check costs a few comparisons, where property
/// observers on `Node` turned element-wise edits of a 100,000-entry `inputs` into copies
/// of the whole array.
///
/// Equality and hashing ignore it (every `NodeSource` equals every other), so that a node
/// compares by its fields alone, however it was made.
public struct NodeSource: Sendable, Hashable {
  private final class Origin: @unchecked Sendable {
    // @unchecked: `owner` keeps the bytes alive and nothing writes them or the fields.
    let base: UnsafeRawPointer
    let count: Int
    let owner: AnyObject
    let node: Node

    init(base: UnsafeRawPointer, count: Int, owner: AnyObject, node: Node) {
      self.base = base
      self.count = count
      self.owner = owner
      self.node = node
    }
  }

  private let origin: Origin?

  /// No bytes: the node was built in memory.
  package static let unknown = NodeSource(origin: nil)

  private init(origin: Origin?) { self.origin = origin }

  /// The `count` bytes at `base`, which `owner` keeps valid and unchanged for its whole
  /// lifetime, decoded to `node`; the new value keeps `owner` alive.
  package init(borrowing base: UnsafeRawPointer, count: Int, owner: AnyObject, decodedTo node: Node) {
    var decoded = node
    decoded.source = .unknown
    origin = Origin(base: base, count: count, owner: owner, node: decoded)
  }

  /// Calls `body` with the encoded NodeDef, valid until `body` returns, when `node`'s
  /// fields are still the ones decoded from it; nil otherwise.
  func withUnsafeBytes<Result>(
    ifUnchanged node: Node, _ body: (UnsafeRawBufferPointer) throws -> Result
  ) rethrows -> Result? {
    guard let origin, Self.sameStorage(origin.node, node) else { return nil }
    return try withExtendedLifetime(origin.owner) {
      try body(UnsafeRawBufferPointer(start: origin.base, count: origin.count))
    }
  }

  private static func sameStorage(_ decoded: Node, _ node: Node) -> Bool {
    // Strings compare their storage first, so equal storage costs no character loop.
    decoded.name == node.name && decoded.op == node.op && decoded.device == node.device
      && sameStorage(decoded.inputs, node.inputs) && sameStorage(decoded.attrs.entries, node.attrs.entries)
      && sameStorage(decoded.unknownFields, node.unknownFields)
      && decoded.experimentalDebugInfo?.storage === node.experimentalDebugInfo?.storage
      && decoded.experimentalType?.storage === node.experimentalType?.storage
  }

  private static func sameStorage<Element>(_ first: [Element], _ second: [Element]) -> Bool {
    first.count == second.count
      && first.withUnsafeBufferPointer { first in
        second.withUnsafeBufferPointer { second in first.baseAddress == second.baseAddress }
      }
  }

  /// Always true: where a node came from is not part of its value.
  public static func == (lhs: NodeSource, rhs: NodeSource) -> Bool { true }
  /// Hashes nothing, to agree with `==`.
  public func hash(into hasher: inout Hasher) {}
}

extension Node {
  /// Calls `body` with the encoded NodeDef this node was decoded from, when none of its
  /// fields has changed since; nil otherwise.
  package func withUnchangedSource<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
    try source.withUnsafeBytes(ifUnchanged: self, body)
  }
}

/// A field read from the wire that this tool's schema does not describe.
public struct UnknownField: Sendable, Hashable {
  /// The field number.
  public var number: UInt32
  /// The wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
  public var wireType: UInt8
  /// The encoded value, without its tag.
  public var data: SharedBytes

  /// An unknown field as read: its number, wire type and encoded value.
  public init(number: UInt32, wireType: UInt8, data: SharedBytes) {
    self.number = number
    self.wireType = wireType
    self.data = data
  }
}
