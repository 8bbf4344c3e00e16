// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphEval
import GraphIR
import GraphTestSupport
import Testing

@testable import GraphTransforms

// MARK: Helpers shared with the other weight-transform tests.

/// A fixture made by `Fixtures/make_weight_fixtures.py` with TensorFlow 2.21.
func weightFixture(_ name: String) throws -> Graph {
  let url = try #require(Bundle.module.url(forResource: name, withExtension: "pb", subdirectory: "Fixtures"))
  return try GraphFile.read(path: url.path).graph
}

/// A fixture graph lacks what a test expects.
struct FixtureError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension Graph {
  /// The float values of the `Const` named `name`.
  func floats(_ name: String) throws -> [Float] {
    guard case .tensor(let tensor)? = self[name]?.attrs["value"] else {
      throw FixtureError("no Const named '\(name)'")
    }
    return try tensor.floatValues()
  }

  /// The codes and range behind the `Dequantize` named `name`.
  func quantized(_ name: String) throws -> (codes: [UInt8], range: MinFirstRange) {
    guard let node = self[name], node.op == "Dequantize", node.dataInputs.count == 3 else {
      throw FixtureError("'\(name)' is not a Dequantize with three inputs")
    }
    guard case .tensor(let codes)? = self[node.dataInputs[0].node]?.attrs["value"], codes.dtype == .quint8 else {
      throw FixtureError("'\(name)' does not read a quint8 Const")
    }
    let minimum = try floats(node.dataInputs[1].node)
    let maximum = try floats(node.dataInputs[2].node)
    guard minimum.count == 1, maximum.count == 1 else {
      throw FixtureError("'\(name)' has a non-scalar range")
    }
    return (codes.content.array, MinFirstRange(min: minimum[0], max: maximum[0]))
  }

  /// What TensorFlow's CPU `Dequantize` computes for the node named `name` (see
  /// `MinFirstRange.dequantized`, which `tensorFlowsRuntimeMatchesTheModel` checks); NaN where
  /// TensorFlow's step flushes to zero.
  func dequantized(_ name: String) throws -> [Float] {
    let (codes, range) = try quantized(name)
    return codes.map { range.dequantized($0) ?? .nan }
  }
}

struct QuantizeWeightsTests {
  // MARK: TensorFlow's tests (quantize_weights_test.cc).

  static let inputValues: [Float] = [1, 4, 2, 5, 3, 6, -1, -4, -2, -5, -3, -6]
  static let weightValues: [Float] = Array(
    repeating: [1, 2, 3, 4, 0.1, 0.2, 0.3, 0.4] as [Float], count: 5
  ).flatMap { $0 }

  static func convGraph(input: [Float], inputShape: [Int64]) -> Graph {
    Graph {
      Const("input_op", floats: input, shape: inputShape)
      Const("weights_op", floats: weightValues, shape: [1, 2, 2, 10])
      Op(
        "Conv2D", "output", inputs: "input_op", "weights_op",
        attrs: [
          "T": .type(.float), "strides": .list(AttrList(i: [1, 1, 1, 1])), "padding": .string("VALID"),
        ])
    }
  }

  /// VALID Conv2D of a [1, 1, width, 2] input with a [1, 2, 2, 10] filter, stride 1.
  static func conv(_ input: [Float], _ weights: [Float]) -> [Float] {
    let width = input.count / 2
    var output: [Float] = []
    for x in 0..<(width - 1) {
      for o in 0..<10 {
        var sum: Float = 0
        for k in 0..<2 {
          for c in 0..<2 { sum += input[(x + k) * 2 + c] * weights[(k * 2 + c) * 10 + o] }
        }
        output.append(sum)
      }
    }
    return output
  }

