// SPDX-License-Identifier: Apache-2.0

import GraphIO
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct AddDefaultAttributesTests {
  // TensorFlow's add_default_attributes_test: one bare LRN, one with every attribute set.
  static let graph = Graph {
    Op("LRN", "lrn_node1")
    Op(
      "LRN", "lrn_node2",
      attrs: ["depth_radius": .i(7), "bias": .f(2), "alpha": .f(2), "beta": .f(1)])
  }

  @Test func fillsInMissingDefaultsAndKeepsGivenValues() throws {
    let result = try runTransforms("add_default_attributes", on: Self.graph)
    #expect(
      result.graph.nodes[0]
        == Op(
          "LRN", "lrn_node1",
          attrs: ["depth_radius": .i(5), "bias": .f(1), "alpha": .f(1), "beta": .f(0.5), "T": .type(.float)]))
    #expect(
      result.graph.nodes[1]
        == Op(
          "LRN", "lrn_node2",
          attrs: ["depth_radius": .i(7), "bias": .f(2), "alpha": .f(2), "beta": .f(1), "T": .type(.float)]))
    #expect(result.graph.nodeNames == ["lrn_node1", "lrn_node2"])
  }

  @Test func attributesWithoutDefaultsStayMissing() throws {
    let graph = Graph {
      Placeholder("x", shape: [1, 4, 4, 1])
      Const("w", floats: [1], shape: [1, 1, 1, 1])
      Op("Conv2D", "conv", inputs: "x", "w", attrs: ["T": .type(.float), "padding": .string("SAME")])
    }
    let result = try runTransforms("add_default_attributes", on: graph)
    let conv = try #require(result.graph["conv"])
    // strides has no default; the rest are appended in the op's declaration order.
    #expect(
      conv.attrs.keys == [
        "T", "padding", "use_cudnn_on_gpu", "explicit_paddings", "data_format", "dilations",
      ])
    #expect(conv.attrs["data_format"] == .string("NHWC"))
    #expect(conv.attrs["dilations"] == .list(AttrList(i: [1, 1, 1, 1])))
    #expect(conv.attrs["explicit_paddings"] == .list(AttrList()))
    #expect(conv.attrs["use_cudnn_on_gpu"] == .b(true))
    // Placeholder's shape default is an unknown-rank shape.
    #expect(result.graph["x"]?.attrs.keys == ["dtype", "shape"])
    #expect(result.graph["w"] == graph["w"])
  }

  @Test func unknownOpsFailNamingTheNode() throws {
    let graph = Graph { Op("NoSuchOp", "odd") }
    let error = try #require(throws: PipelineError.self) { try runTransforms("add_default_attributes", on: graph) }
    #expect(error.message.contains("op 'NoSuchOp' is not registered"))
    #expect(error.message.contains("'odd'"))
  }

  @Test func functionsInTheGraphsLibraryCount() throws {
    let text = """
      node { name: "call" op: "Scaled" }
      library {
        function {
          signature {
            name: "Scaled"
            attr { name: "scale" type: "float" default_value { f: 3 } }
            attr { name: "mode" type: "string" }
          }
        }
      }
      """
    let graph = try GraphFile.decode(Array(text.utf8))
    let result = try runTransforms("add_default_attributes", on: graph)
    #expect(result.graph.nodes == [Op("Scaled", "call", attrs: ["scale": .f(3)])])
    #expect(result.graph.library == graph.library)
  }

  @Test func withoutAnOpTableEveryOpIsUnknown() throws {
    let transform = try AddDefaultAttributes(arguments: TransformArguments(transform: "add_default_attributes"))
    #expect(throws: TransformError.self) {
      try transform.apply(to: Self.graph, in: TransformContext(inputs: [], outputs: []))
    }
  }
}
