// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RemoveAttributeTests {
  // TensorFlow's remove_attribute_test graph.
  static let graph = Graph {
    Op(
      "Mul", "mul_node1", inputs: "add_node2", "add_node3",
      attrs: ["foo": .i(23), "bar": .string("something")])
    Op(
      "Add", "add_node2", inputs: "const_node1", "const_node2",
      attrs: ["foo": .i(46), "bob": .i(23), "bar": .string("something else")])
    Op("Add", "add_node3", inputs: "const_node1", "const_node3")
    Op("Const", "const_node1")
    Op("Const", "const_node2")
    Op("Const", "const_node3")
    Op("Add", "add_node4", inputs: "add_node2", "add_node3")
  }

  func keys(_ graph: Graph, _ node: String) -> [String] {
    graph[node]?.attrs.keys ?? ["<missing node>"]
  }

  @Test(arguments: [
    "remove_attribute(attribute_name=foo)", #"remove_attribute(op_name="*", attribute_name=foo)"#,
  ])
  func removesFromEveryNodeWithWildcard(_ spec: String) throws {
    let result = try runTransforms(spec, on: Self.graph, outputs: ["mul_node1"]).graph
    #expect(keys(result, "mul_node1") == ["bar"])
    #expect(keys(result, "add_node2") == ["bob", "bar"])
    #expect(result["add_node2"]?.attrs["bob"] == .i(23))
    #expect(result["add_node2"]?.attrs["bar"] == .string("something else"))
    #expect(keys(result, "add_node3") == [])
  }

  @Test func aBareWildcardMustBeQuoted() throws {
    // TF parity: '*' is not a bare-value character.
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms("remove_attribute(op_name=*, attribute_name=foo)", on: Self.graph)
    }
    #expect(
      error.message
        == #"expected a value for 'op_name', found '*, attribute_name=foo)'; quote values that hold other characters, e.g. op_name="1,224,224,3""#
    )
    #expect(error.lineAndColumn.column == 26)
  }

  @Test func removesOnlyFromNodesOfTheGivenOp() throws {
    let result = try runTransforms(
      "remove_attribute(op_name=Mul, attribute_name=foo)", on: Self.graph, outputs: ["mul_node1"]
    ).graph
    #expect(keys(result, "mul_node1") == ["bar"])
    #expect(keys(result, "add_node2") == ["foo", "bob", "bar"])
    #expect(result["add_node2"] == Self.graph["add_node2"])
  }

  @Test func noMatchingAttributeOrOpLeavesTheGraphUnchanged() throws {
    #expect(
      try runTransforms("remove_attribute(attribute_name=missing)", on: Self.graph).graph
        == Self.graph)
    #expect(
      try runTransforms("remove_attribute(op_name=Conv2D, attribute_name=foo)", on: Self.graph)
        .graph == Self.graph)
  }

  static let missingMessage =
    "remove_attribute: expects exactly one 'attribute_name' argument, e.g. remove_attribute(op_name=Mul, attribute_name=foo)"

  @Test(arguments: ["remove_attribute", "remove_attribute(op_name=Mul)", "remove_attribute()"])
  func attributeNameIsRequired(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms("remove_device " + spec, on: Self.graph)
    }
    #expect(error.message == Self.missingMessage)
    #expect(error.lineAndColumn.column == 15)
  }

  @Test(arguments: [
    ("remove_attribute(attribute_name=a, attribute_name=b)", "attribute_name"),
    ("remove_attribute(attribute_name=a, op_name=Mul, op_name=Add)", "op_name"),
  ])
  func repeatedParametersAreErrors(_ spec: String, _ parameter: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms(spec, on: Self.graph)
    }
    #expect(
      error.message == "remove_attribute: parameter '\(parameter)' given 2 times; pass it once")
  }
}
