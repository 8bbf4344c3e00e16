// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

/// Folding old-style batch norms: TensorFlow's cases, checked numerically against a small
/// reference evaluator below, then the deviations, guards and hostile inputs.
struct FoldOldBatchNormsTests {
  /// Runs the transform directly (it is registered separately) and validates the result.
  func fold(_ graph: Graph, inputs: [String] = [], outputs: [String] = []) throws -> (Graph, [Diagnostic]) {
    let transform = try FoldOldBatchNorms(arguments: TransformArguments(transform: "fold_old_batch_norms"))
    let context = TransformContext(inputs: inputs, outputs: outputs)
    let result = try transform.apply(to: graph, in: context)
    try result.validate()
    return (result, context.diagnostics)
  }

  /// The values of Const `name`.
  func floats(_ graph: Graph, _ name: String) throws -> [Float] {
    let node = try #require(graph[name], "no node '\(name)'")
    return try #require(DenseTensor(node.tensorAttr("value")).values(as: Float.self))
  }

  /// Each node as `name = Op(inputs)`.
  func lines(_ graph: Graph) -> [String] {
    graph.nodes.map { "\($0.name) = \($0.op)(\($0.inputs.map(\.description).joined(separator: ", ")))" }
  }

  /// The remarks about `node`.
  func remarks(_ diagnostics: [Diagnostic], _ node: String) -> [String] {
    diagnostics.filter { $0.node == node }.map(\.message)
  }

  /// Expects `output` to compute the same values before and after, for the given feeds.
  func expectSameOutput(
    _ before: Graph, _ after: Graph, _ output: String = "output", feeds: [String: Reference.Value],
    tolerance: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let expected = try Reference(before, feeds: feeds).value(of: output)
    let actual = try Reference(after, feeds: feeds).value(of: output)
    #expect(expected.shape == actual.shape, sourceLocation: sourceLocation)
    for (a, b) in zip(expected.values, actual.values) {
      #expect(abs(a - b) <= tolerance * max(1, abs(a)), "\(a) vs \(b)", sourceLocation: sourceLocation)
    }
  }

  static let float: AttrValue = .type(.float)
  static let ones: AttrValue = .list(AttrList(i: [1, 1, 1, 1]))

  /// A VALID, stride-1 convolution of `op`.
  func conv(_ op: String, _ name: String, _ input: String, _ weights: String, format: String? = nil) -> Node {
    var attrs: AttrMap = ["T": Self.float, "strides": Self.ones, "padding": .string("VALID")]
    if let format { attrs["data_format"] = .string(format) }
    return Op(op, name, inputs: input, weights, attrs: attrs)
  }

  /// A FusedBatchNorm-family node reading the Consts `<prefix>gamma`, `beta`, `mean`, `var`.
  func fused(
    _ op: String = "FusedBatchNorm", _ name: String = "output", input: String, prefix: String = "",
    training: Bool? = false, format: String? = nil, epsilon: Float = 0.00001
  ) -> Node {
    var attrs: AttrMap = ["T": Self.float, "epsilon": .f(epsilon)]
    if let training { attrs["is_training"] = .b(training) }
    if let format { attrs["data_format"] = .string(format) }
    if op != "FusedBatchNorm" { attrs["U"] = Self.float }
    return Op(
      op, name, inputs: input, prefix + "gamma", prefix + "beta", prefix + "mean", prefix + "var", attrs: attrs)
  }

  /// The four parameter Consts of a batch norm, TensorFlow's values for two channels.
  func parameters(
    prefix: String = "", mean: [Float] = [10, 20], variance: [Float] = [0.25, 0.5], beta: [Float] = [0.1, 0.6],
    gamma: [Float] = [1, 2]
  ) -> [Node] {
    [
      Const(prefix + "mean", floats: mean, shape: [Int64(mean.count)]),
      Const(prefix + "var", floats: variance, shape: [Int64(variance.count)]),
      Const(prefix + "beta", floats: beta, shape: [Int64(beta.count)]),
      Const(prefix + "gamma", floats: gamma, shape: [Int64(gamma.count)]),
    ]
  }

  /// TensorFlow's test input: 1×1×6×2.
  static let input: [String: Reference.Value] = [
    "input": Reference.Value(shape: [1, 1, 6, 2], values: [1, 4, 2, 5, 3, 6, -1, -4, -2, -5, -3, -6])
  ]
  /// TensorFlow's test weights: 1×2×2×2.
  static let weights: [Float] = [1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4]

