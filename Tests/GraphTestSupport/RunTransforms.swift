// SPDX-License-Identifier: Apache-2.0

import GraphIO
public import GraphIR
public import GraphTransforms

/// What a test run of a transform string produced.
public struct TransformRun: Sendable {
  /// The graph after the whole pipeline, already validated by it.
  public var graph: Graph
  /// The diagnostics every step reported, in pipeline order.
  public var diagnostics: [Diagnostic]
  /// The warnings from parsing the transform string, such as an ignored unknown parameter.
  public var warnings: [String]
}

/// A test harness failure that is not the transform's own error.
public struct HarnessError: Error, CustomStringConvertible {
  /// What the harness found, such as two runs producing different bytes.
  public var description: String

  /// An error saying `description`.
  public init(description: String) { self.description = description }
}

/// Runs `spec` on `graph` the way the tool does: transforms are looked up by name in the
/// registry, the real pipeline runs them and validates after every step. It runs twice and
/// compares the encoded bytes, so any nondeterminism fails the test.
///
/// - Throws: the pipeline's or parser's error, or `HarnessError` when two runs differ.
public func runTransforms(
  _ spec: String, on graph: Graph, inputs: [String] = [], outputs: [String] = []
) throws -> TransformRun {
  let pipeline = try TransformPipeline(parsing: spec)
  var diagnostics: [Diagnostic] = []
  let ops = TensorFlowOpDefinitions()
  let context = TransformContext(inputs: inputs, outputs: outputs, opDefinitions: ops)
  let first = try pipeline.run(on: graph, context: context, progress: { diagnostics += $0.diagnostics })
  let second = try pipeline.run(
    on: graph, context: TransformContext(inputs: inputs, outputs: outputs, opDefinitions: ops))
  guard GraphFile.encode(first) == GraphFile.encode(second) else {
    throw HarnessError(description: "two runs of '\(spec)' produced different bytes")
  }
  return TransformRun(graph: first, diagnostics: diagnostics, warnings: pipeline.warnings)
}

/// TensorFlow's op registry (the table compiled into the tool) plus each graph's
/// functions, for tests that build a `TransformContext` themselves.
public let tensorFlowOps: any OpDefinitionSource = TensorFlowOpDefinitions()
