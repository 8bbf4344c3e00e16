// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Runs single nodes on known input values: the op-kernel interpreter behind
/// `fold_constants`, and later behind `--verify`.
public struct Evaluator: Sendable {
  /// The default ceiling on any one result: 2^26 elements (256 MB of floats).
  public static let defaultMaxElements = 1 << 26

  /// The ceiling on any one result's element count.
  public var maxElements: Int

  /// An evaluator with the given result-size ceiling.
  public init(maxElements: Int = Evaluator.defaultMaxElements) {
    self.maxElements = maxElements
  }

  /// Whether `op` has a kernel (or is `Const`, which needs none).
  public static func canEvaluate(_ op: String) -> Bool {
    op == "Const" || KernelRegistry.kernels[op] != nil
  }

  /// The values of `node`'s outputs, given the values of its data inputs in order.
  ///
  /// - Throws: `EvalError`; `isLimitation` tells an op or dtype this evaluator lacks from
  ///   an input TensorFlow would reject too.
  public func evaluate(_ node: Node, inputs: [DenseTensor]) throws(EvalError) -> [DenseTensor] {
    if node.op == "Const" {
      guard case .tensor(let tensor)? = node.attrs["value"] else {
        throw .invalidArgument("Const has no 'value' tensor")
      }
      return [try DenseTensor(tensor)]
    }
    guard let kernel = KernelRegistry.kernels[node.op] else { throw .unsupportedOp(node.op) }
    let outputs = try kernel(KernelInvocation(node: node, inputs: inputs, maxElements: maxElements))
    for output in outputs where output.count > maxElements {
      throw .tooLarge("\(node.op): result \(output) exceeds \(maxElements) elements")
    }
    return outputs
  }
}
