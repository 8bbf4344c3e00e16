// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import GraphIO
import GraphIR
import GraphTestSupport
import Testing

/// A graph exercising every attr kind and both tensor storage forms.
func everyKindGraph() -> Graph {
  var tensor = Tensor(dtype: .int32, shape: TensorShape([3]))
  tensor.intVal = [1, 2]
  var strings = Tensor(dtype: .string, shape: TensorShape([2]))
  strings.stringVal = [Array("a".utf8), [0, 255, 10]]
  var graph = Graph(versions: VersionDef(producer: 1234, minConsumer: 12, badConsumers: [3, 5])) {
    Placeholder("x", .float, shape: [1, -1, 3])
    Const("w", floats: (0..<4096).map { Float($0) / 7 }, shape: [16, 256])
    Op(
      "Custom", "c", inputs: "x", "w:0", "^x",
      attrs: [
        "s": .string("SAME"), "i": .i(-7), "f": .f(0.25), "b": .b(true), "type": .type(.half),
        "shape": .shape(.unknown), "tensor": .tensor(tensor), "strings": .tensor(strings),
        "list": .list(AttrList(s: [Array("a".utf8)], i: [1, -2], f: [1.5], b: [false], type: [.int8])),
        "empty_list": .list(AttrList()), "func": .function(NameAttrList(name: "f", attrs: ["T": .type(.float)])),
        "placeholder": .placeholder("T"), "unset": .unset,
      ], device: "/device:CPU:0")
  }
  graph.library = SharedBytes([0x0a, 0x00])
  graph.deprecatedVersion = 17
  return graph
}

@Test func encodeThenDecodeGivesAnEqualGraph() throws {
  let graph = everyKindGraph()
  let bytes = GraphFile.encode(graph)
  let decoded = try GraphFile.decode(bytes)
  #expect(decoded == graph)
  #expect(GraphFile.encode(decoded) == bytes)
}

@Test func decodingBorrowedFromAMappingEqualsACopyingDecode() throws {
  let graph = everyKindGraph()
  let bytes = GraphFile.encode(graph)
  let owner = OwnedBuffer(bytes)
  let borrowed = try BinaryDecoder.decode(UnsafeRawBufferPointer(owner.memory), borrowingFrom: owner)
  let copied = try GraphFile.decode(bytes)
  #expect(borrowed == copied)
  // The large weight really is borrowed: it points into `owner`, not at a copy.
  let node = try #require(borrowed.node(named: "w"))
  let value = try #require(node.attrs["value"])
  guard case .tensor(let weights) = value else {
    Issue.record("w has no tensor")
    return
  }
  let base = try #require(UnsafeRawPointer(owner.memory.baseAddress))
  let content = try #require(weights.content.unsafeBaseAddress)
  #expect(content >= base && content < base + bytes.count)
}

/// Memory that outlives the decode, as a mapped file does.
final class OwnedBuffer {
  let memory: UnsafeMutableRawBufferPointer
  init(_ bytes: [UInt8]) {
    memory = .allocate(byteCount: bytes.count, alignment: 16)
    memory.copyBytes(from: bytes)
  }
  deinit { memory.deallocate() }
}

@Test func theSplicerLeavesSmallTensorsInlineAndFindsLargeOnes() throws {
  let graph = Graph {
    Const("small", floats: [1, 2, 3], shape: [3])
    Const("large", floats: [Float](repeating: 1, count: 2048), shape: [2048])
  }
  let bytes = GraphFile.encode(graph)
  let splicer = try #require(bytes.withUnsafeBytes { TensorSplicer.extract(from: $0) })
  #expect(splicer.payloads.keys.map(\.node) == [1])
  #expect(splicer.payloads.values.first?.count == 2048 * 4)
  // The small one is decoded where it is; the large one from a rebuilt copy without
  // its content.
  guard splicer.nodes.count == 2, case .original = splicer.nodes[0], case .rebuilt(let rebuilt, _) = splicer.nodes[1]
  else {
    Issue.record("unexpected node sources: \(splicer.nodes)")
    return
  }
  #expect(rebuilt.count < 200)
}

/// Large graphs decode their nodes in parallel parts; the result must be the graph a
/// plain decode gives, in order, with errors still found.
@Test func decodingManyNodesInPartsEqualsAPlainDecode() throws {
  var graph = Graph()
  for index in 0..<1500 {
    let size = index % 100 == 0 ? 2048 : 3
    graph.nodes.append(
      Node(
        name: "n\(index)", op: index == 0 ? "Const" : "Identity",
        inputs: index == 0 ? [] : [.data("n\(index - 1)")], attrs: ["T": .type(.float)]))
    graph.nodes.append(Const("c\(index)", floats: [Float](repeating: Float(index), count: size), shape: [Int64(size)]))
  }
  graph.versions = VersionDef(producer: 1882, minConsumer: 12, badConsumers: [])
  let bytes = GraphFile.encode(graph)
  let owner = OwnedBuffer(bytes)
  let borrowed = try BinaryDecoder.decode(UnsafeRawBufferPointer(owner.memory), borrowingFrom: owner)
  #expect(borrowed == graph)
  #expect(GraphFile.encode(borrowed) == bytes)

  // A broken node late in the list still fails the decode, with the plain path's error.
  var broken = bytes
  let name = Array("n1400".utf8)
  let at = try #require((0..<(broken.count - name.count)).first { Array(broken[$0..<($0 + name.count)]) == name })
  broken[at + 1] = 0xFF  // not UTF-8
  let brokenOwner = OwnedBuffer(broken)
  #expect(throws: GraphDecodingError.self) {
    _ = try BinaryDecoder.decode(UnsafeRawBufferPointer(brokenOwner.memory), borrowingFrom: brokenOwner)
  }
}

