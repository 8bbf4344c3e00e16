// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

/// Expected orders and inputs below are what TF 2.21's remove_nodes produces for the same
/// graph, unless a test says it checks a deliberate deviation.
struct RemoveNodesTests {
  /// Each node as `name = Op(inputs)`, for exact comparisons of order and wiring.
  func lines(_ graph: Graph) -> [String] {
    graph.nodes.map { "\($0.name) = \($0.op)(\($0.inputs.map(\.description).joined(separator: ", ")))" }
  }

  // TensorFlow's TestRemoveNodes.
  @Test func identitiesAreRemovedAndConsumersRewired() throws {
    let graph = Graph {
      Op("Add", "add_node1", inputs: "add_node2", "add_node3")
      Op("Add", "add_node2", inputs: "identity_node1", "identity_node2")
      Op("Add", "add_node3", inputs: "identity_node1", "const_node3")
      Op("Identity", "identity_node1", inputs: "const_node1")
      Op("Identity", "identity_node2", inputs: "const_node2")
      Op("Identity", "identity_node3", inputs: "const_node3")
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Const", "const_node3")
      Op("Add", "add_node4", inputs: "add_node2", "add_node3")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["add_node1"]).graph
    // Each removed Identity's input moves to where the Identity was.
    #expect(
      lines(result) == [
        "add_node1 = Add(add_node2, add_node3)",
        "add_node2 = Add(const_node1, const_node2)",
        "add_node3 = Add(const_node1, const_node3)",
        "const_node1 = Const()",
        "const_node2 = Const()",
        "const_node3 = Const()",
        "add_node4 = Add(add_node2, add_node3)",
      ])
  }

  // TensorFlow's TestRemoveOutputNodes.
  @Test func anIdentityThatIsAnOutputStays() throws {
    let graph = Graph {
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Add", "add_node", inputs: "const_node1", "const_node2")
      Op("Identity", "identity_node", inputs: "add_node")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["identity_node"]).graph
    // TF parity: the protected match is re-emitted as head, then input.
    #expect(
      lines(result) == [
        "const_node1 = Const()",
        "const_node2 = Const()",
        "identity_node = Identity(add_node)",
        "add_node = Add(const_node1, const_node2)",
      ])
  }

  // TensorFlow's TestRemoveChainedNodes (its output name matches no node, as there).
  @Test func chainsOfThreeCollapse() throws {
    let graph = Graph {
      Op("Const", "const_node1")
      Op("Identity", "identity_node1", inputs: "const_node1")
      Op("Identity", "identity_node2", inputs: "identity_node1")
      Op("Identity", "identity_node3", inputs: "identity_node2")
      Op("Const", "const_node2")
      Op("Add", "add_node", inputs: "identity_node3", "const_node2")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["identity_node"]).graph
    #expect(
      lines(result) == [
        "const_node1 = Const()",
        "const_node2 = Const()",
        "add_node = Add(const_node1, const_node2)",
      ])
  }

  // TensorFlow's TestRemoveMultipleInputs.
  @Test func maxInputsThreeRemovesFakeQuant() throws {
    let graph = Graph {
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Const", "const_node3")
      Op("Const", "const_node4")
      Op("FakeQuantWithMinMaxVars", "fake_quant_node", inputs: "const_node1", "const_node2", "const_node3")
      Op("Add", "add_node", inputs: "fake_quant_node", "const_node4")
    }
    let result = try runTransforms(
      "remove_nodes(op=FakeQuantWithMinMaxVars, max_inputs=3)", on: graph, outputs: ["add_node"]
    ).graph
    // The min and max inputs go with the node.
    #expect(
      lines(result) == [
        "const_node4 = Const()",
        "const_node1 = Const()",
        "add_node = Add(const_node1, const_node4)",
      ])
  }

  @Test func maxInputsDefaultsToOne() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Const", "b")
      Op("FakeQuantWithMinMaxVars", "q", inputs: "a", "b", "b")
      Op("Neg", "y", inputs: "q")
    }
    let result = try runTransforms("remove_nodes(op=FakeQuantWithMinMaxVars)", on: graph, outputs: ["y"])
    #expect(result.graph == graph)
  }

  @Test func controlConsumersWaitOnTheInputAndTheNodesOwnControlInputsAreDropped() throws {
    let graph = Graph {
      Op("Split", "split")
      Op("NoOp", "init")
      Op("Identity", "picked", inputs: "split:1", "^init")
      Op("Neg", "d", inputs: "picked", "^picked")
      Op("Neg", "e", inputs: "picked:0")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["d", "e"]).graph
    // The port of the removed node's input is kept; `^picked` becomes `^split`; `^init` is gone.
    #expect(
      lines(result) == [
        "init = NoOp()",
        "split = Split()",
        "d = Neg(split:1, ^split)",
        "e = Neg(split:1)",
      ])
  }

  @Test func theReferenceOrderingExample() throws {
    // reference §3.19: the kept output is re-emitted as [c, a] at c's position.
    let graph = Graph {
      Op("Const", "a")
      Op("Identity", "b", inputs: "a")
      Op("Identity", "c", inputs: "b", "^a")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["c"]).graph
    #expect(lines(result) == ["c = Identity(a, ^a)", "a = Const()"])
  }

  @Test func inputsAndOutputsWithPortsOrCaretAreProtected() throws {
    let graph = Graph {
      Op("Placeholder", "in")
      Op("Identity", "i1", inputs: "in")
      Op("Identity", "i2", inputs: "i1")
      Op("Const", "c")
      Op("Identity", "i3", inputs: "c")
      Op("Add", "y", inputs: "i2", "i3")
    }
    let result = try runTransforms("remove_nodes(op=Identity)", on: graph, inputs: ["in:0", "^i2"], outputs: ["y:0"])
    #expect(
      lines(result.graph) == [
        "i2 = Identity(in)",
        "in = Placeholder()",
        "c = Const()",
        "y = Add(i2, c)",
      ])
  }

  @Test func severalOpsAreRemovedInTurn() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Identity", "b", inputs: "a")
      Op("CheckNumerics", "c", inputs: "b")
      Op("Neg", "d", inputs: "c")
      Op("Add", "e", inputs: "d", "a")
    }
    let expected = ["a = Const()", "d = Neg(a)", "e = Add(d, a)"]
    for spec in ["remove_nodes(op=Identity, op=CheckNumerics)", #"remove_nodes(op="Identity|CheckNumerics")"#] {
      #expect(try lines(runTransforms(spec, on: graph, outputs: ["e"]).graph) == expected)
    }
    // TF parity: `*` is any op, so every one-input node that is not protected goes.
    #expect(
      try lines(runTransforms(#"remove_nodes(op="*")"#, on: graph, outputs: ["e"]).graph) == [
        "a = Const()", "e = Add(a, a)",
      ])
  }

  @Test func nothingToRemoveLeavesTheGraphUnchanged() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 4])
      Const("w", floats: [1, 2, 3, 4], shape: [4, 1])
      Op("MatMul", "y", inputs: "x", "w")
    }
    #expect(try runTransforms("remove_nodes(op=Identity)", on: graph, outputs: ["y"]).graph == graph)
    // MatMul has two inputs; max_inputs is 1.
    #expect(try runTransforms("remove_nodes(op=MatMul)", on: graph).graph == graph)
  }

  @Test func aNodeWhoseOtherOutputsAreUsedIsKeptWithAWarning() throws {
    // Deviation: TensorFlow left `unpack:1` dangling and failed validation.
    let graph = Graph {
      Op("Const", "x")
      Op("Unpack", "unpack", inputs: "x")
      Op("Add", "y", inputs: "unpack", "unpack:1")
    }
    let result = try runTransforms("remove_nodes(op=Unpack)", on: graph, outputs: ["y"])
    #expect(result.graph == graph)
    #expect(result.diagnostics.map(\.description) == [
      "warning: remove_nodes: node 'unpack': kept: an output other than 0 is used, and only output 0 can be rewired to its input"
    ])
  }

  @Test func anInputOtherThanTheFirstStaysWhenSomethingElseUsesIt() throws {
    // Deviation: TensorFlow dropped `hi` anyway and failed validation.
    let graph = Graph {
      Op("Const", "x")
      Op("Const", "lo")
      Op("Const", "hi")
      Op("FakeQuantWithMinMaxVars", "q", inputs: "x", "lo", "hi", "^lo")
      Op("Add", "y", inputs: "q", "hi")
    }
    let result = try runTransforms(
      "remove_nodes(op=FakeQuantWithMinMaxVars, max_inputs=3)", on: graph, outputs: ["y"]
    ).graph
    #expect(lines(result) == ["x = Const()", "hi = Const()", "y = Add(x, hi)"])
  }

  @Test func anInputOtherThanTheFirstGoesWhenOnlyRemovedNodesReadIt() throws {
    let graph = Graph {
      Op("Const", "x")
      Op("Const", "lo")
      Op("Const", "hi")
      Op("FakeQuantWithMinMaxVars", "q1", inputs: "x", "lo", "hi")
      Op("Const", "y")
      Op("FakeQuantWithMinMaxVars", "q2", inputs: "y", "y", "y", "^lo")
      Op("Add", "out", inputs: "q1", "q2")
    }
    let result = try runTransforms(
      "remove_nodes(op=FakeQuantWithMinMaxVars, max_inputs=3)", on: graph, outputs: ["out"]
    ).graph
    #expect(lines(result) == ["x = Const()", "y = Const()", "out = Add(x, y)"])
  }

  @Test func aMergeThatIsItsOwnFirstInputStays() throws {
    // Deviation: TensorFlow failed ("RenameNodeInputs argument contains a cycle"). The
    // pipeline rejects such a self-loop as a cycle, so the transform is called directly.
    let graph = Graph {
      Op("Const", "x")
      Op("Merge", "loop", inputs: "loop", "x")
      Op("Neg", "y", inputs: "loop")
    }
    let transform = try RemoveNodes(
      arguments: TransformArguments(transform: "remove_nodes", pairs: [("op", "Merge"), ("max_inputs", "2")]))
    let result = try transform.apply(to: graph, in: TransformContext(inputs: [], outputs: ["y"]))
    #expect(result == graph)
  }

  @Test func aProtectedInputOtherThanTheFirstStays() throws {
    // Deviation: TensorFlow dropped the --inputs node `lo`.
    let graph = Graph {
      Op("Const", "x")
      Op("Placeholder", "lo")
      Op("FakeQuantWithMinMaxVars", "q", inputs: "x", "lo", "lo")
      Op("Neg", "y", inputs: "q")
    }
    let result = try runTransforms(
      "remove_nodes(op=FakeQuantWithMinMaxVars, max_inputs=3)", on: graph, inputs: ["lo"], outputs: ["y"]
    ).graph
    #expect(lines(result) == ["x = Const()", "lo = Placeholder()", "y = Neg(x)"])
  }

  @Test(arguments: [
    ("remove_nodes", "remove_nodes: expects at least one 'op' argument, e.g. remove_nodes(op=Identity)"),
    ("remove_nodes(max_inputs=2)", "remove_nodes: expects at least one 'op' argument, e.g. remove_nodes(op=Identity)"),
    (
      "remove_nodes(op=Identity, max_inputs=0)",
      "remove_nodes: parameter 'max_inputs' must be between 1 and 2147483647, found 0, e.g. remove_nodes(op=FakeQuantWithMinMaxVars, max_inputs=3)"
    ),
    (
      "remove_nodes(op=Identity, max_inputs=two)",
      "remove_nodes: parameter 'max_inputs' must be an integer, found 'two'"
    ),
    (
      "remove_nodes(op=Identity, max_inputs=1, max_inputs=2)",
      "remove_nodes: parameter 'max_inputs' given 2 times; pass it once"
    ),
  ])
  func badArgumentsAreRejected(_ spec: String, _ message: String) throws {
    let error = try #require(throws: TransformSpecError.self) { try TransformPipeline(parsing: spec) }
    #expect(error.message == message)
  }

  @Test func aHugeMaxInputsCostsNothing() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Identity", "b", inputs: "a")
      Op("Neg", "c", inputs: "b")
    }
    let result = try runTransforms("remove_nodes(op=Identity, max_inputs=2147483647)", on: graph, outputs: ["c"])
    #expect(lines(result.graph) == ["a = Const()", "c = Neg(a)"])
  }

  @Test func longIdentityChainCollapses() throws {
    let count = 20_000
    var nodes = [Node(name: "n0", op: "Const")]
    for index in 1..<count {
      nodes.append(Node(name: "n\(index)", op: "Identity", inputs: [.data("n\(index - 1)")]))
    }
    nodes.append(Node(name: "out", op: "Neg", inputs: [.data("n\(count - 1)")]))
    let result = try runTransforms("remove_nodes(op=Identity)", on: Graph(nodes: nodes), outputs: ["out"]).graph
    #expect(lines(result) == ["n0 = Const()", "out = Neg(n0)"])
  }
}
