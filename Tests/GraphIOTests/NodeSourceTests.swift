// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import GraphIO
import GraphIR
import Testing

/// Nodes read from a file keep the bytes they were read from, and are written back as
/// those bytes for as long as nothing about them changes.
@Suite struct NodeSourceTests {
  /// Whether an encoder would copy the node's bytes as read.
  func isCopied(_ node: Node) -> Bool { node.unchangedSourceBytes != nil }

  /// A GraphDef whose first NodeDef has its fields out of the usual order (`op` before
  /// `name`), which re-encoding would put back in order: only a copy keeps it.
  static func unusualGraphDef() -> [UInt8] {
    var first: [UInt8] = []
    WireWriter.appendFieldHeader(number: 2, length: 11, to: &first)
    first += Array("Placeholder".utf8)
    WireWriter.appendFieldHeader(number: 1, length: 1, to: &first)
    first += Array("x".utf8)
    var second: [UInt8] = []
    WireWriter.appendFieldHeader(number: 1, length: 1, to: &second)
    second += Array("y".utf8)
    WireWriter.appendFieldHeader(number: 2, length: 8, to: &second)
    second += Array("Identity".utf8)
    WireWriter.appendFieldHeader(number: 3, length: 1, to: &second)
    second += Array("x".utf8)
    var graph: [UInt8] = []
    for node in [first, second] {
      WireWriter.appendFieldHeader(number: 1, length: node.count, to: &graph)
      graph += node
    }
    return graph
  }

  static func read(_ bytes: [UInt8]) throws -> Graph {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("g.pb").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return try GraphFile.read(path: path).graph
  }

  @Test func anUnchangedGraphIsWrittenAsItWasRead() throws {
    let original = Self.unusualGraphDef()
    let graph = try Self.read(original)
    #expect(graph.nodes.allSatisfy { isCopied($0) })
    #expect(GraphFile.encode(graph) == original)
    // Where a node came from is not part of what it is.
    #expect(graph.nodes[0] == Node(name: "x", op: "Placeholder"))
    #expect(graph.nodes[0].hashValue == Node(name: "x", op: "Placeholder").hashValue)
  }

  @Test(arguments: [
    "name", "op", "inputs", "device", "attrs", "experimentalDebugInfo", "experimentalType", "unknownFields",
  ])
  func changingAFieldWritesTheNodeAfresh(_ field: String) throws {
    var graph = try Self.read(Self.unusualGraphDef())
    switch field {
    case "name": graph.nodes[0].name = "z"
    case "op": graph.nodes[0].op = "Const"
    case "inputs": graph.nodes[0].inputs.append(.control("y"))
    case "device": graph.nodes[0].device = "/cpu:0"
    case "attrs": graph.nodes[0].attrs["dtype"] = .type(.float)
    case "experimentalDebugInfo": graph.nodes[0].experimentalDebugInfo = SharedBytes([0x0A, 0x01, 0x61])
    case "experimentalType": graph.nodes[0].experimentalType = SharedBytes([0x08, 0x01])
    default: graph.nodes[0].unknownFields.append(UnknownField(number: 99, wireType: 0, data: SharedBytes([1])))
    }
    #expect(!isCopied(graph.nodes[0]))
    #expect(isCopied(graph.nodes[1]))
    // The changed node is encoded from its fields, the other still copied.
    var fresh = graph
    for index in fresh.nodes.indices { fresh.nodes[index].source = .unknown }
    let encoded = GraphFile.encode(graph)
    #expect(encoded == GraphFile.encode(fresh))
    #expect(try GraphFile.decode(encoded) == graph)
  }

  @Test func aCopiedNodeKeepsItsSourceUntilChanged() throws {
    let graph = try Self.read(Self.unusualGraphDef())
    var copy = graph.nodes[1]
    #expect(isCopied(copy))
    copy.inputs[0] = .data("x", port: 1)
    #expect(!isCopied(copy))
    #expect(isCopied(graph.nodes[1]))
  }

  /// A NodeDef naming itself twice (the last wins) is written back with both names; it
  /// means what it meant, and a graph read from memory encodes it once. Found by fuzzing.
  @Test func aRepeatedFieldIsWrittenAsRead() throws {
    var node: [UInt8] = []
    for name in ["a", "b"] {
      WireWriter.appendFieldHeader(number: 1, length: 1, to: &node)
      node += Array(name.utf8)
    }
    WireWriter.appendFieldHeader(number: 2, length: 11, to: &node)
    node += Array("Placeholder".utf8)
    var original: [UInt8] = []
    WireWriter.appendFieldHeader(number: 1, length: node.count, to: &original)
    original += node
    let graph = try Self.read(original)
    #expect(graph.nodes == [Node(name: "b", op: "Placeholder")])
    let written = GraphFile.encode(graph)
    #expect(written == original)
    let again = try GraphFile.decode(written)
    #expect(again == graph)
    #expect(GraphFile.encode(again).count == original.count - 3)
  }

  @Test func aGraphDecodedFromMemoryHasNoSources() throws {
    let graph = try GraphFile.decode(Self.unusualGraphDef())
    #expect(graph.nodes.allSatisfy { !isCopied($0) })
  }
}

/// Computed tensors written to a file are computed in batches over the cores, each byte
/// exactly once and in its place, whatever the sizes.
@Test func computedTensorsReachTheFileIntact() throws {
  // Sizes around the 64-byte piece rule and the 1 MB buffer, so that tensors straddle
  // buffers and the split between cores falls inside and between them.
  let sizes = [1, 63, 64, 65, 4_096, 100_003, 300_000, 1_048_576, 1_500_001, 70_000, 7]
  @Sendable func pattern(_ tensor: Int, _ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset &* 31 &+ offset >> 9 &+ tensor) }
  func graph(pending: Bool) -> Graph {
    var nodes: [Node] = []
    for (tensor, count) in sizes.enumerated() {
      let content =
        pending
        ? SharedBytes(count: count) { offset, buffer in
          for index in 0..<buffer.count { buffer[index] = pattern(tensor, offset + index) }
        }
        : SharedBytes((0..<count).map { pattern(tensor, $0) })
      let value = Tensor(dtype: .uint8, shape: TensorShape([Int64(count)]), content: content)
      nodes.append(Node(name: "w\(tensor)", op: "Const", attrs: ["dtype": .type(.uint8), "value": .tensor(value)]))
    }
    return Graph(nodes: nodes)
  }
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let path = directory.appendingPathComponent("computed.pb").path
  _ = try GraphFile.write(graph(pending: true), to: path)
  let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
  #expect(written == GraphFile.encode(graph(pending: false)))
}
