// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import Testing

/// The size lines `transform_graph` prints after a run, `--gzip_size`, and `--report=FILE`.
@Suite struct SizeReportTests {
  static let spec = "prune_weights(sparsity=0.5, minimum_size=16) quantize_weights(minimum_size=16)"

  func run(_ extra: [String], in folder: URL) throws -> (CommandResult, String) {
    let out = folder.appendingPathComponent("out.pb").path
    let result = try runTool(
      "transform_graph",
      [
        "--in_graph=\(exampleGraph)", "--out_graph=\(out)", "--inputs=image", "--outputs=probabilities",
        "--transforms=\(Self.spec)",
      ] + extra)
    return (result, out)
  }

  func fileSize(_ path: String) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
  }

  @Test func rawSizesArePrintedAfterEveryRun() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (result, out) = try run([], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    let inputSize = try fileSize(exampleGraph)
    let outputSize = try fileSize(out)
    let line = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("size: ") })
    #expect(line.contains("→"))
    #expect(line.hasSuffix("of the input)"))
    let percent = String(format: "%.1f%%", Double(outputSize) * 100 / Double(inputSize))
    #expect(line.contains(percent), "\(line)")
    #expect(!result.stderr.contains("gzip:"))
  }

  @Test(arguments: [["--gzip_size"], ["--gzip_size=true"]])
  func gzipSizesOnRequest(_ flags: [String]) throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("run.json").path
    let (result, out) = try run(flags + ["--report=\(report)"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("\ngzip: "))
    let json = try Self.readJSON(report)
    let input = try #require(json["input"] as? [String: Any])
    let output = try #require(json["output"] as? [String: Any])
    // The same counter as summarize_graph's, on the graphs as read back.
    let inputGraph = try GraphFile.read(path: exampleGraph).graph
    let outputGraph = try GraphFile.read(path: out).graph
    #expect(input["gzip_bytes"] as? Int == GraphFile.measure(inputGraph, gzip: true).gzipByteCount)
    #expect(output["gzip_bytes"] as? Int == GraphFile.measure(outputGraph, gzip: true).gzipByteCount)
    #expect((output["gzip_bytes"] as? Int ?? .max) < (input["gzip_bytes"] as? Int ?? 0))
  }

  @Test func gzipSizeFalseMeasuresNothing() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("run.json").path
    let (result, _) = try run(["--gzip_size=false", "--report=\(report)"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!result.stderr.contains("gzip:"))
    let json = try Self.readJSON(report)
    #expect((json["input"] as? [String: Any])?["gzip_bytes"] is NSNull)
    #expect((json["output"] as? [String: Any])?["gzip_bytes"] is NSNull)
  }

  @Test func theReportRecordsEveryStep() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("run.json").path
    // --quiet silences the terminal, not the report.
    let (result, out) = try run(["--report=\(report)", "--quiet"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    let json = try Self.readJSON(report)
    #expect(json["tool"] as? String == "transform_graph")
    #expect(json["transforms"] as? String == Self.spec)
    #expect(json["inputs"] as? [String] == ["image"])
    #expect(json["outputs"] as? [String] == ["probabilities"])
    let input = try #require(json["input"] as? [String: Any])
    let output = try #require(json["output"] as? [String: Any])
    #expect(input["bytes"] as? Int == (try fileSize(exampleGraph)))
    #expect(output["bytes"] as? Int == (try fileSize(out)))
    #expect(input["format"] as? String == "binary")
    let inputNodes = try GraphFile.read(path: exampleGraph).graph.nodes.count
    let outputNodes = try GraphFile.read(path: out).graph.nodes.count
    #expect(input["nodes"] as? Int == inputNodes)
    #expect(output["nodes"] as? Int == outputNodes)

    let steps = try #require(json["steps"] as? [[String: Any]])
    #expect(steps.map { $0["name"] as? String } == ["prune_weights", "quantize_weights"])
    #expect(steps.first?["nodes_before"] as? Int == inputNodes)
    #expect(steps.last?["nodes_after"] as? Int == outputNodes)
    #expect(steps.last?["bytes_after"] as? Int == output["bytes"] as? Int)
    for step in steps {
      #expect((step["seconds"] as? Double ?? -1) >= 0)
      #expect(step["bytes_before"] is Int && step["bytes_after"] is Int)
    }
    // The remarks, such as the sparsity prune_weights reached.
    let remarks = steps.flatMap { ($0["diagnostics"] as? [[String: Any]]) ?? [] }
    #expect(remarks.contains { ($0["message"] as? String)?.hasPrefix("sparsity 50.0%") == true })
    for key in ["read_seconds", "write_seconds", "total_seconds"] {
      #expect(json[key] is Double, "\(key)")
    }
  }

  @Test func aTextOutputsLastStepIsMeasuredInBinary() throws {
    // --quiet takes the last step's size from a binary output file; a text file's size
    // is not an encoded GraphDef's, so then the step is measured.
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("run.json").path
    let (binary, binaryOut) = try run(["--quiet"], in: folder)
    #expect(binary.status == 0, "\(binary.stderr)")
    let binarySize = try fileSize(binaryOut)
    let (text, textOut) = try run(["--report=\(report)", "--quiet", "--output_as_text"], in: folder)
    #expect(text.status == 0, "\(text.stderr)")
    let steps = try #require(try Self.readJSON(report)["steps"] as? [[String: Any]])
    #expect(steps.last?["bytes_after"] as? Int == binarySize)
    #expect(try fileSize(textOut) != binarySize)
  }

  @Test func theReportIsReplacedAtomically() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("run.json").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: report))
    let (result, _) = try run(["--report=\(report)", "--quiet"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try Self.readJSON(report)["tool"] as? String == "transform_graph")
    // No temporary files left behind.
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(names == ["out.pb", "run.json"])
  }

  @Test func anUnwritableReportIsAnErrorNamingIt() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = folder.appendingPathComponent("missing/run.json").path
    let (result, _) = try run(["--report=\(report)", "--quiet"], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr.contains("transform_graph: error: cannot write --report '\(report)': "), "\(result.stderr)")
  }

  @Test func helpDescribesTheNewFlags() throws {
    let result = try runTool("transform_graph", ["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("--gzip_size"))
    #expect(result.stdout.contains("--report"))
  }

  static func readJSON(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }
}
