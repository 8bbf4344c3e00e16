// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct StripUnusedNodesTests {
  /// The graph of TensorFlow's placeholder tests: add_node = Add(Mul(b, c), a).
  static let placeholderGraph = Graph {
    Op("Add", "add_node", inputs: "mul_node", "a_node")
    Op("Mul", "mul_node", inputs: "b_node", "c_node")
    Op("Const", "a_node")
    Op("Const", "b_node")
    Op("Const", "c_node")
  }

  /// The attributes of a Placeholder this transform creates.
  func placeholderAttrs(_ dtype: DataType, _ shape: [Int64]) -> AttrMap {
    ["dtype": .type(dtype), "shape": .shape(TensorShape(shape))]
  }

  // TensorFlow's TestSimpleAdd.
  @Test func simpleAddDropsTheUnusedConst() throws {
    let graph = Graph {
      Op("Add", "add_node", inputs: "a_node", "b_node")
      Op("Const", "a_node")
      Op("Const", "b_node")
      Op("Const", "c_node")
    }
    let result = try runTransforms("strip_unused_nodes", on: graph, outputs: ["add_node"]).graph
    #expect(result.nodes == Array(graph.nodes.prefix(3)))
  }

  // TensorFlow's TestCommonAncestor.
  @Test func commonAncestorKeepsSharedInputsAndTheUnusedInput() throws {
    let graph = Graph {
      Op("Add", "add_node1", inputs: "add_node2", "add_node3")
      Op("Add", "add_node2", inputs: "const_node1", "const_node2")
      Op("Add", "add_node3", inputs: "const_node1", "const_node3")
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Const", "const_node3")
      Op("Const", "dangling_input")
      Op("Add", "add_node4", inputs: "add_node2", "add_node3")
    }
    let result = try runTransforms(
      "strip_unused_nodes", on: graph, inputs: ["dangling_input"], outputs: ["add_node1"]
    ).graph
    #expect(
      result.nodeNames == [
        "add_node1", "add_node2", "add_node3", "const_node1", "const_node2", "const_node3", "dangling_input",
      ])
    #expect(result.nodes.prefix(6) == graph.nodes.prefix(6))
    // An input that is not a Placeholder becomes one, even when nothing reads it.
    #expect(result["dangling_input"] == Node(name: "dangling_input", op: "Placeholder", attrs: placeholderAttrs(.float, [])))
  }

  // TensorFlow's TestSimplePlaceholder.
  @Test func inputBecomesAScalarFloatPlaceholderAndCutsOffItsInputs() throws {
    let result = try runTransforms(
      "strip_unused_nodes", on: Self.placeholderGraph, inputs: ["mul_node"], outputs: ["add_node"]
    ).graph
    #expect(result.nodeNames == ["add_node", "mul_node", "a_node"])
    #expect(result["mul_node"] == Node(name: "mul_node", op: "Placeholder", attrs: placeholderAttrs(.float, [])))
    #expect(result["add_node"] == Self.placeholderGraph["add_node"])
  }

  // TensorFlow's TestPlaceholderDefaultArgs.
  @Test func defaultTypeAndShapeApplyToEveryNewPlaceholder() throws {
    let result = try runTransforms(
      #"strip_unused_nodes(type=int32, shape="1,2,3")"#, on: Self.placeholderGraph, inputs: ["mul_node"],
      outputs: ["add_node"]
    ).graph
    #expect(result.nodeNames == ["add_node", "mul_node", "a_node"])
    #expect(result["mul_node"]?.attrs == placeholderAttrs(.int32, [1, 2, 3]))
  }

  // TensorFlow's TestPlaceholderNamedArgs.
  @Test func namedTypeAndShapeApplyPerInput() throws {
    let spec = """
      strip_unused_nodes(name=a_node, type_for_name=int64, shape_for_name="1,2", \
      name=mul_node, type_for_name=quint8, shape_for_name="1, 2, 3")
      """
    let result = try runTransforms(
      spec, on: Self.placeholderGraph, inputs: ["mul_node", "a_node"], outputs: ["add_node"]
    ).graph
    #expect(result.nodeNames == ["add_node", "mul_node", "a_node"])
    #expect(result["mul_node"] == Node(name: "mul_node", op: "Placeholder", attrs: placeholderAttrs(.quint8, [1, 2, 3])))
    #expect(result["a_node"] == Node(name: "a_node", op: "Placeholder", attrs: placeholderAttrs(.int64, [1, 2])))
  }

  @Test func theLastMatchingNameWinsAndOthersUseTheDefaults() throws {
    let spec = """
      strip_unused_nodes(type=half, shape="-1,3", name=mul_node, type_for_name=int8, shape_for_name="1", \
      name=mul_node, type_for_name=uint16, shape_for_name="2")
      """
    let result = try runTransforms(
      spec, on: Self.placeholderGraph, inputs: ["mul_node", "a_node"], outputs: ["add_node"]
    ).graph
    #expect(result["mul_node"]?.attrs == placeholderAttrs(.uint16, [2]))
    // -1 is an unknown size (TensorFlow would abort the process).
    #expect(result["a_node"]?.attrs == placeholderAttrs(.half, [-1, 3]))
  }

  @Test func anExistingPlaceholderInputIsKeptAsItIs() throws {
    let graph = Graph {
      Node(
        name: "x", op: "Placeholder", device: "/cpu:0",
        attrs: ["dtype": .type(.uint8), "shape": .shape(TensorShape([1, 224, 224, 3])), "_note": .i(7)])
      Op("Cast", "cast", inputs: "x")
      Op("Identity", "unused", inputs: "x")
    }
    let result = try runTransforms("strip_unused_nodes(type=int32)", on: graph, inputs: ["x"], outputs: ["cast"])
    #expect(result.graph.nodes == Array(graph.nodes.prefix(2)))
    #expect(result.diagnostics.isEmpty)
  }

  @Test func aKeptPlaceholderLosesInputsFromStrippedNodes() throws {
    let graph = Graph {
      Op("NoOp", "init")
      Op("Placeholder", "x", inputs: "^init", attrs: ["dtype": .type(.float)])
      Op("Neg", "y", inputs: "x")
    }
    let result = try runTransforms("strip_unused_nodes", on: graph, inputs: ["x"], outputs: ["y"])
    #expect(result.graph.nodeNames == ["x", "y"])
    #expect(result.graph["x"] == Op("Placeholder", "x", attrs: ["dtype": .type(.float)]))
    #expect(result.diagnostics.map(\.description) == [
      "warning: strip_unused_nodes: node 'x': dropped input '^init', which the --outputs do not need"
    ])
  }

  @Test func controlInputsAreFollowedAndTheWalkStopsAtInputs() throws {
    let graph = Graph {
      Op("Const", "upstream")
      Op("Neg", "feature", inputs: "upstream")
      Op("NoOp", "init")
      Op("Const", "unused")
      Op("Relu", "out", inputs: "feature", "^init")
    }
    let result = try runTransforms("strip_unused_nodes", on: graph, inputs: ["feature"], outputs: ["out"]).graph
    #expect(result.nodeNames == ["feature", "init", "out"])
    #expect(result["feature"]?.op == "Placeholder")
    #expect(result["init"] == graph["init"])
  }

  @Test(arguments: [["out:0"], ["^out"], ["out", "out:0"]])
  func outputsMayCarryPortsOrCaret(_ outputs: [String]) throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Split", "out", inputs: "a")
      Op("Const", "unused")
    }
    #expect(try runTransforms("strip_unused_nodes", on: graph, outputs: outputs).graph.nodeNames == ["a", "out"])
  }

  @Test func anOutputThatIsAlsoAnInputBecomesAPlaceholder() throws {
    let result = try runTransforms(
      "strip_unused_nodes", on: Self.placeholderGraph, inputs: ["add_node"], outputs: ["add_node"]
    ).graph
    #expect(result.nodes == [Node(name: "add_node", op: "Placeholder", attrs: placeholderAttrs(.float, []))])
  }

  @Test func unknownInputNamesAreIgnored() throws {
    let result = try runTransforms(
      "strip_unused_nodes", on: Self.placeholderGraph, inputs: ["no_such_node:0"], outputs: ["add_node"]
    ).graph
    #expect(result == Self.placeholderGraph)
  }

  @Test func nothingToStripLeavesTheGraphUnchanged() throws {
    let result = try runTransforms("strip_unused_nodes", on: Self.placeholderGraph, outputs: ["add_node"])
    #expect(result.graph == Self.placeholderGraph)
    #expect(result.diagnostics.isEmpty)
  }

  @Test func withoutOutputsOnlyTheInputsAreKept() throws {
    let result = try runTransforms("strip_unused_nodes", on: Self.placeholderGraph, inputs: ["a_node"])
    #expect(result.graph.nodes == [Node(name: "a_node", op: "Placeholder", attrs: placeholderAttrs(.float, []))])
    #expect(result.diagnostics.map(\.message) == ["no --outputs given, so only the --inputs nodes are kept"])
  }

  @Test func unknownOutputIsAnError() throws {
    let error = try #require(throws: PipelineError.self) {
      try runTransforms("strip_unused_nodes", on: Self.placeholderGraph, outputs: ["add_node", "missing:0"])
    }
    #expect(error.transform == "strip_unused_nodes")
    #expect(error.message == "output node 'missing' not found in the graph")
  }

  @Test func aMissingInputOfAKeptNodeIsAnError() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Add", "sum", inputs: "a", "ghost:1")
    }
    let error = try #require(throws: PipelineError.self) {
      try runTransforms("strip_unused_nodes", on: graph, outputs: ["sum"])
    }
    #expect(error.message == "node 'sum': input 'ghost' not found in the graph")
  }

  @Test(arguments: [
    (
      "strip_unused_nodes(name=a, type_for_name=float)",
      "strip_unused_nodes: every 'name' needs one 'type_for_name' and one 'shape_for_name' (found 1 'name', 1 'type_for_name', 0 'shape_for_name'), e.g. strip_unused_nodes(name=foo, type_for_name=float, shape_for_name=\"2,2,1\", name=bar, type_for_name=quint8, shape_for_name=\"1\")"
    ),
    (
      "strip_unused_nodes(type_for_name=float, shape_for_name=1)",
      "strip_unused_nodes: every 'name' needs one 'type_for_name' and one 'shape_for_name' (found 0 'name', 1 'type_for_name', 1 'shape_for_name'), e.g. strip_unused_nodes(name=foo, type_for_name=float, shape_for_name=\"2,2,1\", name=bar, type_for_name=quint8, shape_for_name=\"1\")"
    ),
    (
      "strip_unused_nodes(type=float, type=int32)",
      "strip_unused_nodes: parameter 'type' given 2 times; pass it once"
    ),
    (
      "strip_unused_nodes(type=DT_FLOAT)",
      "strip_unused_nodes: parameter 'type': unknown type 'DT_FLOAT'; use a name such as float, int32, uint8 or quint8"
    ),
    (
      "strip_unused_nodes(name=a, type_for_name=floaty, shape_for_name=1)",
      "strip_unused_nodes: parameter 'type_for_name': unknown type 'floaty'; use a name such as float, int32, uint8 or quint8"
    ),
    (
      #"strip_unused_nodes(shape="")"#,
      #"strip_unused_nodes: parameter 'shape': cannot read '' as a shape; write comma-separated sizes, e.g. shape="1,224,224,3""#
    ),
    (
      #"strip_unused_nodes(shape="1,x")"#,
      #"strip_unused_nodes: parameter 'shape': cannot read '1,x' as a shape; write comma-separated sizes, e.g. shape="1,224,224,3""#
    ),
    (
      #"strip_unused_nodes(name=a, type_for_name=float, shape_for_name="-2")"#,
      "strip_unused_nodes: parameter 'shape_for_name': size -2 in '-2' is invalid; use a size of 0 or more, or -1 for an unknown size"
    ),
  ])
  func badArgumentsAreRejectedBeforeAnyGraphIsRead(_ spec: String, _ message: String) throws {
    let error = try #require(throws: TransformSpecError.self) { try TransformPipeline(parsing: spec) }
    #expect(error.message == message)
  }

  @Test func longChainIsWalkedWithoutRecursion() throws {
    let count = 100_000
    var nodes = [Node(name: "n0", op: "Const"), Node(name: "unused", op: "Const")]
    for index in 1..<count {
      nodes.append(Node(name: "n\(index)", op: "Neg", inputs: [.data("n\(index - 1)")]))
    }
    let graph = Graph(nodes: nodes)
    let result = try runTransforms("strip_unused_nodes", on: graph, inputs: ["n1"], outputs: ["n\(count - 1)"]).graph
    #expect(result.nodes.count == count - 1)
    #expect(result.nodes.first == Node(name: "n1", op: "Placeholder", attrs: placeholderAttrs(.float, [])))
    #expect(result.nodes.last?.name == "n\(count - 1)")
  }
}
