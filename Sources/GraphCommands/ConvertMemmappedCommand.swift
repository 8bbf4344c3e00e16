// SPDX-License-Identifier: Apache-2.0

public import ArgumentParser
import GraphIO
import GraphIR

/// `convert_graphdef_memmapped_format`: TensorFlow's converter from a frozen GraphDef to a
/// memory-mapped package, flag for flag.
public struct ConvertMemmappedCommand: TensorFlowStyleCommand {
  /// The command's name, help text and version, as `--help` and `--version` show them.
  public static let configuration = CommandConfiguration(
    commandName: "convert_graphdef_memmapped_format",
    abstract: "Convert a frozen GraphDef into TensorFlow's memory-mapped package format (.pbmm).",
    discussion: """
      Every Const of a plain (POD) type whose value takes at least \
      --min_conversion_tensor_size bytes becomes an ImmutableConst that TensorFlow's \
      MemmappedEnv maps from the package instead of reading it into memory. Each value is \
      written as a 64-byte-aligned region named memmapped_package://<node name, sanitised>; \
      the GraphDef follows as region memmapped_package://., then the directory and its \
      8-byte little-endian offset. Example:
        convert_graphdef_memmapped_format --in_graph=frozen.pb --out_graph=model.pbmm

      The input may be binary or text, or a package (read back with its ImmutableConst \
      nodes restored to Const). transform_graph --output_as_memmapped writes the same \
      format at the end of a pipeline, and transform_graph and summarize_graph read it.
      """,
    version: toolVersion)

  @Option(name: .customLong("in_graph"), help: "Input GraphDef, binary (.pb) or text (.pbtxt), or a package.")
  var inGraph: String = ""

  @Option(name: .customLong("out_graph"), help: "Output package; written atomically.")
  var outGraph: String = ""

  @Option(
    name: .customLong("min_conversion_tensor_size"),
    help: ArgumentHelp(
      "Convert constants whose value takes at least this many bytes (TensorFlow compares bytes, "
        + "whatever the flag's name suggests).", valueName: "bytes"))
  var minConversionTensorSize: Int = MemmappedPackage.defaultMinConversionBytes

  @Flag(name: .customLong("quiet"), help: "Print nothing but errors.")
  var quiet = false

  /// A command with every flag at its default, as `ParsableCommand` requires; parsing fills
  /// in the flags given.
  public init() {}

  /// Flags that TensorFlow lets stand bare; this converter has none.
  public static let booleanFlags: Set<String> = []

  /// Reads `--in_graph`, converts its large constants and writes the package to
  /// `--out_graph`.
  ///
  /// - Throws: `ValidationError` for a missing flag or a threshold below 1;
  ///   `GraphDecodingError` or `GraphWriteError` when reading or writing fails; `CommandError`
  ///   for a constant TensorFlow's converter would refuse (a tensor it cannot parse).
  public func run() throws {
    guard !inGraph.isEmpty else { throw ValidationError("--in_graph is required, e.g. --in_graph=frozen.pb") }
    guard !outGraph.isEmpty else { throw ValidationError("--out_graph is required, e.g. --out_graph=model.pbmm") }
    guard minConversionTensorSize > 0 else {
      throw ValidationError("--min_conversion_tensor_size must be > 0, e.g. --min_conversion_tensor_size=10000")
    }
    let start = now()
    let loaded = try GraphFile.read(path: expandTilde(inGraph))
    if !quiet {
      let kind = loaded.format == .text ? " (text)" : loaded.format == .memmapped ? " (memmapped package)" : ""
      printError(
        "read \(inGraph): \(loaded.graph.nodes.count) nodes, \(humanBytes(loaded.byteCount))\(kind)"
          + format(" in %.3f s", now() - start))
    }
    let conversion = MemmappedPackage.convert(loaded.graph, minConversionBytes: minConversionTensorSize)
    // TF parity: TensorFlow's converter stops at the first constant it cannot parse.
    if let first = conversion.unconvertible.first {
      let more = conversion.unconvertible.count - 1
      throw CommandError("\(first)" + (more > 0 ? " (and \(more) more)" : ""))
    }
    let writeStart = now()
    let written = try MemmappedPackage.write(conversion, to: expandTilde(outGraph))
    if !quiet {
      let regionBytes = conversion.regions.reduce(0) { $0 + $1.byteCount }
      printError(
        "converted \(conversion.regions.count) nodes to ImmutableConst (\(humanBytes(regionBytes)) in regions)")
      printError(
        "wrote \(outGraph): \(conversion.graph.nodes.count) nodes, \(conversion.regions.count + 1) regions, "
          + humanBytes(written.byteCount) + format(" in %.3f s", now() - writeStart)
          + format(" (%.3f s in all)", now() - start))
    }
  }
}
