// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import Testing

struct GraphValidationTests {
  @Test func aWellFormedGraphValidates() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 4])
      Const("w", floats: [1, 2, 3, 4], shape: [4, 1])
      Op("MatMul", "y", inputs: "x", "w:0", "^w")
    }
    try graph.validate()
    try Graph().validate()
  }

  @Test func duplicateNames() {
    let graph = Graph {
      Placeholder("a")
      Op("Identity", "b", inputs: "a")
      Op("Identity", "a", inputs: "b")
    }
    #expect(throws: GraphValidationError.duplicateNodeName("a")) { try graph.validate() }
    #expect(
      GraphValidationError.duplicateNodeName("a").description
        == "two nodes are named 'a'; node names must be unique")
  }

  @Test func danglingDataInputKeepsItsPort() {
    let graph = Graph {
      Placeholder("a")
      Op("Identity", "b", inputs: "a", "missing:1")
    }
    let expected = GraphValidationError.danglingInput(node: "b", input: "missing:1")
    #expect(throws: expected) { try graph.validate() }
    #expect(
      expected.description == "node 'b' has input 'missing:1', but no node of that name exists")
  }

  @Test func danglingControlInput() {
    let graph = Graph {
      Placeholder("a")
      Op("Identity", "b", inputs: "a", "^gone")
    }
    #expect(throws: GraphValidationError.danglingInput(node: "b", input: "^gone")) {
      try graph.validate()
    }
  }

  @Test func nonPortSuffixIsReportedAsAMissingNode() {
    let graph = Graph {
      Placeholder("a")
      Op("Identity", "b", inputs: "a:x")
    }
    #expect(throws: GraphValidationError.danglingInput(node: "b", input: "a:x")) {
      try graph.validate()
    }
  }

  @Test func emptyName() {
    let graph = Graph {
      Placeholder("a")
      Op("NoOp", "")
    }
    #expect(throws: GraphValidationError.emptyNodeName(index: 1)) { try graph.validate() }
    #expect(GraphValidationError.emptyNodeName(index: 1).description == "node #1 has an empty name")
  }

  @Test func twoNodeCycleNamesOnlyTheNodesOnIt() {
    // x feeds the cycle and z hangs off it; neither is on it.
    let graph = Graph {
      Op("Identity", "z", inputs: "b")
      Placeholder("x")
      Op("Add", "a", inputs: "x", "b")
      Op("Identity", "b", inputs: "a")
    }
    #expect(throws: GraphValidationError.cycle(["a", "b"])) { try graph.validate() }
    #expect(
      GraphValidationError.cycle(["a", "b"]).description
        == "the graph has a cycle through 2 nodes: 'a', 'b'")
  }

  @Test func selfLoopAndControlEdgeCycles() {
    let selfLoop = Graph { Op("Identity", "a", inputs: "a") }
    #expect(throws: GraphValidationError.cycle(["a"])) { try selfLoop.validate() }
    let control = Graph {
      Op("NoOp", "p", inputs: "^q")
      Op("NoOp", "q", inputs: "^p")
    }
    #expect(throws: GraphValidationError.cycle(["p", "q"])) { try control.validate() }
  }

  @Test func cycleMessageShowsFiveNamesAndACount() {
    let names = (0..<8).map { "n\($0)" }
    let graph = Graph(
      nodes: names.indices.map { i in
        Op("Identity", names[i], inputs: names[(i + 1) % names.count])
      })
    #expect(throws: GraphValidationError.cycle(names)) { try graph.validate() }
    #expect(
      GraphValidationError.cycle(names).description
        == "the graph has a cycle through 8 nodes: 'n0', 'n1', 'n2', 'n3', 'n4' and 3 more")
  }

  /// A TF1 `while` loop: the back edge goes NextIteration → Merge.
  static func whileLoop(nextIterationOp: String = "NextIteration", mergeOp: String = "Merge")
    -> Graph
  {
    Graph {
      Const("zero", 0)
      Op("Enter", "while/Enter", inputs: "zero")
      Op(mergeOp, "while/Merge", inputs: "while/Enter", "while/NextIteration")
      Const("limit", 10)
      Op("Less", "while/Less", inputs: "while/Merge", "limit")
      Op("LoopCond", "while/LoopCond", inputs: "while/Less")
      Op("Switch", "while/Switch", inputs: "while/Merge", "while/LoopCond")
      Op("Identity", "while/Identity", inputs: "while/Switch:1")
      Const("one", 1)
      Op("Add", "while/add", inputs: "while/Identity", "one")
      Op(nextIterationOp, "while/NextIteration", inputs: "while/add")
      Op("Exit", "while/Exit", inputs: "while/Switch")
    }
  }

  @Test func whileLoopBackEdgeIsNotACycle() throws {
    try Self.whileLoop().validate()
    try Self.whileLoop(nextIterationOp: "RefNextIteration", mergeOp: "RefMerge").validate()
  }

  @Test func loopWithoutNextIterationIntoMergeIsACycle() {
    let loop = [
      "while/Merge", "while/Less", "while/LoopCond", "while/Switch", "while/Identity", "while/add",
      "while/NextIteration",
    ]
    #expect(throws: GraphValidationError.cycle(loop)) {
      try Self.whileLoop(nextIterationOp: "Identity").validate()
    }
    #expect(throws: GraphValidationError.cycle(loop)) {
      try Self.whileLoop(mergeOp: "Identity").validate()
    }
  }

  @Test func deepChainValidatesFastWithoutRecursion() throws {
    // Listed consumer-first, the worst order for a recursive walk.
    let count = 100_000
    var nodes = [Placeholder("n0")]
    for i in 1..<count { nodes.append(Op("Identity", "n\(i)", inputs: "n\(i - 1)")) }
    let graph = Graph(nodes: nodes.reversed())
    let clock = ContinuousClock()
    let elapsed = try clock.measure { try graph.validate() }
    #expect(elapsed < .seconds(10))
  }

  @Test func deepCycleIsFoundWithoutRecursion() {
    let count = 100_000
    let nodes = (0..<count).map { Op("Identity", "n\($0)", inputs: "n\(($0 + 1) % count)") }
    let graph = Graph(nodes: nodes)
    do {
      try graph.validate()
      Issue.record("a 100,000-node ring validated")
    } catch {
      guard case .cycle(let names) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(names.count == count)
      #expect(error.description.hasSuffix("'n4' and 99995 more"))
    }
  }
}
