// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct BackportTensorArrayV3Tests {
  // TensorFlow's backport_tensor_array_v3_test: the handle ops and their flow outputs.
  static let graph = Graph {
    Const("size", int32s: [1], shape: [])
    Op("TensorArrayV3", "tensor_array_node", inputs: "size", attrs: ["dtype": .type(.float)])
    Op("TensorArrayGradV3", "grad_node", inputs: "tensor_array_node", "tensor_array_node:1")
    Op("Identity", "handle_identity", inputs: "tensor_array_node:0", attrs: ["T": .type(.resource)])
    Op("Identity", "flow_identity", inputs: "tensor_array_node:1", "^tensor_array_node", attrs: ["T": .type(.float)])
    Op("Identity", "grad_flow", inputs: "grad_node:1", attrs: ["T": .type(.float)])
  }

  static func flow(_ name: String) -> Node {
    Node(
      name: name, op: "Const",
      attrs: ["dtype": .type(.float), "value": .tensor(.floats([1], shape: []))])
  }

  @Test func handleOpsBecomeV2AndTheirFlowOutputsConstants() throws {
    let result = try runTransforms("backport_tensor_array_v3", on: Self.graph)
    let expected = Graph {
      Const("size", int32s: [1], shape: [])
      Op("TensorArrayV2", "tensor_array_node", inputs: "size", attrs: ["dtype": .type(.float)])
      Self.flow("tensor_array_node/replacement_flow_node")
      Op("TensorArrayGradV2", "grad_node", inputs: "tensor_array_node", "tensor_array_node/replacement_flow_node")
      Self.flow("grad_node/replacement_flow_node")
      Op("Identity", "handle_identity", inputs: "tensor_array_node:0", attrs: ["T": .type(.resource)])
      Op(
        "Identity", "flow_identity", inputs: "tensor_array_node/replacement_flow_node", "^tensor_array_node",
        attrs: ["T": .type(.float)])
      Op("Identity", "grad_flow", inputs: "grad_node/replacement_flow_node", attrs: ["T": .type(.float)])
    }
    #expect(result.graph == expected)
    // No input reads a flow output any more.
    let inputs = result.graph.nodes.flatMap(\.inputs).map(\.description)
    #expect(!inputs.contains("tensor_array_node:1"))
    #expect(!inputs.contains("grad_node:1"))
  }

  @Test(arguments: ["Write", "Read", "Gather", "Scatter", "Concat", "Split", "Size", "Close"])
  func subOpsOnlyChangeTheirVersion(_ kind: String) throws {
    let graph = Graph {
      Placeholder("handle", .resource)
      Op("TensorArray\(kind)V3", "node", inputs: "handle", attrs: ["dtype": .type(.float)])
    }
    let result = try runTransforms("backport_tensor_array_v3", on: graph)
    var expected = graph
    expected.nodes[1].op = "TensorArray\(kind)V2"
    #expect(result.graph == expected)
  }

  @Test func graphsWithoutTensorArraysAreUnchanged() throws {
    let graph = Graph {
      Const("a", 1)
      Op("Identity", "b", inputs: "a:0", attrs: ["T": .type(.float)])
    }
    #expect(try runTransforms("backport_tensor_array_v3", on: graph).graph == graph)
  }
}
