// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Changes the op of every node that has a given op.
///
///     m = Mul(a, b)   ⟶   m = Multiply(a, b)      (old_op_name=Mul, new_op_name=Multiply)
///
/// Inputs and attributes stay as they are; the new op must accept them.
///
/// TF parity: same semantics.
public struct RenameOp: GraphTransform {
  public static let name = "rename_op"
  public static let summary = "Change the op of every node with a given op."
  public static let parameters: [ParameterSpec] = [
    ParameterSpec("old_op_name", .string, help: "the op to replace (required)"),
    ParameterSpec("new_op_name", .string, help: "the op to use instead (required)"),
  ]

  let oldOp: String
  let newOp: String

  public init(arguments: TransformArguments) throws(TransformArgumentError) {
    guard arguments.count("old_op_name") == 1, arguments.count("new_op_name") == 1,
      let oldOp = try arguments.string("old_op_name"), let newOp = try arguments.string("new_op_name")
    else {
      throw TransformArgumentError(
        transform: Self.name,
        "expects exactly one 'old_op_name' and one 'new_op_name' argument, e.g. rename_op(old_op_name=Mul, new_op_name=Multiply)"
      )
    }
    self.oldOp = oldOp
    self.newOp = newOp
  }

  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    graph.with(nodes: graph.nodes.map { node in
      var node = node
      if node.op == oldOp { node.op = newOp }
      return node
    })
  }
}
