// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The LinearAlgebra kernels: matrix products, for float, double and the integer types
/// TensorFlow's CPU kernels take (int16 — BatchMatMulV2 only in TensorFlow —, int32,
/// int64).
let linearAlgebraKernels: [String: Kernel] = [
  "MatMul": LinearAlgebraKernels.matMul,
  "BatchMatMul": LinearAlgebraKernels.batchMatMul,
  "BatchMatMulV2": LinearAlgebraKernels.batchMatMulV2,
]

/// The matrix-product kernels.
enum LinearAlgebraKernels {
  /// `MatMul`: `a × b` of two matrices, either transposed first.
  static func matMul(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (a, b) = (invocation.inputs[0], invocation.inputs[1])
    guard a.rank == 2 else { throw .invalidArgument("In[0] is not a matrix. Instead it has shape \(a.shapeText)") }
    guard b.rank == 2 else { throw .invalidArgument("In[1] is not a matrix. Instead it has shape \(b.shapeText)") }
    let plan = try MatMulPlan(
      x: a, y: b, adjointX: try invocation.bool("transpose_a", default: false),
      adjointY: try invocation.bool("transpose_b", default: false), batchShape: [], invocation)
    return [try plan.product()]
  }

  /// `BatchMatMul`: a matrix product per batch; both inputs have the same batch axes.
  static func batchMatMul(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (x, y) = (invocation.inputs[0], invocation.inputs[1])
    guard x.rank == y.rank else {
      throw .invalidArgument("In[0] and In[1] has different ndims: \(x.shapeText) vs. \(y.shapeText)")
    }
    guard x.rank >= 2 else { throw .invalidArgument("In[0] and In[1] ndims must be >= 2: \(x.rank)") }
    for axis in 0..<(x.rank - 2) where x.shape[axis] != y.shape[axis] {
      throw .invalidArgument(
        "In[0].dim(\(axis)) and In[1].dim(\(axis)) must be the same: \(x.shapeText) vs \(y.shapeText)")
    }
    return [try batchProduct(x, y, batchShape: Array(x.shape.dropLast(2)), invocation)]
  }

  /// `BatchMatMulV2`: BatchMatMul whose batch axes broadcast NumPy-style.
  static func batchMatMulV2(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (x, y) = (invocation.inputs[0], invocation.inputs[1])
    guard x.rank >= 2 else { throw .invalidArgument("In[0] ndims must be >= 2: \(x.rank)") }
    guard y.rank >= 2 else { throw .invalidArgument("In[1] ndims must be >= 2: \(y.rank)") }
    let batchShape: [Int]
    do {
      batchShape = try broadcastShape(Array(x.shape.dropLast(2)), Array(y.shape.dropLast(2)))
    } catch {
      throw .invalidArgument(
        "In[0] and In[1] must have compatible batch dimensions: \(x.shapeText) vs. \(y.shapeText)")
    }
    return [try batchProduct(x, y, batchShape: batchShape, invocation)]
  }

  /// The shared body of BatchMatMul and BatchMatMulV2.
  private static func batchProduct(
    _ x: DenseTensor, _ y: DenseTensor, batchShape: [Int], _ invocation: KernelInvocation
  ) throws(EvalError) -> DenseTensor {
    let plan = try MatMulPlan(
      x: x, y: y, adjointX: try invocation.bool("adj_x", default: false),
      adjointY: try invocation.bool("adj_y", default: false), batchShape: batchShape, invocation)
    return try plan.product()
  }
}

/// A validated (batched) matrix product: `x` holds matrices of `m × k` (`k × m` when
/// `adjointX`), `y` of `k × n` (`n × k` when `adjointY`), and the result one `m × n`
/// matrix per element of `batchShape`. Adjoint is transpose: no complex types here.
private struct MatMulPlan {
  /// The left operand.
  let x: DenseTensor
  /// The right operand.
  let y: DenseTensor
  /// Whether each matrix of `x` is transposed first.
  let adjointX: Bool
  /// Whether each matrix of `y` is transposed first.
  let adjointY: Bool
  /// The rows of each result matrix.
  let m: Int
  /// The length of the contracted axis.
  let k: Int
  /// The columns of each result matrix.
  let n: Int
  /// The result's shape: `batchShape + [m, n]`.
  let shape: [Int]
  /// For each result matrix, the index of the matrix of `x` it reads; empty when the
  /// result is.
  let xBatches: [Int]
  /// For each result matrix, the index of the matrix of `y` it reads.
  let yBatches: [Int]

