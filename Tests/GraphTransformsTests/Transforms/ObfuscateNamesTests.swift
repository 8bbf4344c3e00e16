// SPDX-License-Identifier: Apache-2.0

@testable import GraphTransforms
import GraphIR
import GraphTestSupport
import Testing

struct ObfuscateNamesTests {
  /// TensorFlow's obfuscate_names_test tree.
  static let tree = Graph {
    Op("Add", "add_node1", inputs: "add_node2", "add_node3")
    Op("Add", "add_node2", inputs: "const_node1", "const_node2")
    Op("Add", "add_node3", inputs: "const_node3", "const_node4")
    Op("Const", "const_node1")
    Op("Const", "const_node2")
    Op("Const", "const_node3")
    Op("Const", "const_node4")
  }

  /// Each node as `name = Op(inputs)`.
  func lines(_ graph: Graph) -> [String] {
    graph.nodes.map { "\($0.name) = \($0.op)(\($0.inputs.map(\.description).joined(separator: ", ")))" }
  }

  // TensorFlow's TestSimpleTree; the exact names are what TF 2.21 produces.
  @Test func simpleTreeKeepsOnlyTheInputAndOutputNames() throws {
    let result = try runTransforms(
      "obfuscate_names", on: Self.tree, inputs: ["const_node1"], outputs: ["add_node1"]
    ).graph
    #expect(
      lines(result) == [
        "add_node1 = Add(0, 1)",
        "0 = Add(const_node1, 2)",
        "1 = Add(3, 4)",
        "const_node1 = Const()",
        "2 = Const()",
        "3 = Const()",
        "4 = Const()",
      ])
  }

  // TensorFlow's TestManyNodes.
  @Test func manyNodesGetBase62Names() throws {
    let graph = Graph(nodes: (0..<1000).map { Node(name: "const_node\($0)", op: "Const") })
    let result = try runTransforms(
      "obfuscate_names", on: graph, inputs: ["const_node0"], outputs: ["const_node999"]
    ).graph
    #expect(result.nodes.count == 1000)
    #expect(result.nodes[0].name == "const_node0")
    #expect(result.nodes[999].name == "const_node999")
    // Node i (i ≥ 1) gets counter value i - 1: 9, a, z, A, Z, then two digits.
    let expected = ["0", "1", "9", "a", "z", "A", "Z", "10", "11", "1Z", "20", "g5"]
    #expect([1, 2, 10, 11, 36, 37, 62, 63, 64, 124, 125, 998].map { result.nodes[$0].name } == expected)
    #expect(!result.nodeNames.contains("const_node500"))
  }

  // TensorFlow's TestNameClashes.
  @Test func generatedNamesSkipProtectedNames() throws {
    let graph = Graph(nodes: (0..<1000).map { Node(name: "1\($0)", op: "Const") })
    let result = try runTransforms("obfuscate_names", on: graph, inputs: ["10"], outputs: ["19"]).graph
    #expect(result.nodeNames.count == 1000)
    #expect(Set(result.nodeNames).count == 1000)
    #expect(result.nodes[0].name == "10")
    #expect(result.nodes[9].name == "19")
    // Counter value 62 would be "10" and 71 would be "19"; both are skipped.
    #expect(result.nodes[63].name == "Z")
    #expect(result.nodes[64].name == "11")
    #expect(result.nodes[71].name == "18")
    #expect(result.nodes[72].name == "1a")
  }

  @Test func portsAndControlInputsAreKept() throws {
    let graph = Graph {
      Op("Placeholder", "input")
      Op("Split", "split", inputs: "input")
      Op("NoOp", "init")
      Op("Add", "sum", inputs: "split:1", "split:0", "^init")
      Op("Softmax", "prob", inputs: "sum")
    }
    let result = try runTransforms("obfuscate_names", on: graph, inputs: ["input"], outputs: ["prob"]).graph
    #expect(
      lines(result) == [
        "input = Placeholder()",
        "0 = Split(input)",
        "1 = NoOp()",
        "2 = Add(0:1, 0:0, ^1)",
        "prob = Softmax(2)",
      ])
  }

  @Test(arguments: [["prob:0"], ["^prob"], ["prob"]])
  func outputsWithAPortOrCaretAreProtected(_ outputs: [String]) throws {
    // TF parity: deliberate deviation. TensorFlow compared the raw strings, so `prob:0`
    // and `^prob` left `prob` to be renamed.
    let graph = Graph {
      Op("Placeholder", "input")
      Op("Softmax", "prob", inputs: "input:0")
    }
    let result = try runTransforms("obfuscate_names", on: graph, inputs: ["input:0"], outputs: outputs).graph
    #expect(lines(result) == ["input = Placeholder()", "prob = Softmax(input:0)"])
  }

  @Test func otherAttributesAndDevicesAreUntouched() throws {
    let graph = Graph {
      Const("weights", floats: [1, 2], shape: [2], device: "/cpu:0")
      Op("Neg", "out", inputs: "weights")
    }
    let result = try runTransforms("obfuscate_names", on: graph, outputs: ["out"]).graph
    var renamed = graph.nodes[0]
    renamed.name = "0"
    #expect(result.nodes == [renamed, Op("Neg", "out", inputs: "0")])
  }

  @Test func aGraphOfOnlyProtectedNodesIsUnchanged() throws {
    let graph = Graph {
      Op("Placeholder", "x")
      Op("Neg", "y", inputs: "x")
    }
    #expect(try runTransforms("obfuscate_names", on: graph, inputs: ["x"], outputs: ["y"]).graph == graph)
  }

  @Test func anInputNamingNoNodeIsAnError() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Add", "sum", inputs: "a", "ghost:1")
    }
    let error = try #require(throws: PipelineError.self) { try runTransforms("obfuscate_names", on: graph) }
    #expect(error.transform == "obfuscate_names")
    #expect(error.message == "node 'sum': input 'ghost:1' names no node in the graph")
  }

  @Test func base62CountsLikeTensorFlow() {
    #expect(ObfuscateNames.base62(0) == "0")
    #expect(ObfuscateNames.base62(61) == "Z")
    #expect(ObfuscateNames.base62(62) == "10")
    #expect(ObfuscateNames.base62(62 * 62 - 1) == "ZZ")
    #expect(ObfuscateNames.base62(62 * 62) == "100")
  }
}
