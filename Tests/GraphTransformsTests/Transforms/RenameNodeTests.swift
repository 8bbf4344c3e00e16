// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RenameNodeTests {
  // TensorFlow's rename_node_test graph, plus a control input and a spelled port 0.
  static let graph = Graph {
    Placeholder("input")
    Op("Split", "splitter", inputs: "input")
    Op("Add", "adder", inputs: "splitter", "splitter:1")
    Op("Identity", "after", inputs: "splitter:0", "^splitter", "adder")
    Op("Identity", "splitter_copy", inputs: "input")
  }

  @Test func renamesTheNodeAndEveryReferenceKeepingPorts() throws {
    let result = try runTransforms(
      "rename_node(old_node_name=splitter, new_node_name=demux)", on: Self.graph, outputs: ["adder"]
    )
    #expect(
      result.graph.dump == """
        input = Placeholder() {dtype=float}
        demux = Split(input)
        adder = Add(demux, demux:1)
        after = Identity(demux:0, ^demux, adder)
        splitter_copy = Identity(input)
        """)
  }

  @Test(arguments: ["adder", "splitter", "input"])
  func renamingOntoAnExistingNameFails(_ taken: String) throws {
    // TF parity: this includes renaming a node to its own name.
    let error = try #require(throws: PipelineError.self) {
      try runTransforms(
        "rename_node(old_node_name=splitter, new_node_name=\(taken))", on: Self.graph)
    }
    #expect(error.transform == "rename_node")
    #expect(error.message == "node '\(taken)': a node is already named '\(taken)'")
  }

  @Test func renamingAMissingNodeIsANoOp() throws {
    let result = try runTransforms(
      "rename_node(old_node_name=nothing, new_node_name=something)", on: Self.graph)
    #expect(result.graph == Self.graph)
    #expect(result.graph.dump == Self.graph.dump)
  }

  @Test func nodeNamesMayHoldSlashesAndDots() throws {
    let result = try runTransforms(
      "rename_node(old_node_name=splitter, new_node_name=scope/split.v2-1)", on: Self.graph)
    #expect(
      result.graph.nodeNames == ["input", "scope/split.v2-1", "adder", "after", "splitter_copy"])
    #expect(
      result.graph["adder"]?.inputs.map(\.description) == [
        "scope/split.v2-1", "scope/split.v2-1:1",
      ])
  }

  @Test func swappingTwoNamesTakesThreeSteps() throws {
    let result = try runTransforms(
      """
      rename_node(old_node_name=splitter, new_node_name=tmp) \
      rename_node(old_node_name=splitter_copy, new_node_name=splitter) \
      rename_node(old_node_name=tmp, new_node_name=splitter_copy)
      """, on: Self.graph)
    #expect(result.graph.nodeNames == ["input", "splitter_copy", "adder", "after", "splitter"])
    #expect(
      result.graph["adder"]?.inputs.map(\.description) == ["splitter_copy", "splitter_copy:1"])
  }

  static let missingMessage =
    "rename_node: expects exactly one 'old_node_name' and one 'new_node_name' argument, e.g. rename_node(old_node_name=foo, new_node_name=bar)"

  @Test(arguments: ["rename_node", "rename_node(old_node_name=a)", "rename_node(new_node_name=b)"])
  func bothNamesAreRequired(_ spec: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms(spec, on: Self.graph)
    }
    #expect(error.message == Self.missingMessage)
    #expect(error.lineAndColumn == (line: 1, column: 1))
  }
}
