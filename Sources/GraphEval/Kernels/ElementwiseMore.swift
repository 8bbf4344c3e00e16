// SPDX-License-Identifier: Apache-2.0

import GraphIR
import RealModule

/// More elementwise kernels: rounding, sign, activations, transcendental functions, float
/// classification, `AddN`, truncating division and `ClipByValue`, plus `Softmax` and
/// `LogSoftmax` (in `ReductionSoftmax.swift`).
///
/// The dtype domains are those TensorFlow has CPU kernels for, as in `elementwiseKernels`.
let moreElementwiseKernels: [String: Kernel] = [
  // Rounding and sign.
  "Floor": floatUnaryKernel(FloorOperation.self),
  "Ceil": floatUnaryKernel(CeilOperation.self),
  "Round": roundKernel,
  "Rint": floatUnaryKernel(RoundHalfEvenOperation.self),
  "Sign": arithmeticUnaryKernel(SignOperation.self, .signed),
  // Float functions.
  "Softplus": floatUnaryKernel(SoftplusOperation.self),
  "Softsign": floatUnaryKernel(SoftsignOperation.self),
  "Log1p": floatUnaryKernel(Log1pOperation.self),
  "Expm1": floatUnaryKernel(Expm1Operation.self),
  "Sin": floatUnaryKernel(SineOperation.self),
  "Cos": floatUnaryKernel(CosineOperation.self),
  "Erf": floatUnaryKernel(ErfOperation.self),
  "Erfc": floatUnaryKernel(ErfcOperation.self),
  "Elu": floatUnaryKernel(EluOperation.self),
  "Selu": floatUnaryKernel(SeluOperation.self),
  "LeakyRelu": leakyReluKernel,
  // Classification.
  "IsNan": floatPredicateKernel(IsNanOperation.self),
  "IsFinite": floatPredicateKernel(IsFiniteOperation.self),
  "IsInf": floatPredicateKernel(IsInfOperation.self),
  // Sums, truncating division, clipping.
  "AddN": addNKernel,
  "TruncateDiv": splitBinaryKernel(TruncateDivideOperation.self, .real),
  "TruncateMod": splitBinaryKernel(
    TruncateModuloOperation.self, DTypeDomain.floats + DTypeDomain(dtypes: [.int32, .int64])),
  "ClipByValue": clipByValueKernel,
  // Normalization over the last axis.
  "Softmax": softmaxKernel(SoftmaxOperation.self),
  "LogSoftmax": softmaxKernel(LogSoftmaxOperation.self),
]

// MARK: Rounding and sign

/// `Floor`.
enum FloorOperation: FloatUnaryOperation {
  /// The largest integer not above `x`.
  static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.down) }
}

/// `Ceil`.
enum CeilOperation: FloatUnaryOperation {
  /// The smallest integer not below `x`.
  static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.up) }
}

/// `Round` on floats, and `Rint`.
enum RoundHalfEvenOperation: FloatUnaryOperation {
  /// The nearest integer; TF parity: halfway cases go to the even neighbour (2.5 → 2), not
  /// away from zero as C's `round` does.
  static func apply<T: FloatElement>(_ x: T) -> T { x.rounded(.toNearestOrEven) }
}

/// `Round`: half to even for floats.
///
/// TensorFlow also registers int32 and int64 CPU kernels, but they answer all zeros (not
/// the identity the op documents), so those dtypes are left to TensorFlow as a limitation
/// rather than folded to either value. int8 and int16 have no kernel at all.
let roundKernel: Kernel = { invocation throws(EvalError) in
  let x = try invocation.unaryOperand(DTypeDomain.floats + DTypeDomain(dtypes: [.int32, .int64]))
  if x.dtype == .int32 || x.dtype == .int64 { throw .unsupportedType(x.dtype) }
  return [try x.dtype.visit(FloatUnaryVisitor<RoundHalfEvenOperation>(x: x))]
}

/// `Sign`, on floats and signed integers.
enum SignOperation: ArithmeticUnaryOperation {
  /// -1, 0 or 1; NaN stays NaN (and a zero keeps its sign, which compares equal).
  static func apply<T: ArithmeticElement>(_ x: T) -> T {
    x > .zero ? .one : (x < .zero ? T.negating(.one) : x)
  }
}

