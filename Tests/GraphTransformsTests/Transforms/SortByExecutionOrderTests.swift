// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct SortByExecutionOrderTests {
  func sorted(_ graph: Graph) throws -> Graph {
    try runTransforms("sort_by_execution_order", on: graph).graph
  }

  // TensorFlow's TestSimpleAdd. The exact order below is what TF 2.21 produces.
  @Test func simpleAddComesAfterItsInputs() throws {
    let graph = Graph {
      Op("Add", "add_node", inputs: "a_node", "b_node")
      Op("Const", "b_node")
      Op("Const", "a_node")
    }
    let result = try sorted(graph)
    // Nodes without inputs are a stack: the last one in the file goes first.
    #expect(result.nodeNames == ["a_node", "b_node", "add_node"])
    #expect(result["add_node"] == graph["add_node"])
  }

  // TensorFlow's TestSimpleLinear.
  @Test func simpleLinearChainIsInOrder() throws {
    let graph = Graph {
      Op("Negative", "negative_node", inputs: "sqrt_node")
      Op("Relu", "relu_node", inputs: "const_node")
      Op("Sqrt", "sqrt_node", inputs: "relu_node")
      Op("Const", "const_node")
    }
    #expect(try sorted(graph).nodeNames == ["const_node", "relu_node", "sqrt_node", "negative_node"])
  }

  // TensorFlow's TestSimpleTree.
  @Test func simpleTreePutsTheRootLast() throws {
    let graph = Graph {
      Op("Add", "add_node1", inputs: "add_node2", "add_node3")
      Op("Add", "add_node2", inputs: "const_node1", "const_node2")
      Op("Add", "add_node3", inputs: "const_node3", "const_node4")
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Const", "const_node3")
      Op("Const", "const_node4")
    }
    #expect(
      try sorted(graph).nodeNames == [
        "const_node4", "const_node3", "add_node3", "const_node2", "const_node1", "add_node2", "add_node1",
      ])
  }

  // TensorFlow's TestCommonAncestor.
  @Test func commonAncestorComesFirst() throws {
    let graph = Graph {
      Op("Add", "add_node1", inputs: "add_node2", "add_node3")
      Op("Add", "add_node2", inputs: "const_node1", "const_node2")
      Op("Add", "add_node3", inputs: "const_node1", "const_node3")
      Op("Const", "const_node1")
      Op("Const", "const_node2")
      Op("Const", "const_node3")
    }
    #expect(
      try sorted(graph).nodeNames == [
        "const_node3", "const_node2", "const_node1", "add_node3", "add_node2", "add_node1",
      ])
  }

  @Test func controlInputsAndDuplicateInputsAreWaitedFor() throws {
    let graph = Graph {
      Op("Add", "sum", inputs: "x", "x", "^init")
      Op("NoOp", "init", inputs: "^x")
      Op("Const", "x")
    }
    let result = try sorted(graph)
    #expect(result.nodeNames == ["x", "init", "sum"])
    #expect(result["sum"]?.inputs.map(\.description) == ["x", "x", "^init"])
  }

  @Test func whileLoopSortsBecauseMergeWaitsForOneDataInput() throws {
    // A TF1 while loop: the NextIteration back edge into Merge is not waited for.
    let graph = Graph {
      Op("Enter", "enter", inputs: "x")
      Op("Const", "x")
      Op("Merge", "merge", inputs: "enter", "next")
      Op("Switch", "switch", inputs: "merge", "pred")
      Op("Const", "pred")
      Op("Neg", "body", inputs: "switch:1")
      Op("NextIteration", "next", inputs: "body")
      Op("Exit", "exit", inputs: "switch")
    }
    // The order TF 2.21 produces.
    #expect(
      try sorted(graph).nodeNames == ["pred", "x", "enter", "merge", "switch", "exit", "body", "next"])
  }

  @Test func mergeWaitsForItsControlInputs() throws {
    let graph = Graph {
      Op("Merge", "merge", inputs: "a", "b", "^c")
      Op("Const", "a")
      Op("Const", "b")
      Op("Const", "c")
    }
    // c is first off the stack, then b releases the Merge (count 1 control + 1 data = 2).
    #expect(try sorted(graph).nodeNames == ["c", "b", "merge", "a"])
  }

  @Test func aChainKeepsItsOrderButSourcesComeOutReversed() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 4])
      Const("w", floats: [1, 2, 3, 4], shape: [4, 1])
      Op("MatMul", "y", inputs: "x", "w")
    }
    // Two sources come out reversed; one source and a chain keep their order.
    let chain = Graph {
      Placeholder("x", shape: [1, 4])
      Op("Relu", "r", inputs: "x")
      Op("Neg", "n", inputs: "r")
    }
    #expect(try sorted(chain) == chain)
    #expect(try sorted(graph).nodeNames == ["w", "x", "y"])
  }

  @Test func emptyGraphStaysEmpty() throws {
    #expect(try sorted(Graph()).nodes.isEmpty)
  }

  @Test func unknownInputIsAnError() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Neg", "b", inputs: "a", "^ghost")
    }
    let error = try #require(throws: PipelineError.self) { try sorted(graph) }
    #expect(error.transform == "sort_by_execution_order")
    #expect(error.message == "node 'b' has input '^ghost', but no node of that name exists")
  }

  @Test func cycleIsAnErrorThatCountsTheStuckNodes() throws {
    let graph = Graph {
      Op("Const", "a")
      Op("Neg", "b", inputs: "a", "c")
      Op("Neg", "c", inputs: "b")
      Op("Neg", "d", inputs: "c")
    }
    let error = try #require(throws: PipelineError.self) { try sorted(graph) }
    // TF parity: TensorFlow says "3 nodes in a cycle"; d only waits on the cycle.
    #expect(
      error.message
        == "3 nodes in a cycle (or waiting on one), so the graph has no execution order: 'b', 'c', 'd'")
  }

  @Test func cycleMessageListsAtMostFiveNames() {
    let error = ExecutionOrderError.cycle(count: 8, stuck: ["a", "b", "c", "d", "e"])
    #expect(
      error.description
        == "8 nodes in a cycle (or waiting on one), so the graph has no execution order: 'a', 'b', 'c', 'd', 'e' and 3 more"
    )
  }

  @Test func orderIgnoringErrorsKeepsWhatWasOrderedBeforeACycle() {
    let cyclic = Graph {
      Op("Const", "a")
      Op("Neg", "b", inputs: "a", "c")
      Op("Neg", "c", inputs: "b")
    }
    #expect(cyclic.executionOrderIgnoringErrors() == [0])
    let dangling = Graph { Op("Neg", "b", inputs: "ghost") }
    #expect(dangling.executionOrderIgnoringErrors() == [])
  }

  @Test func longChainInReverseFileOrderSortsWithoutRecursion() throws {
    let count = 100_000
    var nodes = [Node(name: "n0", op: "Const")]
    for index in 1..<count {
      nodes.append(Node(name: "n\(index)", op: "Neg", inputs: [.data("n\(index - 1)")]))
    }
    let graph = Graph(nodes: nodes.reversed())
    let result = try sorted(graph)
    #expect(result.nodes.count == count)
    #expect(result.nodes.first?.name == "n0")
    #expect(result.nodes.last?.name == "n\(count - 1)")
    #expect(result.nodes.enumerated().allSatisfy { $0.element.name == "n\($0.offset)" })
  }
}
