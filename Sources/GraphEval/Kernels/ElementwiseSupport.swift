// SPDX-License-Identifier: Apache-2.0

import GraphIR

// Shared plumbing of the elementwise kernels: which dtypes an op accepts, and applying a
// per-element function over broadcast operands.

/// The dtypes an op has a TensorFlow CPU kernel for.
struct DTypeDomain {
  /// The accepted dtypes.
  let dtypes: [DataType]

  /// float32 and float64.
  static let floats = DTypeDomain(dtypes: [.float, .double])
  /// The signed integers.
  static let signedIntegers = DTypeDomain(dtypes: [.int8, .int16, .int32, .int64])
  /// The unsigned integers.
  static let unsignedIntegers = DTypeDomain(dtypes: [.uint8, .uint16, .uint32, .uint64])
  /// Floats and signed integers.
  static let signed = floats + signedIntegers
  /// Every real number type.
  static let real = signed + unsignedIntegers
  /// bool only.
  static let bool = DTypeDomain(dtypes: [.bool])
  /// Every type the evaluator holds.
  static let all = real + DTypeDomain(dtypes: [.bool, .string])

  /// The union of two domains.
  static func + (lhs: DTypeDomain, rhs: DTypeDomain) -> DTypeDomain {
    DTypeDomain(dtypes: lhs.dtypes + rhs.dtypes.filter { !lhs.dtypes.contains($0) })
  }

  /// Checks that `dtype` is in the domain.
  ///
  /// - Throws: `unsupportedType` for dtypes the evaluator cannot hold at all (half,
  ///   complex, quantized: TensorFlow may well accept them), and `typeMismatch` for the
  ///   others, which TensorFlow has no kernel for either.
  func check(_ dtype: DataType, op: String) throws(EvalError) {
    if dtypes.contains(dtype) { return }
    guard Self.all.dtypes.contains(dtype) else { throw .unsupportedType(dtype) }
    throw .typeMismatch("\(op) has no kernel for dtype \(dtype)")
  }
}

/// Operand checks shared by the elementwise kernels.
extension KernelInvocation {
  /// The two operands of a binary op, checked to share one dtype from `domain`.
  func binaryOperands(_ domain: DTypeDomain) throws(EvalError) -> (DenseTensor, DenseTensor) {
    try expectInputs(2)
    let (x, y) = (inputs[0], inputs[1])
    try domain.check(x.dtype, op: node.op)
    guard x.dtype == y.dtype else {
      throw .typeMismatch("\(node.op): operands have dtypes \(x.dtype) and \(y.dtype)")
    }
    return (x, y)
  }

  /// The single operand of a unary op, checked to have a dtype from `domain`.
  func unaryOperand(_ domain: DTypeDomain) throws(EvalError) -> DenseTensor {
    try expectInputs(1)
    try domain.check(inputs[0].dtype, op: node.op)
    return inputs[0]
  }
}

/// The elements of `x` and `y` broadcast to `shape` (with `count` elements) and combined
/// by `body`, in row-major order.
///
/// Equal-size and scalar operands, the common cases, take loops without index maps.
func broadcastCombine<A, B, R>(
  _ x: [A], _ xShape: [Int], _ y: [B], _ yShape: [Int], shape: [Int], count: Int, _ body: (A, B) -> R
) -> [R] {
  if count == 0 { return [] }
  return [R](unsafeUninitializedCapacity: count) { buffer, initialized in
    guard let out = buffer.baseAddress else { return }
    x.withUnsafeBufferPointer { xs in
      y.withUnsafeBufferPointer { ys in
        if xs.count == count && ys.count == count {
          for index in 0..<count { (out + index).initialize(to: body(xs[index], ys[index])) }
        } else if xs.count == count && ys.count == 1 {
          let right = ys[0]
          for index in 0..<count { (out + index).initialize(to: body(xs[index], right)) }
        } else if xs.count == 1 && ys.count == count {
          let left = xs[0]
          for index in 0..<count { (out + index).initialize(to: body(left, ys[index])) }
        } else {
          let (xRows, yRows) = (BroadcastRows(xShape, to: shape), BroadcastRows(yShape, to: shape))
          var index = 0
          for row in xRows.starts.indices {
            var (xIndex, yIndex) = (xRows.starts[row], yRows.starts[row])
            for _ in 0..<xRows.width {
              (out + index).initialize(to: body(xs[xIndex], ys[yIndex]))
              index += 1
              xIndex += xRows.stride
              yIndex += yRows.stride
            }
          }
        }
      }
    }
    initialized = count
  }
}

/// Where an operand's elements are as it broadcasts to a result shape, row by row.
///
/// Index maps over rows (all axes but the last) rather than elements, so a bias-style
/// [n, c] + [c] needs n map entries instead of nc; along a row the operand either
/// advances (stride 1) or repeats its single element (stride 0).
struct BroadcastRows {
  /// The operand's flat index of the first element of each result row.
  let starts: [Int]
  /// How far the operand's index moves per result element within a row: 0 or 1.
  let stride: Int
  /// The result's row length.
  let width: Int

  /// The rows of an operand of `source` shape, which broadcasts to `target` (rank >= 1).
  init(_ source: [Int], to target: [Int]) {
    let padded = [Int](repeating: 1, count: target.count - source.count) + source
    let operandWidth = padded[padded.count - 1]
    starts = broadcastIndexMap(from: Array(padded.dropLast()), to: Array(target.dropLast())).map { $0 * operandWidth }
    stride = operandWidth == 1 ? 0 : 1
    width = target[target.count - 1]
  }
}
