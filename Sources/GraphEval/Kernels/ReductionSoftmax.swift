// SPDX-License-Identifier: Apache-2.0

import GraphIR
import RealModule

// `Softmax` and `LogSoftmax`: per-row normalizations over the last axis, registered in
// `moreElementwiseKernels`.

/// A normalization of each row of logits.
protocol SoftmaxNormalization: Sendable {
  /// The result for one logit, given its row's maximum and the row's sum of
  /// `exp(logit - maximum)`.
  static func apply(_ logit: Double, maximum: Double, sum: Double) -> Double
}

/// `Softmax`.
enum SoftmaxOperation: SoftmaxNormalization {
  /// `exp(logit - maximum) / sum`.
  static func apply(_ logit: Double, maximum: Double, sum: Double) -> Double { Double.exp(logit - maximum) / sum }
}

/// `LogSoftmax`.
enum LogSoftmaxOperation: SoftmaxNormalization {
  /// `logit - maximum - log(sum)`.
  static func apply(_ logit: Double, maximum: Double, sum: Double) -> Double { logit - maximum - Double.log(sum) }
}

/// Computes a normalization row by row.
private struct SoftmaxVisitor<Operation: SoftmaxNormalization>: FloatVisitor {
  /// The logits, of rank >= 1.
  let logits: DenseTensor

  /// The result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try logits.require(T.self, "logits")
    let width = logits.shape[logits.rank - 1]
    guard width > 0, !values.isEmpty else { return logits }
    // Computed in Double and rounded once, like the transcendental unary ops; subtracting
    // the row maximum first keeps exp from overflowing, as TensorFlow's kernel does.
    var results = [T]()
    results.reserveCapacity(values.count)
    for start in stride(from: 0, to: values.count, by: width) {
      let row = values[start..<(start + width)].map { Double($0) }
      let maximum = row.reduce(-Double.infinity) { $0 < $1 ? $1 : $0 }
      let sum = row.reduce(0) { $0 + Double.exp($1 - maximum) }
      for logit in row { results.append(T(Operation.apply(logit, maximum: maximum, sum: sum))) }
    }
    return DenseTensor(results, shape: logits.shape)
  }
}

/// The kernel of `Softmax` or `LogSoftmax` on float logits of rank >= 1.
func softmaxKernel<Operation: SoftmaxNormalization>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    let logits = try invocation.unaryOperand(.floats)
    guard logits.rank >= 1 else { throw .invalidArgument("\(invocation.node.op): logits must have >= 1 dimension") }
    return [try logits.dtype.visit(SoftmaxVisitor<Operation>(logits: logits))]
  }
}
