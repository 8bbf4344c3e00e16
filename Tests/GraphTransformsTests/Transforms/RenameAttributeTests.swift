// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RenameAttributeTests {
  // TensorFlow's rename_attribute_test graph.
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

  @Test(arguments: [
    "rename_attribute(old_attribute_name=foo, new_attribute_name=baz)",
    #"rename_attribute(op_name="*", old_attribute_name=foo, new_attribute_name=baz)"#,
  ])
  func renamesOnEveryNodeWithWildcard(_ spec: String) throws {
    let result = try runTransforms(spec, on: Self.graph, outputs: ["mul_node1"]).graph
    #expect(result["mul_node1"]?.attrs.keys == ["bar", "baz"])
    #expect(result["mul_node1"]?.attrs["baz"] == .i(23))
    #expect(result["add_node2"]?.attrs.keys == ["bob", "bar", "baz"])
    #expect(result["add_node2"]?.attrs["baz"] == .i(46))
    #expect(result["add_node3"]?.attrs.isEmpty == true)
  }

  @Test func renamesOnlyOnNodesOfTheGivenOp() throws {
    let result = try runTransforms(
      "rename_attribute(op_name=Mul, old_attribute_name=foo, new_attribute_name=baz)",
      on: Self.graph,
      outputs: ["mul_node1"]
    ).graph
    #expect(result["mul_node1"]?.attrs.keys == ["bar", "baz"])
    #expect(result["mul_node1"]?.attrs["baz"] == .i(23))
    #expect(result["add_node2"] == Self.graph["add_node2"])
  }

  @Test func anExistingTargetWinsAndTheOldAttributeIsDropped() throws {
    // TF parity (observed): foo → bar on a node that has bar leaves only bar, unchanged.
    let result = try runTransforms(
      "rename_attribute(old_attribute_name=foo, new_attribute_name=bar)", on: Self.graph
    ).graph
    #expect(result["mul_node1"]?.attrs == ["bar": .string("something")])
    #expect(result["add_node2"]?.attrs == ["bob": .i(23), "bar": .string("something else")])
  }

  @Test func noMatchLeavesTheGraphUnchanged() throws {
    let spec = "rename_attribute(old_attribute_name=missing, new_attribute_name=x)"
    #expect(try runTransforms(spec, on: Self.graph).graph == Self.graph)
    let onOtherOp = "rename_attribute(op_name=Conv2D, old_attribute_name=foo, new_attribute_name=x)"
    #expect(try runTransforms(onOtherOp, on: Self.graph).graph == Self.graph)
  }

  static let missingMessage =
    "rename_attribute: expects exactly one 'old_attribute_name' and one 'new_attribute_name' argument, e.g. rename_attribute(old_attribute_name=foo, new_attribute_name=bar)"

  @Test(arguments: [
    "rename_attribute",
    "rename_attribute(old_attribute_name=foo)",
    "rename_attribute(new_attribute_name=bar, op_name=Mul)",
  ])
  func bothNamesAreRequired(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms(spec, on: Self.graph)
    }
    #expect(error.message == Self.missingMessage)
    #expect(error.lineAndColumn.column == 1)
  }

  @Test func repeatedOpNameIsAnError() throws {
    // TensorFlow silently used the first op_name.
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms(
        "rename_attribute(op_name=Mul, op_name=Add, old_attribute_name=foo, new_attribute_name=baz)",
        on: Self.graph)
    }
    #expect(error.message == "rename_attribute: parameter 'op_name' given 2 times; pass it once")
  }
}
