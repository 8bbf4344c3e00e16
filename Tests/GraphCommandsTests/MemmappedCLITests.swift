// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphCommands
import GraphIO
import GraphIR
import GraphTestSupport
import Testing

/// The example graph as a package, converted with a threshold low enough to map its weights.
private func examplePackage(in folder: URL, threshold: Int = 1000) throws -> String {
  let out = folder.appendingPathComponent("example.pbmm").path
  let result = try runTool(
    "convert_graphdef_memmapped_format",
    ["--in_graph=\(exampleGraph)", "--out_graph=\(out)", "--min_conversion_tensor_size=\(threshold)"])
  #expect(result.status == 0, "\(result.stderr)")
  return out
}

@Suite struct ConvertMemmappedCLITests {
  @Test func helpNamesTensorFlowsFlags() throws {
    let result = try runTool("convert_graphdef_memmapped_format", ["--help"])
    #expect(result.status == 0)
    for flag in ["--in_graph", "--out_graph", "--min_conversion_tensor_size", "memmapped_package://"] {
      #expect(result.stdout.contains(flag), "help lacks \(flag)")
    }
  }

  @Test func convertsTheExampleGraphAndReportsTheCount() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let out = folder.appendingPathComponent("example.pbmm").path
    let result = try runTool(
      "convert_graphdef_memmapped_format",
      ["--in_graph", exampleGraph, "--out_graph", out, "--min_conversion_tensor_size=1000"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    let original = try GraphFile.read(path: exampleGraph).graph
    let expected = MemmappedPackage.convert(original, minConversionBytes: 1000)
    #expect(expected.regions.count >= 2)
    #expect(result.stderr.contains("converted \(expected.regions.count) nodes to ImmutableConst"), "\(result.stderr)")
    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == MemmappedPackage.encode(expected))
    let loaded = try GraphFile.read(path: out)
    #expect(loaded.format == .memmapped)
    #expect(loaded.graph.withAttrsSortedByKey == original.withAttrsSortedByKey)
  }

  @Test func theDefaultThresholdIsTenThousandBytes() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let out = folder.appendingPathComponent("default.pbmm").path
    let result = try runTool(
      "convert_graphdef_memmapped_format", ["--in_graph=\(exampleGraph)", "--out_graph=\(out)", "--quiet"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty)
    let original = try GraphFile.read(path: exampleGraph).graph
    #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == GraphFile.encode(original, format: .memmapped))
  }

  @Test func usageMistakesExitWith64() throws {
    let missing = try runTool("convert_graphdef_memmapped_format", ["--out_graph=/tmp/x.pbmm"])
    #expect(missing.status == 64)
    #expect(missing.stderr.contains("--in_graph is required"))
    let zero = try runTool(
      "convert_graphdef_memmapped_format",
      ["--in_graph=\(exampleGraph)", "--out_graph=/tmp/x.pbmm", "--min_conversion_tensor_size=0"])
    #expect(zero.status == 64)
    #expect(zero.stderr.contains("--min_conversion_tensor_size must be > 0"))
  }