  /// The graph of TensorFlow's tests: `output = bn(conv(input, weights))`.
  func convolutionGraph(
    _ batchNorm: Node, op: String = "Conv2D", weights: [Float] = FoldOldBatchNormsTests.weights,
    weightsShape: [Int64] = [1, 2, 2, 2], format: String? = nil, channels: Int = 2
  ) -> Graph {
    let values = (0..<channels).map { Float($0) }
    return Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights", floats: weights, shape: weightsShape)
      conv(op, "conv", "input", "weights", format: format)
      parameters(
        mean: values.map { 10 + 10 * $0 }, variance: values.map { 0.25 + 0.25 * $0 },
        beta: values.map { 0.1 + 0.5 * $0 }, gamma: values.map { 1 + $0 })
      batchNorm
    }
  }

  // MARK: TensorFlow's cases

  // TensorFlow's TestFoldOldBatchNorms (BatchNormWithGlobalNormalization).
  @Test func globalNormalizationAfterConv2DFolds() throws {
    let batchNorm = Op(
      "BatchNormWithGlobalNormalization", "output", inputs: "conv", "mean", "var", "beta", "gamma",
      attrs: ["T": Self.float, "variance_epsilon": .f(0.00001), "scale_after_normalization": .b(false)])
    let graph = convolutionGraph(batchNorm)
    let (result, diagnostics) = try fold(graph)
    #expect(
      lines(result) == [
        "weights = Const()", "input = Placeholder()", "conv = Conv2D(input, weights)",
        "conv_bn_offset = Const()", "output = BiasAdd(conv, conv_bn_offset)",
      ])
    #expect(result["output"]?.attrs["T"] == Self.float)
    // scale_after_normalization=false: gamma is not applied.
    let scale: [Float] = [1 / (0.25 + 0.00001 as Float).squareRoot(), 1 / (0.5 + 0.00001 as Float).squareRoot()]
    #expect(try floats(result, "weights") == Self.weights.enumerated().map { $1 * scale[$0 % 2] })
    #expect(try floats(result, "conv_bn_offset") == [0.1 - 10 * scale[0], 0.6 - 20 * scale[1]])
    try expectSameOutput(graph, result, feeds: Self.input)
    #expect(diagnostics.map(\.message) == ["folded 1 of 1 batch norms"])
  }

  // TensorFlow's TestFoldFusedBatchNorms.
  @Test func fusedBatchNormAfterConv2DFolds() throws {
    let graph = convolutionGraph(fused(input: "conv"))
    let (result, _) = try fold(graph)
    #expect(result.nodeNames == ["weights", "input", "conv", "conv_bn_offset", "output"])
    #expect(result["output"]?.op == "BiasAdd")
    let scale: [Float] = [
      1 / (0.25 + 0.00001 as Float).squareRoot() * 1, 1 / (0.5 + 0.00001 as Float).squareRoot() * 2,
    ]
    #expect(try floats(result, "weights") == Self.weights.enumerated().map { $1 * scale[$0 % 2] })
    #expect(try floats(result, "conv_bn_offset") == [-10 * scale[0] + 0.1, -20 * scale[1] + 0.6])
    try expectSameOutput(graph, result, feeds: Self.input)
  }

  // TensorFlow's depthwise variants; a 1×2×2×2 filter has channel multiplier 2, so four
  // output channels, channel k = input channel k / 2.
  @Test(arguments: ["BatchNormWithGlobalNormalization", "FusedBatchNorm"])
  func batchNormAfterDepthwiseWithMultiplierTwoFolds(op: String) throws {
    let batchNorm =
      op == "FusedBatchNorm"
      ? fused(input: "conv")
      : Op(
        op, "output", inputs: "conv", "mean", "var", "beta", "gamma",
        attrs: ["T": Self.float, "variance_epsilon": .f(0.00001), "scale_after_normalization": .b(true)])
    let graph = convolutionGraph(batchNorm, op: "DepthwiseConv2dNative", channels: 4)
    let (result, _) = try fold(graph)
    #expect(result.nodeNames == ["weights", "input", "conv", "conv_bn_offset", "output"])
    #expect(try floats(result, "conv_bn_offset").count == 4)
    try expectSameOutput(graph, result, feeds: Self.input)
  }

  @Test func depthwiseWithMultiplierOneFolds() throws {
    let graph = convolutionGraph(
      fused(input: "conv"), op: "DepthwiseConv2dNative", weights: [1, 2, 3, 4, 5, 6, 7, 8],
      weightsShape: [2, 2, 2, 1])
    let feeds = ["input": Reference.Value(shape: [1, 2, 3, 2], values: (1...12).map { Float($0) })]
    let (result, _) = try fold(graph)
    #expect(result["output"]?.op == "BiasAdd")
    try expectSameOutput(graph, result, feeds: feeds)
  }

  /// Two convolutions of 2 channels each, concatenated along `axis`, then a batch norm.
  func concatGraph(axis: Int32, channels: Int) -> Graph {
    let values = (0..<channels).map { Float($0) }
    return Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights0", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv0", "input", "weights0")
      Const("weights1", floats: Self.weights.map { -$0 / 2 }, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv1", "input", "weights1")
      Const("axis", int32s: [axis], shape: [])
      Op("ConcatV2", "concat", inputs: "conv0", "conv1", "axis", attrs: ["T": Self.float, "N": .i(2)])
      parameters(
        mean: values.map { 1 + $0 }, variance: values.map { 0.5 + $0 }, beta: values.map { $0 / 4 },
        gamma: values.map { 2 - $0 / 3 })
      fused(input: "concat")
    }
  }

  // TensorFlow's TestFoldFusedBatchNormsWithConcat, axis 3 (split) and axis 2 (shared).
  @Test(arguments: [(Int32(3), 4), (-1, 4), (2, 2)])
  func batchNormAfterConcatFolds(axis: Int32, channels: Int) throws {
    let graph = concatGraph(axis: axis, channels: channels)
    let (result, _) = try fold(graph)
    #expect(
      lines(result) == [
        "weights0 = Const()", "input = Placeholder()", "conv0 = Conv2D(input, weights0)",
        "conv0_bn_offset = Const()", "concat_bn_in0 = BiasAdd(conv0, conv0_bn_offset)",
        "weights1 = Const()", "conv1 = Conv2D(input, weights1)", "conv1_bn_offset = Const()",
        "concat_bn_in1 = BiasAdd(conv1, conv1_bn_offset)", "axis = Const()",
        "output = ConcatV2(concat_bn_in0, concat_bn_in1, axis)",
      ])
    try expectSameOutput(graph, result, feeds: Self.input)
  }

  @Test func concatWithChannelCountMismatchIsLeftAlone() throws {
    // Along axis 2 each half must have all 4 channels of the batch norm; they have 2.
    let graph = concatGraph(axis: 2, channels: 4)
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(remarks(diagnostics, "output") == ["not folded: it has 4 channels, but 'conv0' has 2"])
  }

  // TensorFlow's TestFoldFusedBatchNormsWithBatchToSpace.
  @Test func batchNormAfterBatchToSpaceFolds() throws {
    let graph = Graph {
      Placeholder("input", shape: [4, 2, 3, 2])
      Const("weights", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv", "input", "weights")
      Const("block_shape", int32s: [2, 2], shape: [2])
      Const("crops", int32s: [0, 1, 0, 0], shape: [2, 2])
      Op(
        "BatchToSpaceND", "batch_to_space", inputs: "conv", "block_shape", "crops",
        attrs: ["T": Self.float, "Tblock_shape": .type(.int32), "Tcrops": .type(.int32)])
      parameters()
      fused(input: "batch_to_space")
    }
    let (result, _) = try fold(graph)
    #expect(
      lines(result) == [
        "weights = Const()", "input = Placeholder()", "conv = Conv2D(input, weights)", "conv_bn_offset = Const()",
        "conv/biasadd = BiasAdd(conv, conv_bn_offset)", "block_shape = Const()", "crops = Const()",
        "output = BatchToSpaceND(conv/biasadd, block_shape, crops)",
      ])
    #expect(result["output"]?.attrs["Tcrops"] == .type(.int32))
    let feeds = ["input": Reference.Value(shape: [4, 2, 3, 2], values: (0..<48).map { Float($0 % 7) - 3 })]
    try expectSameOutput(graph, result, feeds: feeds)
  }

  // MARK: Deviations: more ops, layouts

  @Test(arguments: ["FusedBatchNormV2", "FusedBatchNormV3"])
  func newerFusedBatchNormsFoldInInferenceMode(op: String) throws {
    let graph = convolutionGraph(fused(op, input: "conv"))
    let (result, _) = try fold(graph)
    #expect(result.nodeNames == ["weights", "input", "conv", "conv_bn_offset", "output"])
    try expectSameOutput(graph, result, feeds: Self.input)
  }

  @Test(arguments: [true, nil] as [Bool?])
  func trainingModeIsLeftAlone(training: Bool?) throws {
    let graph = convolutionGraph(fused("FusedBatchNormV3", input: "conv", training: training))
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    let reason = try #require(remarks(diagnostics, "output").first)
    #expect(reason.contains("is_training"))
  }

  @Test func matMulFolds() throws {
    let graph = Graph {
      Placeholder("input", shape: [3, 2])
      Const("weights", floats: [1, -2, 3, 0.5, 4, -1], shape: [3, 2])
      Op("MatMul", "conv", inputs: "input", "weights", attrs: ["T": Self.float, "transpose_b": .b(true)])
      parameters(mean: [1, 2, 3], variance: [1, 2, 3], beta: [0, 1, 2], gamma: [3, 2, 1])
      fused("FusedBatchNormV3", input: "conv")
    }
    let (result, _) = try fold(graph)
    #expect(result["output"]?.op == "BiasAdd")
    let feeds = ["input": Reference.Value(shape: [3, 2], values: [1, 2, 3, -4, 5, 6])]
    try expectSameOutput(graph, result, feeds: feeds)
  }

  @Test func nchwBatchNormAfterNCHWConvolutionFolds() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 2, 2, 3])
      Const("weights", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv", "input", "weights", format: "NCHW")
      parameters()
      fused(input: "conv", format: "NCHW")
    }
    let (result, _) = try fold(graph)
    #expect(result["output"]?.op == "BiasAdd")
    #expect(result["output"]?.attrs["data_format"] == .string("NCHW"))
    let feeds = ["input": Reference.Value(shape: [1, 2, 2, 3], values: [1, 2, 3, 4, 5, 6, -1, -2, -3, 7, 8, 9])]
    try expectSameOutput(graph, result, feeds: feeds)
  }

  @Test(arguments: [("NCHW", "NHWC"), ("NCHW", nil), ("NHWC", "NCHW")] as [(String, String?)])
  func mixedLayoutsAreLeftAlone(convFormat: String, batchNormFormat: String?) throws {
    let graph = convolutionGraph(fused(input: "conv", format: batchNormFormat), format: convFormat)
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(remarks(diagnostics, "output").first?.contains("channel axis") == true)
  }

  // MARK: Guards

  @Test func sharedParametersFoldBothWithoutLooping() throws {
    // TensorFlow never returns on this graph.
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights0", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv0", "input", "weights0")
      Const("weights1", floats: Self.weights.reversed(), shape: [1, 2, 2, 2])
      conv("Conv2D", "conv1", "input", "weights1")
      parameters()
      fused("FusedBatchNorm", "bn0", input: "conv0")
      fused("FusedBatchNorm", "bn1", input: "conv1")
      Op("Add", "output", inputs: "bn0", "bn1", attrs: ["T": Self.float])
    }
    let (result, diagnostics) = try fold(graph)
    #expect(result["bn0"]?.op == "BiasAdd")
    #expect(result["bn1"]?.op == "BiasAdd")
    #expect(result["mean"] == nil && result["gamma"] == nil)
    #expect(result.nodes.count == 10)
    try expectSameOutput(graph, result, feeds: Self.input)
    #expect(diagnostics.map(\.message) == ["folded 2 of 2 batch norms"])
  }

  @Test func aParameterReadElsewhereStays() throws {
    var graph = convolutionGraph(fused(input: "conv"))
    graph.nodes.append(Op("Identity", "mean_copy", inputs: "mean", attrs: ["T": Self.float]))
    graph.nodes.append(Op("NoOp", "after_var", inputs: "^var"))
    let (result, _) = try fold(graph)
    #expect(
      result.nodeNames == [
        "mean", "var", "weights", "input", "conv", "conv_bn_offset", "output", "mean_copy", "after_var",
      ])
  }

  @Test func aConvolutionReadElsewhereIsLeftAlone() throws {
    var graph = convolutionGraph(fused(input: "conv"))
    graph.nodes.append(Op("Relu", "relu", inputs: "conv", attrs: ["T": Self.float]))
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(
      remarks(diagnostics, "output") == [
        "not folded: 'conv' has 2 data readers, and the others would see the folded values"
      ])
  }

  @Test func weightsReadElsewhereAreLeftAlone() throws {
    var graph = convolutionGraph(fused(input: "conv"))
    graph.nodes.append(Op("Identity", "copy", inputs: "weights", attrs: ["T": Self.float]))
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(remarks(diagnostics, "output").first?.contains("'weights' has 2 data readers") == true)
  }

  @Test func sharedWeightsFoldNeitherConvolution() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("weights", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv0", "input", "weights")
      conv("Conv2D", "conv1", "input", "weights")
      parameters()
      fused("FusedBatchNorm", "bn0", input: "conv0")
      fused("FusedBatchNorm", "bn1", input: "conv1")
    }
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(diagnostics.count { $0.message.hasPrefix("not folded") } == 2)
  }

  @Test func aSecondOutputInUseIsLeftAlone() throws {
    var graph = convolutionGraph(fused(input: "conv"))
    graph.nodes.append(Op("Identity", "batch_mean", inputs: "output:1", attrs: ["T": Self.float]))
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(
      remarks(diagnostics, "output") == [
        "not folded: its output 1 is read by 'batch_mean', and only output 0 can be folded"
      ])
  }

  @Test(arguments: ["conv", "weights"])
  func anOutputNodeIsNotChanged(output: String) throws {
    let graph = convolutionGraph(fused(input: "conv"))
    let (result, _) = try fold(graph, outputs: ["output", output])
    #expect(result == graph)
  }

  @Test func controlEdgesArePreserved() throws {
    let graph = Graph {
      Op("NoOp", "init")
      Placeholder("input", shape: [1, 1, 6, 2])
      Op(
        "Const", "weights", inputs: "^init",
        attrs: [
          "dtype": Self.float, "value": .tensor(.floats(Self.weights, shape: [1, 2, 2, 2])),
          "_class": .list(AttrList(s: [Array("loc:@w".utf8)])),
        ], device: "/cpu:0")
      conv("Conv2D", "conv", "input", "weights")
      parameters()
      Op(
        "FusedBatchNorm", "output", inputs: "conv", "gamma", "beta", "mean", "var", "^init",
        attrs: ["T": Self.float, "epsilon": .f(0.001), "is_training": .b(false)], device: "/gpu:0")
      Op("NoOp", "after", inputs: "^conv", "^weights", "^output")
    }
    let (result, _) = try fold(graph)
    #expect(
      lines(result) == [
        "init = NoOp()", "weights = Const(^init)", "input = Placeholder()", "conv = Conv2D(input, weights)",
        "conv_bn_offset = Const()", "output = BiasAdd(conv, conv_bn_offset, ^init)",
        "after = NoOp(^conv, ^weights, ^output)",
      ])
    #expect(result["weights"]?.device == "/cpu:0")
    #expect(result["weights"]?.attrs["_class"] != nil)
    #expect(result["output"]?.device == "/gpu:0")
  }

  @Test func aBatchToSpaceWithAControlConsumerIsLeftAlone() throws {
    let graph = Graph {
      Placeholder("input", shape: [4, 2, 3, 2])
      Const("weights", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "conv", "input", "weights")
      Const("block_shape", int32s: [2, 2], shape: [2])
      Const("crops", int32s: [0, 0, 0, 0], shape: [2, 2])
      Op("BatchToSpaceND", "batch_to_space", inputs: "conv", "block_shape", "crops", attrs: ["T": Self.float])
      parameters()
      fused(input: "batch_to_space")
      Op("NoOp", "after", inputs: "^batch_to_space")
    }
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(remarks(diagnostics, "output").first?.contains("control input on 'batch_to_space'") == true)
  }

  @Test func chainedBatchNormsFoldInTwoPasses() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Const("w1", floats: Self.weights, shape: [1, 2, 2, 2])
      conv("Conv2D", "c1", "input", "w1")
      parameters(prefix: "a_")
      fused("FusedBatchNorm", "bn1", input: "c1", prefix: "a_")
      Const("w2", floats: [0.5, -1, 2, 1], shape: [1, 1, 2, 2])
      conv("Conv2D", "c2", "bn1", "w2")
      parameters(prefix: "b_", mean: [-1, 1], variance: [2, 3], beta: [1, 0], gamma: [0.5, 3])
      fused("FusedBatchNorm", "output", input: "c2", prefix: "b_")
    }
    let (result, _) = try fold(graph)
    // TF parity: bn1 is the input of the second match, which waits for the next pass and
    // then moves it to its own position.
    #expect(
      lines(result) == [
        "w1 = Const()", "input = Placeholder()", "c1 = Conv2D(input, w1)", "c1_bn_offset = Const()",
        "w2 = Const()", "bn1 = BiasAdd(c1, c1_bn_offset)", "c2 = Conv2D(bn1, w2)", "c2_bn_offset = Const()",
        "output = BiasAdd(c2, c2_bn_offset)",
      ])
    try expectSameOutput(graph, result, feeds: Self.input)
  }

  @Test func manyConvolutionsOfOneInputAllFold() throws {
    // One fold per pass in TensorFlow's matcher; beyond 32 passes the rest fold at once.
    let count = 40
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      parameters()
      for k in 0..<count {
        Const("w\(k)", floats: Self.weights.map { $0 * Float(k + 1) }, shape: [1, 2, 2, 2])
        conv("Conv2D", "c\(k)", "input", "w\(k)")
        fused("FusedBatchNorm", "bn\(k)", input: "c\(k)")
      }
      Node(name: "output", op: "AddN", inputs: (0..<count).map { .data("bn\($0)") }, attrs: ["T": Self.float])
    }
    let (result, diagnostics) = try fold(graph)
    #expect(result.nodes.count { $0.op == "BiasAdd" } == count)
    #expect(result.nodes.count == 1 + 4 * count + 1)
    try expectSameOutput(graph, result, feeds: Self.input)
    #expect(diagnostics.map(\.message) == ["folded \(count) of \(count) batch norms"])
  }

  @Test func takenNamesGetASuffix() throws {
    var graph = convolutionGraph(fused(input: "conv"))
    graph.nodes.insert(Const("conv_bn_offset", 1), at: 0)
    let (result, _) = try fold(graph)
    #expect(result["output"]?.inputs.map(\.description) == ["conv", "conv_bn_offset_1"])
    #expect(try floats(result, "conv_bn_offset") == [1])
  }

  // MARK: Hostile input

  @Test func malformedParametersAreLeftAloneWithARemark() throws {
    let cases: [(Graph, String)] = [
      (replacing("var", with: Const("var", floats: [1, 2, 3, 4], shape: [2, 2])), "shape [2, 2]"),
      (replacing("mean", with: Const("mean", floats: [1, 2, 3], shape: [3])), "has 2 values but its mean has 3"),
      (replacing("beta", with: Const("beta", int32s: [1, 2], shape: [2])), "int32"),
      (replacing("var", with: Const("var", floats: [-1, 1], shape: [2])), "not finite"),
      (replacing("gamma", with: Const("gamma", floats: [.nan, 1], shape: [2])), "not finite"),
      (
        replacing("mean", with: Const("mean", floats: [1, 2, 3], shape: [3]), everywhere: true),
        "it has 3 channels, but 'conv' has 2"
      ),
    ]
    for (graph, reason) in cases {
      let (result, diagnostics) = try fold(graph)
      #expect(result == graph)
      let remark = remarks(diagnostics, "output").first ?? ""
      #expect(remark.contains(reason), "\(remark)")
    }
  }

  /// The fused test graph with node `name` replaced; with `everywhere`, all four
  /// parameters get that node's length.
  func replacing(_ name: String, with node: Node, everywhere: Bool = false) -> Graph {
    var graph = convolutionGraph(fused(input: "conv"))
    if everywhere {
      for role in ["mean", "var", "beta", "gamma"] {
        graph.nodes[graph.nodes.firstIndex { $0.name == role } ?? 0] = Const(role, floats: [1, 2, 3], shape: [3])
      }
      return graph
    }
    graph.nodes[graph.nodes.firstIndex { $0.name == name } ?? 0] = node
    return graph
  }

  @Test func missingOrWrongAttributesAreLeftAlone() throws {
    let withoutEpsilon = Op(
      "BatchNormWithGlobalNormalization", "output", inputs: "conv", "mean", "var", "beta", "gamma",
      attrs: ["T": Self.float, "scale_after_normalization": .b(false)])
    var halfPrecision = fused(input: "conv")
    halfPrecision.attrs["T"] = .type(.half)
    var oddFormat = fused(input: "conv")
    oddFormat.attrs["data_format"] = .string("NCDHW")
    var stringTraining = fused(input: "conv")
    stringTraining.attrs["is_training"] = .string("false")
    for batchNorm in [withoutEpsilon, halfPrecision, oddFormat, stringTraining] {
      let graph = convolutionGraph(batchNorm)
      let (result, diagnostics) = try fold(graph)
      #expect(result == graph)
      #expect(remarks(diagnostics, "output").count == 1)
    }
  }

  @Test func oddWeightsAndShapesAreLeftAlone() throws {
    let intWeights = Graph {
      Placeholder("input")
      Const("weights", int32s: [1, 2, 3, 4], shape: [1, 1, 2, 2])
      conv("Conv2D", "conv", "input", "weights")
      parameters()
      fused(input: "conv")
    }
    let vectorWeights = convolutionGraph(fused(input: "conv"), weights: [1, 2], weightsShape: [2])
    let hugeWeights = convolutionGraph(fused(input: "conv"), weights: [3e38, 1, 1, 1, 1, 1, 1, 1])
    var tinyVariance = hugeWeights
    tinyVariance.nodes[tinyVariance.nodes.firstIndex { $0.name == "var" } ?? 0] = Const(
      "var", floats: [0, 0], shape: [2])
    for graph in [intWeights, vectorWeights, tinyVariance] {
      let (result, diagnostics) = try fold(graph)
      #expect(result == graph)
      #expect(remarks(diagnostics, "output").count == 1)
    }
  }

  @Test func unrelatedBatchNormsAreReportedAndGraphsWithoutThemUntouched() throws {
    let graph = Graph {
      Placeholder("input", shape: [1, 1, 6, 2])
      Op("Relu", "relu", inputs: "input", attrs: ["T": Self.float])
      parameters()
      fused(input: "relu")
    }
    let (result, diagnostics) = try fold(graph)
    #expect(result == graph)
    #expect(remarks(diagnostics, "output").first?.hasPrefix("not folded: its input 'relu' is a Relu") == true)
    let plain = Graph { Placeholder("x") }
    let (untouched, none) = try fold(plain)
    #expect(untouched == plain && none.isEmpty)
  }

  @Test func danglingAndCyclicGraphsDoNotCrash() throws {
    let transform = try FoldOldBatchNorms(arguments: TransformArguments(transform: "fold_old_batch_norms"))
    var dangling = convolutionGraph(fused(input: "conv"))
    dangling.nodes.removeAll { $0.name == "mean" }
    #expect(try transform.apply(to: dangling, in: TransformContext(inputs: [], outputs: [])) == dangling)
    var cyclic = convolutionGraph(fused(input: "conv"))
    cyclic.nodes[cyclic.nodes.firstIndex { $0.name == "input" } ?? 0] = Op("Identity", "input", inputs: "output")
    let context = TransformContext(inputs: [], outputs: [])
    #expect(try transform.apply(to: cyclic, in: context) == cyclic)
    #expect(remarks(context.diagnostics, "output").first?.contains("cycle") == true)
    var duplicated = convolutionGraph(fused(input: "conv"))
    duplicated.nodes.append(Placeholder("input"))
    #expect(try transform.apply(to: duplicated, in: TransformContext(inputs: [], outputs: [])) == duplicated)
  }
}

