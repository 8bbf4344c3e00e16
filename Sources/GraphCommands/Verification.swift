// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import GraphEval
import GraphIO
import GraphIR

/// The flags that control a numeric comparison of two graphs, shared by
/// `transform_graph --verify` and `compare_graphs`.
struct VerifyOptions: ParsableArguments {
  @Option(
    name: .customLong("verify_tolerance"),
    help: ArgumentHelp(
      "Largest relative error allowed on any output: max |original − transformed| over the largest |original| "
        + "of the run. The default suits lossless recipes (folding changes float rounding by ~1e-6); after "
        + "round_weights or quantize_weights, measure once and set it a little above what you see (often 0.01–0.1).",
      valueName: "x"))
  var tolerance: Double = Self.defaultTolerance

  @Option(
    name: .customLong("verify_runs"), help: ArgumentHelp("How many seeded random input sets to run.", valueName: "n"))
  var runs: Int = Self.defaultRuns

  @Option(
    name: .customLong("verify_seed"),
    help: ArgumentHelp("Seed of the first input set; run k uses seed + k.", valueName: "seed"))
  var seed: UInt64 = Self.defaultSeed

  @Option(
    name: .customLong("input_shapes"),
    help: ArgumentHelp(
      "Shapes to feed, one per --inputs name, separated by ':', e.g. \"1,224,224,3:1,10\". Default: each "
        + "input's own shape (after strip_unused_nodes), unknown dimensions as 1.", valueName: "shapes"))
  var inputShapes: String = ""

  @Option(
    name: .customLong("input_values"),
    help: ArgumentHelp(
      "Feed real values instead of random ones: a GraphDef file (binary or text) whose Const nodes are named "
        + "after the --inputs, e.g. a preprocessed image. Inputs it lacks get seeded random values.",
      valueName: "file"))
  var inputValues: String = ""

  // Both readings start from these; a wrapped option cannot be read before it is set.
  static let defaultTolerance = 1e-4
  static let defaultRuns = 1
  static let defaultSeed: UInt64 = 0

  /// Every option at its default, for ArgumentParser to fill in.
  init() {}

  /// The options from a quick reading (see `TransformGraphCommand.quickParse`).
  init(quick flags: inout QuickFlags) {
    tolerance = flags.number("verify_tolerance", default: Self.defaultTolerance)
    runs = flags.number("verify_runs", default: Self.defaultRuns)
    seed = flags.number("verify_seed", default: Self.defaultSeed)
    inputShapes = flags.string("input_shapes")
    inputValues = flags.string("input_values")
  }

  func validate() throws {
    guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--verify_tolerance must be ≥ 0") }
    guard (1...1000).contains(runs) else { throw ValidationError("--verify_runs must be between 1 and 1000") }
  }

  /// `--input_shapes` by input name.
  func shapes(for inputs: [String]) throws -> [String: [Int]] {
    guard !inputShapes.isEmpty else { return [:] }
    let groups = inputShapes.split(separator: ":", omittingEmptySubsequences: false)
    guard groups.count == inputs.count else {
      throw ValidationError(
        "--input_shapes has \(groups.count) shape\(groups.count == 1 ? "" : "s") but --inputs names \(inputs.count)")
    }
    var shapes: [String: [Int]] = [:]
    for (name, group) in zip(inputs, groups) {
      let dims =
        group.isEmpty
        ? []
        : group.split(separator: ",", omittingEmptySubsequences: false).map {
          Int(String($0.filter { $0 != " " }))
        }
      guard dims.allSatisfy({ ($0 ?? -1) >= 0 }) else {
        throw ValidationError("--input_shapes: '\(group)' for input '\(name)' is not a list of sizes ≥ 0")
      }
      shapes[InputRef(parsing: name).node] = dims.compactMap { $0 }
    }
    return shapes
  }

  /// The `--input_values` tensors by input name.
  func givenValues(for inputs: [String]) throws -> [String: DenseTensor] {
    guard !inputValues.isEmpty else { return [:] }
    let graph = try GraphFile.read(path: expandTilde(inputValues)).graph
    var values: [String: DenseTensor] = [:]
    for name in inputs.map({ InputRef(parsing: $0).node }) {
      guard let node = graph.node(named: name) else { continue }
      guard node.op == "Const", case .tensor(let tensor)? = node.attrs["value"] else {
        throw CommandError("--input_values: node '\(name)' in \(inputValues) is a \(node.op), not a Const")
      }
      do {
        values[name] = try DenseTensor(tensor)
      } catch {
        throw CommandError("--input_values: the value of '\(name)' in \(inputValues) cannot be used: \(error)")
      }
    }
    return values
  }

