// SPDX-License-Identifier: Apache-2.0

import Dispatch
import GraphIO
import GraphTransforms

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What one `transform_graph` run did, for the closing size lines and for `--report=FILE`,
/// a JSON record that CI jobs can keep and compare.
struct RunReport {
  /// One side of the run: the graph read or the graph written.
  struct Side {
    var path: String
    var format: GraphFormat
    var nodes: Int
    /// The file's size.
    var bytes: Int
    /// The gzip size (zlib level 6), when `--gzip_size` asked for it.
    var gzipBytes: Int?
  }

  var input: Side
  /// nil when nothing was written (verification failed).
  var output: Side?
  var inputs: [String]
  var outputs: [String]
  /// `--transforms`, or the path of `--transforms_file`.
  var transforms: String
  var transformsFile: String?
  var steps: [TransformPipeline.StepReport]
  /// Warnings from checking the pipeline (unknown parameters).
  var warnings: [String]
  var readSeconds: Double
  var writeSeconds: Double
  var totalSeconds: Double
  /// The `--verify` comparison, when one ran.
  var verify: JSONValue?

  /// The lines printed after a run: raw sizes always, gzip sizes when measured.
  var sizeLines: [String] {
    func share(_ part: Int, _ whole: Int) -> String {
      whole > 0 ? fixed(Double(part) * 100 / Double(whole), places: 1) + "%" : "-"
    }
    guard let output else { return [] }
    var lines = [
      "size: \(humanBytes(input.bytes)) → \(humanBytes(output.bytes)) (\(share(output.bytes, input.bytes)) of the input)"
    ]
    if let before = input.gzipBytes, let after = output.gzipBytes {
      lines.append("gzip: \(humanBytes(before)) → \(humanBytes(after)) (\(share(after, before)) of the input's)")
    }
    return lines
  }

  /// The record as JSON: an object whose keys keep the order below, so that two reports
  /// diff cleanly.
  var json: JSONValue {
    func side(_ side: Side) -> JSONValue {
      .object([
        ("path", .string(side.path)),
        ("format", .string(Self.name(of: side.format))),
        ("nodes", .int(side.nodes)),
        ("bytes", .int(side.bytes)),
        ("gzip_bytes", side.gzipBytes.map(JSONValue.int) ?? .null),
      ])
    }
    let steps = steps.map { step -> JSONValue in
      .object([
        ("name", .string(step.name)),
        ("seconds", .double(step.seconds)),
        ("nodes_before", .int(step.nodesBefore)),
        ("nodes_after", .int(step.nodesAfter)),
        ("bytes_before", step.bytesBefore.map(JSONValue.int) ?? .null),
        ("bytes_after", step.bytesAfter.map(JSONValue.int) ?? .null),
        ("ignored_error", step.ignoredError.map(JSONValue.string) ?? .null),
        (
          "diagnostics",
          .array(
            step.diagnostics.map { diagnostic in
              .object([
                ("severity", .string(diagnostic.severity.rawValue)),
                ("node", diagnostic.node.map(JSONValue.string) ?? .null),
                ("message", .string(diagnostic.message)),
              ])
            })
        ),
      ])
    }
    return .object([
      ("tool", .string("transform_graph")),
      ("version", .string(toolVersion)),
      ("input", side(input)),
      ("output", output.map(side) ?? .null),
      ("inputs", .array(inputs.map(JSONValue.string))),
      ("outputs", .array(outputs.map(JSONValue.string))),
      ("transforms", .string(transforms)),
      ("transforms_file", transformsFile.map(JSONValue.string) ?? .null),
      ("gzip_level", .int(6)),
      ("steps", .array(steps)),
      ("warnings", .array(warnings.map(JSONValue.string))),
      ("read_seconds", .double(readSeconds)),
      ("write_seconds", .double(writeSeconds)),
      ("total_seconds", .double(totalSeconds)),
      ("verify", verify ?? .null),
    ])
  }

  /// The format's name in the report.
  static func name(of format: GraphFormat) -> String {
    switch format {
    case .binary: return "binary"
    case .text: return "text"
    case .memmapped: return "memmapped"
    }
  }

  /// Writes the JSON to `path` atomically: to a temporary file in the same directory,
  /// renamed over `path` only when complete, so CI never reads half a report.
  /// - Throws: `CommandError` naming the path and the reason.
  func write(to path: String) throws { try writeJSON(json, to: path) }
}

/// Writes `text` to a temporary sibling of `path` and renames it over `path`; returns why
/// that failed, or nil.
/// Writes `json` to `path` atomically, as `--report` files are.
func writeJSON(_ json: JSONValue, to path: String) throws {
  if let failure = writeFileAtomically(json.serialized() + "\n", to: path) {
    throw CommandError("cannot write --report '\(path)': \(failure)")
  }
}

private func writeFileAtomically(_ text: String, to path: String) -> String? {
  var text = text
  let slash = path.lastIndex(of: "/")
  let directory = slash.map { String(path[...$0]) } ?? ""
  let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
  let temporary = "\(directory).\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
  guard fd >= 0 else { return errnoText() }
  var failure: String?
  text.withUTF8 { bytes in
    guard let start = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
      let written = write(fd, start + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        failure = errnoText()
        return
      }
      offset += written
    }
  }
  if close(fd) != 0, failure == nil { failure = errnoText() }
  if failure == nil, rename(temporary, path) != 0 { failure = errnoText() }
  if failure != nil { unlink(temporary) }
  return failure
}

/// A JSON value, with a small serializer: enough for `--report`, without Foundation.
indirect enum JSONValue: Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  /// A measured quantity that may be tiny (an error): nine significant digits.
  case number(Double)
  case string(String)
  case array([JSONValue])
  /// Keys in the order given.
  case object([(String, JSONValue)])

  /// The value as JSON text, indented by two spaces per level.
  func serialized(indent: String = "") -> String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .int(let value): return String(value)
    case .double(let value):
      // JSON has no NaN or infinity; a fixed six decimals keeps timings readable.
      return value.isFinite ? format("%.6f", value) : "null"
    case .number(let value):
      return value.isFinite ? format("%.9g", value) : "null"
    case .string(let value): return Self.quoted(value)
    case .array(let values):
      guard !values.isEmpty else { return "[]" }
      let inner = indent + "  "
      return "[\n" + values.map { inner + $0.serialized(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
    case .object(let pairs):
      guard !pairs.isEmpty else { return "{}" }
      let inner = indent + "  "
      let members = pairs.map { inner + Self.quoted($0.0) + ": " + $0.1.serialized(indent: inner) }
      return "{\n" + members.joined(separator: ",\n") + "\n\(indent)}"
    }
  }

  /// `text` as a JSON string literal.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

/// A value computed on another thread while the caller gets on with other work; `value`
/// waits for it. Used to gzip the input on the second core while the pipeline runs.
final class BackgroundValue<Value: Sendable>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  // Written once by the worker before it signals `done`, read only after waiting on it.
  private var result: Value?

  init(_ work: @escaping @Sendable () -> Value) {
    DispatchQueue.global(qos: .utility).async {
      self.result = work()
      self.done.signal()
    }
  }

  /// The value, once computed (never nil after the wait).
  var value: Value? {
    done.wait()
    done.signal()
    return result
  }
}
