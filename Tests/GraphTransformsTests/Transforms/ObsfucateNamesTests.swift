// SPDX-License-Identifier: Apache-2.0

import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct ObsfucateNamesTests {
  // TensorFlow's obfuscate_names_test tree, under the old name.
  static let graph = Graph {
    Const("const_node1", 1)
    Const("const_node2", 2)
    Const("const_node3", 3)
    Op("Add", "add_node2", inputs: "const_node1", "const_node2", attrs: ["T": .type(.float)])
    Op("Add", "add_node3", inputs: "const_node1", "const_node3", attrs: ["T": .type(.float)])
    Op("Mul", "mul_node1", inputs: "add_node2", "add_node3", attrs: ["T": .type(.float)])
    Op("Add", "add_node1", inputs: "mul_node1", "const_node3", attrs: ["T": .type(.float)])
  }

  @Test func theOldSpellingDoesWhatObfuscateNamesDoes() throws {
    let old = try runTransforms("obsfucate_names", on: Self.graph, inputs: ["const_node1"], outputs: ["add_node1"])
    let new = try runTransforms("obfuscate_names", on: Self.graph, inputs: ["const_node1"], outputs: ["add_node1"])
    #expect(old.graph == new.graph)
    #expect(old.graph.nodeNames == ["const_node1", "0", "1", "2", "3", "4", "add_node1"])
    #expect(old.graph["add_node1"]?.inputs.map(\.node) == ["4", "1"])
  }

  @Test func outputsGivenWithAPortAreProtected() throws {
    // TF parity: TensorFlow left `add_node1` to be renamed when given as `add_node1:0`.
    let result = try runTransforms("obsfucate_names", on: Self.graph, outputs: ["add_node1:0", "^mul_node1"])
    #expect(result.graph.nodeNames == ["0", "1", "2", "3", "4", "mul_node1", "add_node1"])
  }

  @Test func takesNoParameters() {
    #expect(ObsfucateNames.parameters.isEmpty)
    let registered = TransformRegistry.transform(named: "obsfucate_names")
    #expect(registered.map(ObjectIdentifier.init) == ObjectIdentifier(ObsfucateNames.self))
  }
}