/// A float32 evaluator for the handful of ops these tests use: Conv2D and
/// DepthwiseConv2dNative (VALID, stride 1, NHWC or NCHW), MatMul, BiasAdd, the batch norms
/// in inference mode, ConcatV2, BatchToSpaceND (NHWC, 2-D blocks), Add, AddN and Relu.
struct Reference {
  /// A dense float tensor.
  struct Value: Equatable {
    var shape: [Int]
    var values: [Float]
  }

  struct Unsupported: Error {
    var op: String
  }

  let graph: Graph
  let feeds: [String: Value]

  init(_ graph: Graph, feeds: [String: Value]) {
    self.graph = graph
    self.feeds = feeds
  }

  func value(of name: String) throws -> Value {
    if let fed = feeds[name] { return fed }
    let node = try #require(graph[name])
    let inputs = try node.dataInputs.map { try value(of: $0.node) }
    func flag(_ attr: String) -> Bool {
      if case .b(true)? = node.attrs[attr] { return true }
      return false
    }
    let nchw = node.attrs["data_format"]?.stringValue == "NCHW"
    switch node.op {
    case "Const":
      let dense = try DenseTensor(node.tensorAttr("value"))
      if let floats = dense.values(as: Float.self) { return Value(shape: dense.shape, values: floats) }
      return Value(shape: dense.shape, values: try dense.indices("const").map { Float($0) })
    case "Conv2D", "DepthwiseConv2dNative":
      let input = nchw ? transpose(inputs[0], [0, 2, 3, 1]) : inputs[0]
      let output = convolve(input, inputs[1], depthwise: node.op != "Conv2D")
      return nchw ? transpose(output, [0, 3, 1, 2]) : output
    case "MatMul":
      let (a, b) = (inputs[0], flag("transpose_b") ? transpose(inputs[1], [1, 0]) : inputs[1])
      let (rows, inner, columns) = (a.shape[0], a.shape[1], b.shape[1])
      var out = [Float](repeating: 0, count: rows * columns)
      for r in 0..<rows {
        for c in 0..<columns {
          for k in 0..<inner { out[r * columns + c] += a.values[r * inner + k] * b.values[k * columns + c] }
        }
      }
      return Value(shape: [rows, columns], values: out)
    case "BiasAdd":
      return perChannel(inputs[0], axis: nchw ? 1 : inputs[0].shape.count - 1) { $0 + inputs[1].values[$1] }
    case "BatchNormWithGlobalNormalization", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3":
      let fused = node.op != "BatchNormWithGlobalNormalization"
      let (mean, variance) = fused ? (inputs[3], inputs[4]) : (inputs[1], inputs[2])
      let (beta, gamma) = fused ? (inputs[2], inputs[1]) : (inputs[3], inputs[4])
      let epsilon: Float = if case .f(let e)? = node.attrs[fused ? "epsilon" : "variance_epsilon"] { e } else { 0 }
      let scaled = fused || flag("scale_after_normalization")
      return perChannel(inputs[0], axis: nchw ? 1 : inputs[0].shape.count - 1) { x, c in
        let normalised = (x - mean.values[c]) / (variance.values[c] + epsilon).squareRoot()
        return (scaled ? normalised * gamma.values[c] : normalised) + beta.values[c]
      }
    case "ConcatV2":
      let rank = inputs[0].shape.count
      let axis = (Int(inputs[2].values[0]) + rank) % rank
      let outer = inputs[0].shape[..<axis].reduce(1, *)
      var shape = inputs[0].shape
      shape[axis] = inputs[0].shape[axis] + inputs[1].shape[axis]
      var out: [Float] = []
      for o in 0..<outer {
        for part in inputs[0...1] {
          let chunk = part.values.count / outer
          out += part.values[(o * chunk)..<((o + 1) * chunk)]
        }
      }
      return Value(shape: shape, values: out)
    case "BatchToSpaceND":
      return batchToSpace(inputs[0], block: inputs[1].values.map { Int($0) }, crops: inputs[2].values.map { Int($0) })
    case "Add": return Value(shape: inputs[0].shape, values: zip(inputs[0].values, inputs[1].values).map { $0 + $1 })
    case "AddN":
      return Value(
        shape: inputs[0].shape,
        values: inputs.dropFirst().reduce(inputs[0].values) { sum, next in zip(sum, next.values).map { $0 + $1 } })
    case "Relu": return Value(shape: inputs[0].shape, values: inputs[0].values.map { max(0, $0) })
    default: throw Unsupported(op: node.op)
    }
  }

