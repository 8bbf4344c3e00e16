// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RemoveControlDependenciesTests {
  @Test func dropsEveryControlInputAndKeepsDataInputsInOrder() throws {
    let graph = Graph {
      Op("NoOp", "init")
      Op("NoOp", "other")
      Placeholder("x")
      Op("Split", "split", inputs: "x", "^init")
      Op("Add", "y", inputs: "^init", "split:1", "^other", "split:0", "x")
      Op("Identity", "z", inputs: "^y")
    }
    let result = try runTransforms("remove_control_dependencies", on: graph, outputs: ["y"])
    #expect(
      result.graph.dump == """
        init = NoOp()
        other = NoOp()
        x = Placeholder() {dtype=float}
        split = Split(x)
        y = Add(split:1, split:0, x)
        z = Identity()
        """)
    // Only the inputs change; every node stays.
    #expect(result.graph.nodeNames == graph.nodeNames)
  }

  @Test func aGraphWithoutControlInputsIsUnchanged() throws {
    let graph = Graph {
      Placeholder("x")
      Op("Identity", "y", inputs: "x", device: "/cpu:0")
      Op("Add", "z", inputs: "y:0", "x")
    }
    let result = try runTransforms("remove_control_dependencies", on: graph)
    #expect(result.graph == graph)
    #expect(result.graph.nodes[2].inputs.map(\.description) == ["y:0", "x"])
  }
}
