// SPDX-License-Identifier: Apache-2.0

public import ArgumentParser
import GraphEval
import GraphIO
import GraphIR
import GraphTransforms

/// `transform_graph`: TensorFlow's command, flag for flag.
public struct TransformGraphCommand: TensorFlowStyleCommand {
  /// The command's name, help text and version, as `--help` and `--version` show them;
  /// `helpAppendix` adds every registered transform.
  public static let configuration = CommandConfiguration(
    commandName: "transform_graph",
    abstract: "Apply a pipeline of transforms to a frozen TensorFlow GraphDef.",
    discussion: """
      Flags keep TensorFlow's spellings (--in_graph=…, snake_case); the --name value form \
      works too. Example:
        transform_graph --in_graph=frozen.pb --out_graph=optimized.pb \\
          --inputs=input --outputs=softmax \\
          --transforms='strip_unused_nodes(type=float, shape="1,224,224,3") remove_device'
      """,
    version: toolVersion)

  /// Every transform, after the flags.
  public static var helpAppendix: String { TransformRegistry.helpText }

  @Option(
    name: .customLong("in_graph"),
    help: "Input GraphDef: binary (.pb), text (.pbtxt) or a memory-mapped package (.pbmm).")
  var inGraph: String = ""

  @Option(name: .customLong("out_graph"), help: "Output file; written atomically.")
  var outGraph: String = ""

  @Option(name: .customLong("inputs"), help: "Comma-separated input node names.")
  var inputs: String = ""

  @Option(name: .customLong("outputs"), help: "Comma-separated output node names.")
  var outputs: String = ""

  @Option(name: .customLong("transforms"), help: "The pipeline, e.g. 'strip_unused_nodes remove_device'.")
  var transforms: String = ""

  @Option(
    name: .customLong("transforms_file"),
    help: "Read the pipeline from a spec file (same grammar, plus # comments and line breaks).")
  var transformsFile: String = ""

  @Option(
    name: .customLong("output_as_text"),
    help: ArgumentHelp("Write text format instead of binary (--output_as_text, or =true/=false).", valueName: "bool"))
  var outputAsText: Bool = false

  @Option(
    name: .customLong("output_as_memmapped"),
    help: ArgumentHelp(
      "Write a memory-mapped package (.pbmm), as convert_graphdef_memmapped_format does with its default "
        + "--min_conversion_tensor_size=10000 (--output_as_memmapped, or =true/=false).", valueName: "bool"))
  var outputAsMemmapped: Bool = false

  @Option(
    name: .customLong("verify"),
    help: ArgumentHelp(
      "After the pipeline, run the original and the transformed graph on seeded random inputs with the "
        + "built-in interpreter and compare --outputs (--verify, or =true/=false). The output is written only "
        + "if they agree: exit 2 when an output differs beyond --verify_tolerance or turns NaN/Inf, 3 when the "
        + "interpreter lacks an op the outputs need.", valueName: "bool"))
  var verify: Bool = false

  @OptionGroup var verification: VerifyOptions

  @Flag(name: .customLong("quiet"), help: "Print nothing but errors and warnings.")
  var quiet = false

  @Option(
    name: .customLong("gzip_size"),
    help: ArgumentHelp(
      "Also print the gzip-compressed (zlib level 6) size of the input and output (--gzip_size, or "
        + "=true/=false). Off by default because gzip is slow: about 6 s per 100 MB on a 2-core machine. The "
        + "input is compressed on another core while the pipeline runs, as its binary GraphDef encoding (for "
        + "a .pb, the file itself).", valueName: "bool"))
  var gzipSize: Bool = false

  @Option(
    name: .customLong("report"),
    help: ArgumentHelp(
      "Write a JSON record of the run (per-step timings, node counts, sizes, remarks) to this file, "
        + "atomically.", valueName: "file"))
  var report: String = ""

  /// A command with every flag at its default, as `ParsableCommand` requires; parsing fills
  /// in the flags given.
  public init() {}

  /// Flags that TensorFlow lets stand bare.
  public static let booleanFlags: Set<String> = ["output_as_text", "output_as_memmapped", "gzip_size", "verify"]

  /// Every flag, when the command line is plain enough (see `QuickFlags`).
  public static func quickParse(_ arguments: [String]) -> Self? {
    guard var flags = QuickFlags(arguments, bare: booleanFlags.union(["quiet"])) else { return nil }
    var command = Self()
    command.inGraph = flags.string("in_graph")
    command.outGraph = flags.string("out_graph")
    command.inputs = flags.string("inputs")
    command.outputs = flags.string("outputs")
    command.transforms = flags.string("transforms")
    command.transformsFile = flags.string("transforms_file")
    command.outputAsText = flags.bool("output_as_text")
    command.outputAsMemmapped = flags.bool("output_as_memmapped")
    command.verify = flags.bool("verify")
    command.verification = VerifyOptions(quick: &flags)
    command.quiet = flags.flag("quiet")
    command.gzipSize = flags.bool("gzip_size")
    command.report = flags.string("report")
    guard flags.complete, (try? command.verification.validate()) != nil else { return nil }
    return command
  }

