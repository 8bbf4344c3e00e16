// SPDX-License-Identifier: Apache-2.0

import GraphIR
import RealModule

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// The per-element arithmetic of the elementwise and reduction kernels. Integer and float
// semantics differ in TensorFlow (wrap-around versus IEEE, truncating versus real division,
// NaN propagation), so each operation is a protocol requirement with one implementation
// for the floats and one for the integers, and the kernels stay generic over both.

/// A numeric element type with TensorFlow's CPU semantics for each arithmetic operation.
///
/// Integer operations wrap on overflow, as TensorFlow's (two's complement) C++ does;
/// integer division assumes a non-zero divisor, which the kernels check beforehand.
protocol ArithmeticElement: NumericElement {
  /// Whether the type is an integer type (integer division can fail; floats cannot).
  static var isIntegral: Bool { get }

  /// `x + y`, wrapping for integers.
  static func adding(_ x: Self, _ y: Self) -> Self
  /// `x - y`, wrapping for integers.
  static func subtracting(_ x: Self, _ y: Self) -> Self
  /// `x * y`, wrapping for integers.
  static func multiplying(_ x: Self, _ y: Self) -> Self
  /// TensorFlow's `Div`: real division for floats, truncation toward zero for integers.
  static func dividing(_ x: Self, _ y: Self) -> Self
  /// TensorFlow's `FloorDiv`: the quotient rounded toward negative infinity.
  static func floorDividing(_ x: Self, _ y: Self) -> Self
  /// TensorFlow's `FloorMod`: the remainder with the divisor's sign.
  static func floorModulo(_ x: Self, _ y: Self) -> Self
  /// `x` to the power `y`; integers wrap and assume `y >= 0`.
  static func power(_ x: Self, _ y: Self) -> Self
  /// The larger operand; NaN if either is NaN.
  static func maximum(_ x: Self, _ y: Self) -> Self
  /// The smaller operand; NaN if either is NaN.
  static func minimum(_ x: Self, _ y: Self) -> Self
  /// `-x`, wrapping for integers (so `-Int8.min == Int8.min`).
  static func negating(_ x: Self) -> Self
  /// `|x|`, wrapping for integers (so `abs(Int8.min) == Int8.min`).
  static func absolute(_ x: Self) -> Self

  /// `self` as element type `U`, with TensorFlow's `Cast` rules.
  ///
  /// - Parameter truncate: `Cast`'s `Truncate` attribute: drop the mantissa bits a
  ///   narrower float type cannot hold instead of rounding.
  func cast<U: ArithmeticElement>(to type: U.Type, truncate: Bool) -> U
  /// The value nearest a signed integer.
  static func fromSigned(_ value: Int64) -> Self
  /// The value nearest an unsigned integer.
  static func fromUnsigned(_ value: UInt64) -> Self
  /// The value for a real number, as the C++ cast TensorFlow uses computes it on x86.
  static func fromReal(_ value: Double, truncate: Bool) -> Self
}

/// A kernel body for the arithmetic element types; see `DataType.visitArithmetic`.
protocol ArithmeticVisitor {
  /// What the kernel body returns.
  associatedtype Result
  /// The kernel body for element type `T`.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> Result
}

/// The arithmetic dispatcher.
extension DataType {
  /// Calls `visitor` with the arithmetic element type that stores this dtype.
  ///
  /// A switch with the concrete type in every case, like the dispatchers in
  /// `Dispatch.swift`, rather than a cast of their `NumericElement` type: the compiler can
  /// only specialize the per-element loops for types it sees statically.
  func visitArithmetic<V: ArithmeticVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch self {
    case .float: return try visitor.visit(Float.self)
    case .double: return try visitor.visit(Double.self)
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
}

/// float32: IEEE arithmetic.
extension Float: ArithmeticElement {}
/// float64: IEEE arithmetic.
extension Double: ArithmeticElement {}
/// int8: wrapping arithmetic.
extension Int8: ArithmeticElement {}
/// int16: wrapping arithmetic.
extension Int16: ArithmeticElement {}
/// int32: wrapping arithmetic.
extension Int32: ArithmeticElement {}
/// int64: wrapping arithmetic.
extension Int64: ArithmeticElement {}
/// uint8: wrapping arithmetic.
extension UInt8: ArithmeticElement {}
/// uint16: wrapping arithmetic.
extension UInt16: ArithmeticElement {}
/// uint32: wrapping arithmetic.
extension UInt32: ArithmeticElement {}
/// uint64: wrapping arithmetic.
extension UInt64: ArithmeticElement {}

// MARK: Floating point

/// IEEE semantics: no operation traps, division by zero gives an infinity or NaN.
extension ArithmeticElement where Self: FloatElement {
  /// Floats are not integral.
  static var isIntegral: Bool { false }
  /// `x + y`.
  static func adding(_ x: Self, _ y: Self) -> Self { x + y }
  /// `x - y`.
  static func subtracting(_ x: Self, _ y: Self) -> Self { x - y }
  /// `x * y`.
  static func multiplying(_ x: Self, _ y: Self) -> Self { x * y }
  /// `x / y`.
  static func dividing(_ x: Self, _ y: Self) -> Self { x / y }
  /// `floor(x / y)`, as TensorFlow computes it (not `x - fmod(x, y)` over `y`).
  static func floorDividing(_ x: Self, _ y: Self) -> Self { (x / y).rounded(.down) }

