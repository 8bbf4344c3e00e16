// SPDX-License-Identifier: Apache-2.0

/// The value of a node attribute (`AttrValue`).
public indirect enum AttrValue: Sendable, Hashable {
  /// An `AttrValue` with no member of its `value` oneof set.
  case unset
  /// Bytes; usually UTF-8 text such as `padding` or `data_format`.
  case s([UInt8])
  case i(Int64)
  case f(Float)
  case b(Bool)
  case type(DataType)
  case shape(TensorShape)
  case tensor(Tensor)
  case list(AttrList)
  case function(NameAttrList)
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
public struct AttrList: Sendable, Hashable {
  public var s: [[UInt8]] = []
  public var i: [Int64] = []
  public var f: [Float] = []
  public var b: [Bool] = []
  public var type: [DataType] = []
  public var shape: [TensorShape] = []
  public var tensor: [Tensor] = []
  public var function: [NameAttrList] = []

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
  public var name: String
  public var attrs: AttrMap
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
  public private(set) var entries: [(key: String, value: AttrValue)]

  public init() { entries = [] }

  /// Attributes in the given order; a repeated key keeps its last value, as a map would.
  public init(_ pairs: [(String, AttrValue)]) {
    entries = []
    for (key, value) in pairs { self[key] = value }
  }

  public init(dictionaryLiteral elements: (String, AttrValue)...) {
    self.init(elements)
  }

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

  public func makeIterator() -> IndexingIterator<[(key: String, value: AttrValue)]> {
    entries.makeIterator()
  }

  public static func == (lhs: AttrMap, rhs: AttrMap) -> Bool {
    lhs.entries.count == rhs.entries.count
      && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }

  public func hash(into hasher: inout Hasher) {
    for entry in entries {
      hasher.combine(entry.key)
      hasher.combine(entry.value)
    }
  }
}
