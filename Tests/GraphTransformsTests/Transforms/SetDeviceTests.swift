// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct SetDeviceTests {
  // TensorFlow's set_device_test graph.
  static let graph = Graph {
    Op("Mul", "mul_node1", inputs: "add_node2", "add_node3", device: "/device:CPU:0")
    Op("Add", "add_node2", inputs: "const_node1", "const_node2", device: "/device:GPU:1")
    Op("Add", "add_node3", inputs: "const_node1", "const_node3")
    Op("Const", "const_node1")
    Op("Const", "const_node2")
    Op("Const", "const_node3")
    Op("Add", "add_node4", inputs: "add_node2", "add_node3")
  }

  func devices(_ graph: Graph) -> [String: String] {
    Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.name, $0.device) })
  }

  @Test func setsEveryDevice() throws {
    let result = try runTransforms(
      #"set_device(device="/device:CPU:0")"#, on: Self.graph, outputs: ["mul_node1"])
    #expect(result.graph.nodes.map(\.device) == Array(repeating: "/device:CPU:0", count: 7))
    #expect(result.graph.nodeNames == Self.graph.nodeNames)
    #expect(result.graph.nodes.map(\.inputs) == Self.graph.nodes.map(\.inputs))
  }

  @Test(arguments: ["true", "1"])
  func ifDefaultKeepsExistingDevices(_ flag: String) throws {
    let result = try runTransforms(
      #"set_device(device="/device:GPU:0", if_default=\#(flag))"#, on: Self.graph,
      outputs: ["mul_node1"])
    #expect(
      devices(result.graph) == [
        "mul_node1": "/device:CPU:0",
        "add_node2": "/device:GPU:1",
        "add_node3": "/device:GPU:0",
        "const_node1": "/device:GPU:0",
        "const_node2": "/device:GPU:0",
        "const_node3": "/device:GPU:0",
        "add_node4": "/device:GPU:0",
      ])
  }

  @Test(arguments: ["false", "0"])
  func ifDefaultFalseOverwrites(_ flag: String) throws {
    let result = try runTransforms(
      #"set_device(device="/device:GPU:0", if_default=\#(flag))"#, on: Self.graph)
    #expect(result.graph.nodes.map(\.device) == Array(repeating: "/device:GPU:0", count: 7))
  }

  @Test func defaultDeviceIsEmptySoItClearsDevices() throws {
    let result = try runTransforms("set_device", on: Self.graph)
    #expect(result.graph.nodes.map(\.device) == Array(repeating: "", count: 7))
    // With if_default, setting "" on nodes that have "" changes nothing.
    #expect(try runTransforms("set_device(if_default=true)", on: Self.graph).graph == Self.graph)
  }

  @Test func bareDeviceNamesNeedNoQuotes() throws {
    let result = try runTransforms("set_device(device=/cpu)", on: Self.graph)
    #expect(result.graph.nodes.allSatisfy { $0.device == "/cpu" })
  }

  @Test(arguments: ["yes", "True", "2"])
  func ifDefaultMustBeABoolean(_ flag: String) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms("set_device(device=x, if_default=\(flag))", on: Self.graph)
    }
    #expect(
      error.message
        == "set_device: parameter 'if_default' must be true, false, 1 or 0, found '\(flag)'")
    #expect(error.lineAndColumn.column == 1)
  }

  @Test func repeatedDeviceIsAnError() throws {
    let error = try #require(throws: TransformSpecError.self) {
      try runTransforms("set_device(device=a, device=b)", on: Self.graph)
    }
    #expect(error.message == "set_device: parameter 'device' given 2 times; pass it once")
  }
}
