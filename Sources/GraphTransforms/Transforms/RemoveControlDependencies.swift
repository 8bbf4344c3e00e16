// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Drops every control input.
///
///     y = Relu(x, ^init)   ⟶   y = Relu(x)
///
/// Control edges in a frozen inference graph mostly order variable reads that no longer
/// exist; without them more nodes can be pruned or folded.
///
/// TF parity: same semantics.
public struct RemoveControlDependencies: GraphTransform {
  public static let name = "remove_control_dependencies"
  public static let summary = "Remove every control input (^node) from every node."
  public static let parameters: [ParameterSpec] = []

  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    graph.with(nodes: graph.nodes.map { node in
      var node = node
      node.inputs.removeAll(where: \.isControl)
      return node
    })
  }
}