// MARK: Float functions

/// `Softplus`.
enum SoftplusOperation: FloatUnaryOperation {
  /// `log(1 + eˣ)`.
  static func apply<T: FloatElement>(_ x: T) -> T {
    // TF parity: TensorFlow switches to `x` above -threshold and to `eˣ` below threshold,
    // where threshold = log(epsilon) + 2 of the element type; the switch points move the
    // result by less than an ulp of float32 but keep large inputs exact.
    let threshold = Double.log(Double(T.ulpOfOne)) + 2
    let value = Double(x)
    if value > -threshold { return x }
    if value < threshold { return T(Double.exp(value)) }
    return T(Double.log(onePlus: Double.exp(value)))
  }
}

/// `Softsign`.
enum SoftsignOperation: FloatUnaryOperation {
  /// `x / (1 + |x|)`.
  static func apply<T: FloatElement>(_ x: T) -> T { x / (1 + x.magnitude) }
}

/// `Log1p`.
enum Log1pOperation: FloatUnaryOperation {
  /// `log(1 + x)`, accurate near zero.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.log(onePlus: Double(x))) }
}

/// `Expm1`.
enum Expm1Operation: FloatUnaryOperation {
  /// `eˣ - 1`, accurate near zero.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.expMinusOne(Double(x))) }
}

/// `Sin`.
enum SineOperation: FloatUnaryOperation {
  /// The sine.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.sin(Double(x))) }
}

/// `Cos`.
enum CosineOperation: FloatUnaryOperation {
  /// The cosine.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.cos(Double(x))) }
}

/// `Erf`.
enum ErfOperation: FloatUnaryOperation {
  /// The error function.
  static func apply<T: FloatElement>(_ x: T) -> T {
    // TF parity: TensorFlow's float64 erf squares its argument first, so beyond
    // √(Double.greatestFiniteMagnitude) (infinities included) it answers NaN, not ±1; its
    // float32 erf clamps instead and has no such hole.
    let value = Double(x)
    if T.self == Double.self && !(value * value).isFinite { return .nan }
    return T(Double.erf(value))
  }
}

/// `Erfc`: 1 − erf(x), computed directly so the tail keeps its precision.
enum ErfcOperation: FloatUnaryOperation {
  /// The complementary error function.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.erfc(Double(x))) }
}

/// `Elu`.
enum EluOperation: FloatUnaryOperation {
  /// `x` for `x >= 0`, else `eˣ - 1`.
  static func apply<T: FloatElement>(_ x: T) -> T { x < 0 ? exponentialMinusOne(x) : x }
}

/// `eˣ - 1` as TensorFlow's Elu and Selu compute it: `eˣ` rounded to `T`, then 1 subtracted
/// in `T`. TF parity: not `expm1`, which differs by up to 1% for float32 near zero.
private func exponentialMinusOne<T: FloatElement>(_ x: T) -> T { T(Double.exp(Double(x))) - 1 }

/// `Selu`.
enum SeluOperation: FloatUnaryOperation {
  /// TensorFlow's constants, from the SELU paper.
  static let scale = 1.0507009873554804934193349852946
  /// The negative-side factor before scaling.
  static let alpha = 1.6732632423543772848170429916717

  /// `scale * x` for `x >= 0`, else `scale * alpha * (eˣ - 1)`.
  static func apply<T: FloatElement>(_ x: T) -> T {
    // TF parity: the constants are rounded to T and multiplied in T.
    x < 0 ? T(scale * alpha) * exponentialMinusOne(x) : T(scale) * x
  }
}

/// Computes `LeakyRelu`.
private struct LeakyReluVisitor: FloatVisitor {
  /// The operand.
  let x: DenseTensor
  /// The negative-side slope, as the float attribute TensorFlow stores.
  let alpha: Float

  /// The result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    // TF parity: the float attribute is converted to T (0.2 as float64 is 0.2000000030),
    // and the product is taken in T.
    let slope = T(alpha)
    return DenseTensor(try x.require(T.self, "features").map { $0 < 0 ? $0 * slope : $0 }, shape: x.shape)
  }
}

