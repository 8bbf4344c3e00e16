// SPDX-License-Identifier: Apache-2.0

public import GraphEval
public import GraphIR

/// Runs `graph` with the evaluator's kernels, for numeric checks of rewrites on graphs
/// built from ops that have kernels (no convolutions yet): the values of `outputs` given
/// values for the `feeds` nodes.
///
/// - Throws: `HarnessError` when a node has no kernel or an input is missing.
public func interpret(_ graph: Graph, feeds: [String: DenseTensor], outputs: [String]) throws -> [DenseTensor] {
  let index = graph.nodeIndex()
  var values: [String: [DenseTensor]] = feeds.mapValues { [$0] }
  func value(of name: String, depth: Int = 0) throws -> [DenseTensor] {
    if let known = values[name] { return known }
    guard let position = index[name] else { throw HarnessError(description: "no node '\(name)'") }
    guard depth < 10_000 else { throw HarnessError(description: "graph too deep to interpret") }
    let node = graph.nodes[position]
    let inputs = try node.dataInputs.map { input -> DenseTensor in
      let outputs = try value(of: input.node, depth: depth + 1)
      guard let port = input.port, port < outputs.count else { throw HarnessError(description: "bad input \(input)") }
      return outputs[port]
    }
    do {
      let result = try Evaluator().evaluate(node, inputs: inputs)
      values[name] = result
      return result
    } catch {
      throw HarnessError(description: "node '\(name)' (\(node.op)): \(error)")
    }
  }
  return try outputs.map { try value(of: $0)[0] }
}

/// The largest relative difference between two float tensors of the same shape.
public func maxRelativeError(_ a: DenseTensor, _ b: DenseTensor) -> Float {
  guard a.shape == b.shape, let x = a.values(as: Float.self), let y = b.values(as: Float.self) else { return .infinity }
  return zip(x, y).map { abs($0 - $1) / max(abs($1), 1e-6) }.max() ?? 0
}
