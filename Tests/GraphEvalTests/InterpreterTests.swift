// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR
import GraphTestSupport
import Testing

/// The whole-graph interpreter: dependency order, feeds, dead branches, limits, and the
/// errors it names.
@Suite struct InterpreterTests {
  static let dense = Graph {
    Placeholder("x", shape: [2, 3])
    Const("w", floats: [1, -1, 0.5, 2, 0, -3], shape: [3, 2])
    Const("b", floats: [0.25, -0.5], shape: [2])
    Op("MatMul", "mm", inputs: "x", "w", attrs: ["T": .type(.float)])
    Op("BiasAdd", "bias", inputs: "mm", "b", attrs: ["T": .type(.float)])
    Op("Relu", "relu", inputs: "bias", attrs: ["T": .type(.float)])
    // Not needed for `relu`: its missing kernel must not matter.
    Op("NoSuchOp", "unused", inputs: "relu")
  }

  @Test func runsADenseLayer() throws {
    let x: [Float] = [1, 2, 3, -1, 0.5, 4]
    let output = try Interpreter(graph: Self.dense).run(
      feeds: ["x": DenseTensor(x, shape: [2, 3])], outputs: [.data("relu")])
    let w: [Float] = [1, -1, 0.5, 2, 0, -3]
    let b: [Float] = [0.25, -0.5]
    var expected: [Float] = []
    for row in 0..<2 {
      for column in 0..<2 {
        var sum: Float = 0
        for k in 0..<3 { sum += x[row * 3 + k] * w[k * 2 + column] }
        expected.append(max(sum + b[column], 0))
      }
    }
    #expect(output.count == 1)
    #expect(output[0].shape == [2, 2])
    #expect(output[0].values(as: Float.self) == expected)
  }