/// `LeakyRelu`, with attribute `alpha` (default 0.2).
let leakyReluKernel: Kernel = { invocation throws(EvalError) in
  let x = try invocation.unaryOperand(.floats)
  let alpha = try invocation.float("alpha", default: 0.2)
  return [try x.dtype.visit(LeakyReluVisitor(x: x, alpha: alpha))]
}

// MARK: Classification

/// A float test with a bool result.
protocol FloatPredicateOperation: Sendable {
  /// The result for one element.
  static func apply<T: FloatElement>(_ x: T) -> Bool
}

/// `IsNan`.
enum IsNanOperation: FloatPredicateOperation {
  /// Whether `x` is NaN.
  static func apply<T: FloatElement>(_ x: T) -> Bool { x.isNaN }
}

/// `IsFinite`.
enum IsFiniteOperation: FloatPredicateOperation {
  /// Whether `x` is neither infinite nor NaN.
  static func apply<T: FloatElement>(_ x: T) -> Bool { x.isFinite }
}

/// `IsInf`.
enum IsInfOperation: FloatPredicateOperation {
  /// Whether `x` is an infinity of either sign.
  static func apply<T: FloatElement>(_ x: T) -> Bool { x.isInfinite }
}

/// Computes a float predicate.
private struct FloatPredicateVisitor<Operation: FloatPredicateOperation>: FloatVisitor {
  /// The operand.
  let x: DenseTensor

  /// The bool result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    DenseTensor(try x.require(T.self, "x").map { Operation.apply($0) }, shape: x.shape)
  }
}

/// The kernel of a float predicate.
func floatPredicateKernel<Operation: FloatPredicateOperation>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    let x = try invocation.unaryOperand(.floats)
    return [try x.dtype.visit(FloatPredicateVisitor<Operation>(x: x))]
  }
}

// MARK: AddN

/// Computes `AddN` of same-dtype, same-shape inputs.
private struct AddNVisitor: ArithmeticVisitor {
  /// The inputs, at least one.
  let inputs: [DenseTensor]

  /// The elementwise sum, folded left to right as TensorFlow does; integers wrap.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    var sum = try inputs[0].require(T.self, "inputs")
    for input in inputs.dropFirst() {
      let values = try input.require(T.self, "inputs")
      for index in sum.indices { sum[index] = T.adding(sum[index], values[index]) }
    }
    return DenseTensor(sum, shape: inputs[0].shape)
  }
}

/// `AddN`: the sum of N tensors of one shape (no broadcasting).
let addNKernel: Kernel = { invocation throws(EvalError) in
  let first = try invocation.input(0)
  try DTypeDomain.real.check(first.dtype, op: invocation.node.op)
  for input in invocation.inputs.dropFirst() {
    guard input.dtype == first.dtype else {
      throw .typeMismatch("AddN: inputs have dtypes \(first.dtype) and \(input.dtype)")
    }
    guard input.shape == first.shape else {
      throw .invalidArgument(
        "Inputs to operation AddN must have the same size and shape: \(first.shape) != \(input.shape)")
    }
  }
  return [try first.dtype.visitArithmetic(AddNVisitor(inputs: invocation.inputs))]
}

// MARK: Truncating division

/// A binary op whose float and integer forms differ by more than `ArithmeticElement`
/// covers: the float form truncates a real quotient, the integer form is C's `/` or `%`.
protocol SplitBinaryOperation: Sendable {
  /// The result for one pair of floats.
  static func applyFloat<T: FloatElement>(_ x: T, _ y: T) -> T
  /// The result for one pair of integers; `y` is non-zero.
  static func applyInteger<T: IntegerElement>(_ x: T, _ y: T) -> T
}

/// `TruncateDiv`.
enum TruncateDivideOperation: SplitBinaryOperation {
  /// `x / y` rounded toward zero (infinities and NaN pass through).
  static func applyFloat<T: FloatElement>(_ x: T, _ y: T) -> T { (x / y).rounded(.towardZero) }
  /// `x / y` truncated; `min / -1` wraps to `min`.
  static func applyInteger<T: IntegerElement>(_ x: T, _ y: T) -> T { x.dividedReportingOverflow(by: y).partialValue }
}

