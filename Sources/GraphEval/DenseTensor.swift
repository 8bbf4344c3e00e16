// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// A tensor held in memory as one typed Swift array: the evaluator's working form.
///
/// `GraphIR.Tensor` mirrors the wire format (two storage forms, short lists that repeat
/// their last value, unaligned borrowed bytes); kernels should not care about any of that,
/// so values are expanded once into a `DenseTensor` and turned back into a `Tensor` only
/// when a result is written into the graph.
public struct DenseTensor: Sendable, Equatable, CustomStringConvertible {
  /// The element type. Quantized types share the storage of the integer type of their
  /// width (`quint8` is stored as `[UInt8]`), so the dtype is kept beside the storage.
  public let dtype: DataType
  /// The dimensions, outermost first; empty for a scalar.
  public let shape: [Int]
  /// The elements in row-major order; `count` equals the product of `shape`.
  public let storage: TensorStorage

  /// A tensor of `values` with the given shape; the dtype is the element type's own.
  ///
  /// - Precondition: `values.count` is the product of `shape` (kernels compute both).
  public init<T: TensorElement>(_ values: [T], shape: [Int]) {
    precondition(values.count == shape.reduce(1, *), "element count does not match shape \(shape)")
    self.dtype = T.dataType
    self.shape = shape
    self.storage = T.storage(values)
  }

  /// A tensor with an explicit dtype, for the quantized types that share a storage kind.
  ///
  /// - Throws: `EvalError.unsupportedType` when `dtype` is not stored as `T`.
  public init<T: TensorElement>(_ values: [T], shape: [Int], dtype: DataType) throws(EvalError) {
    guard TensorStorage.elementType(for: dtype) == T.self else { throw .unsupportedType(dtype) }
    precondition(values.count == shape.reduce(1, *), "element count does not match shape \(shape)")
    self.dtype = dtype
    self.shape = shape
    self.storage = T.storage(values)
  }

  /// A scalar.
  public init<T: TensorElement>(scalar: T) { self.init([scalar], shape: []) }

  /// The number of elements.
  public var count: Int { storage.count }
  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The elements as `[T]`, or nil when the tensor holds another element type.
  public func values<T: TensorElement>(as type: T.Type = T.self) -> [T]? { T.values(of: storage) }

  /// The elements as `[T]`.
  ///
  /// - Throws: `EvalError.typeMismatch` naming `role` when the tensor holds another type.
  public func require<T: TensorElement>(_ type: T.Type, _ role: String) throws(EvalError) -> [T] {
    guard let values = T.values(of: storage) else {
      throw .typeMismatch("\(role) has dtype \(dtype), expected \(T.dataType)")
    }
    return values
  }

  /// The elements of an int32 or int64 tensor as `Int`, the form shape-like inputs
  /// (shapes, axes, sizes, indices) are read in.
  ///
  /// - Throws: `EvalError.typeMismatch` naming `role` for any other dtype.
  public func indices(_ role: String) throws(EvalError) -> [Int] {
    switch storage {
    case .int32(let values): return values.map(Int.init)
    case .int64(let values): return values.map(Int.init)
    default: throw .typeMismatch("\(role) has dtype \(dtype), expected int32 or int64")
    }
  }

  /// The single value of a scalar (or one-element) int32/int64 tensor.
  public func scalarIndex(_ role: String) throws(EvalError) -> Int {
    let values = try indices(role)
    guard values.count == 1 else {
      throw .invalidArgument("\(role) must be a scalar, got shape \(shape)")
    }
    return values[0]
  }

  /// `float32[2,3]`, for messages.
  public var description: String { "\(dtype)\(shape)" }
}

/// The element arrays a `DenseTensor` can hold, one case per Swift element type.
public enum TensorStorage: Sendable, Equatable {
  case float([Float])
  case double([Double])
  case int8([Int8])
  case int16([Int16])
  case int32([Int32])
  case int64([Int64])
  case uint8([UInt8])
  case uint16([UInt16])
  case uint32([UInt32])
  case uint64([UInt64])
  case bool([Bool])
  case string([[UInt8]])

  /// The number of elements.
  public var count: Int {
    switch self {
    case .float(let v): return v.count
    case .double(let v): return v.count
    case .int8(let v): return v.count
    case .int16(let v): return v.count
    case .int32(let v): return v.count
    case .int64(let v): return v.count
    case .uint8(let v): return v.count
    case .uint16(let v): return v.count
    case .uint32(let v): return v.count
    case .uint64(let v): return v.count
    case .bool(let v): return v.count
    case .string(let v): return v.count
    }
  }

  /// The Swift element type that stores `dtype`, or nil when the evaluator has none
  /// (half, bfloat16, complex, resource, variant, float8, int4).
  public static func elementType(for dtype: DataType) -> (any TensorElement.Type)? {
    switch dtype.base {
    case .float: return Float.self
    case .double: return Double.self
    case .int8, .qint8: return Int8.self
    case .int16, .qint16: return Int16.self
    case .int32, .qint32: return Int32.self
    case .int64: return Int64.self
    case .uint8, .quint8: return UInt8.self
    case .uint16, .quint16: return UInt16.self
    case .uint32: return UInt32.self
    case .uint64: return UInt64.self
    case .bool: return Bool.self
    case .string: return [UInt8].self
    default: return nil
    }
  }
}
