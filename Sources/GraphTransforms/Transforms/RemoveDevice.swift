// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Clears the device placement of every node.
///
///     conv = Conv2D(x, w) @ "/device:GPU:0"   ⟶   conv = Conv2D(x, w)
///
/// Frozen graphs often carry the devices of the machine that trained them; clearing them
/// lets the runtime place nodes itself.
///
/// TF parity: same semantics. TensorFlow drops `versions`; it is kept here.
public struct RemoveDevice: GraphTransform {
  public static let name = "remove_device"
  public static let summary = "Clear the device of every node, so the runtime places nodes itself."
  public static let parameters: [ParameterSpec] = []

  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    graph.with(nodes: graph.nodes.map { node in
      var node = node
      node.device = ""
      return node
    })
  }
}
