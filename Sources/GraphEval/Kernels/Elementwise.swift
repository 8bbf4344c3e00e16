// SPDX-License-Identifier: Apache-2.0

import GraphIR
import RealModule

/// The elementwise kernels: arithmetic, comparisons, logic, activations, Select and Cast.
///
/// Binary ops broadcast NumPy-style. The dtype domains are those TensorFlow has CPU
/// kernels for, so a dtype TensorFlow would reject fails here too (`RealDiv` on int32).
let elementwiseKernels: [String: Kernel] = [
  // Arithmetic.
  "Add": addKernel,
  "AddV2": arithmeticBinaryKernel(AddOperation.self, .real),
  "Sub": arithmeticBinaryKernel(SubtractOperation.self, .real),
  "Mul": arithmeticBinaryKernel(MultiplyOperation.self, .real),
  "Div": arithmeticBinaryKernel(DivideOperation.self, .real),
  "RealDiv": arithmeticBinaryKernel(DivideOperation.self, .floats),
  "FloorDiv": arithmeticBinaryKernel(FloorDivideOperation.self, .real),
  "FloorMod": arithmeticBinaryKernel(FloorModuloOperation.self, .real),
  "Maximum": arithmeticBinaryKernel(MaximumOperation.self, .real),
  "Minimum": arithmeticBinaryKernel(MinimumOperation.self, .real),
  "Pow": arithmeticBinaryKernel(PowerOperation.self, .signed),
  "SquaredDifference": arithmeticBinaryKernel(
    SquaredDifferenceOperation.self, DTypeDomain.floats + DTypeDomain(dtypes: [.int32, .int64])),
  "Neg": arithmeticUnaryKernel(NegateOperation.self, .signed),
  "Abs": arithmeticUnaryKernel(AbsoluteOperation.self, .signed),
  "Square": arithmeticUnaryKernel(SquareOperation.self, .real),
  "Relu": arithmeticUnaryKernel(ReluOperation.self, .real),
  "Relu6": arithmeticUnaryKernel(Relu6Operation.self, .real),
  // Float functions.
  "Sqrt": floatUnaryKernel(SquareRootOperation.self),
  "Rsqrt": floatUnaryKernel(ReciprocalSquareRootOperation.self),
  "Exp": floatUnaryKernel(ExpOperation.self),
  "Log": floatUnaryKernel(LogOperation.self),
  "Reciprocal": floatUnaryKernel(ReciprocalOperation.self),
  "Inv": floatUnaryKernel(ReciprocalOperation.self),
  "Tanh": floatUnaryKernel(TanhOperation.self),
  "Sigmoid": floatUnaryKernel(SigmoidOperation.self),
  // Comparisons.
  "Equal": equalityKernel(EqualOperation.self),
  "NotEqual": equalityKernel(NotEqualOperation.self),
  "Less": orderKernel(LessOperation.self),
  "LessEqual": orderKernel(LessEqualOperation.self),
  "Greater": orderKernel(GreaterOperation.self),
  "GreaterEqual": orderKernel(GreaterEqualOperation.self),
  // Logic.
  "LogicalAnd": logicalBinaryKernel { $0 && $1 },
  "LogicalOr": logicalBinaryKernel { $0 || $1 },
  "LogicalNot": logicalNotKernel,
  // Selection and conversion.
  "Select": selectKernel,
  "SelectV2": selectV2Kernel,
  "Cast": castKernel,
]

// MARK: Arithmetic binary ops

/// A binary op whose result has its operands' element type.
protocol ArithmeticBinaryOperation: Sendable {
  /// Rejects a right operand TensorFlow's kernel fails on; called only when the result
  /// has elements, since TensorFlow never evaluates an empty one.
  static func validate<T: ArithmeticElement>(_ y: [T]) throws(EvalError)
  /// The result for one pair of elements.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T
}

/// The default: no operand check.
extension ArithmeticBinaryOperation {
  /// Most ops accept every right operand.
  static func validate<T: ArithmeticElement>(_ y: [T]) throws(EvalError) {}
}

/// An op that divides by its right operand: integer division by zero fails in TensorFlow.
protocol DivisionOperation: ArithmeticBinaryOperation {}

/// The divisor check of the division ops.
extension DivisionOperation {
  /// Rejects a zero integer divisor.
  static func validate<T: ArithmeticElement>(_ y: [T]) throws(EvalError) {
    if T.isIntegral && y.contains(.zero) { throw .invalidArgument("Integer division by zero") }
  }
}