/// Every prefix of a valid file is rejected with a located error or decodes; nothing traps.
@Test func everyTruncationOfAGraphFailsCleanly() throws {
  let bytes = GraphFile.encode(everyKindGraph())
  var failures = 0
  for length in 0..<bytes.count {
    do {
      _ = try GraphFile.decode(Array(bytes[0..<length]))
    } catch {
      failures += 1
      #expect(!error.description.isEmpty)
    }
  }
  // Cutting inside the first node or any tensor always breaks the file.
  #expect(failures > bytes.count / 2)
}

@Test func errorsNameTheByteOffsetAndFieldPath() throws {
  let graph = Graph { Const("weights", floats: [Float](repeating: 0.5, count: 64), shape: [64]) }
  var bytes = GraphFile.encode(graph)
  bytes.removeLast(10)
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.decode(bytes) }
  #expect(error.byteOffset != nil)
  #expect(error.fieldPath?.hasPrefix("node[0]") == true)
  #expect(error.description.contains("past the end") || error.description.contains("truncated"))
}

@Test(arguments: [
  ([] as [UInt8], "empty"),
  ([0x0a, 0x05, 0x0a, 0x03, 0x61], "past the end"),  // node with a name longer than the data
  ([0x0b], "wire type 3"),  // field 1 (node) as a start-group
  ([0x93, 0x06], "unsupported wire type 3"),  // unknown field 98 as a start-group
  ([0x08, 0x01], "wire type 0"),  // node (a message) sent as a varint
  ([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "varint"),
])
func malformedBytesGiveOneClearError(bytes: [UInt8], expected: String) throws {
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.decode(bytes) }
  #expect(error.description.contains(expected), "\(error)")
  #expect(!error.description.contains("\n"))
}

@Test func invalidUTF8InANodeNameIsReported() throws {
  // node { name: "\xff" }
  let error = try #require(throws: GraphDecodingError.self) {
    try GraphFile.decode([0x0a, 0x03, 0x0a, 0x01, 0xff])
  }
  #expect(error.description.contains("UTF-8"))
}

@Test func unknownFieldsSurviveARoundTrip() throws {
  // node { name: "a"  99: 7 } and a top-level field 50: "zz".
  let bytes: [UInt8] = [0x0a, 0x06, 0x0a, 0x01, 0x61, 0x98, 0x06, 0x07, 0x92, 0x03, 0x02, 0x7a, 0x7a]
  let graph = try GraphFile.decode(bytes)
  #expect(graph.nodes.first?.unknownFields.map(\.number) == [99])
  #expect(graph.unknownFields.map(\.number) == [50])
  #expect(GraphFile.encode(graph) == bytes)
}

/// protobuf-c recurses once per nesting level; a few MB of nested attr values would
/// overflow the stack if the scanner did not stop them first.
@Test func deeplyNestedAttrValuesAreRejectedNotACrash() throws {
  func varint(_ value: Int) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    while value >= 0x80 {
      out.append(UInt8(value & 0x7f) | 0x80)
      value >>= 7
    }
    return out + [UInt8(value)]
  }
  func field(_ number: Int, _ body: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(body.count) + body }
  var inner: [UInt8] = []
  for _ in 0..<1_000 {
    // AttrValue { func: NameAttrList { attr { key: "k" value: <inner> } } }
    inner = field(10, field(2, field(1, Array("k".utf8)) + field(2, inner)))
  }
  let node = field(1, Array("n".utf8)) + field(5, field(1, Array("a".utf8)) + field(2, inner))
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.decode(field(1, node)) }
  #expect(error.description.contains("nested too deeply"))
  #expect(error.description.count < 400)
}

/// Fuzz finding (FuzzBinaryDecoder, 2026-11-23): a tensor whose `dtype` varint reads as a
/// negative int32 (here -2, from a 9-byte varint). proto3 enums are open, so the decoder
/// keeps the number; the encoder trapped converting it to protobuf-c's unsigned C enum.
/// It is now written back as the same int32, and the graph round-trips.
@Test func aNegativeDtypeNumberSurvivesARoundTrip() throws {
  // node { name: "sub/y" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
  //        attr { key: "value" value { tensor { dtype: <-2 as fe ff ff ff ff ff ff ff 40> } } } }
  let bytes: [UInt8] = [
    0x0a, 0x32, 0x0a, 0x05, 0x73, 0x75, 0x62, 0x2f, 0x79, 0x12, 0x05, 0x43, 0x6f, 0x6e, 0x73, 0x74,
    0x2a, 0x0b, 0x0a, 0x05, 0x64, 0x74, 0x79, 0x70, 0x65, 0x12, 0x02, 0x30, 0x01, 0x2a, 0x15, 0x0a,
    0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x12, 0x0c, 0x42, 0x0a, 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0x40,
  ]
  let graph = try GraphFile.decode(bytes)
  guard case .tensor(let tensor) = graph.nodes.first?.attrs["value"] else {
    Issue.record("no tensor in 'value'")
    return
  }
  #expect(tensor.dtype.rawValue == -2)
  let encoded = GraphFile.encode(graph)
  let again = try GraphFile.decode(encoded)
  #expect(again == graph)
  #expect(GraphFile.encode(again) == encoded)
}
