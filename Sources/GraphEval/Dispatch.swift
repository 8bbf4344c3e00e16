// SPDX-License-Identifier: Apache-2.0

public import GraphIR

// Swift has no generic closures, so a kernel that works for many element types is a
// small struct with one generic `visit` method, and the dispatchers below call it with
// the Swift type that stores the runtime dtype. Each protocol narrows the element types
// a kernel accepts; any other dtype is an `EvalError.unsupportedType`, which leaves the
// node unfolded rather than failing the run.

/// A kernel body for every element type, strings and bools included.
public protocol AnyElementVisitor {
  associatedtype Result
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> Result
}

/// A kernel body for the numeric types (floats and integers).
public protocol NumericVisitor {
  associatedtype Result
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> Result
}

/// A kernel body for float32 and float64.
public protocol FloatVisitor {
  associatedtype Result
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> Result
}

/// A kernel body for the integer types.
public protocol IntegerVisitor {
  associatedtype Result
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> Result
}

extension DataType {
  /// Calls `visitor` with the element type that stores this dtype.
  public func visit<V: AnyElementVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch base {
    case .bool: return try visitor.visit(Bool.self)
    case .string: return try visitor.visit([UInt8].self)
    default:
      guard isNumericForEvaluation else { throw .unsupportedType(self) }
      return try visit(AnyAsNumeric(inner: visitor))
    }
  }

  /// Calls `visitor` with the numeric element type of this dtype.
  public func visit<V: NumericVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch base {
    case .float: return try visitor.visit(Float.self)
    case .double: return try visitor.visit(Double.self)
    default: return try visit(IntegerAsNumeric(inner: visitor))
    }
  }

  /// Calls `visitor` with the floating-point element type of this dtype.
  public func visit<V: FloatVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch base {
    case .float: return try visitor.visit(Float.self)
    case .double: return try visitor.visit(Double.self)
    default: throw .unsupportedType(self)
    }
  }

  /// Calls `visitor` with the integer element type of this dtype. Quantized types are
  /// not integers for arithmetic; TensorFlow has no kernels that treat them so.
  public func visit<V: IntegerVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch self {
    case .int8: return try visitor.visit(Int8.self)
    case .int16: return try visitor.visit(Int16.self)
    case .int32: return try visitor.visit(Int32.self)
    case .int64: return try visitor.visit(Int64.self)
    case .uint8: return try visitor.visit(UInt8.self)
    case .uint16: return try visitor.visit(UInt16.self)
    case .uint32: return try visitor.visit(UInt32.self)
    case .uint64: return try visitor.visit(UInt64.self)
    default: throw .unsupportedType(self)
    }
  }

  /// Whether the numeric dispatcher accepts this dtype.
  var isNumericForEvaluation: Bool {
    switch self {
    case .float, .double, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
    default: return false
    }
  }
}

/// Lets an any-element visitor ride the numeric dispatcher.
private struct AnyAsNumeric<Inner: AnyElementVisitor>: NumericVisitor {
  let inner: Inner
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> Inner.Result { try inner.visit(type) }
}

/// Lets a numeric visitor ride the integer dispatcher.
private struct IntegerAsNumeric<Inner: NumericVisitor>: IntegerVisitor {
  let inner: Inner
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> Inner.Result { try inner.visit(type) }
}