  @Test func quantizesTheWeightsAndKeepsTheSmallInputFloat() throws {
    let graph = Self.convGraph(input: Self.inputValues, inputShape: [1, 1, 6, 2])
    let result = try runTransforms("quantize_weights(minimum_size=16)", on: graph, outputs: ["output"]).graph
    // input_op has 12 elements, below minimum_size.
    #expect(result["input_op"] == graph["input_op"])
    let weights = try #require(result["weights_op"])
    #expect(weights.op == "Dequantize")
    let constant = try #require(result[weights.dataInputs[0].node])
    #expect(constant.op == "Const")
    #expect(constant.attrs["dtype"] == .type(.quint8))
    // TensorFlow compares the convolution's outputs within 0.5.
    let original = Self.conv(Self.inputValues, Self.weightValues)
    let quantized = Self.conv(Self.inputValues, try result.dequantized("weights_op"))
    for (a, b) in zip(original, quantized) { #expect(abs(a - b) <= 0.5) }
  }

  /// The output form (a `Dequantize` without `dtype`, which TensorFlow defaults to float)
  /// runs in the interpreter, and `--verify` measures the error the conv test allows.
  @Test func theOutputRunsInTheInterpreter() throws {
    var graph = Self.convGraph(input: Self.inputValues, inputShape: [1, 1, 6, 2])
    graph.nodes[0] = Placeholder("input_op", shape: [1, 1, 6, 2])
    let result = try runTransforms("quantize_weights(minimum_size=16)", on: graph, outputs: ["output"]).graph
    #expect(result["weights_op"]?.attrs["dtype"] == nil)
    let comparison = try GraphComparison.run(
      original: graph, transformed: result, feeds: [FeedSpec(name: "input_op", dtype: .float, shape: [1, 1, 6, 2])],
      outputs: [.data("output")], runs: 3)
    let output = comparison.outputs[0]
    #expect(output.maxAbsoluteError > 0)
    #expect(output.maxAbsoluteError <= 0.5 * 4 / 6, "random inputs are at most 1 in size, TF's test inputs 6")
    #expect(output.newlyNonFinite == 0)
  }

  @Test func rangesAlwaysIncludeZero() throws {
    let input: [Float] = Array(repeating: [-1, -4, -2, -5] as [Float], count: 4).flatMap { $0 }
    let graph = Self.convGraph(input: input, inputShape: [1, 1, 4, 4])
    let result = try runTransforms("quantize_weights(minimum_size=16)", on: graph, outputs: ["output"]).graph
    // TF parity: TensorFlow's maximum here is 1.2e-38 (its test allows 1e-5); ours is 0.
    #expect(try result.floats("input_op_quantized_min") == [-5])
    #expect(try result.floats("input_op_quantized_max") == [0])
    #expect(try result.floats("weights_op_quantized_min") == [0])
    #expect(try result.floats("weights_op_quantized_max") == [4])
  }

  // MARK: Form: TensorFlow's names, order and attributes.

  @Test func replacesEachConstWithFourNodesInPlace() throws {
    let values = (0..<32).map { Float($0) / 7 - 2 }
    let graph = Graph {
      Placeholder("x", shape: [1, 32])
      Const("a", floats: values, shape: [4, 8])
      Const("small", floats: [1, 2], shape: [2])
      Op("MatMul", "y", inputs: "x", "a")
    }
    let result = try runTransforms("quantize_weights(minimum_size=32)", on: graph, outputs: ["y"]).graph
    #expect(
      result.nodeNames == ["x", "a_quantized_const", "a_quantized_min", "a_quantized_max", "a", "small", "y"])
    let constant = try #require(result["a_quantized_const"])
    #expect(constant.attrs.keys == ["dtype", "value"])
    guard case .tensor(let codes)? = constant.attrs["value"] else {
      Issue.record("no value")
      return
    }
    #expect(codes.dtype == .quint8)
    #expect(codes.shape == TensorShape([4, 8]))
    #expect(codes.content.count == 32)
    for name in ["a_quantized_min", "a_quantized_max"] {
      guard case .tensor(let scalar)? = result[name]?.attrs["value"] else {
        Issue.record("no value on \(name)")
        continue
      }
      // TensorFlow writes even scalars as tensor_content.
      #expect(scalar.shape == .scalar && scalar.content.count == 4 && scalar.floatVal.isEmpty)
      #expect(result[name]?.attrs["dtype"] == .type(.float))
    }
    let dequantize = try #require(result["a"])
    #expect(dequantize.inputs.map(\.description) == ["a_quantized_const", "a_quantized_min", "a_quantized_max"])
    #expect(dequantize.attrs == ["T": .type(.quint8), "mode": .string("MIN_FIRST")])
    #expect(result["y"] == graph["y"])
  }

