// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct RemoveDeviceTests {
  // TensorFlow's remove_device_test graph.
  static let graph = Graph {
    Op("Mul", "mul_node1", inputs: "add_node2", "add_node3", device: "//cpu:0")
    Op("Add", "add_node2", inputs: "const_node1", "const_node2", device: "//device:GPU:1")
    Op("Add", "add_node3", inputs: "const_node1", "const_node3")
    Op("Const", "const_node1")
    Op("Const", "const_node2")
    Op("Const", "const_node3")
    Op("Add", "add_node4", inputs: "add_node2", "add_node3")
  }

  @Test func clearsEveryDevice() throws {
    let result = try runTransforms("remove_device", on: Self.graph, outputs: ["mul_node1"])
    #expect(result.graph.nodes.map(\.device) == Array(repeating: "", count: 7))
    // Nothing else changes.
    var expected = Self.graph
    for index in expected.nodes.indices { expected.nodes[index].device = "" }
    #expect(result.graph == expected)
    #expect(result.diagnostics.isEmpty)
  }

  @Test func keepsInputsAndAttributes() throws {
    let graph = Graph {
      Placeholder("x", shape: [2])
      Op(
        "Identity", "y", inputs: "x:0", "^x", attrs: ["T": .type(.float)],
        device: "/job:a/task:0/device:CPU:0")
    }
    let result = try runTransforms("remove_device", on: graph)
    #expect(
      result.graph.dump == """
        x = Placeholder() {dtype=float, shape=[2]}
        y = Identity(x:0, ^x) {T=float}
        """)
  }

  @Test func aGraphWithoutDevicesIsUnchanged() throws {
    let graph = Graph {
      Placeholder("x")
      Op("Identity", "y", inputs: "x")
    }
    #expect(try runTransforms("remove_device", on: graph).graph == graph)
  }

  @Test func takesNoParameters() throws {
    #expect(TransformRegistry.transform(named: "remove_device")?.parameters.isEmpty == true)
    let result = try runTransforms("remove_device(device=x)", on: Self.graph)
    #expect(
      result.warnings == [
        "remove_device: ignoring unknown parameter 'device' (it takes no parameters)"
      ])
    #expect(result.graph.nodes.allSatisfy { $0.device.isEmpty })
  }
}
