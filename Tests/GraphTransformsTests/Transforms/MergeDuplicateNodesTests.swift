// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct MergeDuplicateNodesTests {
  static let float: AttrMap = ["T": .type(.float)]

  static func quantize(_ name: String) -> Node {
    Op(
      "QuantizeV2", name, inputs: "a", "min", "max",
      attrs: ["T": .type(.quint8), "mode": .string("MIN_FIRST")])
  }

  // quantize_nodes_test's TestMergeDuplicateNodes: two identical QuantizeV2s.
  @Test func duplicateQuantizeV2sMerge() throws {
    let graph = Graph {
      Const("a", floats: [1, 2], shape: [2])
      Const("min", -1)
      Const("max", 1)
      Self.quantize("quantize_a")
      Self.quantize("quantize_b")
      Op(
        "QuantizedAdd", "add", inputs: "quantize_a", "quantize_b", "quantize_a:1", "quantize_a:2", "quantize_b:1",
        "quantize_b:2", "^quantize_b", attrs: ["T1": .type(.quint8), "T2": .type(.quint8)])
    }
    let result = try runTransforms("merge_duplicate_nodes", on: graph, inputs: [], outputs: ["add"])
    let expected = Graph {
      Const("a", floats: [1, 2], shape: [2])
      Const("min", -1)
      Const("max", 1)
      Self.quantize("quantize_a")
      Op(
        "QuantizedAdd", "add", inputs: "quantize_a", "quantize_a", "quantize_a:1", "quantize_a:2", "quantize_a:1",
        "quantize_a:2", "^quantize_a", attrs: ["T1": .type(.quint8), "T2": .type(.quint8)])
    }
    #expect(result.graph == expected)
  }

  // quantize_nodes_test's TestMergeDuplicateConsts.
  @Test func duplicateConstsMerge() throws {
    let graph = Graph {
      Const("a", floats: [1, 2, 3], shape: [3])
      Const("b", floats: [1, 2, 3], shape: [3])
      Const("c", floats: [1, 2, 4], shape: [3])
      Op("Add", "ab", inputs: "a", "b", attrs: Self.float)
      Op("Add", "abc", inputs: "ab", "c", attrs: Self.float)
    }
    let result = try runTransforms("merge_duplicate_nodes", on: graph, outputs: ["abc"])
    let expected = Graph {
      Const("a", floats: [1, 2, 3], shape: [3])
      Const("c", floats: [1, 2, 4], shape: [3])
      Op("Add", "ab", inputs: "a", "a", attrs: Self.float)
      Op("Add", "abc", inputs: "ab", "c", attrs: Self.float)
    }
    #expect(result.graph == expected)
  }

  // quantize_nodes_test's TestMergeDuplicatesNested: the Muls only become duplicates once
  // their inputs have merged.
  @Test func nestedDuplicatesMergeOverSeveralPasses() throws {
    let graph = Graph {
      Const("a", 1)
      Const("b", 1)
      Placeholder("x")
      Op("Mul", "mul_a", inputs: "a", "x", attrs: Self.float)
      Op("Mul", "mul_b", inputs: "b", "x", attrs: Self.float)
      Op("Relu", "relu_a", inputs: "mul_a", attrs: Self.float)
      Op("Relu", "relu_b", inputs: "mul_b", attrs: Self.float)
      Op("Add", "sum", inputs: "relu_a", "relu_b", attrs: Self.float)
    }
    let result = try runTransforms("merge_duplicate_nodes", on: graph, inputs: ["x"], outputs: ["sum"])
    let expected = Graph {
      Const("a", 1)
      Placeholder("x")
      Op("Mul", "mul_a", inputs: "a", "x", attrs: Self.float)
      Op("Relu", "relu_a", inputs: "mul_a", attrs: Self.float)
      Op("Add", "sum", inputs: "relu_a", "relu_a", attrs: Self.float)
    }
    #expect(result.graph == expected)
  }

  // quantize_nodes_test's TestMergeDuplicatesInOut: named inputs and outputs stay.
  @Test func inputsAndOutputsAreNeverMergedAway() throws {
    let graph = Graph {
      Const("a_op", 1)
      Const("b_op", 1)
      Op("Mul", "mul_op1", inputs: "a_op", "b_op", attrs: Self.float)
      Op("Mul", "mul_op2", inputs: "a_op", "b_op", attrs: Self.float)
      Op("Mul", "mul_op3", inputs: "a_op", "b_op", attrs: Self.float)
      Op("Mul", "final_mul_op", inputs: "mul_op2", "mul_op3", attrs: Self.float)
    }
    let result = try runTransforms(
      "merge_duplicate_nodes", on: graph, inputs: ["a_op"], outputs: ["mul_op1", "final_mul_op"])
    let expected = Graph {
      Const("a_op", 1)
      Const("b_op", 1)
      Op("Mul", "mul_op1", inputs: "a_op", "b_op", attrs: Self.float)
      Op("Mul", "mul_op2", inputs: "a_op", "b_op", attrs: Self.float)
      Op("Mul", "final_mul_op", inputs: "mul_op2", "mul_op2", attrs: Self.float)
    }
    #expect(result.graph == expected)
  }

  @Test func outputsGivenWithAPortAreProtectedToo() throws {
    // TF parity: TensorFlow compares the raw --outputs strings, so `b:0` left b mergeable.
    let graph = Graph {
      Const("a", 1)
      Const("b", 1)
    }
    let result = try runTransforms("merge_duplicate_nodes", on: graph, outputs: ["a", "b:0"])
    #expect(result.graph == graph)
  }

  @Test func nothingToMergeKeepsTheGraphInItsOrder() throws {
    // TF parity: TensorFlow would return the nodes reordered by hash.
    let graph = Graph {
      Placeholder("z")
      Const("y", 2)
      Const("x", 3)
      Op("Mul", "w", inputs: "z", "y", attrs: Self.float)
      Op("Add", "v", inputs: "w", "x", attrs: Self.float)
    }
    #expect(try runTransforms("merge_duplicate_nodes", on: graph, outputs: ["v"]).graph == graph)
  }

  @Test func statefulAndUnknownOpsNeverMerge() throws {
    let graph = Graph {
      Const("shape", int32s: [2], shape: [1])
      Op("RandomUniform", "r1", inputs: "shape", attrs: ["T": .type(.int32), "dtype": .type(.float)])
      Op("RandomUniform", "r2", inputs: "shape", attrs: ["T": .type(.int32), "dtype": .type(.float)])
      Op("Mystery", "m1")
      Op("Mystery", "m2")
      Op("AddN", "sum", inputs: "r1", "r2", "m1", "m2", attrs: ["T": .type(.float), "N": .i(4)])
    }
    #expect(try runTransforms("merge_duplicate_nodes", on: graph, outputs: ["sum"]).graph == graph)
  }

  @Test func devicesAndAttributesMustMatchButAttributeOrderNeedNot() throws {
    let graph = Graph {
      Const("a", floats: [1], shape: [1], device: "/cpu:0")
      Const("b", floats: [1], shape: [1], device: "/gpu:0")
      Op("Identity", "i1", inputs: "a", attrs: ["T": .type(.float), "_class": .string("x")])
      Op("Identity", "i2", inputs: "a", attrs: ["_class": .string("x"), "T": .type(.float)])
      Op("Identity", "i3", inputs: "a", attrs: ["_class": .string("y"), "T": .type(.float)])
      Op("AddN", "sum", inputs: "b", "i1", "i2", "i3", attrs: ["T": .type(.float), "N": .i(4)])
    }
    let result = try runTransforms("merge_duplicate_nodes", on: graph, outputs: ["sum"])
    #expect(result.graph.nodeNames == ["a", "b", "i1", "i3", "sum"])
    #expect(result.graph["sum"]?.inputs.map(\.node) == ["b", "i1", "i1", "i3"])
  }
}