  @Test func minimumSizeDefaultsTo1024() throws {
    let graph = Graph {
      Const("under", floats: Array(repeating: 0.5, count: 1023), shape: [1023])
      Const("at", floats: (0..<1024).map { Float($0) }, shape: [1024])
    }
    let result = try runTransforms("quantize_weights", on: graph).graph
    #expect(result.nodeNames == ["under", "at_quantized_const", "at_quantized_min", "at_quantized_max", "at"])
  }

  @Test func aNegativeMinimumSizeQuantizesNothing() throws {
    // TF parity: TensorFlow compares an unsigned count with the int32 size.
    let graph = Graph { Const("w", floats: (0..<64).map { Float($0) }, shape: [64]) }
    #expect(try runTransforms("quantize_weights(minimum_size=-1)", on: graph).graph == graph)
  }

  @Test func leavesOtherTypesAndOpsAlone() throws {
    let graph = Graph {
      Const("ints", int32s: Array(0..<2048), shape: [2048])
      Op("Identity", "id", inputs: "ints")
    }
    #expect(try runTransforms("quantize_weights(minimum_size=1)", on: graph).graph == graph)
  }

  @Test func controlInputsMoveToTheDequantize() throws {
    // TF parity: TensorFlow drops them.
    var constant = Const("w", floats: (0..<16).map { Float($0) }, shape: [16])
    constant.inputs = [.control("switch_t")]
    let graph = Graph {
      Placeholder("switch_t")
      constant
    }
    let result = try runTransforms("quantize_weights(minimum_size=16)", on: graph).graph
    #expect(result["w"]?.inputs.last == .control("switch_t"))
    #expect(result["w_quantized_const"]?.inputs == [])
  }

