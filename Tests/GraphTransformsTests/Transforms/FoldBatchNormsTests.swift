// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

/// fold_batch_norms on tiny graphs: TensorFlow's cases, the forms TensorFlow misses, and
/// the cases that must stay unchanged. Numeric checks run MatMul graphs through the
/// evaluator; convolution folds are checked on the weights.
struct FoldBatchNormsTests {
  let float: AttrMap = ["T": .type(.float)]

  func floats(_ graph: Graph, _ name: String) throws -> [Float] {
    let node = try #require(graph[name], "no node '\(name)'")
    return try #require(DenseTensor(node.tensorAttr("value")).values(as: Float.self))
  }

  func conv(_ name: String, _ input: String, _ weights: String, format: String = "NHWC", op: String = "Conv2D") -> Node
  {
    Op(
      op, name, inputs: input, weights,
      attrs: [
        "T": .type(.float), "strides": .list(AttrList(i: [1, 1, 1, 1])), "padding": .string("VALID"),
        "data_format": .string(format),
      ])
  }

  // TensorFlow's TestFoldBatchNormsConv2D.
  @Test func convolutionScaleMovesIntoTheWeights() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights", floats: [1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4], shape: [1, 2, 2, 2])
      conv("conv", "input", "weights")
      Const("mul_values", floats: [2, 3], shape: [2])
      Op("Mul", "output", inputs: "conv", "mul_values", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(result.nodeNames == ["input", "weights", "output"])
    #expect(result["output"]?.op == "Conv2D")
    #expect(result["output"]?.inputs.map(\.description) == ["input", "weights"])
    #expect(try floats(result, "weights") == [2, 6, 6, 12, 0.2, 0.6, 0.6, 1.2].map { Float($0) })
  }