/// `TruncateMod`.
enum TruncateModuloOperation: SplitBinaryOperation {
  /// C's `fmod`: the remainder with the dividend's sign.
  static func applyFloat<T: FloatElement>(_ x: T, _ y: T) -> T { x.truncatingRemainder(dividingBy: y) }
  /// C's `%`; `min % -1` is 0.
  static func applyInteger<T: IntegerElement>(_ x: T, _ y: T) -> T {
    x.remainderReportingOverflow(dividingBy: y).partialValue
  }
}

/// Computes a split binary op on floats.
private struct SplitFloatVisitor<Operation: SplitBinaryOperation>: FloatVisitor {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// The broadcast result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let xs = try x.require(T.self, "x")
    let ys = try y.require(T.self, "y")
    let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) {
      Operation.applyFloat($0, $1)
    }
    return DenseTensor(values, shape: shape)
  }
}

/// Computes a split binary op on integers.
private struct SplitIntegerVisitor<Operation: SplitBinaryOperation>: IntegerVisitor {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// The broadcast result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The result tensor.
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let xs = try x.require(T.self, "x")
    let ys = try y.require(T.self, "y")
    // TensorFlow fails on a zero integer divisor, but only when there is work to do.
    if count > 0 && ys.contains(0) { throw .invalidArgument("Integer division by zero") }
    let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) {
      Operation.applyInteger($0, $1)
    }
    return DenseTensor(values, shape: shape)
  }
}

/// The kernel of a split binary op over `domain`.
func splitBinaryKernel<Operation: SplitBinaryOperation>(_ operation: Operation.Type, _ domain: DTypeDomain) -> Kernel {
  { invocation throws(EvalError) in
    let (x, y) = try invocation.binaryOperands(domain)
    let shape = try broadcastShape(x.shape, y.shape)
    let count = try invocation.checkSize(shape)
    if x.dtype == .float || x.dtype == .double {
      return [try x.dtype.visit(SplitFloatVisitor<Operation>(x: x, y: y, shape: shape, count: count))]
    }
    return [try x.dtype.visit(SplitIntegerVisitor<Operation>(x: x, y: y, shape: shape, count: count))]
  }
}

// MARK: ClipByValue

/// Computes `ClipByValue` once the bounds' shapes are checked.
private struct ClipVisitor: ArithmeticVisitor {
  /// The tensor to clip.
  let t: DenseTensor
  /// The lower bound: a scalar or `t`'s shape.
  let lower: DenseTensor
  /// The upper bound: a scalar or `t`'s shape.
  let upper: DenseTensor

  /// The result tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try t.require(T.self, "t")
    let lows = try lower.require(T.self, "clip_value_min")
    let highs = try upper.require(T.self, "clip_value_max")
    // TF parity: Eigen's `min(max_bound)` then `max(min_bound)`, each as `b < a ? b : a`
    // and `a < b ? b : a`: a NaN element stays NaN, a NaN bound is ignored, and when
    // min > max every element becomes min.
    let capped = broadcastCombine(values, t.shape, highs, upper.shape, shape: t.shape, count: values.count) {
      $1 < $0 ? $1 : $0
    }
    let clipped = broadcastCombine(capped, t.shape, lows, lower.shape, shape: t.shape, count: values.count) {
      $0 < $1 ? $1 : $0
    }
    return DenseTensor(clipped, shape: t.shape)
  }
}

/// `ClipByValue`: bounds are scalars or of `t`'s shape; TensorFlow's kernel broadcasts no
/// other way. It has no uint32 or uint64 kernel.
let clipByValueKernel: Kernel = { invocation throws(EvalError) in
  try invocation.expectInputs(3)
  let (t, lower, upper) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
  try (DTypeDomain.signed + DTypeDomain(dtypes: [.uint8, .uint16])).check(t.dtype, op: invocation.node.op)
  guard lower.dtype == t.dtype && upper.dtype == t.dtype else {
    throw .typeMismatch("ClipByValue: operands have dtypes \(t.dtype), \(lower.dtype) and \(upper.dtype)")
  }
  for bound in [lower, upper] where bound.rank != 0 && bound.shape != t.shape {
    throw .invalidArgument(
      "clip_value_min and clip_value_max must be either scalars or have the same shape as t: "
        + "\(lower.shape), \(upper.shape) versus \(t.shape)")
  }
  return [try t.dtype.visitArithmetic(ClipVisitor(t: t, lower: lower, upper: upper))]
}
