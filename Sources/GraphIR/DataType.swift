// SPDX-License-Identifier: Apache-2.0

/// A tensor element type, with TensorFlow's enum numbers.
///
/// An open set, like proto3 enums: a number this tool does not know survives a
/// round trip unchanged.
public struct DataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// TensorFlow's `DataType` enum number; 101 and up are the `_REF` variants.
  public let rawValue: Int32

  /// The type with enum number `rawValue`, known or not.
  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// Not a type (`DT_INVALID`); what an unset `dtype` field reads as.
  public static let invalid = DataType(rawValue: 0)
  /// 32-bit IEEE float (`DT_FLOAT`).
  public static let float = DataType(rawValue: 1)
  /// 64-bit IEEE float (`DT_DOUBLE`).
  public static let double = DataType(rawValue: 2)
  /// Signed 32-bit integer (`DT_INT32`).
  public static let int32 = DataType(rawValue: 3)
  /// Unsigned 8-bit integer (`DT_UINT8`).
  public static let uint8 = DataType(rawValue: 4)
  /// Signed 16-bit integer (`DT_INT16`).
  public static let int16 = DataType(rawValue: 5)
  /// Signed 8-bit integer (`DT_INT8`).
  public static let int8 = DataType(rawValue: 6)
  /// Variable-length byte string (`DT_STRING`).
  public static let string = DataType(rawValue: 7)
  /// Complex number of two 32-bit floats (`DT_COMPLEX64`).
  public static let complex64 = DataType(rawValue: 8)
  /// Signed 64-bit integer (`DT_INT64`).
  public static let int64 = DataType(rawValue: 9)
  /// Boolean, one byte per element (`DT_BOOL`).
  public static let bool = DataType(rawValue: 10)
  /// Quantized signed 8-bit integer (`DT_QINT8`).
  public static let qint8 = DataType(rawValue: 11)
  /// Quantized unsigned 8-bit integer (`DT_QUINT8`).
  public static let quint8 = DataType(rawValue: 12)
  /// Quantized signed 32-bit integer (`DT_QINT32`).
  public static let qint32 = DataType(rawValue: 13)
  /// 16-bit brain float: float32 with a truncated mantissa (`DT_BFLOAT16`).
  public static let bfloat16 = DataType(rawValue: 14)
  /// Quantized signed 16-bit integer (`DT_QINT16`).
  public static let qint16 = DataType(rawValue: 15)
  /// Quantized unsigned 16-bit integer (`DT_QUINT16`).
  public static let quint16 = DataType(rawValue: 16)
  /// Unsigned 16-bit integer (`DT_UINT16`).
  public static let uint16 = DataType(rawValue: 17)
  /// Complex number of two 64-bit floats (`DT_COMPLEX128`).
  public static let complex128 = DataType(rawValue: 18)
  /// 16-bit IEEE float (`DT_HALF`).
  public static let half = DataType(rawValue: 19)
  /// Handle to a runtime resource such as a variable (`DT_RESOURCE`).
  public static let resource = DataType(rawValue: 20)
  /// Arbitrary C++ value such as a tensor list (`DT_VARIANT`).
  public static let variant = DataType(rawValue: 21)
  /// Unsigned 32-bit integer (`DT_UINT32`).
  public static let uint32 = DataType(rawValue: 22)
  /// Unsigned 64-bit integer (`DT_UINT64`).
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

  /// TensorFlow's short name, as `name` gives it.
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
