// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import Testing

@testable import GraphTransforms

struct PruneWeightsTests {
  static func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
  }

  /// A frozen-TF2-style graph: weights reach the ops through Identity.
  static func graph(weights: [Float]) -> Graph {
    Graph {
      Placeholder("x", shape: [1, 8, 8, 16])
      Const("conv/kernel", floats: weights, shape: [4, 4, 16, Int64(weights.count / 256)])
      Op("Identity", "conv/kernel/read", inputs: "conv/kernel")
      Op("Conv2D", "conv", inputs: "x", "conv/kernel/read")
      Const("conv/bias", floats: randomValues(2048, seed: 99), shape: [2048])
      Op("BiasAdd", "conv/out", inputs: "conv", "conv/bias")
    }
  }

  @Test func zeroesTheSmallestMagnitudes() throws {
    let weights = Self.randomValues(4096, seed: 1)
    let run = try runTransforms("prune_weights(sparsity=0.75)", on: Self.graph(weights: weights), outputs: ["conv/out"])
    let pruned = try run.graph.floats("conv/kernel")
    #expect(pruned.count { $0 == 0 } == 3072)
    let largestZeroed = zip(weights, pruned).filter { $1 == 0 }.map { abs($0.0) }.max() ?? 0
    let smallestKept = zip(weights, pruned).filter { $1 != 0 }.map { abs($0.0) }.min() ?? 0
    #expect(largestZeroed <= smallestKept)
    // Kept values are untouched; the bias is not a weight.
    #expect(zip(weights, pruned).allSatisfy { $1 == 0 || $0 == $1 })
    #expect(run.graph["conv/bias"] == Self.graph(weights: weights)["conv/bias"])
    #expect(run.graph["conv/kernel/read"] == Self.graph(weights: weights)["conv/kernel/read"])
    #expect(
      run.diagnostics.map(\.message) == [
        "sparsity 75.0% over 1 weight tensors (3072 of 4096 values zero, 0.0% before); changed 1"
      ])
  }

  @Test func theDefaultSparsityIsOneHalfAndRoundsLikeKeras() throws {
    // Keras keeps round(n · (1 − sparsity)) values: 513 of 1025 here.
    let graph = Graph {
      Placeholder("x", shape: [1, 1025])
      Const("w", floats: Self.randomValues(1025, seed: 2), shape: [1025, 1])
      Op("MatMul", "y", inputs: "x", "w")
    }
    let pruned = try runTransforms("prune_weights", on: graph).graph.floats("w")
    #expect(pruned.count { $0 == 0 } == 512)
  }

  @Test(arguments: [
    ("Conv2D", 1), ("DepthwiseConv2dNative", 1), ("MatMul", 0), ("MatMul", 1), ("BatchMatMulV2", 1),
    ("Conv2DBackpropInput", 1), ("_FusedConv2D", 1), ("Einsum", 1),
  ])
  func prunesEveryWeightInput(_ op: String, _ slot: Int) throws {
    let inputs = slot == 0 ? ["w", "x"] : ["x", "w"]
    let graph = Graph {
      Placeholder("x")
      Const("w", floats: Self.randomValues(1024, seed: 3), shape: [1024])
      Node(name: "op", op: op, inputs: inputs.map(InputRef.init(parsing:)))
    }
    let pruned = try runTransforms("prune_weights", on: graph).graph.floats("w")
    #expect(pruned.count { $0 == 0 } == 512)
  }

  @Test func leavesDataInputsSharedConstsSmallOnesAndQuantizedOnesAlone() throws {
    let values = Self.randomValues(2048, seed: 4)
    let graph = Graph {
      Placeholder("x")
      // The data operand of a convolution is not a weight.
      Const("image", floats: values, shape: [2048])
      Op("Conv2D", "conv", inputs: "image", "x")
      // A weight that also feeds an Add.
      Const("shared", floats: values, shape: [2048])
      Op("Identity", "shared/read", inputs: "shared")
      Op("MatMul", "mm", inputs: "x", "shared/read")
      Op("Add", "add", inputs: "shared", "x")
      // Too small.
      Const("small", floats: Array(values.prefix(100)), shape: [100])
      Op("MatMul", "mm2", inputs: "x", "small")
      // Already quantized.
      Op("Dequantize", "deq", inputs: "x", "x", "x")
      Op("MatMul", "mm3", inputs: "x", "deq")
    }
    let run = try runTransforms("prune_weights(sparsity=0.9)", on: graph)
    #expect(run.graph == graph)
    #expect(
      run.diagnostics.map(\.message) == [
        "found no weight tensors to prune; left 1 with fewer than 1024 elements; left 1 that also feed other ops; "
          + "left 1 already quantized (prune before quantize_weights)"
      ])
  }

  @Test func tiesAreBrokenByPositionAndExistingZerosCount() throws {
    // 1000 values of magnitude 0.5, 24 of 2, 24 zeros: pruning 512 takes the zeros and the
    // first 488 halves.
    var values = [Float](repeating: 0.5, count: 1000) + [Float](repeating: 2, count: 24)
    values += [Float](repeating: 0, count: 24)
    for index in stride(from: 1, to: 1000, by: 2) { values[index] = -0.5 }
    let graph = Graph {
      Placeholder("x")
      Const("w", floats: values, shape: [1048])
      Op("MatMul", "y", inputs: "x", "w")
    }
    let pruned = try runTransforms("prune_weights(sparsity=0.5)", on: graph).graph.floats("w")
    #expect(pruned.count { $0 == 0 } == 524)
    #expect(pruned[..<500].allSatisfy { $0 == 0 })
    #expect(pruned[500..<1000].allSatisfy { abs($0) == 0.5 })
    #expect(pruned[1000..<1024].allSatisfy { $0 == 2 })
  }

  @Test func alreadySparseTensorsAreLeftAsTheyAre() throws {
    var values = Self.randomValues(2000, seed: 5)
    for index in 0..<1400 { values[index] = 0 }
    let graph = Graph {
      Placeholder("x")
      Const("w", floats: values, shape: [2000])
      Op("MatMul", "y", inputs: "x", "w")
    }
    let run = try runTransforms("prune_weights(sparsity=0.5)", on: graph)
    #expect(run.graph == graph)
    #expect(run.diagnostics.first?.message.hasPrefix("sparsity 70.0% over 1 weight tensors") == true)
  }

  @Test func nanIsPrunedLast() throws {
    var values = Self.randomValues(1024, seed: 6)
    values[7] = .nan
    let graph = Graph {
      Placeholder("x")
      Const("w", floats: values, shape: [1024])
      Op("MatMul", "y", inputs: "x", "w")
    }
    let pruned = try runTransforms("prune_weights(sparsity=0.99)", on: graph).graph.floats("w")
    #expect(pruned[7].isNaN)
    #expect(pruned.count { $0 == 0 } == 1014)
  }

  @Test func composesWithQuantizeWeightsAndTheZerosStayExact() throws {
    let weights = Self.randomValues(8192, seed: 7)
    let graph = Self.graph(weights: weights)
    let run = try runTransforms("prune_weights(sparsity=0.8) quantize_weights", on: graph, outputs: ["conv/out"])
    #expect(run.graph["conv/kernel"]?.op == "Dequantize")
    let restored = try run.graph.dequantized("conv/kernel")
    let zeros = restored.count { $0 == 0 }
    #expect(zeros >= 6554 && zeros <= 6600)
    #expect(run.diagnostics.contains { $0.transform == "prune_weights" && $0.message.hasPrefix("sparsity 80.0%") })
  }

  @Test(arguments: ["prune_weights(sparsity=1)", "prune_weights(sparsity=-0.1)", "prune_weights(sparsity=1.5)"])
  func sparsityMustBeAFraction(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) { try runTransforms(spec, on: Graph()) }
    #expect(error.message.hasPrefix("prune_weights: parameter 'sparsity' must be at least 0 and below 1"))
  }

  @Test func minimumSizeMustNotBeNegative() throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms("prune_weights(minimum_size=-1)", on: Graph())
    }
    #expect(error.message == "prune_weights: parameter 'minimum_size' must not be negative, found -1")
  }

  /// A weight reaches its op through an `Identity` chain as long as the graph: the walk
  /// that follows it must not recurse once per link (it overflowed the stack at 100,000).
  @Test(arguments: [false, true])
  func followsIdentityChainsOfAnyLength(alsoFeedsAnAdd: Bool) throws {
    let length = 100_000
    var nodes = [
      Node(name: "x", op: "Placeholder", attrs: ["dtype": .type(.float)]),
      Node(
        name: "w", op: "Const",
        attrs: ["dtype": .type(.float), "value": .tensor(.floats(Self.randomValues(1024, seed: 10), shape: [1024]))]),
    ]
    for index in 0..<length {
      let source = index == 0 ? "w" : "w/read\(index - 1)"
      nodes.append(Node(name: "w/read\(index)", op: "Identity", inputs: [.data(source)], attrs: ["T": .type(.float)]))
    }
    let last = "w/read\(length - 1)"
    nodes.append(Node(name: "y", op: "MatMul", inputs: [.data("x"), .data(last)], attrs: ["T": .type(.float)]))
    if alsoFeedsAnAdd {
      nodes.append(Node(name: "z", op: "Add", inputs: [.data("x"), .data(last)], attrs: ["T": .type(.float)]))
    }
    let graph = Graph(nodes: nodes)
    let pipeline = try TransformPipeline(parsing: "prune_weights")
    let pruned = try pipeline.run(on: graph, context: TransformContext(inputs: [], outputs: []))
    #expect(try pruned.floats("w").count { $0 == 0 } == (alsoFeedsAnAdd ? 0 : 512))
  }

  @Test func sparsityZeroChangesNothing() throws {
    let graph = Self.graph(weights: Self.randomValues(4096, seed: 9))
    #expect(try runTransforms("prune_weights(sparsity=0)", on: graph).graph == graph)
  }
}
