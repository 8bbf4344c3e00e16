// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import GraphCommands
import GraphIO
import GraphIR
import GraphTestSupport
import Testing

@Test func theSummaryFollowsTensorFlowsWording() {
  let graph = Graph {
    Placeholder("x", .float, shape: [1, -1, 3])
    Node(name: "v", op: "VariableV2", attrs: ["dtype": .type(.int32)])
    Const("w", floats: [Float](repeating: 1, count: 1500), shape: [500, 3])
    Op("MatMul", "y", inputs: "x", "w", device: "/cpu:0")
    Op("Relu", "z", inputs: "y", "^v", device: "/cpu:0")
    Op("Relu", "u", inputs: "y", device: "/gpu:0")
  }
  let text = GraphSummary(graph: graph, libraryOps: ["Relu"], path: "g.pb").text
  let lines = text.split(separator: "\n").map(String.init)
  #expect(lines[0] == "Found 1 possible inputs: (name=x, type=float(1), shape=[1,?,3]) ")
  #expect(lines[1] == "Found 1 variables: (name=v, type=int32(3), shape=None) ")
  #expect(lines[2] == "Found 2 possible outputs: (name=z, op=Relu) (name=u, op=Relu) ")
  #expect(lines[3] == "Found 1500 (1.50k) const parameters, 0 (0) variable parameters, and 1 control_edges")
  #expect(lines[4] == "2 nodes assigned to device '/cpu:0'")
  #expect(lines[5] == "1 nodes assigned to device '/gpu:0'")
  #expect(lines[6] == "Op types used: 3 Relu, 1 Const, 1 MatMul, 1 Placeholder, 1 VariableV2")
  #expect(
    lines[8]
      == "bazel run tensorflow/tools/benchmark:benchmark_model -- --graph=g.pb --show_flops --input_layer=x,v --input_layer_type=float,int32 --input_layer_shape=1,-1,3: --output_layer=z,u"
  )
}

@Test(arguments: [(0, "0"), (999, "999"), (1000, "1.00k"), (3_538_984, "3.54M"), (25_557_032, "25.56M"),
                  (1_999_999_999, "2.00B"), (-1500, "-1.50k")] as [(Int64, String)])
func humanReadableNumbersMatchTensorFlow(value: Int64, expected: String) {
  #expect(humanReadableNum(value) == expected)
}

@Test func summarizeGraphReportsSizesAndFailsOnDanglingInputs() throws {
  let folder = try scratchFolder()
  defer { try? FileManager.default.removeItem(at: folder) }
  let good = try runTool("summarize_graph", ["--in_graph=\(exampleGraph)"])
  #expect(good.status == 0)
  #expect(good.stdout.hasPrefix("Found 2 possible inputs: (name=image, type=float(1), shape=[1,24,24,4]) (name=labels, type=float(1), shape=[1,5]) \n"))
  let size = try FileManager.default.attributesOfItem(atPath: exampleGraph)[.size] as? Int ?? -1
  #expect(good.stdout.contains("Size: \(size) bytes"))
  #expect(good.stdout.contains("gzip-compressed"))

  let broken = Graph { Op("Relu", "r", inputs: "missing") }
  let path = folder.appendingPathComponent("broken.pb").path
  _ = try GraphFile.write(broken, to: path)
  let bad = try runTool("summarize_graph", ["--in_graph=\(path)"])
  #expect(bad.status == 1)
  #expect(bad.stdout.contains("Invalid input missing for node r"))
  #expect(bad.stderr.contains("nonexistent nodes"))
}