  /// The remainder with the sign of `y`.
  static func floorModulo(_ x: Self, _ y: Self) -> Self {
    // TF parity: fmod, then moved into the divisor's sign; fmod's NaN for y == 0 or
    // infinite x passes through, and a zero remainder keeps its sign (-0.0 stays -0.0).
    let remainder = x.truncatingRemainder(dividingBy: y)
    return remainder != 0 && (y < 0) != (remainder < 0) ? remainder + y : remainder
  }

  /// C's `pow(x, y)`.
  static func power(_ x: Self, _ y: Self) -> Self {
    // C's pow, not RealModule's: TensorFlow follows C (pow(-2, 3) = -8, pow(0, 0) = 1),
    // where RealModule returns NaN for every negative base. Float goes through Double,
    // which is exact to float precision; TensorFlow's own float pow is within an ulp.
    Self(cPow(Double(x), Double(y)))
  }

  /// The larger operand, or NaN.
  static func maximum(_ x: Self, _ y: Self) -> Self {
    // TF parity: NaN propagates from either side, and equal operands (0.0 and -0.0)
    // give the first.
    if x.isNaN || y.isNaN { return .nan }
    return x < y ? y : x
  }

  /// The smaller operand, or NaN.
  static func minimum(_ x: Self, _ y: Self) -> Self {
    if x.isNaN || y.isNaN { return .nan }
    return y < x ? y : x
  }

  /// `-x`.
  static func negating(_ x: Self) -> Self { -x }
  /// `|x|`; NaN stays NaN.
  static func absolute(_ x: Self) -> Self { x.magnitude }

  /// The value as `U`, converted from its exact Double.
  func cast<U: ArithmeticElement>(to type: U.Type, truncate: Bool) -> U {
    // Widening float to Double is exact, so one rounding happens, in U's conversion.
    U.fromReal(Double(self), truncate: truncate)
  }

  /// The nearest float (Swift and C++ both round to nearest even).
  static func fromSigned(_ value: Int64) -> Self { Self(value) }
  /// The nearest float.
  static func fromUnsigned(_ value: UInt64) -> Self { Self(value) }

  /// The nearest float, or with `truncate` the next one toward zero.
  static func fromReal(_ value: Double, truncate: Bool) -> Self {
    guard truncate, Self.significandBitCount < Double.significandBitCount, !value.isNaN else {
      return Self(value)
    }
    // TF parity: with `Truncate`, Cast clears the low mantissa bits the narrower type
    // cannot hold and then converts, so the result rounds toward zero (and a double just
    // above Float.greatestFiniteMagnitude stays finite).
    let dropped = UInt64(Double.significandBitCount - Self.significandBitCount)
    return Self(Double(bitPattern: value.bitPattern & ~((1 << dropped) - 1)))
  }
}

// MARK: Integers

/// Two's complement semantics: every operation wraps, none traps (divisors are checked
/// by the kernels before any element is computed).
extension ArithmeticElement where Self: IntegerElement {
  /// Integers are integral.
  static var isIntegral: Bool { true }
  /// `x + y`, wrapping.
  static func adding(_ x: Self, _ y: Self) -> Self { x &+ y }
  /// `x - y`, wrapping.
  static func subtracting(_ x: Self, _ y: Self) -> Self { x &- y }
  /// `x * y`, wrapping.
  static func multiplying(_ x: Self, _ y: Self) -> Self { x &* y }