/// `Add`, `AddV2`.
enum AddOperation: ArithmeticBinaryOperation {
  /// `x + y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.adding(x, y) }
}

/// `Sub`.
enum SubtractOperation: ArithmeticBinaryOperation {
  /// `x - y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.subtracting(x, y) }
}

/// `Mul`.
enum MultiplyOperation: ArithmeticBinaryOperation {
  /// `x * y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.multiplying(x, y) }
}

/// `Div` and `RealDiv` (floats only, where the two agree).
enum DivideOperation: DivisionOperation {
  /// `x / y`, truncated toward zero for integers.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.dividing(x, y) }
}

/// `FloorDiv`.
enum FloorDivideOperation: DivisionOperation {
  /// `floor(x / y)`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.floorDividing(x, y) }
}

/// `FloorMod`.
enum FloorModuloOperation: DivisionOperation {
  /// `x - floor(x / y) * y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.floorModulo(x, y) }
}

/// `Maximum`.
enum MaximumOperation: ArithmeticBinaryOperation {
  /// The larger of `x` and `y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.maximum(x, y) }
}

/// `Minimum`.
enum MinimumOperation: ArithmeticBinaryOperation {
  /// The smaller of `x` and `y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.minimum(x, y) }
}

/// `Pow`.
enum PowerOperation: ArithmeticBinaryOperation {
  /// Rejects negative integer exponents, as TensorFlow does even for bases 1 and -1.
  static func validate<T: ArithmeticElement>(_ y: [T]) throws(EvalError) {
    if T.isIntegral && y.contains(where: { $0 < .zero }) {
      throw .invalidArgument("Integers to negative integer powers are not allowed")
    }
  }
  /// `x` to the power `y`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T { T.power(x, y) }
}

/// `SquaredDifference`.
enum SquaredDifferenceOperation: ArithmeticBinaryOperation {
  /// `(x - y)²`.
  static func apply<T: ArithmeticElement>(_ x: T, _ y: T) -> T {
    let difference = T.subtracting(x, y)
    return T.multiplying(difference, difference)
  }
}

/// Computes an arithmetic binary op on same-dtype operands.
struct ArithmeticBinaryVisitor<Operation: ArithmeticBinaryOperation>: ArithmeticVisitor {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// The broadcast result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The result tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let xs = try x.require(T.self, "x")
    let ys = try y.require(T.self, "y")
    if count > 0 { try Operation.validate(ys) }
    let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) { Operation.apply($0, $1) }
    return DenseTensor(values, shape: shape)
  }
}

/// `operation` on `x` and `y`, which share a dtype.
func arithmeticBinary<Operation: ArithmeticBinaryOperation>(
  _ operation: Operation.Type, _ x: DenseTensor, _ y: DenseTensor, _ invocation: KernelInvocation
) throws(EvalError) -> DenseTensor {
  let shape = try broadcastShape(x.shape, y.shape)
  let count = try invocation.checkSize(shape)
  return try x.dtype.visitArithmetic(ArithmeticBinaryVisitor<Operation>(x: x, y: y, shape: shape, count: count))
}

/// The kernel of an arithmetic binary op over `domain`.
func arithmeticBinaryKernel<Operation: ArithmeticBinaryOperation>(
  _ operation: Operation.Type, _ domain: DTypeDomain
) -> Kernel {
  { invocation throws(EvalError) in
    let (x, y) = try invocation.binaryOperands(domain)
    return [try arithmeticBinary(operation, x, y, invocation)]
  }
}

/// `Add`: arithmetic, or concatenation for strings (which `AddV2` does not accept).
/// TensorFlow registers it for uint8 but not the wider unsigned types.
let addKernel: Kernel = { invocation throws(EvalError) in
  let (x, y) = try invocation.binaryOperands(.signed + DTypeDomain(dtypes: [.uint8, .string]))
  guard x.dtype == .string else { return [try arithmeticBinary(AddOperation.self, x, y, invocation)] }
  let shape = try broadcastShape(x.shape, y.shape)
  let count = try invocation.checkSize(shape)
  let xs = try x.require([UInt8].self, "x")
  let ys = try y.require([UInt8].self, "y")
  let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) { (a, b) -> [UInt8] in a + b }
  return [DenseTensor(values, shape: shape)]
}

// MARK: Unary ops

/// A unary op on any real number type.
protocol ArithmeticUnaryOperation: Sendable {
  /// The result for one element.
  static func apply<T: ArithmeticElement>(_ x: T) -> T
}

/// `Neg`.
enum NegateOperation: ArithmeticUnaryOperation {
  /// `-x`.
  static func apply<T: ArithmeticElement>(_ x: T) -> T { T.negating(x) }
}