  // TensorFlow's TestFoldBatchNormsMatMul, with a numeric check.
  @Test func matMulScaleMovesIntoTheWeights() throws {
    let graph = Graph {
      Placeholder("input", shape: [6, 2])
      Const("weights", floats: [1, 2, 0.3, 0.4], shape: [2, 2])
      Op("MatMul", "matmul", inputs: "input", "weights", attrs: float)
      Const("mul_values", floats: [2, 3], shape: [2])
      Op("Mul", "output", inputs: "matmul", "mul_values", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(!result.nodes.contains { $0.op == "Mul" })
    let x = DenseTensor((0..<12).map { Float($0) * 0.5 - 2 }, shape: [6, 2])
    let before = try interpret(graph, feeds: ["input": x], outputs: ["output"])[0]
    let after = try interpret(result, feeds: ["input": x], outputs: ["output"])[0]
    #expect(maxRelativeError(after, before) < 1e-6)
  }

  @Test func transposedMatMulWeightsScaleTheirRows() throws {
    let graph = Graph {
      Placeholder("input", shape: [3, 2])
      Const("weights", floats: [1, 2, 3, 4, 5, 6], shape: [3, 2])
      Op("MatMul", "matmul", inputs: "input", "weights", attrs: ["T": .type(.float), "transpose_b": .b(true)])
      Const("scale", floats: [2, 3, 4], shape: [3])
      Op("Mul", "output", inputs: "scale", "matmul", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(try floats(result, "weights") == [2, 4, 9, 12, 20, 24])
    let x = DenseTensor((0..<6).map { Float($0) - 2 }, shape: [3, 2])
    let before = try interpret(graph, feeds: ["input": x], outputs: ["output"])[0]
    let after = try interpret(result, feeds: ["input": x], outputs: ["output"])[0]
    #expect(maxRelativeError(after, before) < 1e-6)
  }

  /// Keras 2/3 after fold_constants: MatMul → BiasAdd → Mul → Sub → AddV2 becomes one
  /// BiasAdd with the weights scaled.
  @Test func decomposedBatchNormBecomesOneBiasAdd() throws {
    let graph = Graph {
      Placeholder("input", shape: [4, 3])
      Const("weights", floats: (0..<6).map { Float($0) / 3 - 1 }, shape: [3, 2])
      Op("MatMul", "dense", inputs: "input", "weights", attrs: float)
      Const("bias", floats: [0.5, -0.25], shape: [2])
      Op("BiasAdd", "dense/bias_add", inputs: "dense", "bias", attrs: float)
      Const("scale", floats: [1.5, -2], shape: [2])
      Op("Mul", "bn/mul", inputs: "dense/bias_add", "scale", attrs: float)
      Const("mean", floats: [0.1, 0.2], shape: [1, 2])
      Op("Sub", "bn/sub", inputs: "bn/mul", "mean", attrs: float)
      Const("beta", floats: [3], shape: [])
      Op("AddV2", "bn/add", inputs: "beta", "bn/sub", attrs: float)
      Op("Relu", "output", inputs: "bn/add", attrs: float)
    }
    let run = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"])
    let result = run.graph
    #expect(result.nodes.map(\.op).filter { $0 != "Const" } == ["Placeholder", "MatMul", "BiasAdd", "Relu"])
    #expect(result["bn/add"]?.op == "BiasAdd")
    #expect(result["bn/add"]?.inputs.first?.node == "dense")
    let x = DenseTensor((0..<12).map { Float($0) * 0.25 - 1 }, shape: [4, 3])
    let before = try interpret(graph, feeds: ["input": x], outputs: ["output"])[0]
    let after = try interpret(result, feeds: ["input": x], outputs: ["output"])[0]
    #expect(maxRelativeError(after, before) < 1e-5)
    // Only the weights and one bias remain as constants.
    #expect(result.nodes.filter { $0.op == "Const" }.count == 2)
  }

  @Test func depthwiseWithAChannelMultiplierScalesEachOutputChannel() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 3, 3, 2])
      Const("weights", floats: Array(repeating: 1, count: 1 * 1 * 2 * 2), shape: [1, 1, 2, 2])
      conv("dw", "input", "weights", op: "DepthwiseConv2dNative")
      Const("scale", floats: [1, 2, 3, 4], shape: [4])
      Op("Mul", "output", inputs: "dw", "scale", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(result["output"]?.op == "DepthwiseConv2dNative")
    #expect(try floats(result, "weights") == [1, 2, 3, 4])
  }

  @Test func nchwNeedsAChannelShapedConstant() throws {
    func graph(scaleShape: [Int64]) -> Graph {
      Graph {
        Placeholder("input", shape: [1, 2, 3, 3])
        Const("weights", floats: [1, 2, 3, 4], shape: [1, 1, 2, 2])
        conv("conv", "input", "weights", format: "NCHW")
        Const("scale", floats: [2, 3], shape: scaleShape)
        Op("Mul", "output", inputs: "conv", "scale", attrs: float)
      }
    }
    // [2] broadcasts along the width in NCHW: not a per-channel scale.
    let vector = try runTransforms(
      "fold_batch_norms", on: graph(scaleShape: [2]), inputs: ["input"], outputs: ["output"])
    #expect(vector.graph["output"]?.op == "Mul")
    let channel = try runTransforms(
      "fold_batch_norms", on: graph(scaleShape: [2, 1, 1]), inputs: ["input"], outputs: ["output"])
    #expect(channel.graph["output"]?.op == "Conv2D")
    #expect(try floats(channel.graph, "weights") == [2, 6, 6, 12])
  }

  @Test func addAfterAConvolutionBecomesABiasAddWithItsLayout() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 2, 3, 3])
      Const("weights", floats: [1, 2, 3, 4], shape: [1, 1, 2, 2])
      conv("conv", "input", "weights", format: "NCHW")
      Const("shift", floats: [5, 6], shape: [1, 2, 1, 1])
      Op("AddV2", "output", inputs: "conv", "shift", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(result["output"]?.op == "BiasAdd")
    #expect(result["output"]?.attrs["data_format"] == .string("NCHW"))
    #expect(try floats(result, "shift") == [5, 6])
    #expect(try DenseTensor(#require(result["shift"]).tensorAttr("value")).shape == [2])
  }

