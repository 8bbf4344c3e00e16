// SPDX-License-Identifier: Apache-2.0

public import ArgumentParser
import GraphEval
import GraphIO

/// `compare_graphs`: runs two graph files on the same seeded inputs with the built-in
/// interpreter and reports how far apart their outputs are; `transform_graph --verify`
/// without the transform, for graphs transformed by another tool.
public struct CompareGraphsCommand: TensorFlowStyleCommand {
  /// The command's name, help text and version, as `--help` and `--version` show them.
  public static let configuration = CommandConfiguration(
    commandName: "compare_graphs",
    abstract: "Run two GraphDefs on the same seeded random inputs and compare their outputs.",
    discussion: """
      Both graphs run in this tool's own interpreter (no TensorFlow needed). Per output it \
      prints the largest absolute and relative error and any NaN/Inf. Exit status: 0 when \
      every output is within --verify_tolerance, 2 when one is not (or turns NaN/Inf where \
      the original is finite), 3 when the interpreter lacks an op the outputs need, 1 for \
      any other error. Example:
        compare_graphs --original=frozen.pb --transformed=optimized.pb \\
          --inputs=input --outputs=softmax --verify_tolerance=0.05
      """,
    version: toolVersion)

  @Option(name: .customLong("original"), help: "The reference graph: binary, text or memory-mapped.")
  var original: String = ""

  @Option(name: .customLong("transformed"), help: "The graph to check against it.")
  var transformed: String = ""

  @Option(name: .customLong("inputs"), help: "Comma-separated input node names to feed.")
  var inputs: String = ""

  @Option(name: .customLong("outputs"), help: "Comma-separated outputs to compare (node or node:port).")
  var outputs: String = ""

  @OptionGroup var verification: VerifyOptions

  @Option(
    name: .customLong("report"),
    help: ArgumentHelp("Write the comparison as JSON to this file, atomically.", valueName: "file"))
  var report: String = ""

  @Flag(name: .customLong("quiet"), help: "Print nothing unless the comparison fails.")
  var quiet = false

  /// A command with every flag at its default, as `ParsableCommand` requires; parsing fills
  /// in the flags given.
  public init() {}

  /// Flags that may stand bare; this command has none beyond `--quiet`.
  public static let booleanFlags: Set<String> = []

  /// Reads both graphs, runs them, prints the comparison and writes `--report`.
  ///
  /// - Throws: `ValidationError` for missing flags; `GraphDecodingError` for an unreadable
  ///   graph; `VerificationFailure` when the outputs differ or cannot be computed.
  public func run() throws {
    guard !original.isEmpty, !transformed.isEmpty else {
      throw ValidationError("give both --original and --transformed graph files")
    }
    let inputNames = splitNames(inputs)
    let outputNames = splitNames(outputs)
    let first = try GraphFile.read(path: expandTilde(original)).graph
    let second = try GraphFile.read(path: expandTilde(transformed)).graph
    try checkNamesExist(inputNames: inputNames, outputNames: outputNames, in: first)
    do {
      let comparison = try verification.compare(
        original: first, transformed: second, inputs: inputNames, outputs: outputNames, quiet: quiet)
      if !quiet { printError("compare_graphs: all \(comparison.outputs.count) output(s) agree") }
      try writeReport(comparison)
    } catch let failure as VerificationFailure {
      if let comparison = failure.comparison { try writeReport(comparison) }
      throw failure
    }
  }

  private func writeReport(_ comparison: GraphComparison) throws {
    guard !report.isEmpty else { return }
    let json = JSONValue.object([
      ("tool", .string("compare_graphs")), ("version", .string(toolVersion)),
      ("original", .string(original)), ("transformed", .string(transformed)),
      ("verify", verification.json(comparison)),
    ])
    try writeJSON(json, to: expandTilde(report))
  }
}