  @Test(arguments: [
    (Node(name: "c", op: "Const", attrs: ["value": .tensor(.floats([1], shape: [1]))]), "no 'dtype'"),
    (Node(name: "c", op: "Const", attrs: ["dtype": .type(.float)]), "no 'value'"),
    (
      Node(
        name: "c", op: "Const",
        attrs: ["dtype": .type(.float), "value": .tensor(.int32s(Array(0..<20), shape: [20]))]),
      "cannot read"
    ),
  ])
  func malformedConstsAreErrorsNamingTheNode(_ node: Node, _ message: String) throws {
    let error = try #require(throws: PipelineError.self) {
      try runTransforms("quantize_weights(minimum_size=1)", on: Graph(nodes: [node]))
    }
    #expect(error.message.contains("node 'c'"), "\(error)")
    #expect(error.message.contains(message), "\(error)")
  }

  // MARK: Exact agreement with TensorFlow (fixtures made by TensorFlow 2.21).

  static let fixtureNames: [String] = (try? weightFixture("weights").nodeNames) ?? []
  static let ordinaryNames = fixtureNames.filter { $0.hasPrefix("ordinary_") }

  @Test func fixturesAreThere() {
    #expect(Self.ordinaryNames.count == 12)
    #expect(Self.fixtureNames.count == 22)
  }

  @Test func sameNodesInTheSameOrderAsTensorFlow() throws {
    let source = try weightFixture("weights")
    let reference = try weightFixture("weights.quantize_weights")
    let result = try runTransforms("quantize_weights(minimum_size=1)", on: source).graph
    #expect(result.nodeNames == reference.nodeNames)
    #expect(result.nodes.map(\.op) == reference.nodes.map(\.op))
    for (ours, theirs) in zip(result.nodes, reference.nodes) {
      #expect(ours.attrs.keys.sorted() == theirs.attrs.keys.sorted(), "\(ours.name)")
      #expect(ours.inputs == theirs.inputs, "\(ours.name)")
    }
  }

  @Test(arguments: ordinaryNames)
  func sameCodesAndRangeAsTensorFlowOnOrdinaryTensors(_ name: String) throws {
    let source = try weightFixture("weights")
    let reference = try weightFixture("weights.quantize_weights")
    let result = try runTransforms("quantize_weights(minimum_size=1)", on: source).graph
    let ours = try result.quantized(name)
    let theirs = try reference.quantized(name)
    #expect(ours.codes == theirs.codes)
    #expect(ours.range.min.bitPattern == theirs.range.min.bitPattern)
    #expect(ours.range.max.bitPattern == theirs.range.max.bitPattern)
  }

  /// The model of `Dequantize` that the range choices rely on reproduces TensorFlow's
  /// runtime bit for bit, on every fixture tensor where TensorFlow's output is not NaN.
  @Test(arguments: fixtureNames)
  func tensorFlowsRuntimeMatchesTheModel(_ name: String) throws {
    let reference = try weightFixture("weights.quantize_weights")
    let runtime = try weightFixture("weights.tf_dequantized").floats(name)
    let model = try reference.dequantized(name)
    #expect(model.count == runtime.count)
    for (predicted, actual) in zip(model, runtime) {
      #expect(predicted.bitPattern == actual.bitPattern || (predicted.isNaN && actual.isNaN), "\(name)")
    }
  }

  /// TensorFlow's ordinary output already gives 0.0 back exactly (so nudging is only needed
  /// near ties), and so does ours, which is the same.
  @Test func zerosComeBackExactlyInTensorFlowsOutputAndOurs() throws {
    let source = try weightFixture("weights")
    let runtime = try weightFixture("weights.tf_dequantized")
    let reference = try weightFixture("weights.quantize_weights")
    let result = try runTransforms("quantize_weights(minimum_size=1)", on: source).graph
    var zeros = 0
    for name in Self.ordinaryNames {
      let values = try source.floats(name)
      let theirs = try runtime.floats(name)
      let ours = try result.dequantized(name)
      for index in values.indices where values[index] == 0 {
        zeros += 1
        #expect(theirs[index] == 0, "\(name)[\(index)]")
        #expect(ours[index] == 0, "\(name)[\(index)]")
      }
      #expect(try reference.quantized(name).range.keepsZeroExact, "\(name)")
    }
    #expect(zeros > 80)
  }

  @Test func whereTensorFlowsZeroIsOffTheRangeIsNudged() throws {
    // TF parity: a range whose minimum sits half a step from a code; TensorFlow's quantizer
    // and Dequantize round it apart, so its 0.0 comes back as -1.45e-5 (and every value one
    // step low).
    let source = try weightFixture("weights")
    let runtime = try weightFixture("weights.tf_dequantized").floats("degenerate_zero_tie")
    let values = try source.floats("degenerate_zero_tie")
    let result = try runTransforms("quantize_weights(minimum_size=1)", on: source).graph
    let ours = try result.dequantized("degenerate_zero_tie")
    let (_, range) = try result.quantized("degenerate_zero_tie")
    let step = try #require(range.step)
    for index in values.indices {
      if values[index] == 0 {
        #expect(runtime[index] != 0)
        #expect(ours[index] == 0)
      }
      #expect(abs(ours[index] - values[index]) <= step / 2 * 1.001)
    }
    let theirs = try weightFixture("weights.quantize_weights").quantized("degenerate_zero_tie").range
    #expect(range != theirs)
    #expect(abs(range.min - theirs.min) <= 4 * theirs.min.ulp && range.max == theirs.max)
  }

  // MARK: Degenerate tensors: finite, and as exact as eight bits allow.

  @Test(arguments: fixtureNames.filter { $0.hasPrefix("degenerate_") })
  func degenerateTensorsStayFiniteAndClose(_ name: String) throws {
    let source = try weightFixture("weights")
    let values = try source.floats(name)
    let run = try runTransforms("quantize_weights(minimum_size=1)", on: source)
    let ours = try run.graph.dequantized(name)
    let (_, range) = try run.graph.quantized(name)
    let step = try #require(range.step)
    #expect(range.min.isFinite && range.max.isFinite && range.min <= 0 && range.max >= 0)
    let finite = values.filter(\.isFinite)
    for (original, restored) in zip(values, ours) {
      #expect(restored.isFinite, "\(name)")
      if original.isNaN {
        #expect(restored == 0)
      } else if original == .infinity {
        #expect(restored >= (finite.max() ?? 0) - step)
      } else if original == -.infinity {
        #expect(restored <= (finite.min() ?? 0) + step)
      } else {
        #expect(abs(restored - original) <= step / 2 * 1.001, "\(name): \(original) → \(restored)")
      }
    }
    // Constants, one-element tensors and zeros come back exactly.
    if Set(finite).count == 1 {
      #expect(zip(values, ours).allSatisfy { !$0.isFinite || $0 == $1 }, "\(name): \(ours.prefix(3))")
    }
    let warned = run.diagnostics.contains { $0.severity == .warning && $0.node == name }
    #expect(warned == values.contains { !$0.isFinite })
  }

  @Test func allZeroGetsTheRangeZeroToOne() throws {
    let graph = Graph { Const("zeros", floats: Array(repeating: 0, count: 2048), shape: [2048]) }
    let result = try runTransforms("quantize_weights", on: graph).graph
    let (codes, range) = try result.quantized("zeros")
    #expect(range == MinFirstRange(min: 0, max: 1))
    #expect(codes.allSatisfy { $0 == 0 })
    #expect(try result.dequantized("zeros").allSatisfy { $0 == 0 })
  }

  @Test func allNegativeGetsAZeroMaximum() throws {
    let values = (0..<1024).map { -1 - Float($0) / 341 }
    let result = try runTransforms("quantize_weights", on: Graph { Const("w", floats: values, shape: [1024]) }).graph
    let (_, range) = try result.quantized("w")
    #expect(range.max == 0 && range.min == values.min())
    #expect(try result.dequantized("w").last == values.last)
  }

  @Test func constantsComeBackExactly() throws {
    // Every value whose TensorFlow range misses it, among 5,000 random ones, and a few more.
    var generator = SeededGenerator(seed: 3)
    var constants: [Float] = [0.3, -2.5, 1e-30, -3e30, 7, Float.leastNormalMagnitude * 300]
    for _ in 0..<5_000 {
      let value = Float(pow(10, Double.random(in: -8...8, using: &generator)))
      let signed = Bool.random(using: &generator) ? value : -value
      let base = MinFirstRange.tensorFlowRange(lowest: signed, highest: signed)
      if !base.reproduces(signed) { constants.append(signed) }
    }
    #expect(constants.count > 10)
    for value in constants {
      let range = try #require(MinFirstRange.range(for: FloatKernels.Scan(minimum: value, maximum: value)))
      #expect(range.reproduces(value), "\(value)")
      #expect(range.keepsZeroExact, "\(value)")
    }
  }

  @Test func nearTiesAreNudgedUntilZeroIsExact() throws {
    // Minimums on half-steps of every code, as in the fixture's degenerate_zero_tie.
    var nudged = 0
    var generator = SeededGenerator(seed: 9)
    for code in 1..<255 {
      for _ in 0..<8 {
        let maximum = Float(pow(10, Double.random(in: -4...2, using: &generator)))
        let half = Double(code) + 0.5
        let minimum = Float(-half * Double(maximum) / (255 - half))
        let scan = FloatKernels.Scan(minimum: minimum, maximum: maximum)
        let range = try #require(MinFirstRange.range(for: scan))
        #expect(range.keepsZeroExact, "\(minimum)…\(maximum)")
        #expect(range.min <= minimum && range.max >= maximum)
        if range != MinFirstRange.tensorFlowRange(lowest: minimum, highest: maximum) { nudged += 1 }
      }
    }
    #expect(nudged > 100)
  }

  @Test func spansBeyondTheFloatRangeAreLeftAloneWithAWarning() throws {
    let huge: [Float] = [-3e38, 3e38] + Array(repeating: 1, count: 30)
    let graph = Graph { Const("huge", floats: huge, shape: [32]) }
    let run = try runTransforms("quantize_weights(minimum_size=1)", on: graph)
    #expect(run.graph == graph)
    #expect(run.diagnostics.contains { $0.severity == .warning && $0.node == "huge" })
  }

  // MARK: Numerics.

  @Test func randomTensorsComeBackWithinHalfAStep() throws {
    var generator = SeededGenerator(seed: 1)
    for trial in 0..<20 {
      let scale = Float(pow(10, Double.random(in: -4...2, using: &generator)))
      let offset = Float.random(in: -1...1, using: &generator) * scale
      let count = 1024 + trial * 37
      let values = (0..<count).map { _ in offset + scale * Float.random(in: -1...1, using: &generator) }
      let graph = Graph { Const("w", floats: values, shape: [Int64(count)]) }
      let result = try runTransforms("quantize_weights", on: graph).graph
      let restored = try result.dequantized("w")
      let step = try #require(try result.quantized("w").range.step)
      for (a, b) in zip(values, restored) { #expect(abs(a - b) <= step / 2 * 1.001) }
    }
  }

  // MARK: Kernels.

  @Test func simdKernelsMatchThePlainLoops() throws {
    var generator = SeededGenerator(seed: 4)
    // Odd lengths and an unaligned start exercise the tails and unaligned loads.
    var values = (0..<1001).map { _ in Float.random(in: -0.3...0.7, using: &generator) }
    values[10] = 0
    values[11] = -0
    let range = MinFirstRange(min: -0.3, max: 0.7)
    // Products that land on and next to half-integers, for the float path's tie check.
    let rangeScale = range.rangeScale
    for code in -80..<180 {
      var value = Float((Double(code) + 0.5) / rangeScale)
      for _ in 0..<3 {
        values.append(value)
        value = value.nextUp
      }
    }
    let bytes = [UInt8](repeating: 0, count: 1) + values.withUnsafeBytes { Array($0) }
    let expected = values.map { range.code(for: $0) }
    var plain = [UInt8](repeating: 0, count: values.count)
    var finite = [UInt8](repeating: 0, count: values.count)
    bytes.withUnsafeBytes { raw in
      let base = raw.baseAddress! + 1
      plain.withUnsafeMutableBufferPointer { output in
        FloatKernels.quantize(
          base, 0..<values.count, into: output.baseAddress!, rangeScale: rangeScale,
          zeroOffset: range.zeroOffset, nanCode: 0)
      }
      finite.withUnsafeMutableBufferPointer { output in
        FloatKernels.quantizeFinite(
          base, 0..<values.count, into: output.baseAddress!, rangeScale: rangeScale, zeroOffset: range.zeroOffset)
      }
      let scan = FloatKernels.scan(base, 0..<values.count)
      #expect(scan.minimum == values.min() && scan.maximum == values.max())
      #expect(scan.zeros == 2 && scan.nonFinite == 0)
    }
    #expect(plain == expected)
    #expect(finite == expected)
  }
}

/// A small deterministic generator (SplitMix64), so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
