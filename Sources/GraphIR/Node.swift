// SPDX-License-Identifier: Apache-2.0

/// One node of a graph (`NodeDef`).
public struct Node: Sendable, Hashable {
  // Every field is stored under an underscored name and reached through accessors that
  // forget `source` on any change (see `NodeSource`); `_modify` yields the storage itself,
  // so an element-wise edit of `inputs` or `attrs` still changes it in place.

  /// The node's name, unique within the graph; other nodes' inputs refer to it by this name.
  @inlinable public var name: String {
    get { _name }
    _modify {
      _source = NodeSource()
      yield &_name
    }
  }
  /// The node's op type, such as `Conv2D`, `Const` or `Placeholder`.
  @inlinable public var op: String {
    get { _op }
    _modify {
      _source = NodeSource()
      yield &_op
    }
  }
  /// The node's inputs (`input`): data inputs first, then control inputs (`^node`), as
  /// TensorFlow requires.
  @inlinable public var inputs: [InputRef] {
    get { _inputs }
    _modify {
      _source = NodeSource()
      yield &_inputs
    }
  }
  /// The requested device, such as `/device:GPU:0`; empty when unconstrained.
  @inlinable public var device: String {
    get { _device }
    _modify {
      _source = NodeSource()
      yield &_device
    }
  }
  /// The node's attributes (`attr`), such as `T`, `strides` or a `Const`'s `value`.
  @inlinable public var attrs: AttrMap {
    get { _attrs }
    _modify {
      _source = NodeSource()
      yield &_attrs
    }
  }
  /// `experimental_debug_info`, encoded; carried through untouched.
  @inlinable public var experimentalDebugInfo: SharedBytes? {
    get { _experimentalDebugInfo }
    _modify {
      _source = NodeSource()
      yield &_experimentalDebugInfo
    }
  }
  /// `experimental_type` (a `FullTypeDef`), encoded; carried through untouched.
  @inlinable public var experimentalType: SharedBytes? {
    get { _experimentalType }
    _modify {
      _source = NodeSource()
      yield &_experimentalType
    }
  }
  /// Fields this tool's schema does not know, in file order; written back unchanged.
  @inlinable public var unknownFields: [UnknownField] {
    get { _unknownFields }
    _modify {
      _source = NodeSource()
      yield &_unknownFields
    }
  }
  /// The encoded NodeDef this node was decoded from, until any field changes; set by the
  /// decoder, last.
  package var source: NodeSource {
    get { _source }
    set { _source = newValue }
  }

  @usableFromInline var _name: String
  @usableFromInline var _op: String
  @usableFromInline var _inputs: [InputRef]
  @usableFromInline var _device: String
  @usableFromInline var _attrs: AttrMap
  @usableFromInline var _experimentalDebugInfo: SharedBytes?
  @usableFromInline var _experimentalType: SharedBytes?
  @usableFromInline var _unknownFields: [UnknownField]
  @usableFromInline var _source: NodeSource

  /// A node with the given name, op type, inputs, device and attributes, and none of the
  /// experimental or unknown fields.
  public init(
    name: String, op: String, inputs: [InputRef] = [], device: String = "",
    attrs: AttrMap = AttrMap()
  ) {
    _name = name
    _op = op
    _inputs = inputs
    _device = device
    _attrs = attrs
    _experimentalDebugInfo = nil
    _experimentalType = nil
    _unknownFields = []
    _source = NodeSource()
  }

  /// The data inputs, in order (control inputs left out).
  public var dataInputs: [InputRef] { inputs.filter { !$0.isControl } }

  /// The control inputs, in order.
  public var controlInputs: [InputRef] { inputs.filter(\.isControl) }
}

/// The bytes of the NodeDef (without its tag and length) that a node was decoded from,
/// borrowed from the decoder's input.
///
/// A weight transform leaves most nodes as they were read, and re-encoding each one
/// (mirroring it into protobuf-c structs, measuring and packing them) was about 4 ms of
/// writing DenseNet-121; an encoder copies these bytes instead. `Node` forgets them as soon
/// as any field is set or modified, so bytes still present decode to the node as it is.
///
/// Forgetting on change beats checking at write time: an earlier version kept a copy of
/// the decoded fields and compared storage, and the copy's retains and releases cost
/// DenseNet-121 about a millisecond of decoding and another of freeing. Property observers
/// would have done the same job badly: `didSet` keeps the old value alive, so element-wise
/// edits of a 100,000-entry `inputs` copied the whole array each time.
///
/// Equality and hashing ignore it (every `NodeSource` equals every other), so that a node
/// compares by its fields alone, however it was made.
public struct NodeSource: @unchecked Sendable, Hashable {
  // @unchecked: `owner` keeps the bytes alive, and nothing writes them.
  @usableFromInline let base: UnsafeRawPointer?
  @usableFromInline let count: Int
  @usableFromInline let owner: AnyObject?

  /// No bytes: the node was built in memory, or changed since it was read.
  @inlinable init() {
    base = nil
    count = 0
    owner = nil
  }

  /// The `count` bytes at `base`, which `owner` keeps valid and unchanged for its whole
  /// lifetime; the new value keeps `owner` alive.
  package init(borrowing base: UnsafeRawPointer, count: Int, owner: AnyObject) {
    self.base = base
    self.count = count
    self.owner = owner
  }

  /// No bytes.
  package static var unknown: NodeSource { NodeSource() }

  /// Always true: where a node came from is not part of its value.
  public static func == (lhs: NodeSource, rhs: NodeSource) -> Bool { true }
  /// Hashes nothing, to agree with `==`.
  public func hash(into hasher: inout Hasher) {}
}

extension Node {
  /// The encoded NodeDef this node was decoded from, when none of its fields has changed
  /// since; nil otherwise. Valid only while something holding this node (its graph) lives.
  ///
  /// A property, inlinable, rather than a method taking a closure: read through a pointer
  /// into a node array, it copies nothing, where any call that takes the node needs a copy
  /// (a retain of each field), and that was most of the cost of writing an unchanged node.
  @inlinable package var unchangedSourceBytes: UnsafeRawBufferPointer? {
    guard let base = _source.base else { return nil }
    return UnsafeRawBufferPointer(start: base, count: _source.count)
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