  /// Reads `--in_graph`, runs the pipeline from `--transforms` or `--transforms_file`, and
  /// writes the result atomically to `--out_graph`. Progress, per-step timings and
  /// diagnostics go to standard error unless `--quiet` is given.
  ///
  /// - Throws: `ValidationError` for missing or conflicting flags or an empty pipeline;
  ///   `TransformSpecError` for a malformed transform string; `GraphDecodingError`,
  ///   `PipelineError` or `GraphWriteError` when reading, transforming or writing fails;
  ///   `CommandError` for an unreadable spec file or an `--outputs` node that does not exist.
  public func run() throws { _ = try runLeavingValues() }

  /// Runs as `run()` does and returns the input and output graphs, for a process exit to
  /// reclaim.
  public func runLeavingValues() throws -> Any {
    guard !inGraph.isEmpty else { throw ValidationError("--in_graph is required, e.g. --in_graph=frozen.pb") }
    guard !outGraph.isEmpty else { throw ValidationError("--out_graph is required, e.g. --out_graph=optimized.pb") }
    guard transforms.isEmpty || transformsFile.isEmpty else {
      throw ValidationError("give either --transforms or --transforms_file, not both")
    }
    guard !(outputAsText && outputAsMemmapped) else {
      throw ValidationError("give either --output_as_text or --output_as_memmapped, not both")
    }
    let pipeline = try buildPipeline()
    guard !pipeline.steps.isEmpty else {
      throw ValidationError("the pipeline is empty; you must specify at least one transform")
    }
    for warning in pipeline.warnings { printError("warning: \(warning)") }

    let inputPath = expandTilde(inGraph)
    let outputPath = expandTilde(outGraph)
    let start = now()
    let loaded = try GraphFile.read(path: inputPath)
    let inputNames = splitNames(inputs)
    let outputNames = splitNames(outputs)
    try checkNamesExist(inputNames: inputNames, outputNames: outputNames, in: loaded.graph)
    if !quiet {
      printError(
        "read \(inGraph): \(loaded.graph.nodes.count) nodes, \(humanBytes(loaded.byteCount))"
          + (loaded.format == .text ? " (text)" : "") + " in \(fixed(now() - start, places: 3)) s")
    }

    let readSeconds = now() - start
    // gzip is slow (seconds per 100 MB), so the input's runs on another core meanwhile.
    let graph = loaded.graph
    let inputGzip = gzipSize ? BackgroundValue { GraphFile.measure(graph, gzip: true).gzipByteCount } : nil

    let context = TransformContext(
      inputs: inputNames, outputs: outputNames, opDefinitions: TensorFlowOpDefinitions())
    let width = pipeline.steps.map { $0.call.name.count }.max() ?? 0
    // Sizes are only for the progress lines and the report; measuring costs an encode pass
    // per step.
    let measure: ((Graph) -> Int)? =
      quiet && report.isEmpty ? nil : { GraphFile.measure($0, gzip: false).byteCount }
    var steps: [TransformPipeline.StepReport] = []
    // A binary input's own size is the first step's starting point: what a user compares
    // with is the file they have, and measuring it again cost a full encoding pass.
    let inputSize = loaded.format == .binary ? loaded.byteCount : nil
    let outputFormat: GraphFormat = outputAsMemmapped ? .memmapped : outputAsText ? .text : .binary
    // Without progress lines, a binary output's own size is the last step's result.
    let measureLast = !quiet || outputFormat != .binary
    let result = try pipeline.run(
      on: loaded.graph, context: context, measure: measure, inputSize: inputSize, measureLast: measureLast
    ) { report in
      steps.append(report)
      for diagnostic in report.diagnostics where diagnostic.severity == .warning || !quiet {
        printError(diagnostic.description)
      }
      if let ignored = report.ignoredError {
        printError("warning: \(report.name): ignoring error (ignore_errors=true): \(ignored)")
      }
      guard !quiet else { return }
      var line = "  " + padded(report.name, to: width)
      line += "  \(fixed(report.seconds, places: 3, width: 7)) s"
      line += "  \(report.nodesBefore) → \(report.nodesAfter) nodes"
      if let before = report.bytesBefore, let after = report.bytesAfter {
        line += "  \(humanBytes(after)) (\(humanDelta(after - before)))"
      }
      printError(line)
    }

    var comparison: GraphComparison?
    if verify {
      do {
        comparison = try verification.compare(
          original: loaded.graph, transformed: result, inputs: inputNames, outputs: outputNames, quiet: quiet)
      } catch var failure as VerificationFailure {
        failure.description += "; \(outGraph) not written (rerun without --verify to write it)"
        if !report.isEmpty {
          var run = runReport(loaded: loaded, readSeconds: readSeconds, steps: steps, warnings: pipeline.warnings)
          run.verify = failure.comparison.map(verification.json)
          run.totalSeconds = now() - start
          try run.write(to: expandTilde(report))
        }
        throw failure
      }
    }

    let writeStart = now()
    let written = try GraphFile.write(result, to: outputPath, format: outputFormat, countGzip: gzipSize)
    let writeSeconds = now() - writeStart
    if !quiet {
      printError(
        "wrote \(outGraph): \(result.nodes.count) nodes, \(humanBytes(written.byteCount))"
          + " in \(fixed(writeSeconds, places: 3)) s" + (gzipSize ? " with gzip counting" : "")
          + " (\(fixed(now() - start, places: 3)) s in all)")
    }
    if !measureLast, measure != nil, !steps.isEmpty { steps[steps.count - 1].bytesAfter = written.byteCount }
    var run = runReport(
      loaded: loaded, readSeconds: readSeconds, steps: steps, warnings: pipeline.warnings,
      inputGzipBytes: inputGzip?.value ?? nil)
    run.output = .init(
      path: outGraph, format: outputFormat, nodes: result.nodes.count, bytes: written.byteCount,
      gzipBytes: written.gzipByteCount)
    run.verify = comparison.map(verification.json)
    run.writeSeconds = writeSeconds
    run.totalSeconds = now() - start
    if !quiet {
      for line in run.sizeLines { printError(line) }
    }
    if !report.isEmpty { try run.write(to: expandTilde(report)) }
    return (loaded, result)
  }

