// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RenameOpTests {
  // TensorFlow's rename_op_test graph.
  static let graph = Graph {
    Op(
      "Mul", "mul_node1", inputs: "add_node2", "add_node3", attrs: ["T": .type(.float)],
      device: "/cpu:0")
    Op("Add", "add_node2", inputs: "const_node1", "const_node2")
    Op("Add", "add_node3", inputs: "const_node1", "const_node3")
    Op("Const", "const_node1")
    Op("Const", "const_node2")
    Op("Const", "const_node3")
    Op("Add", "add_node4", inputs: "add_node2", "add_node3")
  }

  @Test func renamesTheOpOfMatchingNodesOnly() throws {
    let result = try runTransforms(
      "rename_op(old_op_name=Mul, new_op_name=Multiply)", on: Self.graph, outputs: ["mul_node1"])
    #expect(
      result.graph.nodes.map(\.op) == ["Multiply", "Add", "Add", "Const", "Const", "Const", "Add"])
    // Inputs, device and attributes stay as they were.
    var expected = Self.graph
    expected.nodes[0].op = "Multiply"
    #expect(result.graph == expected)
  }

  @Test func renamesEveryNodeWithTheOp() throws {
    let result = try runTransforms("rename_op(old_op_name=Add, new_op_name=AddV2)", on: Self.graph)
    #expect(
      result.graph.nodes.map(\.op) == ["Mul", "AddV2", "AddV2", "Const", "Const", "Const", "AddV2"])
  }

  @Test func opNamesMatchExactly() throws {
    for spec in [
      "rename_op(old_op_name=mul, new_op_name=X)", "rename_op(old_op_name=Mu, new_op_name=X)",
    ] {
      #expect(try runTransforms(spec, on: Self.graph).graph == Self.graph)
    }
  }

  static let missingMessage =
    "rename_op: expects exactly one 'old_op_name' and one 'new_op_name' argument, e.g. rename_op(old_op_name=Mul, new_op_name=Multiply)"

  @Test(arguments: ["rename_op", "rename_op(old_op_name=Mul)", "rename_op(new_op_name=Multiply)"])
  func bothNamesAreRequired(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms(spec, on: Self.graph)
    }
    #expect(error.message == Self.missingMessage)
    #expect(error.lineAndColumn == (line: 1, column: 1))
  }
}