  @Test func onlyNeededOpsAreReported() throws {
    let interpreter = Interpreter(graph: Self.dense)
    #expect(try interpreter.unsupportedOps(outputs: [.data("relu")], fed: ["x"]).isEmpty)
    let missing = try interpreter.unsupportedOps(outputs: [.data("unused")], fed: ["x"])
    #expect(missing.map(\.op) == ["NoSuchOp"])
    #expect(missing.first?.nodes == ["unused"])
    #expect(throws: InterpreterError.self) {
      try interpreter.run(
        feeds: ["x": DenseTensor([Float](repeating: 0, count: 6), shape: [2, 3])], outputs: [.data("unused")])
    }
  }

  @Test func unfedPlaceholderIsNamed() throws {
    let error = #expect(throws: InterpreterError.self) {
      try Interpreter(graph: Self.dense).run(feeds: [:], outputs: [.data("relu")])
    }
    #expect(error?.description == "placeholder 'x' needs a value; add it to --inputs")
  }

  @Test func placeholderWithDefaultUsesItsInputUnlessFed() throws {
    let graph = Graph {
      Const("default", floats: [1, 2], shape: [2])
      Op("PlaceholderWithDefault", "p", inputs: "default", attrs: ["dtype": .type(.float)])
      Op("Neg", "out", inputs: "p", attrs: ["T": .type(.float)])
    }
    let interpreter = Interpreter(graph: graph)
    #expect(try interpreter.run(feeds: [:], outputs: [.data("out")])[0].values(as: Float.self) == [-1, -2])
    let fed = try interpreter.run(feeds: ["p": DenseTensor([Float(5), 6], shape: [2])], outputs: [.data("out")])
    #expect(fed[0].values(as: Float.self) == [-5, -6])
  }

  /// `cond` built the TensorFlow 1 way: Switch on a predicate, one op per branch, Merge.
  static func conditional(predicate: Bool) -> Graph {
    Graph {
      Placeholder("x", shape: [2])
      Node(
        name: "pred", op: "Const",
        attrs: ["dtype": .type(.bool), "value": .tensor(DenseTensor([predicate], shape: []).tensor)])
      Op("Switch", "switch", inputs: "x", "pred", attrs: ["T": .type(.float)])
      Op("Neg", "false_branch", inputs: "switch:0", attrs: ["T": .type(.float)])
      Op("Square", "true_branch", inputs: "switch:1", attrs: ["T": .type(.float)])
      Op("Merge", "merge", inputs: "false_branch", "true_branch", attrs: ["T": .type(.float), "N": .i(2)])
    }
  }

  @Test(arguments: [false, true])
  func switchAndMergeFollowThePredicate(_ predicate: Bool) throws {
    let interpreter = Interpreter(graph: Self.conditional(predicate: predicate))
    let x = DenseTensor([Float(3), -2], shape: [2])
    let outputs = try interpreter.run(feeds: ["x": x], outputs: [.data("merge"), .data("merge", port: 1)])
    #expect(outputs[0].values(as: Float.self) == (predicate ? [9, 4] : [-3, 2]))
    #expect(outputs[1].values(as: Int32.self) == [predicate ? 1 : 0])
    let deadBranch = predicate ? "false_branch" : "true_branch"
    let error = #expect(throws: InterpreterError.self) {
      try interpreter.run(feeds: ["x": x], outputs: [.data(deadBranch)])
    }
    #expect(error?.description == "output '\(deadBranch)' is on an untaken Switch branch")
  }

  @Test func cycleIsAnErrorNotAHang() throws {
    let graph = Graph {
      Op("Identity", "a", inputs: "b", attrs: ["T": .type(.float)])
      Op("Identity", "b", inputs: "a", attrs: ["T": .type(.float)])
    }
    let error = #expect(throws: InterpreterError.self) {
      try Interpreter(graph: graph).run(feeds: [:], outputs: [.data("a")])
    }
    #expect(error?.description.hasPrefix("the graph has a cycle through node") == true)
  }

  /// A 100k-node chain runs without deep recursion, and values along it are released.
  @Test func longChainsRun() throws {
    let length = 100_000
    var nodes = [Placeholder("x", shape: [1])]
    for index in 0..<length {
      nodes.append(Op("Identity", "n\(index)", inputs: index == 0 ? "x" : "n\(index - 1)", attrs: ["T": .type(.float)]))
    }
    let output = try Interpreter(graph: Graph(nodes: nodes)).run(
      feeds: ["x": DenseTensor([Float(7)], shape: [1])], outputs: [.data("n\(length - 1)")])
    #expect(output[0].values(as: Float.self) == [7])
  }

  @Test func missingInputAndPortAreNamed() throws {
    let graph = Graph {
      Const("c", 1)
      Op("Neg", "neg", inputs: "ghost", attrs: ["T": .type(.float)])
      Op("Neg", "port", inputs: "c:3", attrs: ["T": .type(.float)])
    }
    let interpreter = Interpreter(graph: graph)
    let missing = #expect(throws: InterpreterError.self) { try interpreter.run(feeds: [:], outputs: [.data("neg")]) }
    #expect(missing?.description == "node 'neg' has input 'ghost', which is not in the graph")
    let port = #expect(throws: InterpreterError.self) { try interpreter.run(feeds: [:], outputs: [.data("port")]) }
    #expect(port?.description == "node 'port' reads 'c:3', which that node does not produce")
  }

  @Test func kernelErrorsNameTheNode() throws {
    let graph = Graph {
      Const("a", floats: [1, 2, 3], shape: [3])
      Const("b", floats: [1, 2], shape: [2])
      Op("Add", "sum", inputs: "a", "b", attrs: ["T": .type(.float)])
    }
    let error = #expect(throws: InterpreterError.self) {
      try Interpreter(graph: graph).run(feeds: [:], outputs: [.data("sum")])
    }
    #expect(error?.description.hasPrefix("node 'sum' (Add): ") == true)
    #expect(error?.isLimitation == false)
  }

  @Test func checkNumericsPassesFiniteValuesAndStopsOnNaN() throws {
    let graph = Graph {
      Placeholder("x", shape: [2])
      Op("Log", "log", inputs: "x", attrs: ["T": .type(.float)])
      Op("CheckNumerics", "check", inputs: "log", attrs: ["T": .type(.float), "message": .s(Array("log".utf8))])
    }
    let interpreter = Interpreter(graph: graph)
    let fine = try interpreter.run(feeds: ["x": DenseTensor([Float(1), 1], shape: [2])], outputs: [.data("check")])
    #expect(fine[0].values(as: Float.self) == [0, 0])
    let error = #expect(throws: InterpreterError.self) {
      try interpreter.run(feeds: ["x": DenseTensor([Float(-1), 1], shape: [2])], outputs: [.data("check")])
    }
    #expect(error?.description == "node 'check' (CheckNumerics): log : Tensor had NaN or Inf values")
  }
}