  /// The report's fields known before writing; the output side, verification and
  /// timings are filled in after.
  func runReport(
    loaded: LoadedGraph, readSeconds: Double, steps: [TransformPipeline.StepReport], warnings: [String],
    inputGzipBytes: Int? = nil
  ) -> RunReport {
    RunReport(
      input: .init(
        path: inGraph, format: loaded.format, nodes: loaded.graph.nodes.count, bytes: loaded.byteCount,
        gzipBytes: inputGzipBytes),
      output: nil, inputs: splitNames(inputs), outputs: splitNames(outputs), transforms: transforms,
      transformsFile: transformsFile.isEmpty ? nil : transformsFile, steps: steps, warnings: warnings,
      readSeconds: readSeconds, writeSeconds: 0, totalSeconds: 0)
  }

  func buildPipeline() throws -> TransformPipeline {
    if transformsFile.isEmpty {
      return try TransformPipeline(parsing: transforms)
    }
    let path = expandTilde(transformsFile)
    guard let bytes = FileContents.bytes(atPath: path) else {
      throw CommandError("cannot read --transforms_file '\(transformsFile)': \(errnoText())")
    }
    let text = String(decoding: bytes, as: UTF8.self)
    return try TransformPipeline(parsing: text, origin: transformsFile, allowComments: true)
  }
}

/// Checks that every `--outputs` node exists (TensorFlow would fail later, or not at all);
/// a missing `--inputs` node is only a warning, as TensorFlow ignores it.
func checkNamesExist(inputNames: [String], outputNames: [String], in graph: Graph) throws {
  // A few names against thousands of nodes: a scan beats hashing every node name. The
  // set is built only for the hint, when a name is missing.
  func exists(_ node: String) -> Bool { graph.nodes.contains { $0.name == node } }
  func allNames() -> Set<String> { Set(graph.nodes.map(\.name)) }
  for output in outputNames {
    let node = InputRef(parsing: output).node
    guard exists(node) else {
      throw CommandError("--outputs names '\(node)', but the graph has no node of that name" + hint(node, allNames()))
    }
  }
  for input in inputNames {
    let node = InputRef(parsing: input).node
    if !exists(node) {
      printError("warning: --inputs names '\(node)', but the graph has no node of that name" + hint(node, allNames()))
    }
  }
}

/// `; did you mean 'x'?` for the closest existing name, when it is close.
func hint(_ name: String, _ names: Set<String>) -> String {
  NameSuggestion.closest(to: name, among: names).map { "; did you mean '\($0)'?" } ?? ""
}