/// `Abs`.
enum AbsoluteOperation: ArithmeticUnaryOperation {
  /// `|x|`.
  static func apply<T: ArithmeticElement>(_ x: T) -> T { T.absolute(x) }
}

/// `Square`.
enum SquareOperation: ArithmeticUnaryOperation {
  /// `x * x`.
  static func apply<T: ArithmeticElement>(_ x: T) -> T { T.multiplying(x, x) }
}

/// `Relu`.
enum ReluOperation: ArithmeticUnaryOperation {
  /// `max(x, 0)`; TF parity: NaN stays NaN and -0.0 stays -0.0.
  static func apply<T: ArithmeticElement>(_ x: T) -> T { x < .zero ? .zero : x }
}

/// `Relu6`.
enum Relu6Operation: ArithmeticUnaryOperation {
  /// `min(max(x, 0), 6)`; NaN stays NaN.
  static func apply<T: ArithmeticElement>(_ x: T) -> T {
    let six: T = 6
    return x < .zero ? .zero : (x > six ? six : x)
  }
}

/// Computes an arithmetic unary op.
struct ArithmeticUnaryVisitor<Operation: ArithmeticUnaryOperation>: ArithmeticVisitor {
  /// The operand.
  let x: DenseTensor

  /// The result tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    DenseTensor(try x.require(T.self, "x").map { Operation.apply($0) }, shape: x.shape)
  }
}

/// The kernel of an arithmetic unary op over `domain`.
func arithmeticUnaryKernel<Operation: ArithmeticUnaryOperation>(
  _ operation: Operation.Type, _ domain: DTypeDomain
) -> Kernel {
  { invocation throws(EvalError) in
    let x = try invocation.unaryOperand(domain)
    return [try x.dtype.visitArithmetic(ArithmeticUnaryVisitor<Operation>(x: x))]
  }
}

/// A unary op defined on float32 and float64 only.
///
/// The transcendental functions are computed in Double and rounded once: TensorFlow's
/// float32 kernels use Eigen's polynomial approximations, which are within a few ulps of
/// the true value, and the correctly rounded value is the best match for all of them.
protocol FloatUnaryOperation: Sendable {
  /// The result for one element.
  static func apply<T: FloatElement>(_ x: T) -> T
}

/// `Sqrt`.
enum SquareRootOperation: FloatUnaryOperation {
  /// `√x`, NaN for negative `x` (and -0.0 for -0.0).
  static func apply<T: FloatElement>(_ x: T) -> T { x.squareRoot() }
}

/// `Rsqrt`.
enum ReciprocalSquareRootOperation: FloatUnaryOperation {
  /// `1 / √x`.
  static func apply<T: FloatElement>(_ x: T) -> T { T(1 / Double(x).squareRoot()) }
}

/// `Exp`.
enum ExpOperation: FloatUnaryOperation {
  /// `eˣ`.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.exp(Double(x))) }
}

/// `Log`.
enum LogOperation: FloatUnaryOperation {
  /// The natural logarithm; -inf at zero, NaN below.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.log(Double(x))) }
}

/// `Reciprocal` and its old name `Inv`.
enum ReciprocalOperation: FloatUnaryOperation {
  /// `1 / x`.
  static func apply<T: FloatElement>(_ x: T) -> T { 1 / x }
}

/// `Tanh`.
enum TanhOperation: FloatUnaryOperation {
  /// The hyperbolic tangent.
  static func apply<T: FloatElement>(_ x: T) -> T { T(Double.tanh(Double(x))) }
}

/// `Sigmoid`.
enum SigmoidOperation: FloatUnaryOperation {
  /// `1 / (1 + e⁻ˣ)`.
  static func apply<T: FloatElement>(_ x: T) -> T { T(1 / (1 + Double.exp(-Double(x)))) }
}

/// Computes a float unary op.
struct FloatUnaryVisitor<Operation: FloatUnaryOperation>: FloatVisitor {
  /// The operand.
  let x: DenseTensor

  /// The result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    DenseTensor(try x.require(T.self, "x").map { Operation.apply($0) }, shape: x.shape)
  }
}

/// The kernel of a float unary op. TensorFlow has none of these for integers (its
/// `Reciprocal` op allows int32 but has no CPU kernel for it).
func floatUnaryKernel<Operation: FloatUnaryOperation>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    let x = try invocation.unaryOperand(.floats)
    return [try x.dtype.visit(FloatUnaryVisitor<Operation>(x: x))]
  }
}

