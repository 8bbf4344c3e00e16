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
  }

  /// The data inputs, in order (control inputs left out).
  public var dataInputs: [InputRef] { inputs.filter { !$0.isControl } }

  /// The control inputs, in order.
  public var controlInputs: [InputRef] { inputs.filter(\.isControl) }
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