  func strides(_ shape: [Int]) -> [Int] {
    var result = [Int](repeating: 1, count: shape.count)
    for axis in shape.indices.dropLast().reversed() { result[axis] = result[axis + 1] * shape[axis + 1] }
    return result
  }

  func transpose(_ value: Value, _ permutation: [Int]) -> Value {
    let shape = permutation.map { value.shape[$0] }
    let inStrides = strides(value.shape)
    let outStrides = strides(shape)
    var out = [Float](repeating: 0, count: value.values.count)
    for flat in out.indices {
      var source = 0
      for (axis, from) in permutation.enumerated() {
        source += (flat / outStrides[axis] % shape[axis]) * inStrides[from]
      }
      out[flat] = value.values[source]
    }
    return Value(shape: shape, values: out)
  }

  func perChannel(_ value: Value, axis: Int, _ body: (Float, Int) -> Float) -> Value {
    let stride = strides(value.shape)[axis]
    return Value(
      shape: value.shape,
      values: value.values.enumerated().map { body($1, $0 / stride % value.shape[axis]) })
  }

  /// NHWC input, HWIO (or HW·in·multiplier) filter, VALID, stride 1.
  func convolve(_ x: Value, _ w: Value, depthwise: Bool) -> Value {
    let (n, h, wd, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (fh, fw, last) = (w.shape[0], w.shape[1], w.shape[3])
    let cout = depthwise ? cin * last : last
    let (oh, ow) = (h - fh + 1, wd - fw + 1)
    var out = [Float](repeating: 0, count: n * oh * ow * cout)
    for b in 0..<n {
      for y in 0..<oh {
        for x0 in 0..<ow {
          for co in 0..<cout {
            var sum: Float = 0
            for ky in 0..<fh {
              for kx in 0..<fw {
                let base = ((b * h + y + ky) * wd + x0 + kx) * cin
                if depthwise {
                  sum += x.values[base + co / last] * w.values[((ky * fw + kx) * cin + co / last) * last + co % last]
                } else {
                  for ci in 0..<cin { sum += x.values[base + ci] * w.values[((ky * fw + kx) * cin + ci) * cout + co] }
                }
              }
            }
            out[((b * oh + y) * ow + x0) * cout + co] = sum
          }
        }
      }
    }
    return Value(shape: [n, oh, ow, cout], values: out)
  }

  /// TensorFlow's BatchToSpaceND for NHWC input and a 2-D block.
  func batchToSpace(_ x: Value, block: [Int], crops: [Int]) -> Value {
    let (bh, bw) = (block[0], block[1])
    let (batch, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let n = batch / (bh * bw)
    let (oh, ow) = (h * bh - crops[0] - crops[1], w * bw - crops[2] - crops[3])
    var out = [Float](repeating: 0, count: n * oh * ow * c)
    for b in 0..<n {
      for y in 0..<oh {
        for x0 in 0..<ow {
          let (fy, fx) = (y + crops[0], x0 + crops[2])
          let source = ((fy % bh) * bw + fx % bw) * n + b
          for ch in 0..<c {
            out[((b * oh + y) * ow + x0) * c + ch] = x.values[((source * h + fy / bh) * w + fx / bw) * c + ch]
          }
        }
      }
    }
    return Value(shape: [n, oh, ow, c], values: out)
  }
}

/// Keras 2: Conv2D → BiasAdd → FusedBatchNormV3, which TensorFlow does not fold.
struct FoldOldBatchNormsAfterBiasAddTests {
  @Test func aBatchNormAfterABiasAddFoldsTheBiasIntoTheOffset() throws {
    let floatAttr: AttrMap = ["T": .type(.float)]
    var bn = Op(
      "FusedBatchNormV3", "bn", inputs: "bias_add", "gamma", "beta", "mean", "var",
      attrs: ["T": .type(.float), "U": .type(.float), "epsilon": .f(0.001), "is_training": .b(false)])
    bn.inputs.append(.control("init"))
    let graph = Graph {
      Placeholder("x", shape: [1, 1, 1, 2])
      Const("w", floats: [1, 2, 3, 4], shape: [1, 1, 2, 2])
      Op(
        "Conv2D", "conv", inputs: "x", "w",
        attrs: ["T": .type(.float), "strides": .list(AttrList(i: [1, 1, 1, 1])), "padding": .string("VALID")])
      Const("b", floats: [0.5, -1], shape: [2])
      Op("BiasAdd", "bias_add", inputs: "conv", "b", attrs: floatAttr)
      Const("gamma", floats: [2, 3], shape: [2])
      Const("beta", floats: [0.25, 0.75], shape: [2])
      Const("mean", floats: [1, -2], shape: [2])
      Const("var", floats: [4, 9], shape: [2])
      Op("NoOp", "init")
      bn
      Op("Relu", "out", inputs: "bn", attrs: floatAttr)
    }
    let result = try runTransforms("fold_old_batch_norms", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result["bn"]?.op == "BiasAdd")
    #expect(result["bn"]?.inputs.map(\.description) == ["conv", "conv_bn_offset", "^init"])
    #expect(result["bias_add"] == nil && result["b"] == nil && result["mean"] == nil)
    let scale = zip([Float(2), 3], [Float(4), 9]).map { $0 / ($1 + 0.001).squareRoot() }
    let w = try DenseTensor(#require(result["w"]).tensorAttr("value")).values(as: Float.self)
    #expect(w == [1 * scale[0], 2 * scale[1], 3 * scale[0], 4 * scale[1]])
    let offset = try DenseTensor(#require(result["conv_bn_offset"]).tensorAttr("value")).values(as: Float.self)
    let expected = (0..<2).map { i in
      [Float(0.5), -1][i] * scale[i] + ([Float(0.25), 0.75][i] - [Float(1), -2][i] * scale[i])
    }
    #expect(zip(offset ?? [], expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
  }
}