// MARK: Comparisons

/// `Equal` or `NotEqual`, defined on every element type.
protocol EqualityOperation: Sendable {
  /// The result when the operands' shapes do not broadcast and
  /// `incompatible_shape_error` is false.
  static var incompatibleResult: Bool { get }
  /// The result for one pair of elements.
  static func apply<T: Equatable>(_ x: T, _ y: T) -> Bool
}

/// `Equal`.
enum EqualOperation: EqualityOperation {
  /// Shapes that cannot broadcast are unequal.
  static var incompatibleResult: Bool { false }
  /// `x == y`; NaN is unequal to everything.
  static func apply<T: Equatable>(_ x: T, _ y: T) -> Bool { x == y }
}

/// `NotEqual`.
enum NotEqualOperation: EqualityOperation {
  /// Shapes that cannot broadcast are not equal.
  static var incompatibleResult: Bool { true }
  /// `x != y`.
  static func apply<T: Equatable>(_ x: T, _ y: T) -> Bool { x != y }
}

/// An order comparison, defined on the real number types.
protocol OrderOperation: Sendable {
  /// The result for one pair of elements.
  static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool
}

/// `Less`.
enum LessOperation: OrderOperation {
  /// `x < y`.
  static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x < y }
}

/// `LessEqual`.
enum LessEqualOperation: OrderOperation {
  /// `x <= y`.
  static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x <= y }
}

/// `Greater`.
enum GreaterOperation: OrderOperation {
  /// `x > y`.
  static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x > y }
}

/// `GreaterEqual`.
enum GreaterEqualOperation: OrderOperation {
  /// `x >= y`.
  static func apply<T: Comparable>(_ x: T, _ y: T) -> Bool { x >= y }
}

/// Computes an equality comparison of same-dtype operands.
struct EqualityVisitor<Operation: EqualityOperation>: AnyElementVisitor {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// The broadcast result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The bool result tensor.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let xs = try x.require(T.self, "x")
    let ys = try y.require(T.self, "y")
    let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) { Operation.apply($0, $1) }
    return DenseTensor(values, shape: shape)
  }
}

/// Computes an order comparison of same-dtype operands.
struct OrderVisitor<Operation: OrderOperation>: NumericVisitor {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// The broadcast result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The bool result tensor.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let xs = try x.require(T.self, "x")
    let ys = try y.require(T.self, "y")
    let values = broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count) { Operation.apply($0, $1) }
    return DenseTensor(values, shape: shape)
  }
}

/// The kernel of `Equal` or `NotEqual`.
func equalityKernel<Operation: EqualityOperation>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    let (x, y) = try invocation.binaryOperands(.all)
    let shape: [Int]
    do throws(EvalError) {
      shape = try broadcastShape(x.shape, y.shape)
    } catch {
      // TF parity: without `incompatible_shape_error`, unbroadcastable shapes compare
      // as a scalar instead of failing.
      if try invocation.bool("incompatible_shape_error", default: true) { throw error }
      return [DenseTensor(scalar: Operation.incompatibleResult)]
    }
    let count = try invocation.checkSize(shape)
    return [try x.dtype.visit(EqualityVisitor<Operation>(x: x, y: y, shape: shape, count: count))]
  }
}

/// The kernel of an order comparison.
func orderKernel<Operation: OrderOperation>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    let (x, y) = try invocation.binaryOperands(.real)
    let shape = try broadcastShape(x.shape, y.shape)
    let count = try invocation.checkSize(shape)
    return [try x.dtype.visit(OrderVisitor<Operation>(x: x, y: y, shape: shape, count: count))]
  }
}

// MARK: Logic

/// The kernel of `LogicalAnd` or `LogicalOr`.
func logicalBinaryKernel(_ body: @escaping @Sendable (Bool, Bool) -> Bool) -> Kernel {
  { invocation throws(EvalError) in
    let (x, y) = try invocation.binaryOperands(.bool)
    let shape = try broadcastShape(x.shape, y.shape)
    let count = try invocation.checkSize(shape)
    let xs = try x.require(Bool.self, "x")
    let ys = try y.require(Bool.self, "y")
    return [DenseTensor(broadcastCombine(xs, x.shape, ys, y.shape, shape: shape, count: count, body), shape: shape)]
  }
}

/// `LogicalNot`.
let logicalNotKernel: Kernel = { invocation throws(EvalError) in
  let x = try invocation.unaryOperand(.bool)
  return [DenseTensor(try x.require(Bool.self, "x").map { !$0 }, shape: x.shape)]
}
