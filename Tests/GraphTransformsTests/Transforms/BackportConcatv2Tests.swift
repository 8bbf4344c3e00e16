// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct BackportConcatv2Tests {
  // TensorFlow's backport_concatv2_test.
  static let graph = Graph {
    Const("c1", floats: [1, 2], shape: [2])
    Const("c2", floats: [3, 4], shape: [2])
    Const("c3", int32s: [0], shape: [])
    Op(
      "ConcatV2", "concat", inputs: "c1", "c2", "c3",
      attrs: ["N": .i(2), "T": .type(.float), "Tidx": .type(.int32)], device: "/cpu:0")
  }

  @Test func movesTheAxisFirstAndDropsTidx() throws {
    let result = try runTransforms("backport_concatv2", on: Self.graph, outputs: ["concat"])
    var expected = Self.graph
    expected.nodes[3] = Op(
      "Concat", "concat", inputs: "c3", "c1", "c2", attrs: ["N": .i(2), "T": .type(.float)], device: "/cpu:0")
    #expect(result.graph == expected)
  }

  @Test func leavesOtherOpsAlone() throws {
    let graph = Graph {
      Const("a", 1)
      Op("Concat", "old", inputs: "a", "a", attrs: ["N": .i(1), "T": .type(.float)])
    }
    #expect(try runTransforms("backport_concatv2", on: graph).graph == graph)
  }

  @Test func theRawLastInputMovesAsInTensorFlow() throws {
    // TF parity: the last entry moves even when it is a control input.
    let graph = Graph {
      Const("a", 1)
      Const("axis", int32s: [0], shape: [])
      Op("ConcatV2", "c", inputs: "a", "axis", "^a", attrs: ["N": .i(1), "T": .type(.float), "Tidx": .type(.int32)])
    }
    let result = try runTransforms("backport_concatv2", on: graph)
    #expect(result.graph["c"]?.inputs.map(\.description) == ["^a", "a", "axis"])
  }
}
