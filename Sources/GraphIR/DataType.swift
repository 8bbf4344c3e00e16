// SPDX-License-Identifier: Apache-2.0

/// A tensor element type, with TensorFlow's enum numbers.
///
/// An open set, like proto3 enums: a number this tool does not know survives a
/// round trip unchanged.
public struct DataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let invalid = DataType(rawValue: 0)
  public static let float = DataType(rawValue: 1)
  public static let double = DataType(rawValue: 2)
  public static let int32 = DataType(rawValue: 3)
  public static let uint8 = DataType(rawValue: 4)
  public static let int16 = DataType(rawValue: 5)
  public static let int8 = DataType(rawValue: 6)
  public static let string = DataType(rawValue: 7)
  public static let complex64 = DataType(rawValue: 8)
  public static let int64 = DataType(rawValue: 9)
  public static let bool = DataType(rawValue: 10)
  public static let qint8 = DataType(rawValue: 11)
  public static let quint8 = DataType(rawValue: 12)
  public static let qint32 = DataType(rawValue: 13)
  public static let bfloat16 = DataType(rawValue: 14)
  public static let qint16 = DataType(rawValue: 15)
  public static let quint16 = DataType(rawValue: 16)
  public static let uint16 = DataType(rawValue: 17)
  public static let complex128 = DataType(rawValue: 18)
  public static let half = DataType(rawValue: 19)
  public static let resource = DataType(rawValue: 20)
  public static let variant = DataType(rawValue: 21)
  public static let uint32 = DataType(rawValue: 22)
  public static let uint64 = DataType(rawValue: 23)

  /// TensorFlow's short names (`DataTypeString`), indexed by enum number 0...33.
  static let names: [String] = [
    "invalid", "float", "double", "int32", "uint8", "int16", "int8", "string", "complex64",
    "int64", "bool", "qint8", "quint8", "qint32", "bfloat16", "qint16", "quint16", "uint16",
    "complex128", "half", "resource", "variant", "uint32", "uint64", "float8_e5m2",
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2fnuz", "int4", "uint4",
    "int2", "uint2", "float4_e2m1fn",
  ]

  /// The proto enum names (`DT_FLOAT`, …), indexed like `names`.
  static let enumNames: [String] = names.map { name in
    name == "invalid" ? "DT_INVALID" : "DT_" + name.uppercased()
  }

  /// Whether this is a `_REF` variant (base + 100).
  public var isReference: Bool { rawValue > 100 && rawValue < 100 + Int32(Self.names.count) }

  /// The non-reference type.
  public var base: DataType { isReference ? DataType(rawValue: rawValue - 100) : self }

  /// TensorFlow's short name (`float`, `int32`, `float_ref`), or `unknown(<n>)`.
  public var name: String {
    let b = base.rawValue
    guard b >= 0, b < Self.names.count else { return "unknown(\(rawValue))" }
    return Self.names[Int(b)] + (isReference ? "_ref" : "")
  }

  /// The proto enum name (`DT_FLOAT`, `DT_FLOAT_REF`), or nil for an unknown number.
  public var enumName: String? {
    let b = base.rawValue
    guard b >= 0, b < Self.enumNames.count, !(isReference && b == 0) else { return nil }
    return Self.enumNames[Int(b)] + (isReference ? "_REF" : "")
  }

  public var description: String { name }

  /// Parses a name the way TensorFlow's `DataTypeFromString` does (`float`, `int32`,
  /// `quint8`, `float_ref`), plus the aliases `float32`, `float64` and `float16`.
  /// `DT_FLOAT` is not a type name there, and is not here.
  public init?(name: String) {
    var text = Substring(name)
    var reference = false
    if text.hasSuffix("_ref") {
      text = text.dropLast(4)
      reference = true
    }
    let aliases: [Substring: String] = ["float32": "float", "float64": "double", "float16": "half"]
    let canonical = aliases[text] ?? String(text)
    guard let index = Self.names.firstIndex(of: canonical), index != 0 else { return nil }
    self.init(rawValue: Int32(index) + (reference ? 100 : 0))
  }

  /// Parses a proto enum name (`DT_FLOAT`), as the text format writes it.
  public init?(enumName: String) {
    var text = Substring(enumName)
    var reference = false
    if text.hasSuffix("_REF") {
      text = text.dropLast(4)
      reference = true
    }
    // There is no DT_INVALID_REF.
    guard let index = Self.enumNames.firstIndex(of: String(text)), !(reference && index == 0) else {
      return nil
    }
    self.init(rawValue: Int32(index) + (reference ? 100 : 0))
  }

  /// Bytes per element in `tensor_content`, or nil where elements have no fixed size
  /// (strings, resources, variants, sub-byte types, unknown numbers).
  public var byteSize: Int? {
    switch base {
    case .float, .int32, .qint32, .uint32: return 4
    case .double, .int64, .uint64, .complex64: return 8
    case .complex128: return 16
    case .uint8, .int8, .bool, .qint8, .quint8: return 1
    case .int16, .uint16, .qint16, .quint16, .half, .bfloat16: return 2
    default:
      // The float8 family stores one byte per element.
      return (24...28).contains(base.rawValue) ? 1 : nil
    }
  }
}
