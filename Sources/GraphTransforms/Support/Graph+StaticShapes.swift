// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR

extension Graph {
  /// The static dtype and shape of every output of every node, as far as the graph fixes
  /// them: from `Placeholder` shapes and `Const` values forwards through GraphEval's shape
  /// inference. Nodes on a cycle (a TF1 while loop) or after one are unknown, and so is an
  /// input naming no node.
  ///
  /// Iterative, so a 100k-node chain costs no stack.
  ///
  /// - Returns: for each node name, its outputs' infos (empty when nothing is known).
  func staticOutputInfos() -> [String: [StaticTensorInfo]] {
    let index = nodeIndex()
    var infos: [[StaticTensorInfo]] = Array(repeating: [], count: nodes.count)
    for position in dependencyOrder(index: index) {
      let node = nodes[position]
      if node.op == "Const", case .tensor(let tensor)? = node.attrs["value"], tensor.shape.isFullyDefined {
        infos[position] = [StaticTensorInfo(dtype: tensor.dtype, shape: tensor.shape.sizes.map { Int($0) })]
        continue
      }
      let inputs = node.dataInputs.map { input -> InferenceInput in
        guard let source = index[input.node] else { return .variable(.unknown) }
        let port = input.port ?? 0
        let info = port < infos[source].count ? infos[source][port] : .unknown
        let producer = nodes[source]
        guard producer.op == "Const", case .tensor(let tensor)? = producer.attrs["value"] else {
          return .variable(info)
        }
        return .constant(info, value: { try? DenseTensor(tensor) })
      }
      infos[position] = ShapeInference.infer(node, inputs: inputs) ?? []
    }
    var result: [String: [StaticTensorInfo]] = [:]
    for (position, node) in nodes.enumerated() where !infos[position].isEmpty { result[node.name] = infos[position] }
    return result
  }
}
