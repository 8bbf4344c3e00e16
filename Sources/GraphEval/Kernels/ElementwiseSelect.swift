// SPDX-License-Identifier: Apache-2.0

import GraphIR

// Select and SelectV2: each element from `then` where the condition holds, else from
// `else`. They differ only in which shapes they accept; both are computed by
// broadcasting the condition (a vector condition of Select becomes [n, 1, 1, ...]).

/// `Select`, TensorFlow 1 semantics: a scalar condition picks a whole tensor, a vector
/// condition picks rows (slices along dimension 0) of higher-rank operands, and any other
/// condition must have the operands' shape.
let selectKernel: Kernel = { invocation throws(EvalError) in
  let (condition, then, otherwise) = try selectOperands(invocation)
  // TensorFlow's checks, in its order, so that the first failure has its message.
  var conditionShape = condition.shape
  if condition.rank == 1 && then.rank != 1 {
    guard then.rank >= 1 else {
      throw .invalidArgument("'then' must be at least a vector, but saw shape: \(then.shape)")
    }
    guard then.shape[0] == condition.count else {
      throw .invalidArgument(
        "Number of batches of 'then' must match size of 'cond', but saw: \(then.shape[0]) vs. \(condition.count)")
    }
    conditionShape += [Int](repeating: 1, count: then.rank - 1)
  } else if condition.rank > 0 {
    for (index, operand) in [then, otherwise].enumerated() where operand.shape != condition.shape {
      throw .invalidArgument(
        "Inputs to operation Select of type Select must have the same size and shape.  "
          + "Input 0: \(condition.shape) != input \(index + 1): \(operand.shape)")
    }
  }
  guard then.shape == otherwise.shape else {
    throw .invalidArgument(
      "'then' and 'else' must have the same size.  but received: \(then.shape) vs. \(otherwise.shape)")
  }
  let count = try invocation.checkSize(then.shape)
  return [
    try then.dtype.visit(
      SelectVisitor(
        condition: condition, conditionShape: conditionShape, then: then, otherwise: otherwise, shape: then.shape,
        count: count))
  ]
}

/// `SelectV2`: the condition and both operands broadcast together.
let selectV2Kernel: Kernel = { invocation throws(EvalError) in
  let (condition, then, otherwise) = try selectOperands(invocation)
  let shape: [Int]
  do throws(EvalError) {
    shape = try broadcastShape(try broadcastShape(condition.shape, then.shape), otherwise.shape)
  } catch {
    throw .invalidArgument(
      "condition \(condition.shape), then \(then.shape), and else \(otherwise.shape) must be broadcastable")
  }
  let count = try invocation.checkSize(shape)
  return [
    try then.dtype.visit(
      SelectVisitor(
        condition: condition, conditionShape: condition.shape, then: then, otherwise: otherwise, shape: shape,
        count: count))
  ]
}

/// The condition and the two operands, checked for dtypes.
private func selectOperands(
  _ invocation: KernelInvocation
) throws(EvalError) -> (condition: DenseTensor, then: DenseTensor, otherwise: DenseTensor) {
  try invocation.expectInputs(3)
  let (condition, then, otherwise) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
  guard condition.dtype == .bool else {
    throw .typeMismatch("\(invocation.node.op): condition has dtype \(condition.dtype), expected bool")
  }
  try DTypeDomain.all.check(then.dtype, op: invocation.node.op)
  guard then.dtype == otherwise.dtype else {
    throw .typeMismatch("\(invocation.node.op): operands have dtypes \(then.dtype) and \(otherwise.dtype)")
  }
  return (condition, then, otherwise)
}

/// Picks the elements; all three inputs must broadcast to `shape`.
private struct SelectVisitor: AnyElementVisitor {
  /// The bool condition.
  let condition: DenseTensor
  /// The shape the condition broadcasts from (its own, or Select's padded vector).
  let conditionShape: [Int]
  /// The values where the condition holds.
  let then: DenseTensor
  /// The values where it does not.
  let otherwise: DenseTensor
  /// The result shape.
  let shape: [Int]
  /// The number of elements of `shape`.
  let count: Int

  /// The result tensor.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let conditions = try condition.require(Bool.self, "condition")
    let thens = try then.require(T.self, "then")
    let otherwises = try otherwise.require(T.self, "else")
    if conditions.count == 1 && then.shape == shape && otherwise.shape == shape {
      return conditions[0] ? then : otherwise
    }
    if count == 0 { return DenseTensor([T](), shape: shape) }
    var values: [T] = []
    values.reserveCapacity(count)
    if conditions.count == count && thens.count == count && otherwises.count == count {
      for index in 0..<count { values.append(conditions[index] ? thens[index] : otherwises[index]) }
    } else {
      let conditionRows = BroadcastRows(conditionShape, to: shape)
      let thenRows = BroadcastRows(then.shape, to: shape)
      let otherwiseRows = BroadcastRows(otherwise.shape, to: shape)
      for row in conditionRows.starts.indices {
        var (c, t, e) = (conditionRows.starts[row], thenRows.starts[row], otherwiseRows.starts[row])
        for _ in 0..<conditionRows.width {
          values.append(conditions[c] ? thens[t] : otherwises[e])
          c += conditionRows.stride
          t += thenRows.stride
          e += otherwiseRows.stride
        }
      }
    }
    return DenseTensor(values, shape: shape)
  }
}
