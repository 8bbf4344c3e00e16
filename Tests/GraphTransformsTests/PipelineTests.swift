// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct PipelineTests {
  static let graph = Graph {
    Placeholder("a")
    Op("Identity", "b", inputs: "a", device: "/device:GPU:0")
    Op("Identity", "c", inputs: "b", "^a", device: "/device:CPU:0")
  }

  /// Runs `pipeline` and collects its step reports.
  func run(_ pipeline: TransformPipeline, on graph: Graph, measure: ((Graph) -> Int)? = nil)
    throws(PipelineError)
    -> (Graph, [TransformPipeline.StepReport])
  {
    var reports: [TransformPipeline.StepReport] = []
    let context = TransformContext(inputs: [], outputs: [])
    let result = try pipeline.run(
      on: graph, context: context, measure: measure, progress: { reports.append($0) })
    return (result, reports)
  }

  // MARK: ignore_errors

  @Test(arguments: ["true", "TRUE", "True"])
  func ignoreErrorsKeepsTheGraphAndReportsTheError(_ flag: String) throws {
    let pipeline = try TransformPipeline(
      parsing: "rename_node(old_node_name=a, new_node_name=b, ignore_errors=\(flag)) remove_device")
    #expect(pipeline.steps.map(\.ignoreErrors) == [true, false])
    #expect(pipeline.warnings == [])
    let (result, reports) = try run(pipeline, on: Self.graph)
    #expect(reports.map(\.name) == ["rename_node", "remove_device"])
    #expect(reports[0].ignoredError == "node 'b': a node is already named 'b'")
    #expect(reports[1].ignoredError == nil)
    // The failed step left the graph as it was; the next step still ran.
    #expect(result.nodeNames == ["a", "b", "c"])
    #expect(result.nodes.map(\.device) == ["", "", ""])
    #expect(result.nodes.map(\.inputs) == Self.graph.nodes.map(\.inputs))
  }

  @Test func withoutIgnoreErrorsTheStepFails() throws {
    for spec in [
      "remove_device rename_node(old_node_name=a, new_node_name=b)",
      "remove_device rename_node(old_node_name=a, new_node_name=b, ignore_errors=false)",
      "remove_device rename_node(old_node_name=a, new_node_name=b, ignore_errors=FALSE)",
    ] {
      let pipeline = try TransformPipeline(parsing: spec)
      let error = try #require(throws: PipelineError.self) { try run(pipeline, on: Self.graph) }
      #expect(error.step == 1)
      #expect(error.transform == "rename_node")
      #expect(error.message == "node 'b': a node is already named 'b'")
      #expect(error.description == "rename_node (step 2): node 'b': a node is already named 'b'")
    }
  }

  @Test func onlyTheFirstIgnoreErrorsValueCounts() throws {
    let ignored = try TransformPipeline(
      parsing: "remove_device(ignore_errors=true, ignore_errors=false)")
    #expect(ignored.steps[0].ignoreErrors)
    // TF parity: later values are not even checked.
    let notIgnored = try TransformPipeline(
      parsing: "remove_device(ignore_errors=false, ignore_errors=yes)")
    #expect(!notIgnored.steps[0].ignoreErrors)
  }

  @Test(arguments: [("yes", "yes"), ("YES", "yes"), ("1", "1"), ("", "")])
  func ignoreErrorsRejectsOtherValues(_ flag: String, _ shown: String) throws {
    let text = #"remove_device set_device(ignore_errors="\#(flag)")"#
    let error = try #require(throws: TransformSpecError.self) {
      try TransformPipeline(parsing: text)
    }
    #expect(error.message == "set_device: ignore_errors should be true or false, found '\(shown)'")
    #expect(error.lineAndColumn == (line: 1, column: 15))
  }

  // MARK: Building the pipeline

  static let knownTransforms = TransformRegistry.all.map { $0.name }.joined(separator: ", ")

  @Test func unknownTransformSuggestsAndListsTheKnownOnes() throws {
    let text = "remove_device remove_devices"
    let error = try #require(throws: TransformSpecError.self) {
      try TransformPipeline(parsing: text)
    }
    #expect(
      error.message
        == "unknown transform 'remove_devices'; did you mean 'remove_device'? Known transforms: \(Self.knownTransforms)"
    )
    #expect(error.lineAndColumn == (line: 1, column: 15))
    #expect(
      error.description.hasPrefix("--transforms, column 15: unknown transform 'remove_devices';"))
    #expect(error.description.hasSuffix("\n  remove_device remove_devices\n                ^"))
  }

  @Test func unknownTransformWithoutASuggestion() throws {
    let error = try #require(throws: TransformSpecError.self) {
      try TransformPipeline(parsing: "frobnicate", origin: "spec.txt")
    }
    #expect(
      error.message == "unknown transform 'frobnicate'; known transforms: \(Self.knownTransforms)")
    #expect(error.origin == "spec.txt")
    #expect(error.lineAndColumn == (line: 1, column: 1))
  }

  @Test func unknownParametersAreWarningsNotErrors() throws {
    let pipeline = try TransformPipeline(
      parsing: #"remove_device(foo=1) set_device(device="/cpu:0", colour=red, colour=blue)"#)
    #expect(pipeline.steps.count == 2)
    #expect(
      pipeline.warnings == [
        "remove_device: ignoring unknown parameter 'foo' (it takes no parameters)",
        "set_device: ignoring unknown parameter 'colour' (it takes device, if_default)",
      ])
    let result = try runTransforms(#"set_device(device="/cpu:0", colour=red)"#, on: Self.graph)
    #expect(result.graph.nodes.map(\.device) == ["/cpu:0", "/cpu:0", "/cpu:0"])
    #expect(
      result.warnings == [
        "set_device: ignoring unknown parameter 'colour' (it takes device, if_default)"
      ])
  }

  @Test func repeatedSingleParameterIsAnError() throws {
    let text = "remove_device rename_op(old_op_name=A, new_op_name=B, old_op_name=C)"
    let error = try #require(throws: TransformSpecError.self) {
      try TransformPipeline(parsing: text)
    }
    #expect(error.message == "rename_op: parameter 'old_op_name' given 2 times; pass it once")
    #expect(error.lineAndColumn == (line: 1, column: 15))
  }

  @Test func argumentErrorsStopTheWholePipelineBeforeItRuns() throws {
    let error = try #require(throws: TransformSpecError.self) {
      try TransformPipeline(
        parsing: "remove_device\n  rename_op(old_op_name=A)", origin: "spec.txt",
        allowComments: true)
    }
    #expect(error.lineAndColumn == (line: 2, column: 3))
    #expect(
      error.description == """
        spec.txt:2:3: rename_op: expects exactly one 'old_op_name' and one 'new_op_name' argument, e.g. rename_op(old_op_name=Mul, new_op_name=Multiply)
            rename_op(old_op_name=A)
            ^
        """)
  }

  @Test func anEmptySpecIsAnEmptyPipeline() throws {
    let pipeline = try TransformPipeline(parsing: "  ")
    #expect(pipeline.steps.isEmpty)
    let (result, reports) = try run(pipeline, on: Self.graph)
    #expect(result == Self.graph)
    #expect(reports.isEmpty)
  }

  // MARK: Validation after each step

  @Test func aGraphThatWasInvalidBeforeTheStepSaysSo() throws {
    let broken = Graph {
      Placeholder("a")
      Op("Identity", "b", inputs: "missing")
    }
    let pipeline = try TransformPipeline(parsing: "remove_device")
    let error = try #require(throws: PipelineError.self) { try run(pipeline, on: broken) }
    #expect(error.step == 0)
    #expect(error.transform == "remove_device")
    #expect(
      error.message
        == "the graph is invalid (already before this step): node 'b' has input 'missing', but no node of that name exists"
    )
  }

  @Test func aStepThatBreaksTheGraphIsBlamed() throws {
    // A TF1 while loop is valid only while its back edge runs NextIteration → Merge.
    let loop = Graph {
      Const("zero", 0)
      Op("Enter", "enter", inputs: "zero")
      Op("Merge", "merge", inputs: "enter", "next")
      Op("Identity", "body", inputs: "merge")
      Op("NextIteration", "next", inputs: "body")
    }
    try loop.validate()
    let pipeline = try TransformPipeline(
      parsing:
        "remove_device rename_op(old_op_name=NextIteration, new_op_name=Identity, ignore_errors=true)"
    )
    let error = try #require(throws: PipelineError.self) { try run(pipeline, on: loop) }
    #expect(error.step == 1)
    #expect(error.transform == "rename_op")
    #expect(
      error.message
        == "produced an invalid graph: the graph has a cycle through 3 nodes: 'merge', 'body', 'next'"
    )
  }

  // MARK: Graph-level fields and reports

  static let allSimpleSteps: [String] = [
    "remove_device",
    #"set_device(device="/device:CPU:0", if_default=true)"#,
    "remove_control_dependencies",
    "remove_attribute(attribute_name=T)",
    "rename_attribute(old_attribute_name=dtype, new_attribute_name=type)",
    "rename_op(old_op_name=Identity, new_op_name=Snapshot)",
    "rename_node(old_node_name=b, new_node_name=bee)",
  ]

  static func graphWithEverything() -> Graph {
    var graph = Graph(versions: VersionDef(producer: 1087, minConsumer: 12, badConsumers: [3, 7])) {
      Placeholder("a")
      Op("Identity", "b", inputs: "a", attrs: ["T": .type(.float)], device: "/device:GPU:0")
      Op("Identity", "c", inputs: "b", "^a", attrs: ["T": .type(.float)])
    }
    // FunctionDefLibrary { function { signature { name: "f" } } }
    graph.library = SharedBytes([0x0A, 0x05, 0x0A, 0x03, 0x0A, 0x01, 0x66])
    // GraphDebugInfo { files: "a.py" }
    graph.debugInfo = SharedBytes([0x0A, 0x04, 0x61, 0x2E, 0x70, 0x79])
    graph.deprecatedVersion = 21
    return graph
  }

  @Test(arguments: allSimpleSteps + [allSimpleSteps.joined(separator: " ")])
  func libraryVersionsAndDebugInfoSurviveEveryStep(_ spec: String) throws {
    let graph = Self.graphWithEverything()
    let result = try runTransforms(spec, on: graph).graph
    #expect(result.library == graph.library)
    #expect(result.library?.array == [0x0A, 0x05, 0x0A, 0x03, 0x0A, 0x01, 0x66])
    #expect(result.versions == VersionDef(producer: 1087, minConsumer: 12, badConsumers: [3, 7]))
    #expect(result.debugInfo?.array == [0x0A, 0x04, 0x61, 0x2E, 0x70, 0x79])
    #expect(result.deprecatedVersion == 21)
  }

  @Test func theWholeChainDoesWhatEachStepSays() throws {
    let result = try runTransforms(
      Self.allSimpleSteps.joined(separator: " "), on: Self.graphWithEverything())
    #expect(
      result.graph.dump == """
        a = Placeholder() @/device:CPU:0 {type=float}
        bee = Snapshot(a) @/device:CPU:0
        c = Snapshot(bee) @/device:CPU:0
        """)
  }

  @Test func stepReportsCountNodesAndSizes() throws {
    let pipeline = try TransformPipeline(
      parsing:
        #"remove_device rename_node(old_node_name=a, new_node_name=b, ignore_errors=true) set_device(device="/x")"#
    )
    // A stand-in size: the total length of the device strings.
    let (_, reports) = try run(
      pipeline, on: Self.graph, measure: { $0.nodes.map(\.device.utf8.count).reduce(0, +) })
    #expect(reports.map(\.name) == ["remove_device", "rename_node", "set_device"])
    #expect(reports.map(\.nodesBefore) == [3, 3, 3])
    #expect(reports.map(\.nodesAfter) == [3, 3, 3])
    #expect(reports.map(\.bytesBefore) == [26, 0, 0])
    #expect(reports.map(\.bytesAfter) == [0, 0, 6])
    #expect(reports.map(\.ignoredError) == [nil, "node 'b': a node is already named 'b'", nil])
    #expect(reports.allSatisfy { $0.seconds >= 0 && $0.diagnostics.isEmpty })
    let (_, unmeasured) = try run(pipeline, on: Self.graph)
    #expect(unmeasured.allSatisfy { $0.bytesBefore == nil && $0.bytesAfter == nil })
  }

  @Test func stepReportsOnTheEmptyGraph() throws {
    let pipeline = try TransformPipeline(parsing: "remove_device remove_control_dependencies")
    let (result, reports) = try run(pipeline, on: Graph())
    #expect(result.nodes.isEmpty)
    #expect(reports.map(\.nodesBefore) == [0, 0])
    #expect(reports.map(\.nodesAfter) == [0, 0])
  }
}
