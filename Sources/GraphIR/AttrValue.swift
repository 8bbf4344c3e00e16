// SPDX-License-Identifier: Apache-2.0

/// The value of a node attribute (`AttrValue`).
public indirect enum AttrValue: Sendable, Hashable {
  /// An `AttrValue` with no member of its `value` oneof set.
  case unset
  /// Bytes; usually UTF-8 text such as `padding` or `data_format`.
  case s([UInt8])
  /// A 64-bit integer, such as `N` on `ConcatV2` or `axis` on `Pack`.
  case i(Int64)
  /// A 32-bit float, such as `epsilon` on `FusedBatchNorm`.
  case f(Float)
  /// A boolean, such as `transpose_a` on `MatMul`.
  case b(Bool)
  /// An element type, such as `T` on most ops or `dtype` on `Const` and `Placeholder`.
  case type(DataType)
  /// A shape, such as `shape` on `Placeholder`.
  case shape(TensorShape)
  /// A tensor, such as `value` on `Const`; this is where frozen weights live.
  case tensor(Tensor)
  /// A list of one kind of value, such as `strides` on `Conv2D` or `Tin` on a function call.
  case list(AttrList)
  /// A function reference, such as `f` on `PartitionedCall`.
  case function(NameAttrList)
  /// A reference to an attribute of the enclosing function (`placeholder`), used only inside
  /// function bodies; the string is the attribute's name.
  case placeholder(String)

  /// A string attribute from text.
  public static func string(_ text: String) -> AttrValue { .s(Array(text.utf8)) }

  /// The value of a string attribute as text, if it is one and is valid UTF-8.
  public var stringValue: String? {
    guard case .s(let bytes) = self else { return nil }
    return String(validating: bytes, as: UTF8.self)
  }
}

/// A list attribute value (`AttrValue.ListValue`).
///
/// The proto allows several of the lists to be non-empty at once, so they are kept as separate
/// fields rather than as an enum; in practice TensorFlow fills exactly one.
public struct AttrList: Sendable, Hashable {
  /// Byte-string elements (`s`), such as the names in `_class` (`loc:@node`).
  public var s: [[UInt8]] = []
  /// 64-bit integer elements (`i`), such as `strides` or `ksize`.
  public var i: [Int64] = []
  /// 32-bit float elements (`f`).
  public var f: [Float] = []
  /// Boolean elements (`b`).
  public var b: [Bool] = []
  /// Element-type elements (`type`), such as `Tin` and `Tout` on function calls.
  public var type: [DataType] = []
  /// Shape elements (`shape`), such as `_output_shapes`.
  public var shape: [TensorShape] = []
  /// Tensor elements (`tensor`).
  public var tensor: [Tensor] = []
  /// Function-reference elements (`func`), such as `branches` on `Case`.
  public var function: [NameAttrList] = []

  /// A list value with the given element lists; all default to empty (an empty list value).
  public init(
    s: [[UInt8]] = [], i: [Int64] = [], f: [Float] = [], b: [Bool] = [], type: [DataType] = [],
    shape: [TensorShape] = [], tensor: [Tensor] = [], function: [NameAttrList] = []
  ) {
    self.s = s
    self.i = i
    self.f = f
    self.b = b
    self.type = type
    self.shape = shape
    self.tensor = tensor
    self.function = function
  }
}

/// A function reference with attributes (`NameAttrList`).
public struct NameAttrList: Sendable, Hashable {
  /// The name of the function in the graph's function library.
  public var name: String
  /// The attribute values the function is instantiated with, such as its `T`.
  public var attrs: AttrMap

  /// A reference to the library function `name`, instantiated with `attrs`.
  public init(name: String, attrs: AttrMap = AttrMap()) {
    self.name = name
    self.attrs = attrs
  }
}

/// A node's attributes: a map from name to value that keeps insertion order.
///
/// Order matters only for the bytes: keeping the file's order makes decode → encode of an
/// untouched node byte-identical. New keys are appended, so output stays deterministic.
/// Nodes have a handful of attributes, so lookups scan the array.
public struct AttrMap: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
  /// The attributes as name–value pairs, in file order with new keys at the end; each name
  /// appears once.
  public private(set) var entries: [(key: String, value: AttrValue)]

  /// An empty map, as on a node with no attributes.
  public init() { entries = [] }

  /// Attributes in the given order; a repeated key keeps its last value, as a map would.
  public init(_ pairs: [(String, AttrValue)]) {
    entries = []
    entries.reserveCapacity(pairs.count)
    for (key, value) in pairs { self[key] = value }
  }

  /// Attributes from a literal such as `["T": .type(.float)]`, in the order written; a
  /// repeated key keeps its last value.
  public init(dictionaryLiteral elements: (String, AttrValue)...) {
    self.init(elements)
  }

  /// The value of the attribute named `key`, or nil when the node does not have it.
  ///
  /// Setting a value replaces an existing attribute in place (keeping its position) or
  /// appends a new one; setting nil removes the attribute.
  public subscript(key: String) -> AttrValue? {
    get { entries.first { $0.key == key }?.value }
    set {
      if let index = entries.firstIndex(where: { $0.key == key }) {
        if let newValue {
          entries[index].value = newValue
        } else {
          entries.remove(at: index)
        }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  /// The attribute names in order.
  public var keys: [String] { entries.map(\.key) }
  /// The number of attributes.
  public var count: Int { entries.count }
  /// Whether there are no attributes.
  public var isEmpty: Bool { entries.isEmpty }

  /// Removes `key` and returns its value, if present.
  @discardableResult
  public mutating func removeValue(forKey key: String) -> AttrValue? {
    guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
    return entries.remove(at: index).value
  }

  /// Iterates over the name–value pairs in order.
  public func makeIterator() -> IndexingIterator<[(key: String, value: AttrValue)]> {
    entries.makeIterator()
  }

  /// Whether both maps hold the same attributes in the same order.
  ///
  /// Order counts because it decides the encoded bytes; a transform that reorders
  /// attributes has changed the file.
  public static func == (lhs: AttrMap, rhs: AttrMap) -> Bool {
    lhs.entries.count == rhs.entries.count
      && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }

  /// Hashes the names and values in order, consistently with `==`.
  public func hash(into hasher: inout Hasher) {
    for entry in entries {
      hasher.combine(entry.key)
      hasher.combine(entry.value)
    }
  }
}