  /// Runs both graphs, prints the comparison (unless `quiet`, except on failure), and
  /// returns it; throws `VerificationFailure` when it does not pass.
  func compare(original: Graph, transformed: Graph, inputs: [String], outputs: [String], quiet: Bool) throws
    -> GraphComparison
  {
    guard !outputs.isEmpty else { throw ValidationError("verifying needs --outputs, the outputs to compare") }
    let overrides = try shapes(for: inputs)
    let given = try givenValues(for: inputs)
    let comparison: GraphComparison
    do {
      let feeds = try inputs.map { name throws(VerificationError) in
        let node = InputRef(parsing: name).node
        if let value = given[node] { return FeedSpec(name: node, dtype: value.dtype, shape: value.shape) }
        return try FeedSpec.resolve(name: node, in: [transformed, original], override: overrides[node])
      }
      if !quiet {
        let described = feeds.map { $0.description + (given[$0.name] == nil ? "" : " from \(inputValues)") }
        printError(
          "verify: \(runs) seeded input set\(runs == 1 ? "" : "s") (seed \(seed)): "
            + (feeds.isEmpty ? "no inputs" : described.joined(separator: ", ")))
      }
      comparison = try GraphComparison.run(
        original: original, transformed: transformed, feeds: feeds, outputs: outputs.map(InputRef.init(parsing:)),
        runs: runs, seed: seed, given: given, clock: now)
    } catch {
      throw VerificationFailure(error: error)
    }
    let passed = comparison.passes(tolerance: tolerance)
    if !quiet || !passed {
      for line in lines(for: comparison) { printError(line) }
    }
    guard passed else { throw VerificationFailure(comparison: comparison, tolerance: tolerance) }
    return comparison
  }

  /// One line per output, then a timing line.
  func lines(for comparison: GraphComparison) -> [String] {
    let width = comparison.outputs.map(\.name.count).max() ?? 0
    var lines = comparison.outputs.map { output -> String in
      var line = "  " + padded(output.name, to: width)
      if let mismatch = output.mismatch { return line + "  MISMATCH: \(mismatch)" }
      line += "  max abs " + format("%.3g", output.maxAbsoluteError)
      line += "  max rel " + format("%.3g", output.maxRelativeError)
      if output.originalNonFinite > 0 || output.transformedNonFinite > 0 {
        line += "  non-finite \(output.originalNonFinite) → \(output.transformedNonFinite)"
      }
      return line + (output.passes(tolerance: tolerance) ? "  ok" : "  FAIL")
    }
    lines.append(
      format("verify: original %.3f s, ", comparison.originalSeconds)
        + format("transformed %.3f s, ", comparison.transformedSeconds)
        + "tolerance \(format("%.3g", tolerance)); BLAS: \(BLASBackend.coreName)")
    return lines
  }

  /// The comparison as JSON for `--report`.
  func json(_ comparison: GraphComparison) -> JSONValue {
    .object([
      ("passed", .bool(comparison.passes(tolerance: tolerance))),
      ("tolerance", .number(tolerance)),
      ("runs", .int(comparison.runs)),
      ("seed", .string(String(comparison.seed))),
      (
        "inputs",
        .array(
          comparison.feeds.map { feed in
            .object([
              ("name", .string(feed.name)), ("dtype", .string(feed.dtype.description)),
              ("shape", .array(feed.shape.map(JSONValue.int))),
            ])
          })
      ),
      (
        "outputs",
        .array(
          comparison.outputs.map { output in
            .object([
              ("name", .string(output.name)),
              ("max_abs_error", .number(output.maxAbsoluteError)),
              ("max_rel_error", .number(output.maxRelativeError)),
              ("original_non_finite", .int(output.originalNonFinite)),
              ("transformed_non_finite", .int(output.transformedNonFinite)),
              ("newly_non_finite", .int(output.newlyNonFinite)),
              ("mismatch", output.mismatch.map(JSONValue.string) ?? .null),
              ("passed", .bool(output.passes(tolerance: tolerance))),
            ])
          })
      ),
      ("original_seconds", .double(comparison.originalSeconds)),
      ("transformed_seconds", .double(comparison.transformedSeconds)),
    ])
  }
}

/// A verification that did not pass: the outputs differ (exit 2), or the graphs could not
/// be run for lack of a kernel (exit 3), or an input could not be fed (exit 1).
struct VerificationFailure: Error, CustomStringConvertible {
  /// The exit status for the failure.
  var exitStatus: Int32
  var description: String
  /// The comparison when both graphs ran.
  var comparison: GraphComparison?

  init(comparison: GraphComparison, tolerance: Double) {
    exitStatus = 2
    self.comparison = comparison
    let failing = comparison.outputs.filter { !$0.passes(tolerance: tolerance) }
    let reasons = failing.map { output -> String in
      if let mismatch = output.mismatch { return "'\(output.name)' \(mismatch)" }
      if output.newlyNonFinite > 0 {
        return "'\(output.name)' has \(output.newlyNonFinite) NaN/Inf value(s) where the original is finite"
      }
      return "'\(output.name)' max relative error " + format("%.3g", output.maxRelativeError) + " > "
        + format("%.3g", tolerance)
    }
    description = "verification failed: " + reasons.joined(separator: "; ")
  }

  init(error: VerificationError) {
    description = "verification failed: \(error)"
    if error.isLimitation {
      exitStatus = 3
      description = "cannot verify: \(error)"
    } else if case .graph("transformed", _) = error {
      exitStatus = 2
    } else {
      exitStatus = 1
    }
  }
}
