// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import GraphTestSupport
import Testing

/// `transform_graph --verify` and `compare_graphs` on small graphs the interpreter runs.
@Suite struct VerifyCLITests {
  /// x·w + b, Relu, an Identity, Softmax: a dense classifier head with something to fold
  /// (`w` is computed from two constants) and something to remove.
  static let classifier = Graph {
    Placeholder("x", shape: [-1, 4])
    Const("w0", floats: (0..<12).map { Float($0) / 6 - 1 }, shape: [4, 3])
    Const("two", 2)
    Op("Mul", "w", inputs: "w0", "two", attrs: ["T": .type(.float)])
    Const("b", floats: [0.1, -0.2, 0.3], shape: [3])
    Op("MatMul", "mm", inputs: "x", "w", attrs: ["T": .type(.float)])
    Op("BiasAdd", "bias", inputs: "mm", "b", attrs: ["T": .type(.float)])
    Op("Relu", "relu", inputs: "bias", attrs: ["T": .type(.float)])
    Op("Identity", "id", inputs: "relu", attrs: ["T": .type(.float)])
    Op("Softmax", "probabilities", inputs: "id", attrs: ["T": .type(.float)])
  }

  func writeClassifier(in folder: URL, graph: Graph = VerifyCLITests.classifier) throws -> String {
    let path = folder.appendingPathComponent("classifier.pb").path
    _ = try GraphFile.write(graph, to: path)
    return path
  }

  func transform(_ input: String, _ transforms: String, in folder: URL, _ extra: [String] = []) throws -> (
    CommandResult, out: String
  ) {
    let out = folder.appendingPathComponent("out.pb").path
    let result = try runTool(
      "transform_graph",
      [
        "--in_graph=\(input)", "--out_graph=\(out)", "--inputs=x", "--outputs=probabilities",
        "--transforms=\(transforms)",
      ]
        + extra)
    return (result, out)
  }

  static func readJSON(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  @Test func losslessRecipePasses() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    let report = folder.appendingPathComponent("run.json").path
    let (result, out) = try transform(
      input, "fold_constants remove_nodes(op=Identity)", in: folder, ["--verify", "--report=\(report)"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(FileManager.default.fileExists(atPath: out))
    #expect(result.stderr.contains("verify: 1 seeded input set (seed 0): x: float[1,4]"), "\(result.stderr)")
    let line = try #require(
      result.stderr.split(separator: "\n").first { $0.contains("probabilities") && $0.contains("max rel") })
    #expect(line.hasSuffix("ok"))
    let verify = try #require(try Self.readJSON(report)["verify"] as? [String: Any])
    #expect(verify["passed"] as? Bool == true)
    let outputs = try #require(verify["outputs"] as? [[String: Any]])
    #expect(outputs.first?["name"] as? String == "probabilities")
    #expect((outputs.first?["max_rel_error"] as? Double).map { $0 <= 1e-6 } == true)
  }

  /// Relu → Relu6 changes nothing here (values stay below 6), Relu → Elu does: negative
  /// pre-activations stop being zero.
  @Test func semanticsChangingRewriteFailsAndWritesNothing() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    let report = folder.appendingPathComponent("run.json").path
    let (result, out) = try transform(
      input, "rename_op(old_op_name=Relu, new_op_name=Elu)", in: folder,
      ["--verify", "--verify_runs=3", "--report=\(report)"])
    #expect(result.status == 2, "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
    let error = try #require(result.stderr.split(separator: "\n").last)
    #expect(error.hasPrefix("transform_graph: error: verification failed: 'probabilities' max relative error "))
    #expect(error.hasSuffix("not written (rerun without --verify to write it)"))
    let json = try Self.readJSON(report)
    #expect(json["output"] is NSNull)
    let verify = try #require(json["verify"] as? [String: Any])
    #expect(verify["passed"] as? Bool == false)
    #expect(verify["runs"] as? Int == 3)
  }

  @Test func aLooseToleranceAcceptsTheSameRewrite() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    let (result, out) = try transform(
      input, "rename_op(old_op_name=Relu, new_op_name=Elu)", in: folder, ["--verify=true", "--verify_tolerance=10"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(FileManager.default.fileExists(atPath: out))
  }

  @Test func unsupportedOpHasItsOwnStatus() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    let (result, out) = try transform(
      input, "rename_op(old_op_name=Softmax, new_op_name=FancySoftmax)", in: folder, ["--verify"])
    #expect(result.status == 3, "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
    #expect(
      result.stderr.contains(
        "transform_graph: error: cannot verify: the interpreter has no kernel for FancySoftmax (1 node: 'probabilities')"
      ), "\(result.stderr)")
  }

  @Test func inputShapesMustMatchInputs() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    let (wrongCount, _) = try transform(input, "remove_device", in: folder, ["--verify", "--input_shapes=1,4:2"])
    #expect(wrongCount.status == 64)
    #expect(wrongCount.stderr.contains("--input_shapes has 2 shapes but --inputs names 1"), "\(wrongCount.stderr)")
    let (batch, _) = try transform(input, "remove_device", in: folder, ["--verify", "--input_shapes=5,4"])
    #expect(batch.status == 0, "\(batch.stderr)")
    #expect(batch.stderr.contains("x: float[5,4]"))
    let (noOutputs, _) = try transform(input, "remove_device", in: folder, ["--verify", "--outputs="])
    #expect(noOutputs.status == 64, "\(noOutputs.stderr)")
  }

  @Test func compareGraphsReportsAgreementAndDifference() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try writeClassifier(in: folder)
    var changed = Self.classifier
    for index in changed.nodes.indices where changed.nodes[index].name == "b" {
      changed.nodes[index] = Const("b", floats: [0.1, -0.2, 0.35], shape: [3])
    }
    let other = folder.appendingPathComponent("other.pb").path
    _ = try GraphFile.write(changed, to: other)

    let same = try runTool(
      "compare_graphs", ["--original=\(input)", "--transformed=\(input)", "--inputs=x", "--outputs=probabilities"])
    #expect(same.status == 0, "\(same.stderr)")
    #expect(same.stderr.contains("compare_graphs: all 1 output(s) agree"))

    let report = folder.appendingPathComponent("compare.json").path
    let differ = try runTool(
      "compare_graphs",
      ["--original=\(input)", "--transformed=\(other)", "--inputs=x", "--outputs=probabilities", "--report=\(report)"])
    #expect(differ.status == 2, "\(differ.stderr)")
    let verify = try #require(try Self.readJSON(report)["verify"] as? [String: Any])
    #expect(verify["passed"] as? Bool == false)

    let lenient = try runTool(
      "compare_graphs",
      [
        "--original=\(input)", "--transformed=\(other)", "--inputs=x", "--outputs=probabilities",
        "--verify_tolerance=0.5",
      ])
    #expect(lenient.status == 0, "\(lenient.stderr)")
  }
}