/// Seeded inputs, feed shapes, and the comparison `--verify` prints.
@Suite struct GraphComparisonTests {
  @Test func randomFeedsAreSeededAndInRange() throws {
    let spec = FeedSpec(name: "x", dtype: .float, shape: [1000])
    var first = RandomFeeds(seed: 7)
    var again = RandomFeeds(seed: 7)
    var other = RandomFeeds(seed: 8)
    let a = try first.tensor(for: spec)
    #expect(a == (try again.tensor(for: spec)))
    #expect(a != (try other.tensor(for: spec)))
    let values = try #require(a.values(as: Float.self))
    #expect(values.allSatisfy { $0 >= -1 && $0 < 1 })
    #expect(values.contains { $0 < -0.9 } && values.contains { $0 > 0.9 })
    var ints = RandomFeeds(seed: 1)
    let ids = try #require(
      try ints.tensor(for: FeedSpec(name: "ids", dtype: .int32, shape: [500])).values(as: Int32.self))
    #expect(ids.allSatisfy { (0..<100).contains($0) })
    var strings = RandomFeeds(seed: 1)
    #expect(throws: VerificationError.self) { try strings.tensor(for: FeedSpec(name: "s", dtype: .string, shape: [1])) }
  }

  @Test func feedShapesComeFromOverridesThenKnownShapesThenPartialOnes() throws {
    let partial = Graph { Placeholder("x", shape: [-1, 4]) }
    let known = Graph { Placeholder("x", shape: [2, 4]) }
    let noShape = Graph { Placeholder("x") }
    #expect(try FeedSpec.resolve(name: "x", in: [partial], override: nil).shape == [1, 4])
    #expect(try FeedSpec.resolve(name: "x", in: [partial, known], override: nil).shape == [2, 4])
    #expect(try FeedSpec.resolve(name: "x", in: [known], override: [3, 4]).shape == [3, 4])
    let unknown = #expect(throws: VerificationError.self) {
      try FeedSpec.resolve(name: "x", in: [noShape], override: nil)
    }
    #expect(unknown?.description == "cannot feed input 'x': its shape is unknown; give it with --input_shapes")
  }

  static func scaled(_ activation: String) -> Graph {
    Graph {
      Placeholder("x", shape: [4, 8])
      Const("ten", 10)
      Op("Mul", "scaled", inputs: "x", "ten", attrs: ["T": .type(.float)])
      Op(activation, "out", inputs: "scaled", attrs: ["T": .type(.float)])
    }
  }

  @Test func identicalGraphsAgreeExactly() throws {
    let graph = Self.scaled("Relu")
    let comparison = try GraphComparison.run(
      original: graph, transformed: graph, feeds: [FeedSpec(name: "x", dtype: .float, shape: [4, 8])],
      outputs: [.data("out")], runs: 3)
    #expect(comparison.outputs.count == 1)
    #expect(comparison.outputs[0].maxAbsoluteError == 0)
    #expect(comparison.passes(tolerance: 0))
  }

  /// Relu6 instead of Relu clips values above 6: inputs scaled to [-10, 10) must show it.
  @Test func aChangedActivationFails() throws {
    let comparison = try GraphComparison.run(
      original: Self.scaled("Relu"), transformed: Self.scaled("Relu6"),
      feeds: [FeedSpec(name: "x", dtype: .float, shape: [4, 8])], outputs: [.data("out")])
    let output = comparison.outputs[0]
    #expect(output.maxAbsoluteError > 1 && output.maxAbsoluteError < 4)
    #expect(output.maxRelativeError > 0.1)
    #expect(!comparison.passes(tolerance: 1e-4))
    #expect(comparison.passes(tolerance: 1))
  }

  /// NaN where the original is finite fails whatever the tolerance.
  @Test func newNaNFailsAtAnyTolerance() throws {
    let comparison = try GraphComparison.run(
      original: Self.scaled("Abs"), transformed: Self.scaled("Sqrt"),
      feeds: [FeedSpec(name: "x", dtype: .float, shape: [4, 8])], outputs: [.data("out")])
    let output = comparison.outputs[0]
    #expect(output.newlyNonFinite > 0)
    #expect(output.newlyNonFinite == output.transformedNonFinite)
    #expect(output.originalNonFinite == 0)
    #expect(!comparison.passes(tolerance: .greatestFiniteMagnitude))
  }

  @Test func shapeChangeIsAMismatch() throws {
    let reshaped = Graph {
      Placeholder("x", shape: [4, 8])
      Const("shape", int32s: [32], shape: [1])
      Op("Reshape", "out", inputs: "x", "shape", attrs: ["T": .type(.float), "Tshape": .type(.int32)])
    }
    let same = Graph {
      Placeholder("x", shape: [4, 8])
      Op("Identity", "out", inputs: "x", attrs: ["T": .type(.float)])
    }
    let comparison = try GraphComparison.run(
      original: same, transformed: reshaped, feeds: [FeedSpec(name: "x", dtype: .float, shape: [4, 8])],
      outputs: [.data("out")])
    #expect(comparison.outputs[0].mismatch == "original is float[4, 8], transformed is float[32]")
    #expect(!comparison.passes(tolerance: 1))
  }

  /// Dropout behind a constant `is_training = false`: its random op never runs.
  @Test func missingKernelOnAnUntakenBranchDoesNotMatter() throws {
    var graph = InterpreterTests.conditional(predicate: false)
    for index in graph.nodes.indices where graph.nodes[index].name == "true_branch" {
      graph.nodes[index].op = "RandomUniformLike"
    }
    let comparison = try GraphComparison.run(
      original: graph, transformed: graph, feeds: [FeedSpec(name: "x", dtype: .float, shape: [2])],
      outputs: [.data("merge")])
    #expect(comparison.passes(tolerance: 0))
    var taken = InterpreterTests.conditional(predicate: true)
    for index in taken.nodes.indices where taken.nodes[index].name == "true_branch" {
      taken.nodes[index].op = "RandomUniformLike"
    }
    let error = #expect(throws: VerificationError.self) {
      try GraphComparison.run(
        original: taken, transformed: taken, feeds: [FeedSpec(name: "x", dtype: .float, shape: [2])],
        outputs: [.data("merge")])
    }
    #expect(error?.description == "the interpreter has no kernel for RandomUniformLike (1 node: 'true_branch')")
  }

  /// A while loop is reported as unsupported, not as a cycle.
  @Test func loopsAreUnsupportedNotCycles() throws {
    let loop = Graph {
      Placeholder("x", shape: [1])
      Op("Enter", "enter", inputs: "x", attrs: ["T": .type(.float)])
      Op("Merge", "merge", inputs: "enter", "next", attrs: ["T": .type(.float), "N": .i(2)])
      Op("Neg", "body", inputs: "merge", attrs: ["T": .type(.float)])
      Op("NextIteration", "next", inputs: "body", attrs: ["T": .type(.float)])
      Op("Exit", "exit", inputs: "merge", attrs: ["T": .type(.float)])
    }
    let error = #expect(throws: VerificationError.self) {
      try GraphComparison.run(
        original: loop, transformed: loop, feeds: [FeedSpec(name: "x", dtype: .float, shape: [1])],
        outputs: [.data("exit")])
    }
    #expect(error?.isLimitation == true)
    #expect(error?.description.hasPrefix("the interpreter has no kernel for Enter (1 node: 'enter'), Exit") == true)
  }

  @Test func unsupportedOpsAreListedForBothGraphs() throws {
    let custom = Graph {
      Placeholder("x", shape: [2])
      Op("MyCustomOp", "out", inputs: "x")
    }
    let error = #expect(throws: VerificationError.self) {
      try GraphComparison.run(
        original: Self.scaled("Relu"), transformed: custom, feeds: [FeedSpec(name: "x", dtype: .float, shape: [2])],
        outputs: [.data("out")])
    }
    #expect(error?.isLimitation == true)
    #expect(error?.description == "the interpreter has no kernel for MyCustomOp (1 node: 'out')")
  }
}
