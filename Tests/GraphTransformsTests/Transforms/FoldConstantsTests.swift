// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

/// Folding on tiny graphs: what is folded, what stays, names, control edges, dead
/// branches, and the size rules.
struct FoldConstantsTests {
  /// The values of Const `name` in `graph`.
  func floats(_ graph: Graph, _ name: String) throws -> [Float] {
    let node = try #require(graph[name], "no node '\(name)'")
    #expect(node.op == "Const", "'\(name)' is a \(node.op)")
    guard case .tensor(let tensor)? = node.attrs["value"] else { return [] }
    return try #require(DenseTensor(tensor).values(as: Float.self))
  }

  // TensorFlow's TestSimpleAdd: the constant half of (a + b) * placeholder folds.
  @Test func constantSubexpressionFoldsAndKeepsItsName() throws {
    let graph = Graph {
      Const("a_expect_removed", floats: [1, 2, 3, 4], shape: [2, 2])
      Const("b_expect_removed", floats: [10, 20, 30, 40], shape: [2, 2])
      Op("Add", "add_expect_remains", inputs: "a_expect_removed", "b_expect_removed", attrs: ["T": .type(.float)])
      Placeholder("placeholder_expect_remains", shape: [2, 2])
      Op(
        "Mul", "output_expect_remains", inputs: "add_expect_remains", "placeholder_expect_remains",
        attrs: ["T": .type(.float)])
    }
    let result = try runTransforms(
      "fold_constants", on: graph, inputs: ["placeholder_expect_remains"], outputs: ["output_expect_remains"]
    ).graph
    #expect(result.nodeNames == ["add_expect_remains", "placeholder_expect_remains", "output_expect_remains"])
    #expect(try floats(result, "add_expect_remains") == [11, 22, 33, 44])
    #expect(
      result["output_expect_remains"]?.inputs.map(\.description) == [
        "add_expect_remains", "placeholder_expect_remains",
      ])
  }

  @Test func chainsFoldThroughShapeOpsAndCasts() throws {
    let graph = Graph {
      Const("shape", int32s: [2, 2], shape: [2])
      Const("four", floats: [1, 2, 3, 4], shape: [4])
      Op("Reshape", "square", inputs: "four", "shape", attrs: ["T": .type(.float), "Tshape": .type(.int32)])
      Op("Transpose", "transposed", inputs: "square", "perm", attrs: ["T": .type(.float), "Tperm": .type(.int32)])
      Const("perm", int32s: [1, 0], shape: [2])
      Placeholder("x", shape: [2, 2])
      Op("MatMul", "out", inputs: "x", "transposed", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result.nodeNames == ["transposed", "x", "out"])
    #expect(try floats(result, "transposed") == [1, 3, 2, 4])
    #expect(try result["transposed"].map { try DenseTensor($0.tensorAttr("value")).shape } == [2, 2])
  }

  @Test func foldedConstKeepsControlInputsAndDevice() throws {
    let graph = Graph {
      Op("NoOp", "init")
      Const("a", 2)
      Op("Neg", "neg", inputs: "a", "^init", attrs: ["T": .type(.float)], device: "/cpu:0")
      Placeholder("x")
      Op("Mul", "out", inputs: "x", "neg", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result["neg"]?.op == "Const")
    #expect(result["neg"]?.inputs.map(\.description) == ["^init"])
    #expect(result["neg"]?.device == "/cpu:0")
    #expect(try floats(result, "neg") == [-2])
    #expect(result.nodeNames == ["init", "neg", "x", "out"])
  }

  @Test func aControlInputFromAVariableNodeBlocksFolding() throws {
    let graph = Graph {
      Placeholder("x")
      Op("Assert", "check", inputs: "x")
      Const("a", 2)
      Op("Neg", "neg", inputs: "a", "^check", attrs: ["T": .type(.float)])
      Op("Mul", "out", inputs: "x", "neg", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result["neg"]?.op == "Neg")
  }

  @Test func opsWithoutAKernelStayAndAreListed() throws {
    let graph = Graph {
      Const("a", 2)
      Op("Erfinv", "odd", inputs: "a", attrs: ["T": .type(.float)])
      Op("Neg", "neg", inputs: "odd", attrs: ["T": .type(.float)])
    }
    let run = try runTransforms("fold_constants", on: graph, outputs: ["neg"])
    #expect(run.graph.nodeNames == ["a", "odd", "neg"])
    #expect(run.graph["neg"]?.op == "Neg")
    #expect(
      run.diagnostics.contains { $0.message.contains("no kernel for op 'Erfinv'") && $0.message.contains("'odd'") })
  }

  @Test func aKernelErrorLeavesTheNodeUnfolded() throws {
    let graph = Graph {
      Const("four", floats: [1, 2, 3, 4], shape: [4])
      Const("shape", int32s: [3], shape: [1])
      Op("Reshape", "bad", inputs: "four", "shape", attrs: ["T": .type(.float), "Tshape": .type(.int32)])
    }
    let run = try runTransforms("fold_constants", on: graph, outputs: ["bad"])
    #expect(run.graph["bad"]?.op == "Reshape")
    #expect(run.diagnostics.contains { $0.message.contains("'bad'") })
  }

  // TensorFlow's TestReplaceSendRecvs: Send/Recv pairs already in the graph stay as they are.
  @Test func originalSendAndRecvNodesStay() throws {
    let graph = Graph {
      Op("_Recv", "original_recv", attrs: ["tensor_type": .type(.float), "tensor_name": .string("x")])
      Const("a", 2)
      Op("Mul", "scaled", inputs: "original_recv", "a", attrs: ["T": .type(.float)])
      Op("_Send", "original_send", inputs: "scaled", attrs: ["T": .type(.float), "tensor_name": .string("y")])
    }
    let result = try runTransforms("fold_constants", on: graph, outputs: ["original_send"]).graph
    #expect(result.nodeNames == ["original_recv", "a", "scaled", "original_send"])
    #expect(result["scaled"]?.inputs.map(\.description) == ["original_recv", "a"])
  }

  /// A hostile graph asking for a 10^18-element constant gets a remark, not an allocation.
  @Test func hugeResultsAreRefusedBeforeAllocating() throws {
    let graph = Graph {
      Node(
        name: "dims", op: "Const",
        attrs: [
          "dtype": .type(.int64),
          "value": .tensor(DenseTensor([Int64(1_000_000_000), 1_000_000_000], shape: [2]).tensor),
        ])
      Const("one", 1)
      Op("Fill", "huge", inputs: "dims", "one", attrs: ["T": .type(.float), "index_type": .type(.int64)])
      Op("Sum", "total", inputs: "huge", "axes", attrs: ["T": .type(.float), "Tidx": .type(.int32)])
      Const("axes", int32s: [0, 1], shape: [2])
    }
    let run = try runTransforms("fold_constants", on: graph, outputs: ["total"])
    #expect(run.graph["huge"]?.op == "Fill")
    #expect(run.graph["total"]?.op == "Sum")
    #expect(run.diagnostics.contains { $0.message.contains("'huge'") })
  }

  @Test func unusedNodesAreRemoved() throws {
    let graph = Graph {
      Placeholder("x")
      Const("unused", 1)
      Op("Neg", "out", inputs: "x", attrs: ["T": .type(.float)])
      Op("Neg", "dangling", inputs: "unused", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result.nodeNames == ["x", "out"])
  }

  @Test func placeholderWithDefaultFoldsUnlessFed() throws {
    let graph = Graph {
      Const("default", 3)
      Op(
        "PlaceholderWithDefault", "rate", inputs: "default", attrs: ["dtype": .type(.float), "shape": .shape(.scalar)])
      Op("PlaceholderWithDefault", "x", inputs: "default", attrs: ["dtype": .type(.float), "shape": .shape(.scalar)])
      Op("Mul", "out", inputs: "x", "rate", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(try floats(result, "rate") == [3])
    #expect(result["x"]?.op == "Placeholder")
    #expect(result["x"]?.inputs.isEmpty == true)
    #expect(result.nodeNames == ["rate", "x", "out"])
  }

  @Test func inputsMustBePlaceholders() throws {
    let graph = Graph {
      Const("c", 1)
      Op("Neg", "x", inputs: "c", attrs: ["T": .type(.float)])
      Op("Neg", "out", inputs: "x", attrs: ["T": .type(.float)])
    }
    #expect {
      try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"])
    } throws: {
      "\($0)".contains("input 'x' was expected to be a Placeholder or PlaceholderWithDefault op, but was Neg")
    }
    #expect {
      try runTransforms("fold_constants", on: graph, inputs: ["out"], outputs: ["out"])
    } throws: { "\($0)".contains("'out' is both fed (--inputs) and fetched (--outputs)") }
    #expect {
      try runTransforms("fold_constants", on: graph, outputs: ["nope"])
    } throws: { "\($0)".contains("output node 'nope' not found") }
  }

  @Test func excludedOpsAndNodesStay() throws {
    let graph = Graph {
      Const("a", 2)
      Op("Neg", "n1", inputs: "a", attrs: ["T": .type(.float)])
      Op("Abs", "n2", inputs: "n1", attrs: ["T": .type(.float)])
      Op("Square", "n3", inputs: "n2", attrs: ["T": .type(.float)])
    }
    let byOp = try runTransforms("fold_constants(exclude_op=Abs)", on: graph, outputs: ["n3"]).graph
    #expect(byOp.nodeNames == ["n1", "n2", "n3"])
    #expect(byOp["n1"]?.op == "Const")
    #expect(byOp["n2"]?.op == "Abs")
    #expect(byOp["n3"]?.op == "Square")
    let byNode = try runTransforms("fold_constants(exclude_node=n3)", on: graph, outputs: ["n3"]).graph
    #expect(byNode.nodeNames == ["n2", "n3"])
    #expect(try floats(byNode, "n2") == [2])
  }

  @Test func multiOutputNodesGetDeterministicNames() throws {
    let graph = Graph {
      Const("axis", int32s: [0], shape: [])
      Const("value", floats: [1, 2, 3, 4], shape: [4])
      Op("Split", "split", inputs: "axis", "value", attrs: ["T": .type(.float), "num_split": .i(2)])
      Placeholder("x", shape: [2])
      Op("Mul", "out", inputs: "x", "split:1", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(result.nodeNames == ["split/__cf__1", "x", "out"])
    #expect(try floats(result, "split/__cf__1") == [3, 4])
    #expect(result["out"]?.inputs.map(\.description) == ["x", "split/__cf__1"])
  }

  @Test func aFoldThatWouldGrowTheFileIsSkipped() throws {
    let graph = Graph {
      Const("one", 1)
      Const("shape", int32s: [64, 64], shape: [2])
      Op("BroadcastTo", "ones", inputs: "one", "shape", attrs: ["T": .type(.float), "Tidx": .type(.int32)])
      Placeholder("x", shape: [64, 64])
      Op("Mul", "out", inputs: "x", "ones", attrs: ["T": .type(.float)])
    }
    let run = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"])
    #expect(run.graph["ones"]?.op == "BroadcastTo")
    #expect(run.diagnostics.contains { $0.node == "ones" && $0.message.contains("larger than the nodes it replaces") })
    let grown = try runTransforms("fold_constants(allow_growth=true)", on: graph, inputs: ["x"], outputs: ["out"])
    #expect(grown.graph["ones"]?.op == "Const")
    #expect(try floats(grown.graph, "ones") == Array(repeating: 1, count: 4096))
  }

  @Test func resultsOverTheSizeLimitStay() throws {
    let graph = Graph {
      Const("v", floats: Array(repeating: 1, count: 100), shape: [100])
      Op("Neg", "neg", inputs: "v", attrs: ["T": .type(.float)])
    }
    let small = try runTransforms("fold_constants(max_constant_size_in_bytes=100)", on: graph, outputs: ["neg"])
    #expect(small.graph["neg"]?.op == "Neg")
    let large = try runTransforms("fold_constants", on: graph, outputs: ["neg"])
    #expect(large.graph["neg"]?.op == "Const")
  }

  @Test func aFrozenPredicateRemovesTheDeadBranch() throws {
    let graph = Graph {
      Placeholder("x")
      Op(
        "PlaceholderWithDefault", "is_training", inputs: "default",
        attrs: ["dtype": .type(.bool), "shape": .shape(.scalar)])
      Node(
        name: "default", op: "Const",
        attrs: ["dtype": .type(.bool), "value": .tensor(DenseTensor([true], shape: []).tensor)])
      Op("Switch", "cond/Switch", inputs: "x", "is_training", attrs: ["T": .type(.float)])
      Op("Relu", "cond/train", inputs: "cond/Switch:1", attrs: ["T": .type(.float)])
      Op("Neg", "cond/infer", inputs: "cond/Switch", attrs: ["T": .type(.float)])
      Op("Merge", "cond/Merge", inputs: "cond/infer", "cond/train", attrs: ["T": .type(.float), "N": .i(2)])
      Op("Abs", "out", inputs: "cond/Merge", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms(
      "freeze_placeholders(name=is_training, value=false) fold_constants", on: graph, inputs: ["x"],
      outputs: ["out"]
    ).graph
    #expect(
      result.dump == """
        x = Placeholder() {dtype=float}
        cond/infer = Neg(x) {T=float}
        out = Abs(cond/infer) {T=float}
        """)
  }

  @Test func aResolvedMergeThatIsAnOutputBecomesAnIdentity() throws {
    let graph = Graph {
      Placeholder("x")
      Node(
        name: "p", op: "Const", attrs: ["dtype": .type(.bool), "value": .tensor(DenseTensor([true], shape: []).tensor)])
      Op("Switch", "s", inputs: "x", "p", attrs: ["T": .type(.float)])
      Op("Relu", "t", inputs: "s:1", attrs: ["T": .type(.float)])
      Op("Neg", "f", inputs: "s", attrs: ["T": .type(.float)])
      Op("Merge", "m", inputs: "f", "t", attrs: ["T": .type(.float), "N": .i(2)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["m"]).graph
    #expect(
      result.dump == """
        x = Placeholder() {dtype=float}
        t = Relu(x) {T=float}
        m = Identity(t) {T=float}
        """)
  }

  // TF1 cond: constants inside a branch wait on `switch_f = Identity(Switch(p, p):0)`.
  @Test func branchConstantsGuardedByTheSwitchFold() throws {
    let graph = Graph {
      Placeholder("x")
      Node(
        name: "false", op: "Const",
        attrs: ["dtype": .type(.bool), "value": .tensor(DenseTensor([false], shape: []).tensor)])
      Op("PlaceholderWithDefault", "p", inputs: "false", attrs: ["dtype": .type(.bool), "shape": .shape(.scalar)])
      Op("Switch", "cond/Switch", inputs: "p", "p", attrs: ["T": .type(.bool)])
      Op("Identity", "cond/switch_f", inputs: "cond/Switch", attrs: ["T": .type(.bool)])
      Op(
        "Const", "cond/two", inputs: "^cond/switch_f",
        attrs: [
          "dtype": .type(.float), "value": .tensor(.floats([2], shape: [])),
        ])
      Const("three", 3)
      Op("Mul", "cond/six", inputs: "cond/two", "three", attrs: ["T": .type(.float)])
      Op("Switch", "cond/Switch_1", inputs: "x", "p", attrs: ["T": .type(.float)])
      Op("Mul", "cond/scaled", inputs: "cond/Switch_1", "cond/six", attrs: ["T": .type(.float)])
      Op("Relu", "cond/train", inputs: "cond/Switch_1:1", attrs: ["T": .type(.float)])
      Op("Merge", "cond/Merge", inputs: "cond/scaled", "cond/train", attrs: ["T": .type(.float), "N": .i(2)])
      Op("Neg", "out", inputs: "cond/Merge", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["out"]).graph
    #expect(
      result.dump == """
        x = Placeholder() {dtype=float}
        cond/six = Const() {dtype=float, value=float[]{6.0}}
        cond/scaled = Mul(x, cond/six) {T=float}
        out = Neg(cond/scaled) {T=float}
        """)
  }

  @Test func anOutputOnTheDeadBranchIsAnError() throws {
    let graph = Graph {
      Placeholder("x")
      Node(
        name: "p", op: "Const", attrs: ["dtype": .type(.bool), "value": .tensor(DenseTensor([true], shape: []).tensor)])
      Op("Switch", "s", inputs: "x", "p", attrs: ["T": .type(.float)])
      Op("Neg", "f", inputs: "s", attrs: ["T": .type(.float)])
    }
    #expect {
      try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["f"])
    } throws: { "\($0)".contains("output node 'f' is on a branch that a constant Switch predicate never takes") }
  }

  @Test func loopsAreLeftAlone() throws {
    let graph = Graph {
      Const("start", 0)
      Op("Enter", "enter", inputs: "start", attrs: ["T": .type(.float)])
      Op("Merge", "merge", inputs: "enter", "next", attrs: ["T": .type(.float), "N": .i(2)])
      Const("one", 1)
      Op("Add", "add", inputs: "merge", "one", attrs: ["T": .type(.float)])
      Op("NextIteration", "next", inputs: "add", attrs: ["T": .type(.float)])
    }
    let result = try runTransforms("fold_constants", on: graph, outputs: ["add"]).graph
    #expect(result.nodeNames == ["start", "enter", "merge", "one", "add", "next"])
    #expect(result["add"]?.op == "Add")
  }

  @Test func outputShapesAreClearedByDefault() throws {
    var neg = Op("Neg", "y", inputs: "x", attrs: ["T": .type(.float)])
    neg.attrs["_output_shapes"] = .list(AttrList(shape: [.scalar]))
    let graph = Graph {
      Placeholder("x")
      neg
    }
    let cleared = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["y"]).graph
    #expect(cleared["y"]?.attrs["_output_shapes"] == nil)
    let kept = try runTransforms("fold_constants(clear_output_shapes=false)", on: graph, inputs: ["x"], outputs: ["y"])
    #expect(kept.graph["y"]?.attrs["_output_shapes"] != nil)
  }
}

/// `Shape`, `Size` and `Rank` of tensors whose shape is fixed fold, as in TensorFlow.
struct FoldConstantsStaticShapeTests {
  func ints(_ graph: Graph, _ name: String) throws -> [Int] {
    let node = try #require(graph[name])
    #expect(node.op == "Const", "'\(name)' is a \(node.op)")
    return try DenseTensor(node.tensorAttr("value")).indices("value")
  }

  @Test func shapesOfComputedTensorsFold() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 8, 8, 3])
      Const("w", floats: Array(repeating: 0.5, count: 3 * 3 * 3 * 4), shape: [3, 3, 3, 4])
      Op(
        "Conv2D", "conv", inputs: "x", "w",
        attrs: [
          "T": .type(.float), "strides": .list(AttrList(i: [1, 2, 2, 1])), "padding": .string("SAME"),
        ])
      Op("Relu", "relu", inputs: "conv", attrs: ["T": .type(.float)])
      Op("Shape", "shape", inputs: "relu", attrs: ["T": .type(.float), "out_type": .type(.int32)])
      Op("Size", "size", inputs: "relu", attrs: ["T": .type(.float), "out_type": .type(.int64)])
      Op("Rank", "rank", inputs: "relu", attrs: ["T": .type(.float)])
      Const("flat", int32s: [1, -1], shape: [2])
      Op("Reshape", "reshaped", inputs: "relu", "flat", attrs: ["T": .type(.float), "Tshape": .type(.int32)])
      Op("Shape", "flat_shape", inputs: "reshaped", attrs: ["T": .type(.float), "out_type": .type(.int32)])
      Op("IdentityN", "out", inputs: "shape", "size", "rank", "flat_shape", "reshaped")
    }
    // Each fold here adds a few bytes and removes nothing else, so the size rule would
    // revert some; allow_growth isolates shape inference from that rule.
    let result = try runTransforms("fold_constants(allow_growth=true)", on: graph, inputs: ["x"], outputs: ["out"])
      .graph
    #expect(try ints(result, "shape") == [1, 4, 4, 4])
    #expect(try ints(result, "size") == [64])
    #expect(try ints(result, "rank") == [4])
    #expect(try ints(result, "flat_shape") == [1, 64])
    #expect(result["conv"]?.op == "Conv2D")
  }

  // The Keras pattern: Shape → StridedSlice → Pack → Reshape, which folds to one Const.
  @Test func aShapeChainFeedingAReshapeFoldsWithoutGrowingTheFile() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 4, 4, 2])
      Op("Shape", "shape", inputs: "x", attrs: ["T": .type(.float), "out_type": .type(.int32)])
      Const("begin", int32s: [0], shape: [1])
      Const("end", int32s: [1], shape: [1])
      Const("strides", int32s: [1], shape: [1])
      Op(
        "StridedSlice", "batch", inputs: "shape", "begin", "end", "strides",
        attrs: [
          "T": .type(.int32), "Index": .type(.int32), "shrink_axis_mask": .i(1), "begin_mask": .i(0),
          "end_mask": .i(0), "ellipsis_mask": .i(0), "new_axis_mask": .i(0),
        ])
      Const("minus_one", int32s: [-1], shape: [])
      Op("Pack", "new_shape", inputs: "batch", "minus_one", attrs: ["T": .type(.int32), "N": .i(2), "axis": .i(0)])
      Op("Reshape", "flat", inputs: "x", "new_shape", attrs: ["T": .type(.float), "Tshape": .type(.int32)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["flat"]).graph
    #expect(result.nodeNames == ["x", "new_shape", "flat"])
    #expect(try ints(result, "new_shape") == [1, -1])
  }

  @Test func unknownDimensionsDoNotFold() throws {
    let graph = Graph {
      Placeholder("x", shape: [-1, 4])
      Op("Shape", "shape", inputs: "x", attrs: ["T": .type(.float), "out_type": .type(.int32)])
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["x"], outputs: ["shape"]).graph
    #expect(result["shape"]?.op == "Shape")
  }

  @Test func einsumAndMatMulShapesPropagate() throws {
    let graph = Graph {
      Placeholder("q", shape: [1, 16, 4, 8])
      Placeholder("k", shape: [1, 16, 4, 8])
      Op(
        "Einsum", "scores", inputs: "q", "k",
        attrs: ["T": .type(.float), "equation": .string("aecd,abcd->acbe"), "N": .i(2)])
      Op("Shape", "shape", inputs: "scores", attrs: ["T": .type(.float), "out_type": .type(.int32)])
      Placeholder("a", shape: [2, 3, 5])
      Placeholder("b", shape: [5, 7])
      Op("BatchMatMulV2", "mm", inputs: "a", "b", attrs: ["T": .type(.float)])
      Op("Shape", "mm_shape", inputs: "mm", attrs: ["T": .type(.float), "out_type": .type(.int32)])
      Op("IdentityN", "out", inputs: "shape", "mm_shape")
    }
    let result = try runTransforms("fold_constants", on: graph, inputs: ["q", "k", "a", "b"], outputs: ["out"]).graph
    #expect(try ints(result, "shape") == [1, 4, 16, 16])
    #expect(try ints(result, "mm_shape") == [2, 3, 7])
  }
}