  /// `x / y` truncated toward zero.
  static func dividing(_ x: Self, _ y: Self) -> Self {
    // TF parity: integer `Div` truncates toward zero (it is C++ `/`, unlike Python's //),
    // and min / -1 wraps to min instead of trapping.
    x.dividedReportingOverflow(by: y).partialValue
  }

  /// `x / y` rounded toward negative infinity: the truncated quotient, one less when the
  /// remainder and the divisor have opposite signs (no intermediate can overflow).
  static func floorDividing(_ x: Self, _ y: Self) -> Self {
    let quotient = x.dividedReportingOverflow(by: y).partialValue
    let remainder = x.remainderReportingOverflow(dividingBy: y).partialValue
    return remainder != 0 && (remainder < 0) != (y < 0) ? quotient &- 1 : quotient
  }

  /// The remainder with the sign of `y`.
  static func floorModulo(_ x: Self, _ y: Self) -> Self {
    let remainder = x.remainderReportingOverflow(dividingBy: y).partialValue
    return remainder != 0 && (remainder < 0) != (y < 0) ? remainder &+ y : remainder
  }

  /// `x` to the power `y` (`y >= 0`), wrapping.
  static func power(_ x: Self, _ y: Self) -> Self {
    // Square-and-multiply; wrapping products give the true power modulo 2^bitWidth, the
    // same as TensorFlow's repeated multiplication.
    var result: Self = 1
    var base = x
    var exponent = y
    while exponent > 0 {
      if exponent & 1 == 1 { result = result &* base }
      exponent >>= 1
      if exponent > 0 { base = base &* base }
    }
    return result
  }

  /// The larger operand.
  static func maximum(_ x: Self, _ y: Self) -> Self { x < y ? y : x }
  /// The smaller operand.
  static func minimum(_ x: Self, _ y: Self) -> Self { y < x ? y : x }
  /// `-x`, wrapping.
  static func negating(_ x: Self) -> Self { 0 &- x }
  /// `|x|`, wrapping.
  static func absolute(_ x: Self) -> Self { x < 0 ? 0 &- x : x }

  /// The value as `U`, through the 64-bit integer of its signedness (exact).
  func cast<U: ArithmeticElement>(to type: U.Type, truncate: Bool) -> U {
    Self.isSigned ? U.fromSigned(Int64(truncatingIfNeeded: self)) : U.fromUnsigned(UInt64(truncatingIfNeeded: self))
  }

  /// The low bits of `value` (C++ integer conversion).
  static func fromSigned(_ value: Int64) -> Self { Self(truncatingIfNeeded: value) }
  /// The low bits of `value`.
  static func fromUnsigned(_ value: UInt64) -> Self { Self(truncatingIfNeeded: value) }

  /// `value` truncated toward zero; see the comment for values out of range.
  static func fromReal(_ value: Double, truncate: Bool) -> Self {
    // TF parity: an out-of-range float-to-int cast is undefined in C++; TensorFlow on x86
    // gets the hardware's answer. cvttsd2si converts to 32 or 64 bits and answers the
    // "integer indefinite" value (the type's minimum) for NaN and out-of-range input;
    // types of 16 bits or fewer are converted through int32 and wrapped (300.7 → 44 as
    // int8), uint32 through int64, and uint64 exactly when the value fits. (For uint32
    // TensorFlow's answer out of range depends on the SIMD lane; no one rule matches it.)
    if !Self.isSigned && Self.bitWidth == 64 && value >= 0x1p63 && value < 0x1p64 {
      return Self(value)
    }
    if Self.bitWidth <= 32 && (Self.isSigned || Self.bitWidth < 32) {
      let wide = value.isNaN || value >= 0x1p31 || value < -0x1p31 ? Int32.min : Int32(value)
      return Self(truncatingIfNeeded: wide)
    }
    let wide = value.isNaN || value >= 0x1p63 || value < -0x1p63 ? Int64.min : Int64(value)
    return Self(truncatingIfNeeded: wide)
  }
}

/// C's `pow`, named apart so that inside the float extension it is not shadowed by
/// RealModule's `Self.pow`.
private func cPow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
