// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// What `summarize_graph` reports about a graph, in TensorFlow's wording and order.
public struct GraphSummary: Sendable {
  /// The report, one finding per line and ending in a newline: inputs, variables, outputs,
  /// parameter counts, devices, invalid inputs, op counts and the `benchmark_model` hint.
  /// The size line is not part of it; the command appends that.
  public var text: String
  /// Whether some input names a node that does not exist (the command then fails).
  public var hasInvalidInputs: Bool

  /// Summarises `graph`; `libraryOps` are the ops inside its function library, and
  /// `path` is how the benchmark hint names the file.
  public init(graph: Graph, libraryOps: [String], path: String) {
    var lines: [String] = []
    let placeholders = graph.nodes.filter { $0.op == "Placeholder" }
    let variables = graph.nodes.filter { $0.op == "Variable" || $0.op == "VariableV2" }
    if placeholders.isEmpty {
      lines.append("No inputs spotted.")
    } else {
      lines.append("Found \(placeholders.count) possible inputs: " + placeholders.map(Self.describeInput).joined())
    }
    if variables.isEmpty {
      lines.append("No variables spotted.")
    } else {
      lines.append("Found \(variables.count) variables: " + variables.map(Self.describeInput).joined())
    }

    // Outputs: nodes nobody reads (through any input) that are not plumbing.
    var consumed = Set<String>()
    var controlEdges = 0
    for node in graph.nodes {
      for input in node.inputs {
        consumed.insert(input.node)
        if input.isControl { controlEdges += 1 }
      }
    }
    let plumbing: Set<String> = ["Const", "Assign", "NoOp", "Placeholder"]
    let outputs = graph.nodes.filter { !consumed.contains($0.name) && !plumbing.contains($0.op) }
    if outputs.isEmpty {
      lines.append("No outputs spotted.")
    } else {
      lines.append(
        "Found \(outputs.count) possible outputs: "
          + outputs.map { "(name=\($0.name), op=\($0.op)) " }.joined())
    }

    var constParameters: Int64 = 0
    var variableParameters: Int64 = 0
    for node in graph.nodes where node.op == "Const" || variables.contains(where: { $0.name == node.name }) {
      guard case .tensor(let tensor)? = node.attrs["value"], let count = tensor.elementCount else { continue }
      if node.op == "Const" {
        constParameters &+= count
      } else {
        variableParameters &+= count
      }
    }
    lines.append(
      "Found \(constParameters) (\(humanReadableNum(constParameters))) const parameters, "
        + "\(variableParameters) (\(humanReadableNum(variableParameters))) variable parameters, "
        + "and \(controlEdges) control_edges")

    var devices: [String: Int] = [:]
    for node in graph.nodes where !node.device.isEmpty { devices[node.device, default: 0] += 1 }
    if !devices.isEmpty {
      // TF parity: TensorFlow prints these with no separator; one per line is readable.
      for (device, count) in devices.sorted(by: { $0.key < $1.key }) {
        lines.append("\(count) nodes assigned to device '\(device)'")
      }
    }

    let names = Set(graph.nodes.map(\.name))
    var invalid: [String] = []
    for node in graph.nodes {
      for input in node.inputs where !names.contains(input.node) {
        invalid.append("Invalid input \(input.description) for node \(node.name)")
      }
    }
    hasInvalidInputs = !invalid.isEmpty
    lines += invalid

    var opCounts: [String: Int] = [:]
    for op in graph.nodes.map(\.op) + libraryOps { opCounts[op, default: 0] += 1 }
    // TF parity: TensorFlow leaves ties in unspecified order; here ties sort by name.
    let sortedOps = opCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    lines.append("Op types used: " + sortedOps.map { "\($0.value) \($0.key)" }.joined(separator: ", "))

    let hintInputs = placeholders + variables
    lines.append("To use with tensorflow/tools/benchmark:benchmark_model try these arguments:")
    lines.append(
      "bazel run tensorflow/tools/benchmark:benchmark_model -- --graph=\(path) --show_flops"
        + " --input_layer=" + hintInputs.map(\.name).joined(separator: ",")
        + " --input_layer_type=" + hintInputs.map { Self.dtype(of: $0).name }.joined(separator: ",")
        + " --input_layer_shape=" + hintInputs.map(Self.hintShape).joined(separator: ":")
        + " --output_layer=" + outputs.map(\.name).joined(separator: ","))
    text = lines.joined(separator: "\n") + "\n"
  }

  static func dtype(of node: Node) -> DataType {
    if case .type(let type)? = node.attrs["dtype"] { return type }
    return .invalid
  }

  /// `(name=x, type=float(1), shape=[1,224,224,3]) `, as TensorFlow prints an input.
  static func describeInput(_ node: Node) -> String {
    let type = dtype(of: node)
    var shape = "None"
    if case .shape(let value)? = node.attrs["shape"] { shape = value.description }
    return "(name=\(node.name), type=\(type.name)(\(type.rawValue)), shape=\(shape)) "
  }

  /// Dims joined by commas, unknown as -1; an unknown rank gives nothing.
  static func hintShape(_ node: Node) -> String {
    guard case .shape(let shape)? = node.attrs["shape"], !shape.unknownRank else { return "" }
    return shape.sizes.map(String.init).joined(separator: ",")
  }
}
