// SPDX-License-Identifier: Apache-2.0

public import ArgumentParser
import GraphIO
import GraphIR
import GraphTransforms

/// `summarize_graph`: TensorFlow's report on a graph's inputs, outputs, parameters and
/// ops, plus the raw and gzip-compressed size.
public struct SummarizeGraphCommand: TensorFlowStyleCommand {
  /// The command's name, help text and version, as `--help` and `--version` show them.
  public static let configuration = CommandConfiguration(
    commandName: "summarize_graph",
    abstract: "Describe a GraphDef: likely inputs and outputs, parameters, ops and sizes.",
    discussion: """
      The report follows TensorFlow's summarize_graph line for line, then adds the file's \
      raw and gzip-compressed (level 6) size.
      """,
    version: toolVersion)

  @Option(
    name: .customLong("in_graph"),
    help: "GraphDef to describe: binary (.pb), text (.pbtxt) or a memory-mapped package (.pbmm).")
  var inGraph: String = ""

  @Option(
    name: .customLong("print_structure"),
    help: ArgumentHelp(
      "Also list every node in execution order (--print_structure, or =true/=false).", valueName: "bool"))
  var printStructure: Bool = false

  /// A command with every flag at its default, as `ParsableCommand` requires; parsing fills
  /// in the flags given.
  public init() {}

  /// Flags that TensorFlow lets stand bare.
  public static let booleanFlags: Set<String> = ["print_structure"]

  /// Reads `--in_graph` and prints the summary (and, with `--print_structure`, every node)
  /// to standard output, followed by the file's size.
  ///
  /// - Throws: `ValidationError` when `--in_graph` is missing; `GraphDecodingError` when the
  ///   file cannot be read; `CommandError` when the graph cannot be ordered for
  ///   `--print_structure`, or when some input names a missing node (after the report is
  ///   printed, as TensorFlow does).
  public func run() throws {
    guard !inGraph.isEmpty else { throw ValidationError("--in_graph is required, e.g. --in_graph=frozen.pb") }
    let loaded = try GraphFile.read(path: expandTilde(inGraph))
    let graph = loaded.graph
    let libraryOps = graph.library.map(FunctionLibrary.nodeOps(in:)) ?? []
    let summary = GraphSummary(graph: graph, libraryOps: libraryOps, path: inGraph)
    var output = summary.text
    if printStructure {
      output += try structure(of: graph)
    }
    let size = GraphFile.measure(graph, gzip: true)
    output += "Size: \(loaded.byteCount) bytes (\(humanBytes(loaded.byteCount)))"
    if loaded.format == .binary, let gzip = size.gzipByteCount {
      output += ", \(gzip) bytes (\(humanBytes(gzip))) gzip-compressed"
    } else if let gzip = size.gzipByteCount {
      output += "; as binary: \(size.byteCount) bytes, \(gzip) bytes gzip-compressed"
    }
    print(output)
    if summary.hasInvalidInputs {
      throw CommandError("invalid graph with inputs referring to nonexistent nodes")
    }
  }

  /// One line per node in execution order, `name (op): [inputs]`, with each Const's
  /// type and shape.
  ///
  /// TF parity: TensorFlow prints the whole `Tensor::DebugString` of each Const value;
  /// the values are left out here, as they make the listing unreadable for real models.
  func structure(of graph: Graph) throws -> String {
    let sorted: Graph
    do {
      sorted = try graph.sortedByExecutionOrder()
    } catch {
      throw CommandError("--print_structure: cannot order the graph: \(error)")
    }
    return sorted.nodes.map { node in
      var line = "\(node.name) (\(node.op)): [\(node.inputs.map(\.description).joined(separator: ", "))]"
      if node.op == "Const", case .tensor(let tensor)? = node.attrs["value"] {
        line += ", value=Tensor<type: \(tensor.dtype.name) shape: \(tensor.shape)>"
      }
      return line + "\n"
    }.joined()
  }
}
