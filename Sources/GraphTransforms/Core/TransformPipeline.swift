// SPDX-License-Identifier: Apache-2.0

public import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A parsed, checked list of transforms, ready to run on any graph.
///
/// Every transform is built, and its arguments checked, before any graph is read, so a
/// typo in the last step fails in milliseconds rather than after loading a large file.
public struct TransformPipeline: Sendable {
  /// One checked step.
  public struct Step: Sendable {
    /// The parsed call, with its arguments and source position.
    public var call: TransformCall
    /// The transform, built and with its arguments checked.
    public var transform: any GraphTransform
    /// Whether a failure of this step keeps the previous graph instead of stopping the run.
    public var ignoreErrors: Bool
  }

  /// The steps, in the order they run.
  public let steps: [Step]
  /// Warnings found while checking (unknown parameters, which TensorFlow ignores too).
  public let warnings: [String]

  /// Parses `text` and builds its transforms.
  /// - Throws: `TransformSpecError` pointing at the offending spot.
  public init(
    parsing text: String, origin: String = "--transforms", allowComments: Bool = false
  ) throws(TransformSpecError) {
    let calls = try TransformSpecParser.parse(text, origin: origin, allowComments: allowComments)
    try self.init(calls: calls, source: text, origin: origin)
  }

  /// Builds the transforms of parsed calls; `source` and `origin` locate errors.
  public init(calls: [TransformCall], source: String, origin: String) throws(TransformSpecError) {
    var steps: [Step] = []
    var warnings: [String] = []
    for call in calls {
      func fail(_ message: String) -> TransformSpecError {
        TransformSpecError(message, source: source, offset: call.sourceOffset, origin: origin)
      }
      guard let type = TransformRegistry.transform(named: call.name) else {
        var message = "unknown transform '\(call.name)'"
        if let suggestion = TransformRegistry.suggestion(for: call.name) {
          message += "; did you mean '\(suggestion)'?"
        }
        // A `\.name` key path over `[any GraphTransform.Type]` crashes the Swift 6.3 compiler.
        let names = TransformRegistry.all.map { $0.name }
        message += (message.hasSuffix("?") ? " Known" : "; known") + " transforms: "
        message += names.joined(separator: ", ")
        throw fail(message)
      }
      // TF parity: only the first ignore_errors value counts, compared case-insensitively.
      var ignoreErrors = false
      if let flag = call.arguments.all("ignore_errors").first {
        switch flag.lowercased() {
        case "true": ignoreErrors = true
        case "false": ignoreErrors = false
        default:
          throw fail("\(call.name): ignore_errors should be true or false, found '\(flag.lowercased())'")
        }
      }
      let declared = type.parameters
      var known = Set(declared.map(\.name) + ["ignore_errors"])
      // One warning per unknown key, however often it is repeated.
      for key in call.arguments.pairs.map(\.key) where known.insert(key).inserted {
        let accepted = declared.map(\.name)
        let hint = accepted.isEmpty ? "it takes no parameters" : "it takes " + accepted.joined(separator: ", ")
        warnings.append("\(call.name): ignoring unknown parameter '\(key)' (\(hint))")
      }
      for parameter in declared where !parameter.repeated && call.arguments.count(parameter.name) > 1 {
        throw fail(
          "\(call.name): parameter '\(parameter.name)' given \(call.arguments.count(parameter.name)) times; pass it once"
        )
      }
      switch Self.make(type, call.arguments) {
      case .success(let transform):
        steps.append(Step(call: call, transform: transform, ignoreErrors: ignoreErrors))
      case .failure(let error):
        throw fail(error.description)
      }
    }
    self.steps = steps
    self.warnings = warnings
  }

  /// Builds a transform, keeping its argument error typed.
  static func make<T: GraphTransform>(_ type: T.Type, _ arguments: TransformArguments)
    -> Result<any GraphTransform, TransformArgumentError>
  {
    do throws(TransformArgumentError) {
      return .success(try T(arguments: arguments))
    } catch {
      return .failure(error)
    }
  }

  /// What one step did.
  public struct StepReport: Sendable {
    /// The transform's name.
    public var name: String
    /// Wall time of the step, validation included (measuring sizes is not).
    public var seconds: Double
    /// Node count of the step's input.
    public var nodesBefore: Int
    /// Node count of the step's output.
    public var nodesAfter: Int
    /// Encoded sizes before and after, when a measure was supplied.
    public var bytesBefore: Int?
    /// Encoded size after the step, when a measure was supplied (and, for the last step,
    /// `measureLast` was true).
    public var bytesAfter: Int?
    /// The error that `ignore_errors=true` swallowed; the graph was left unchanged.
    public var ignoredError: String?
    /// Remarks and warnings the transform reported.
    public var diagnostics: [Diagnostic]
  }

  /// Runs every step in order, validating the graph after each.
  ///
  /// - Parameters:
  ///   - measure: the encoded size of a graph, for size changes in the reports.
  ///   - inputSize: the size `measure` would give for `graph`, when already known.
  ///   - measureLast: whether to measure the result too; a caller about to write it in
  ///     binary learns its size from the file, without another encoding pass.
  ///   - progress: called after each step.
  /// - Throws: `PipelineError` naming the failing step.
  public func run(
    on graph: Graph, context: TransformContext, measure: ((Graph) -> Int)? = nil, inputSize: Int? = nil,
    measureLast: Bool = true, progress: (StepReport) -> Void = { _ in }
  ) throws(PipelineError) -> Graph {
    var current = graph
    var currentSize = measure.map { inputSize ?? $0(graph) }
    for (index, step) in steps.enumerated() {
      let name = step.call.name
      context.currentTransform = name
      let start = monotonicSeconds()
      var next: Graph
      var ignored: String?
      do {
        next = try step.transform.apply(to: current, in: context)
      } catch {
        guard step.ignoreErrors else {
          throw PipelineError(step: index, transform: name, message: Self.describe(error))
        }
        ignored = Self.describe(error)
        next = current
      }
      // TF parity: the library always comes from the step's input. TensorFlow drops
      // versions and debug_info in most transforms; they are kept here.
      next.library = current.library
      if next.versions == nil { next.versions = current.versions }
      if next.debugInfo == nil { next.debugInfo = current.debugInfo }
      do {
        try next.validate()
      } catch {
        let inherited = (try? current.validate()) == nil
        let message =
          inherited
          ? "the graph is invalid (already before this step): \(error)"
          : "produced an invalid graph: \(error)"
        throw PipelineError(step: index, transform: name, message: message)
      }
      let seconds = monotonicSeconds() - start
      let nextSize = measureLast || index < steps.count - 1 ? measure?(next) : nil
      progress(
        StepReport(
          name: name, seconds: seconds, nodesBefore: current.nodes.count,
          nodesAfter: next.nodes.count, bytesBefore: currentSize, bytesAfter: nextSize,
          ignoredError: ignored, diagnostics: context.takeDiagnostics()))
      current = next
      currentSize = nextSize
    }
    return current
  }

  static func describe(_ error: any Error) -> String {
    if let error = error as? CustomStringConvertible { return error.description }
    return String(describing: error)
  }
}

/// A pipeline step failed.
public struct PipelineError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The 0-based index of the step.
  public var step: Int
  /// The failing transform's name.
  public var transform: String
  /// What went wrong.
  public var message: String
  /// `<transform> (step <n>): <message>`.
  public var description: String { "\(transform) (step \(step + 1)): \(message)" }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