  /// A frozen function's NoOp reads every weight through a control edge; that must not
  /// block the fold, and the weights Const keeps its name so the edge stays valid.
  @Test func controlConsumersDoNotBlockAFold() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights", floats: [1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4], shape: [1, 2, 2, 2])
      conv("conv", "input", "weights")
      Const("mul_values", floats: [2, 3], shape: [2])
      Op("Mul", "mul", inputs: "conv", "mul_values", attrs: float)
      Op("NoOp", "NoOp", inputs: "^weights", "^mul_values", "^conv")
      Op("Identity", "output", inputs: "mul", "^NoOp", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    #expect(result["mul"]?.op == "Conv2D")
    #expect(result["NoOp"]?.inputs.map(\.description) == ["^weights", "^mul_values", "^mul"])
    try result.validate()
  }

  @Test func sharedProducersAndWeightsAreLeftAlone() throws {
    let graph = Graph {
      Placeholder("input", shape: [4, 2])
      Const("weights", floats: [1, 2, 3, 4], shape: [2, 2])
      Op("MatMul", "a", inputs: "input", "weights", attrs: float)
      Op("MatMul", "b", inputs: "input", "weights", attrs: float)
      Const("scale", floats: [2, 3], shape: [2])
      Op("Mul", "a_scaled", inputs: "a", "scale", attrs: float)
      Op("Mul", "b_scaled", inputs: "b", "scale", attrs: float)
      Op("Mul", "b_again", inputs: "b", "scale", attrs: float)
      Op("AddN", "output", inputs: "a_scaled", "b_scaled", "b_again", attrs: ["T": .type(.float), "N": .i(3)])
    }
    let run = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"])
    #expect(run.graph == graph)
    #expect(run.diagnostics.contains { $0.node == "a" && $0.message.contains("read by other nodes") })
  }

  @Test func anOutputProducerKeepsItsName() throws {
    let graph = Graph {
      Placeholder("input", shape: [4, 2])
      Const("weights", floats: [1, 2, 3, 4], shape: [2, 2])
      Op("MatMul", "matmul", inputs: "input", "weights", attrs: float)
      Const("scale", floats: [2, 3], shape: [2])
      Op("Mul", "output", inputs: "matmul", "scale", attrs: float)
    }
    let run = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output", "matmul"])
    #expect(run.graph == graph)
  }

  @Test func perElementConstantsAreNotPerChannel() throws {
    let graph = Graph {
      Placeholder("input", shape: [2, 2])
      Const("weights", floats: [1, 2, 3, 4], shape: [2, 2])
      Op("MatMul", "matmul", inputs: "input", "weights", attrs: float)
      Const("scale", floats: [1, 2, 3, 4], shape: [2, 2])
      Op("Mul", "output", inputs: "matmul", "scale", attrs: float)
    }
    let run = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"])
    #expect(run.graph == graph)
  }

  /// Wide enough for the eight-lane path of the weight scaling, with a remainder, in both
  /// layouts.
  @Test(arguments: [false, true])
  func wideWeightsScaleExactly(transposed: Bool) throws {
    let channels = 19
    let inputs = 5
    let weights = (0..<(channels * inputs)).map { Float($0 % 7) * 0.25 - 0.5 }
    let scale = (0..<channels).map { Float($0) * 0.125 - 1 }
    let graph = Graph {
      Placeholder("input", shape: [2, Int64(inputs)])
      Const(
        "weights", floats: weights,
        shape: transposed ? [Int64(channels), Int64(inputs)] : [Int64(inputs), Int64(channels)])
      Op("MatMul", "matmul", inputs: "input", "weights", attrs: ["T": .type(.float), "transpose_b": .b(transposed)])
      Const("scale", floats: scale, shape: [Int64(channels)])
      Op("Mul", "output", inputs: "matmul", "scale", attrs: float)
    }
    let result = try runTransforms("fold_batch_norms", on: graph, inputs: ["input"], outputs: ["output"]).graph
    let expected = weights.indices.map { weights[$0] * scale[transposed ? $0 / inputs : $0 % channels] }
    #expect(try floats(result, "weights") == expected)
    let x = DenseTensor((0..<(2 * inputs)).map { Float($0) - 4 }, shape: [2, inputs])
    let before = try interpret(graph, feeds: ["input": x], outputs: ["output"])[0]
    let after = try interpret(result, feeds: ["input": x], outputs: ["output"])[0]
    #expect(maxRelativeError(after, before) < 1e-5)
  }
}