  /// Checks the inner dimensions and the result's size.
  init(
    x: DenseTensor, y: DenseTensor, adjointX: Bool, adjointY: Bool, batchShape: [Int],
    _ invocation: KernelInvocation
  ) throws(EvalError) {
    let (xRows, xColumns) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
    let (yRows, yColumns) = (y.shape[y.rank - 2], y.shape[y.rank - 1])
    let (m, xInner) = adjointX ? (xColumns, xRows) : (xRows, xColumns)
    let (yInner, n) = adjointY ? (yColumns, yRows) : (yRows, yColumns)
    guard xInner == yInner else {
      throw .invalidArgument("Matrix size-incompatible: In[0]: \(x.shapeText), In[1]: \(y.shapeText)")
    }
    guard x.dtype == y.dtype else {
      throw .typeMismatch("In[1] has dtype \(y.dtype), expected \(x.dtype) like In[0]")
    }
    self.x = x
    self.y = y
    self.adjointX = adjointX
    self.adjointY = adjointY
    self.m = m
    self.k = xInner
    self.n = n
    self.shape = batchShape + [m, n]
    // The batch maps have one entry per result matrix, so build them only once the
    // result is known to be non-empty and within the size limit.
    if try invocation.checkSize(shape) == 0 {
      xBatches = []
      yBatches = []
    } else {
      xBatches = broadcastIndexMap(from: Array(x.shape.dropLast(2)), to: batchShape)
      yBatches = broadcastIndexMap(from: Array(y.shape.dropLast(2)), to: batchShape)
    }
  }

  /// The product, for the dtypes TensorFlow multiplies on CPU.
  func product() throws(EvalError) -> DenseTensor {
    switch x.dtype {
    case .float, .double: return try x.dtype.visit(FloatProduct(plan: self))
    case .int16, .int32, .int64: return try x.dtype.visit(IntegerProduct(plan: self))
    default: throw .unsupportedType(x.dtype)
    }
  }

  /// The products of the planned matrices, accumulating in `S` with `multiplyAdd(sum, a,
  /// b)`; the inner loop runs along rows of `y` (transposed first when `adjointY`) so
  /// that it reads contiguous memory.
  func multiply<S>(_ xValues: [S], _ yValues: [S], zero: S, _ multiplyAdd: (S, S, S) -> S) -> [S] {
    let matrices = xBatches.count
    var result = [S](repeating: zero, count: matrices * m * n)
    if matrices == 0 || k == 0 { return result }
    let yRows = adjointY ? transposedMatrices(yValues, rows: n, columns: k) : yValues
    result.withUnsafeMutableBufferPointer { output in
      xValues.withUnsafeBufferPointer { xs in
        yRows.withUnsafeBufferPointer { ys in
          for matrix in 0..<matrices {
            let xBase = xBatches[matrix] * m * k
            let yBase = yBatches[matrix] * k * n
            for i in 0..<m {
              let outBase = (matrix * m + i) * n
              for p in 0..<k {
                let a = adjointX ? xs[xBase + p * m + i] : xs[xBase + i * k + p]
                let rowBase = yBase + p * n
                for j in 0..<n {
                  output[outBase + j] = multiplyAdd(output[outBase + j], a, ys[rowBase + j])
                }
              }
            }
          }
        }
      }
    }
    return result
  }

  /// Each `rows × columns` matrix of `values` transposed.
  private func transposedMatrices<S>(_ values: [S], rows: Int, columns: Int) -> [S] {
    let size = rows * columns
    var result = values
    for base in stride(from: 0, to: values.count, by: size) {
      for row in 0..<rows {
        for column in 0..<columns {
          result[base + column * rows + row] = values[base + row * columns + column]
        }
      }
    }
    return result
  }
}

/// Float and double products, accumulated in double and rounded once.
///
/// TensorFlow (Eigen, oneDNN) accumulates float32 in float32 in a blocked order; a double
/// accumulator is at least as accurate, and agrees within a few ulps on well-conditioned
/// inputs. Products of two float32 values are exact in double.
private struct FloatProduct: FloatVisitor {
  /// The product to compute.
  let plan: MatMulPlan

  /// Multiplies `[T]`.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let x = try plan.x.require(T.self, "In[0]").map(\.doubleValue)
    let y = try plan.y.require(T.self, "In[1]").map(\.doubleValue)
    let product = plan.multiply(x, y, zero: 0.0) { sum, a, b in sum + a * b }
    return DenseTensor(product.map { T($0) }, shape: plan.shape)
  }
}

/// Integer products with two's-complement wrap-around, as TensorFlow's kernels overflow.
private struct IntegerProduct: IntegerVisitor {
  /// The product to compute.
  let plan: MatMulPlan

  /// Multiplies `[T]`.
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let x = try plan.x.require(T.self, "In[0]")
    let y = try plan.y.require(T.self, "In[1]")
    let product = plan.multiply(x, y, zero: T.zero) { sum, a, b in sum &+ a &* b }
    return DenseTensor(product, shape: plan.shape)
  }
}
