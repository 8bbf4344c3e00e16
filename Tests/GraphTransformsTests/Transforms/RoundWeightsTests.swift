// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import Testing

@testable import GraphTransforms

struct RoundWeightsTests {
  // MARK: TensorFlow's test (round_weights_test.cc).

  @Test func roundsTheWeightsAndKeepsThemFloat() throws {
    let graph = QuantizeWeightsTests.convGraph(input: QuantizeWeightsTests.inputValues, inputShape: [1, 1, 6, 2])
    let result = try runTransforms("round_weights", on: graph, outputs: ["output"]).graph
    // input_op has 12 elements, below the fixed 16.
    #expect(result["input_op"] == graph["input_op"])
    let weights = try #require(result["weights_op"])
    #expect(weights.op == "Const")
    #expect(weights.attrs["dtype"] == .type(.float))
    let original = QuantizeWeightsTests.conv(QuantizeWeightsTests.inputValues, QuantizeWeightsTests.weightValues)
    let rounded = QuantizeWeightsTests.conv(QuantizeWeightsTests.inputValues, try result.floats("weights_op"))
    for (a, b) in zip(original, rounded) { #expect(abs(a - b) <= 0.5) }
  }

  // MARK: Exact agreement with TensorFlow (fixtures made by TensorFlow 2.21).

  /// Ours equals TensorFlow's bit for bit, the maximum included, except for the one
  /// documented deviation that touches ordinary tensors: exact zeros (TensorFlow: moved to
  /// their level's centre).
  @Test(arguments: [
    ("round_weights", "weights.round_weights"), ("round_weights(num_steps=7)", "weights.round_weights_7"),
  ])
  func sameValuesAsTensorFlowOnOrdinaryTensors(_ spec: String, _ fixture: String) throws {
    let source = try weightFixture("weights")
    let reference = try weightFixture(fixture)
    let result = try runTransforms(spec, on: source).graph
    #expect(result.nodeNames == reference.nodeNames)
    var compared = 0
    for name in QuantizeWeightsTests.ordinaryNames {
      let values = try source.floats(name)
      let theirs = try reference.floats(name)
      let ours = try result.floats(name)
      for index in values.indices where values[index] != 0 {
        #expect(ours[index].bitPattern == theirs[index].bitPattern, "\(name)[\(index)]: \(values[index])")
        compared += 1
      }
    }
    #expect(compared > 1400)
  }

  // MARK: Deviations.

  @Test func allNegativeTensorsAreRoundedOverTheirOwnRange() throws {
    // TF parity: TensorFlow rounds over −4…0 here and gives −3.5, −2.5, −1.5, −0.5.
    // Over −4…−1 the width is 0.75, and the maximum, −1, lands half a level above.
    let values = (0..<16).map { -4 + Float($0) / 5 }
    let result = try runTransforms("round_weights(num_steps=4)", on: Graph { Const("w", floats: values, shape: [16]) })
    let rounded = try result.graph.floats("w")
    #expect(Set(rounded) == [-3.625, -2.875, -2.125, -1.375, -0.625])
    #expect(rounded.last == -0.625)
  }

  @Test func theMaximumLandsHalfALevelAboveTheRange() throws {
    // TF parity: TensorFlow gives 7 → 8.25 for −3…7 in 4 steps (width 2.5).
    let values: [Float] = [-3, 7] + Array(repeating: 1, count: 14)
    let result = try runTransforms("round_weights(num_steps=4)", on: Graph { Const("w", floats: values, shape: [16]) })
    let rounded = try result.graph.floats("w")
    #expect(rounded[0] == -1.75)
    #expect(rounded[2] == 0.75)
    #expect(rounded[1] == 8.25)
  }

  @Test func zerosNaNAndInfinitiesAreKept() throws {
    var values = (0..<32).map { Float($0) / 8 - 2 }
    values[5] = .nan
    values[6] = .infinity
    values[7] = -.infinity
    values[8] = -0.0
    let result = try runTransforms("round_weights", on: Graph { Const("w", floats: values, shape: [32]) })
    let rounded = try result.graph.floats("w")
    #expect(rounded[5].isNaN)
    #expect(rounded[6] == .infinity && rounded[7] == -.infinity)
    #expect(rounded[8].bitPattern == Float(-0.0).bitPattern)
    #expect(rounded[16] == 0)
    let finite = values.filter(\.isFinite)
    let width = ((finite.max() ?? 0) - (finite.min() ?? 0)) / 256
    for (a, b) in zip(values, rounded) where a.isFinite { #expect(abs(a - b) <= width / 2 * 1.001) }
  }

  @Test(arguments: ["degenerate_all_zero", "degenerate_constant_positive", "degenerate_constant_negative"])
  func constantTensorsAreUnchanged(_ name: String) throws {
    // TF parity: TensorFlow moves a constant c to about c + c/512 (an all-zero tensor to
    // 1/512).
    let source = try weightFixture("weights")
    let result = try runTransforms("round_weights", on: source)
    #expect(result.graph[name] == source[name])
    #expect(try weightFixture("weights.round_weights").floats(name) != source.floats(name))
  }

  @Test func degenerateFixturesStayFiniteWhereTheyWere() throws {
    let source = try weightFixture("weights")
    let result = try runTransforms("round_weights", on: source).graph
    for name in QuantizeWeightsTests.fixtureNames {
      let values = try source.floats(name)
      let rounded = try result.floats(name)
      for (a, b) in zip(values, rounded) {
        #expect(a.isFinite == b.isFinite && a.isNaN == b.isNaN, "\(name): \(a) → \(b)")
      }
    }
  }

  // MARK: Form.

  @Test func onlyTheValueChanges() throws {
    // TF parity: TensorFlow rebuilds the node with only dtype and value.
    var constant = Const("w", floats: (0..<16).map { Float($0) * 0.37 }, shape: [4, 4], device: "/cpu:0")
    constant.inputs = [.control("x")]
    constant.attrs["_output_shapes"] = .list(AttrList(shape: [TensorShape([4, 4])]))
    let graph = Graph {
      Placeholder("x")
      constant
    }
    let result = try runTransforms("round_weights", on: graph).graph
    var expected = constant
    expected.attrs["value"] = result["w"]?.attrs["value"]
    #expect(result["w"] == expected)
    guard case .tensor(let tensor)? = result["w"]?.attrs["value"] else {
      Issue.record("no value")
      return
    }
    #expect(tensor.shape == TensorShape([4, 4]) && tensor.content.count == 64)
  }

  @Test func onlyConstsOfAtLeast16FloatsChange() throws {
    let graph = Graph {
      Const("fifteen", floats: (0..<15).map { Float($0) * 0.37 }, shape: [15])
      Const("sixteen", floats: (1...16).map { Float($0) * 0.37 }, shape: [16])
      Const("ints", int32s: Array(0..<64), shape: [64])
    }
    let run = try runTransforms("round_weights(num_steps=3)", on: graph)
    #expect(run.graph["fifteen"] == graph["fifteen"])
    #expect(run.graph["ints"] == graph["ints"])
    // Three levels, and the maximum half a level above them.
    #expect(Set(try run.graph.floats("sixteen")).count == 4)
    #expect(run.diagnostics.map(\.message) == ["rounded 1 float Consts to at most 3 levels each"])
  }

  @Test(arguments: ["round_weights(num_steps=0)", "round_weights(num_steps=-4)", "round_weights(num_steps=8388609)"])
  func numStepsMustBePositive(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) { try runTransforms(spec, on: Graph()) }
    #expect(error.message.hasPrefix("round_weights: parameter 'num_steps' must be between 1 and 8388608"))
  }

  // MARK: Numerics and kernels.

  @Test(arguments: [2, 7, 256, 65536])
  func valuesMoveByAtMostHalfALevel(_ steps: Int) throws {
    var generator = SeededGenerator(seed: UInt64(steps))
    let values = (0..<3001).map { _ in Float.random(in: -0.8...2.3, using: &generator) }
    let result = try runTransforms(
      "round_weights(num_steps=\(steps))", on: Graph { Const("w", floats: values, shape: [3001]) })
    let rounded = try result.graph.floats("w")
    let width = ((values.max() ?? 0) - (values.min() ?? 0)) / Float(steps)
    for (a, b) in zip(values, rounded) { #expect(abs(a - b) <= width / 2 * 1.01 + 1e-6) }
    // `steps` levels, plus the maximum's half a level above the range.
    #expect(Set(rounded).count <= steps + 1)
  }

  @Test func simdKernelMatchesThePlainLoop() {
    var generator = SeededGenerator(seed: 8)
    var values = (0..<1003).map { _ in Float.random(in: -5...3, using: &generator) }
    values[3] = .nan
    values[4] = 0
    values[9] = .infinity
    let bytes = [UInt8](repeating: 0, count: 3) + values.withUnsafeBytes { Array($0) }
    var output = [Float](repeating: 0, count: values.count + 1)
    let minimum: Float = -5
    let width: Float = 8 / 37
    bytes.withUnsafeBytes { raw in
      output.withUnsafeMutableBytes { out in
        FloatKernels.round(
          raw.baseAddress! + 3, 0..<values.count, into: out.baseAddress! + 4, minimum: minimum, width: width,
          steps: 37)
      }
    }
    for (index, value) in values.enumerated() {
      let expected = FloatKernels.roundOne(value, minimum: minimum, width: width, lastBucket: 37)
      #expect(output[index + 1].bitPattern == expected.bitPattern, "\(index): \(value)")
    }
  }
}
