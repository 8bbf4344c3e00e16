// SPDX-License-Identifier: Apache-2.0

public import GraphIR
public import RealModule

/// A Swift type that stores the elements of one or more TensorFlow dtypes.
///
/// Kernels are written once as generic functions over these protocols and reached
/// through the `visit…` dispatchers, which switch on the runtime dtype exactly once per
/// kernel call rather than once per element.
public protocol TensorElement: Sendable, Equatable {
  /// The dtype a tensor of this element type has unless told otherwise.
  static var dataType: DataType { get }
  /// The value TensorFlow fills new tensors with (`ZerosLike`, padding).
  static var zero: Self { get }
  /// Wraps an array in its storage case.
  static func storage(_ values: [Self]) -> TensorStorage
  /// Unwraps the storage case of this type.
  static func values(of storage: TensorStorage) -> [Self]?
}

/// An element type with arithmetic and ordering: the real numbers and the integers.
public protocol NumericElement: TensorElement, Numeric, Comparable {
  /// The value one (`OnesLike`, `Prod` of nothing).
  static var one: Self { get }
  /// The value as a double, for casts and messages.
  var doubleValue: Double { get }
  /// The value nearest `value` with TensorFlow's cast rules (truncation toward zero and
  /// wrap-around for integers; NaN becomes 0 for integers, as on x86).
  static func converting(_ value: Double) -> Self
  /// The lowest and highest representable values (the identities of `Max` and `Min`).
  static var lowest: Self { get }
  static var highest: Self { get }
}

/// float32 and float64: the types the transcendental kernels are defined on.
public protocol FloatElement: NumericElement, Real, BinaryFloatingPoint {}

/// The signed and unsigned integer types.
public protocol IntegerElement: NumericElement, FixedWidthInteger {}

extension Float: FloatElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .float }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Float]) -> TensorStorage { .float(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Float]? {
    if case .float(let v) = storage { return v }
    return nil
  }
}

extension Double: FloatElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .double }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Double]) -> TensorStorage { .double(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Double]? {
    if case .double(let v) = storage { return v }
    return nil
  }
}

extension FloatElement {
  /// The value one.
  public static var one: Self { 1 }
  /// The value as a double.
  public var doubleValue: Double { Double(self) }
  /// The value nearest `value`, by TensorFlow's cast rules.
  public static func converting(_ value: Double) -> Self { Self(value) }
  /// The identity of `Max`.
  public static var lowest: Self { -.infinity }
  /// The identity of `Min`.
  public static var highest: Self { .infinity }
}

extension IntegerElement {
  /// The value zero.
  public static var zero: Self { 0 }
  /// The value one.
  public static var one: Self { 1 }
  /// The value as a double.
  public var doubleValue: Double { Double(self) }
  /// The value nearest `value`, by TensorFlow's cast rules.
  public static func converting(_ value: Double) -> Self {
    // x86 semantics of TensorFlow's static_cast: NaN → 0; out of range wraps through int64.
    guard value.isFinite else { return value.isNaN ? 0 : (value < 0 ? .min : .max) }
    if value >= -9.2e18 && value <= 9.2e18 { return Self(truncatingIfNeeded: Int64(value)) }
    return value < 0 ? .min : .max
  }
  /// The identity of `Max`.
  public static var lowest: Self { .min }
  /// The identity of `Min`.
  public static var highest: Self { .max }
}

extension Int8: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .int8 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Int8]) -> TensorStorage { .int8(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Int8]? {
    if case .int8(let v) = storage { return v }
    return nil
  }
}

extension Int16: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .int16 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Int16]) -> TensorStorage { .int16(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Int16]? {
    if case .int16(let v) = storage { return v }
    return nil
  }
}

extension Int32: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .int32 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Int32]) -> TensorStorage { .int32(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Int32]? {
    if case .int32(let v) = storage { return v }
    return nil
  }
}

extension Int64: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .int64 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Int64]) -> TensorStorage { .int64(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Int64]? {
    if case .int64(let v) = storage { return v }
    return nil
  }
}

extension UInt8: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .uint8 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [UInt8]) -> TensorStorage { .uint8(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [UInt8]? {
    if case .uint8(let v) = storage { return v }
    return nil
  }
}

extension UInt16: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .uint16 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [UInt16]) -> TensorStorage { .uint16(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [UInt16]? {
    if case .uint16(let v) = storage { return v }
    return nil
  }
}

extension UInt32: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .uint32 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [UInt32]) -> TensorStorage { .uint32(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [UInt32]? {
    if case .uint32(let v) = storage { return v }
    return nil
  }
}

extension UInt64: IntegerElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .uint64 }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [UInt64]) -> TensorStorage { .uint64(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [UInt64]? {
    if case .uint64(let v) = storage { return v }
    return nil
  }
}

extension Bool: TensorElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .bool }
  /// The value zero.
  public static var zero: Bool { false }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [Bool]) -> TensorStorage { .bool(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [Bool]? {
    if case .bool(let v) = storage { return v }
    return nil
  }
}

/// String elements are byte strings, as in `TensorProto.string_val`.
extension [UInt8]: TensorElement {
  /// The dtype this element type stores by default.
  public static var dataType: DataType { .string }
  /// The value zero.
  public static var zero: [UInt8] { [] }
  /// Wraps an array in its storage case.
  public static func storage(_ values: [[UInt8]]) -> TensorStorage { .string(values) }
  /// Unwraps the storage case of this type.
  public static func values(of storage: TensorStorage) -> [[UInt8]]? {
    if case .string(let v) = storage { return v }
    return nil
  }
}