  @Test func aConstantTensorFlowCannotParseIsAnErrorAndNothingIsWritten() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var bad = Tensor(dtype: .float, shape: TensorShape([5000]))
    bad.content = SharedBytes([1, 2, 3])
    let graph = Graph {
      Node(name: "bad/weights", op: "Const", attrs: ["dtype": .type(.float), "value": .tensor(bad)])
    }
    let input = folder.appendingPathComponent("bad.pb").path
    _ = try GraphFile.write(graph, to: input)
    let out = folder.appendingPathComponent("bad.pbmm").path
    let result = try runTool("convert_graphdef_memmapped_format", ["--in_graph=\(input)", "--out_graph=\(out)"])
    #expect(result.status == 1)
    let lines = result.stderr.split(separator: "\n")
    // The decoder rejects the tensor before the converter sees it (issue 8), naming the node.
    #expect(
      lines.last?.contains("('bad/weights').attr[\"value\"].tensor: tensor_content holds 3 bytes") == true,
      "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func aPackageCanBeConvertedAgain() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let first = try examplePackage(in: folder)
    let second = folder.appendingPathComponent("again.pbmm").path
    let result = try runTool(
      "convert_graphdef_memmapped_format",
      ["--in_graph=\(first)", "--out_graph=\(second)", "--min_conversion_tensor_size=1000"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("(memmapped package)"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
  }
}

@Suite struct TransformGraphMemmappedCLITests {
  @Test func outputAsMemmappedWritesAPackage() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for spelling in ["--output_as_memmapped", "--output_as_memmapped=true"] {
      let out = folder.appendingPathComponent("out.pbmm").path
      let result = try runTool(
        "transform_graph",
        [
          "--in_graph=\(exampleGraph)", "--out_graph=\(out)", "--inputs=image", "--outputs=probabilities",
          "--transforms=strip_unused_nodes remove_device", spelling,
        ])
      #expect(result.status == 0, "\(result.stderr)")
      let loaded = try GraphFile.read(path: out)
      #expect(loaded.format == .memmapped)
      // The same pipeline written as a .pb, then converted, gives the same bytes.
      let pb = folder.appendingPathComponent("out.pb").path
      let plain = try runTool(
        "transform_graph",
        [
          "--in_graph=\(exampleGraph)", "--out_graph=\(pb)", "--inputs=image", "--outputs=probabilities",
          "--transforms=strip_unused_nodes remove_device", "--quiet",
        ])
      #expect(plain.status == 0, "\(plain.stderr)")
      let expected = GraphFile.encode(try GraphFile.read(path: pb).graph, format: .memmapped)
      #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == expected)
    }
    let off = folder.appendingPathComponent("off.pb").path
    let result = try runTool(
      "transform_graph",
      [
        "--in_graph=\(exampleGraph)", "--out_graph=\(off)", "--transforms=remove_device", "--output_as_memmapped=false",
        "--quiet",
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try GraphFile.read(path: off).format == .binary)
  }

  @Test func textAndMemmappedOutputExcludeEachOther() throws {
    let result = try runTool(
      "transform_graph",
      [
        "--in_graph=\(exampleGraph)", "--out_graph=/tmp/never.pb", "--transforms=remove_device", "--output_as_text",
        "--output_as_memmapped",
      ])
    #expect(result.status == 64)
    #expect(result.stderr.contains("either --output_as_text or --output_as_memmapped"))
  }

  @Test func helpDocumentsTheFlag() throws {
    let result = try runTool("transform_graph", ["--help"])
    #expect(result.stdout.contains("--output_as_memmapped"))
  }

  @Test func aPackageAsInputIsWrittenBackAsAPlainGraph() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let package = try examplePackage(in: folder)
    let out = folder.appendingPathComponent("back.pb").path
    let result = try runTool(
      "transform_graph", ["--in_graph=\(package)", "--out_graph=\(out)", "--transforms=sort_by_execution_order"])
    #expect(result.status == 0, "\(result.stderr)")
    let back = try GraphFile.read(path: out)
    #expect(back.format == .binary)
    #expect(!back.graph.nodes.contains { $0.op == "ImmutableConst" })
    let original = try GraphFile.read(path: exampleGraph).graph.sortedByExecutionOrder()
    #expect(back.graph.withAttrsSortedByKey == original.withAttrsSortedByKey)
  }
}

@Suite struct SummarizeMemmappedCLITests {
  @Test func summarizesAPackageLikeTheGraphInside() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let package = try examplePackage(in: folder)
    let fromPackage = try runTool("summarize_graph", ["--in_graph=\(package)"])
    let fromGraph = try runTool("summarize_graph", ["--in_graph=\(exampleGraph)"])
    #expect(fromPackage.status == 0, "\(fromPackage.stderr)")
    // Everything up to the size line matches (the benchmark hint names the file).
    func body(_ text: String) -> [Substring] {
      text.split(separator: "\n").filter { !$0.hasPrefix("bazel run") && !$0.hasPrefix("Size:") }
    }
    #expect(body(fromPackage.stdout) == body(fromGraph.stdout))
    let size = try FileManager.default.attributesOfItem(atPath: package)[.size] as? Int ?? -1
    #expect(fromPackage.stdout.contains("Size: \(size) bytes"))
  }

  @Test func aBrokenPackageIsOneErrorLine() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let package = try examplePackage(in: folder)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: package))
    bytes.removeLast(5)
    let broken = folder.appendingPathComponent("broken.pbmm").path
    try bytes.write(to: URL(fileURLWithPath: broken))
    let extra = [
      "summarize_graph": [], "transform_graph": ["--out_graph=\(folder.path)/x.pb", "--transforms=remove_device"],
    ]
    for (tool, arguments) in extra.sorted(by: { $0.key < $1.key }) {
      let result = try runTool(tool, ["--in_graph=\(broken)"] + arguments)
      #expect(result.status == 1, "\(tool): \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(tool): \(result.stderr)")
      #expect(lines.first?.contains("error: cannot read graph '\(broken)'") == true, "\(result.stderr)")
      #expect(lines.first?.contains("memmapped package: bad trailer") == true, "\(result.stderr)")
    }
  }
}
