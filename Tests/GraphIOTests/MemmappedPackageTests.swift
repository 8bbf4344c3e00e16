// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIR
import GraphTestSupport
import Testing

@testable import GraphIO

// MARK: - Helpers: an independent reader and writer of the package format

/// A package taken apart by hand, without the code under test: trailer, directory
/// elements with the fields exactly as stored, and the regions' bytes.
private struct ParsedPackage {
  struct Element: Equatable {
    var offset: UInt64?  // nil when absent on the wire (zero)
    var name: String
    var length: UInt64?
  }
  var bytes: [UInt8]
  var directoryOffset: Int
  var elements: [Element]

  init(_ bytes: [UInt8]) throws {
    self.bytes = bytes
    try #require(bytes.count > 8)
    var trailer: UInt64 = 0
    for i in 0..<8 { trailer |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
    directoryOffset = Int(trailer)
    try #require(directoryOffset <= bytes.count - 8)
    var reader = ProtoReader(bytes: bytes, offset: directoryOffset, end: bytes.count - 8)
    elements = []
    while !reader.atEnd {
      let (field, wire) = reader.tag()
      try #require(field == 1 && wire == 2, "directory holds only `element` fields")
      let range = reader.lengthDelimited()
      var inner = ProtoReader(bytes: bytes, offset: range.lowerBound, end: range.upperBound)
      var element = Element(offset: nil, name: "", length: nil)
      var lastField = 0
      while !inner.atEnd {
        let (number, type) = inner.tag()
        try #require(number > lastField, "element fields are written in field-number order")
        lastField = number
        switch (number, type) {
        case (1, 0): element.offset = inner.varint()
        case (2, 2): element.name = String(decoding: bytes[inner.lengthDelimited()], as: UTF8.self)
        case (3, 0): element.length = inner.varint()
        default: Issue.record("unexpected element field \(number)/\(type)")
        }
      }
      elements.append(element)
    }
  }

  func region(_ name: String) -> ArraySlice<UInt8>? {
    guard let element = elements.first(where: { $0.name == name }) else { return nil }
    let start = Int(element.offset ?? 0)
    return bytes[start..<(start + Int(element.length ?? 0))]
  }
}

private struct ProtoReader {
  let bytes: [UInt8]
  var offset: Int
  let end: Int
  var atEnd: Bool { offset >= end }

  mutating func varint() -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = bytes[offset]
      offset += 1
      value |= UInt64(byte & 0x7f) << shift
      if byte < 0x80 { return value }
      shift += 7
    }
  }

  mutating func tag() -> (Int, Int) {
    let key = varint()
    return (Int(key >> 3), Int(key & 7))
  }

  mutating func lengthDelimited() -> Range<Int> {
    let length = Int(varint())
    defer { offset += length }
    return offset..<(offset + length)
  }
}

private func varint(_ value: UInt64) -> [UInt8] {
  var value = value
  var out: [UInt8] = []
  while value >= 0x80 {
    out.append(UInt8(value & 0x7f) | 0x80)
    value >>= 7
  }
  return out + [UInt8(value)]
}

private func lengthDelimited(_ field: Int, _ body: [UInt8]) -> [UInt8] {
  varint(UInt64(field << 3 | 2)) + varint(UInt64(body.count)) + body
}

/// A directory element encoded as TensorFlow does (zero values left out).
private func element(_ name: String, offset: UInt64, length: UInt64) -> [UInt8] {
  var body: [UInt8] = []
  if offset != 0 { body += [0x08] + varint(offset) }
  body += lengthDelimited(2, Array(name.utf8))
  if length != 0 { body += [0x18] + varint(length) }
  return lengthDelimited(1, body)
}

private func littleEndian(_ value: UInt64) -> [UInt8] {
  (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
}

/// A package assembled by hand: `regions` laid out as given, then the directory listing
/// `entries` (which may lie about the regions), then the trailer.
private func handMadePackage(body: [UInt8], entries: [(String, UInt64, UInt64)]) -> [UInt8] {
  var bytes = body
  let directoryOffset = UInt64(bytes.count)
  for (name, offset, length) in entries { bytes += element(name, offset: offset, length: length) }
  return bytes + littleEndian(directoryOffset)
}

private func filledConst(_ name: String, _ value: Float, shape: [Int64]) -> Node {
  let count = Int(shape.reduce(1, *))
  return Const(name, floats: Array(repeating: value, count: count), shape: shape)
}

private func tensor(_ node: Node?) -> Tensor? {
  guard case .tensor(let tensor)? = node?.attrs["value"] else { return nil }
  return tensor
}

private func bytesConst(_ name: String, count: Int, fill: UInt8) -> Node {
  let tensor = Tensor(
    dtype: .uint8, shape: TensorShape([Int64(count)]), content: SharedBytes(Array(repeating: fill, count: count)))
  return Node(name: name, op: "Const", attrs: ["dtype": .type(.uint8), "value": .tensor(tensor)])
}

private func decodeError(_ bytes: [UInt8]) throws -> String {
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.decode(bytes) }
  let text = error.description
  #expect(!text.contains("\n"), "one line: \(text)")
  return text
}

// MARK: - TensorFlow's converter tests

@Suite struct MemmappedConverterTests {
  /// TensorFlow's `convert_graphdef_memmapped_format_test`: MatMul of two float constants
  /// of 4000×100 and 100×4000 with threshold 10000 gives ImmutableConst nodes; the
  /// package loads with the values intact (TensorFlow checks result[0..2] = 2·3·100).
  @Test func largeFloatConstantsBecomeImmutableConst() throws {
    let graph = Graph {
      filledConst("m1", 2, shape: [4000, 100])
      filledConst("m2", 3, shape: [100, 4000])
      Op("MatMul", "result", inputs: "m1", "m2", attrs: ["T": .type(.float)])
    }
    let conversion = MemmappedPackage.convert(graph, minConversionBytes: 10000)
    #expect(conversion.regions.map(\.name) == ["memmapped_package://m1", "memmapped_package://m2"])
    #expect(conversion.regions.map(\.byteCount) == [1_600_000, 1_600_000])
    #expect(conversion.unconvertible.isEmpty)
    let m1 = try #require(conversion.graph["m1"])
    #expect(m1.op == "ImmutableConst")
    #expect(m1.attrs.keys == ["dtype", "shape", "memory_region_name"])
    #expect(m1.attrs["dtype"] == .type(.float))
    #expect(m1.attrs["shape"] == .shape(TensorShape([4000, 100])))
    #expect(m1.attrs["memory_region_name"] == .string("memmapped_package://m1"))
    #expect(conversion.graph["result"] == graph["result"])

    let package = MemmappedPackage.encode(conversion)
    let (loaded, format) = try package.withUnsafeBytes { try GraphFile.decode($0) }
    #expect(format == .memmapped)
    let a = try #require(tensor(loaded["m1"]))
    let b = try #require(tensor(loaded["m2"]))
    let (x, y) = (try a.floatValues(), try b.floatValues())
    // result[0][j] = Σk m1[0][k]·m2[k][j] = 2·3·100
    for j in 0..<3 { #expect((0..<100).reduce(Float(0)) { $0 + x[$1] * y[$1 * 4000 + j] } == 2 * 3 * 100) }
    #expect(loaded.withAttrsSortedByKey == graph.withAttrsSortedByKey)
  }

  /// TensorFlow's test: 4000×100 string constants with threshold 1000 stay Const.
  @Test func stringConstantsAreNeverConverted() throws {
    var strings = Tensor(dtype: .string, shape: TensorShape([4000, 100]))
    strings.stringVal = Array(repeating: Array("abc".utf8), count: 400_000)
    let graph = Graph {
      Node(name: "s", op: "Const", attrs: ["dtype": .type(.string), "value": .tensor(strings)])
      Op("Identity", "out", inputs: "s")
    }
    let conversion = MemmappedPackage.convert(graph, minConversionBytes: 1000)
    #expect(conversion.regions.isEmpty)
    #expect(conversion.graph == graph)
    #expect(!conversion.graph.nodes.contains { $0.op == "ImmutableConst" })
  }

  @Test func theThresholdIsInBytesAndInclusive() throws {
    let graph = Graph {
      Const("small", floats: Array(repeating: 1, count: 2499), shape: [2499])  // 9996 bytes
      Const("exact", floats: Array(repeating: 1, count: 2500), shape: [2500])  // 10000 bytes
      Const("ints", int32s: Array(repeating: 1, count: 2500), shape: [2500])
      Node(name: "empty", op: "Const", attrs: ["value": .tensor(.floats([], shape: [0, 5000]))])
    }
    let conversion = MemmappedPackage.convert(graph)
    #expect(conversion.regions.map(\.node) == ["exact", "ints"])
    #expect(MemmappedPackage.convert(graph, minConversionBytes: 1).regions.map(\.node) == ["small", "exact", "ints"])
  }

  @Test func onlyConstNodesAreConvertedAndTheirNameInputsAndDeviceAreKept() throws {
    var weights = filledConst("w", 1, shape: [50, 50])
    weights.inputs = [.control("init")]
    weights.device = "/device:CPU:0"
    weights.attrs["_output_shapes"] = .list(AttrList(shape: [TensorShape([50, 50])]))
    var notConst = filledConst("p", 1, shape: [50, 50])
    notConst.op = "HostConst"
    let graph = Graph {
      Op("NoOp", "init")
      weights
      notConst
    }
    let converted = MemmappedPackage.convert(graph).graph
    let node = try #require(converted["w"])
    #expect(node.op == "ImmutableConst")
    #expect(node.inputs == [.control("init")])
    #expect(node.device == "/device:CPU:0")
    #expect(node.attrs["_output_shapes"] == nil)
    #expect(converted["p"] == notConst)
  }

  @Test func regionNamesAreSanitisedAndUniquedAsTensorFlowDoes() throws {
    let names = ["a/b", "a_b", "a>b", "x-1.y", "é", "."]
    let graph = Graph(nodes: names.map { filledConst($0, 1, shape: [3000]) })
    let conversion = MemmappedPackage.convert(graph)
    #expect(
      conversion.regions.map(\.name) == [
        "memmapped_package://a_b", "memmapped_package://a_b_", "memmapped_package://a_b__",
        "memmapped_package://x_1.y",
        // Each byte of a multi-byte UTF-8 character becomes one '_'.
        "memmapped_package://__",
        // TF parity deviation: '.' is the GraphDef region, so the node gets '._'.
        "memmapped_package://._",
      ])
    #expect(MemmappedPackage.sanitized("ok_Name.09") == "ok_Name.09")
  }

  @Test func typedValueListsExpandAsTensorFlowParsesThem() throws {
    func const(_ name: String, _ tensor: Tensor) -> Node {
      Node(name: name, op: "Const", attrs: ["dtype": .type(tensor.dtype), "value": .tensor(tensor)])
    }
    var splat = Tensor(dtype: .float, shape: TensorShape([3000]))
    splat.floatVal = [1.5, 2.5]  // 1.5, then 2.5 repeated
    var zeros = Tensor(dtype: .int64, shape: TensorShape([1500]))
    zeros.int64Val = []
    var bytes = Tensor(dtype: .int8, shape: TensorShape([12000]))
    bytes.intVal = [-1, 300]  // truncated to 8 bits: 0xff, 0x2c…
    var flags = Tensor(dtype: .bool, shape: TensorShape([12000]))
    flags.boolVal = [true, false]
    var halves = Tensor(dtype: .half, shape: TensorShape([6000]))
    halves.halfVal = [0x3c00]
    var complex = Tensor(dtype: .complex64, shape: TensorShape([1500]))
    complex.scomplexVal = [1, 2, 3, 4]
    var tooMany = Tensor(dtype: .int32, shape: TensorShape([2500]))
    tooMany.intVal = Array(0..<2600)  // TensorFlow keeps the first 2500
    let graph = Graph {
      const("splat", splat)
      const("zeros", zeros)
      const("bytes", bytes)
      const("flags", flags)
      const("halves", halves)
      const("complex", complex)
      const("tooMany", tooMany)
    }
    let conversion = MemmappedPackage.convert(graph)
    #expect(conversion.unconvertible.isEmpty)
    #expect(conversion.regions.count == 7)
    let package = try ParsedPackage(MemmappedPackage.encode(conversion))
    func region(_ name: String) throws -> [UInt8] { Array(try #require(package.region("memmapped_package://" + name))) }
    func raw<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
    #expect(try region("splat") == raw([Float(1.5)] + Array(repeating: Float(2.5), count: 2999)))
    #expect(try region("zeros") == Array(repeating: 0, count: 12000))
    #expect(try region("bytes") == [0xff] + Array(repeating: 0x2c, count: 11999))
    #expect(try region("flags") == [1] + Array(repeating: 0, count: 11999))
    #expect(try region("halves") == raw(Array(repeating: UInt16(0x3c00), count: 6000)))
    #expect(
      try region("complex") == raw([Float(1), 2] + [Float](Array(repeating: [Float(3), 4], count: 1499).joined())))
    #expect(try region("tooMany") == raw(Array(Int32(0)..<2500)))
  }

  @Test func constantsTensorFlowCannotParseAreReportedAndLeftAlone() throws {
    var short = Tensor(dtype: .float, shape: TensorShape([5000]))
    short.content = SharedBytes(Array(repeating: 0, count: 12))
    var partial = Tensor(dtype: .float, shape: TensorShape([-1, 5000]))
    partial.floatVal = [1]
    let graph = Graph {
      Node(name: "short", op: "Const", attrs: ["value": .tensor(short)])
      Node(name: "partial", op: "Const", attrs: ["value": .tensor(partial)])
      Node(name: "novalue", op: "Const", attrs: ["dtype": .type(.float)])
      filledConst("fine", 1, shape: [5000])
    }
    let conversion = MemmappedPackage.convert(graph)
    #expect(conversion.regions.map(\.node) == ["fine"])
    #expect(conversion.unconvertible.map(\.node) == ["short", "partial", "novalue"])
    #expect(conversion.unconvertible[0].description.contains("tensor_content holds 12 bytes"))
    #expect(conversion.unconvertible[2].description.contains("no 'value'"))
    #expect(conversion.graph.nodes[0...2] == graph.nodes[0...2])
  }
}

// MARK: - Byte layout

@Suite struct MemmappedLayoutTests {
  /// Every byte of a one-region package, against the layout written out by hand.
  @Test func aTinyPackageHasExactlyTheExpectedBytes() throws {
    let graph = Graph { Const("w", floats: [1, 2, 3, 4], shape: [4]) }
    let conversion = MemmappedPackage.convert(graph, minConversionBytes: 16)
    let bytes = MemmappedPackage.encode(conversion)
    let graphBytes = GraphFile.encode(conversion.graph)
    let expected =
      [Float(1), 2, 3, 4].withUnsafeBytes { Array($0) } + graphBytes
      + element("memmapped_package://w", offset: 0, length: 16)
      + element("memmapped_package://.", offset: 16, length: UInt64(graphBytes.count))
      + littleEndian(UInt64(16 + graphBytes.count))
    #expect(bytes == expected)
  }

  @Test func regionsAreAlignedPaddedWithZerosAndListedInWriteOrder() throws {
    let graph = Graph {
      bytesConst("a", count: 10001, fill: 1)  // ends at 10001: 47 bytes of padding follow
      Placeholder("x")
      bytesConst("b", count: 10048, fill: 2)  // starts at 10048, ends aligned: no padding
      bytesConst("c", count: 10003, fill: 3)
    }
    let package = try ParsedPackage(MemmappedPackage.encode(MemmappedPackage.convert(graph)))
    #expect(
      package.elements.map(\.name) == [
        "memmapped_package://a", "memmapped_package://b", "memmapped_package://c", "memmapped_package://.",
      ])
    // The first region starts at 0, so its offset is absent on the wire.
    #expect(package.elements.map(\.offset) == [nil, 10048, 20096, 30099])
    #expect(package.elements.map(\.length) == [10001, 10048, 10003, UInt64(package.directoryOffset - 30099)])
    for element in package.elements.dropLast() { #expect((element.offset ?? 0) % 64 == 0) }
    #expect(package.bytes[10001..<10048].allSatisfy { $0 == 0 })
    #expect(package.region("memmapped_package://a")?.allSatisfy { $0 == 1 } == true)
    #expect(package.region("memmapped_package://b")?.allSatisfy { $0 == 2 } == true)
    #expect(package.region("memmapped_package://c")?.allSatisfy { $0 == 3 } == true)
    // The GraphDef is not aligned: it follows the last region directly, and the directory
    // follows it.
    let graphRegion = try #require(package.region("memmapped_package://."))
    #expect(graphRegion.endIndex == package.directoryOffset)
    let inner = try GraphFile.decode(Array(graphRegion))
    #expect(inner.nodes.map(\.op) == ["ImmutableConst", "Placeholder", "ImmutableConst", "ImmutableConst"])
  }

  @Test func anEmptyConversionStillWritesTheGraphRegion() throws {
    let graph = Graph { Placeholder("x") }
    let package = try ParsedPackage(MemmappedPackage.encode(MemmappedPackage.convert(graph)))
    #expect(package.elements.map(\.name) == ["memmapped_package://."])
    #expect(try GraphFile.decode(Array(try #require(package.region("memmapped_package://.")))) == graph)
  }

  @Test func layoutReportsTheDirectory() throws {
    let graph = Graph {
      filledConst("a", 1, shape: [3000])
      filledConst("b", 1, shape: [3001])
    }
    let bytes = MemmappedPackage.encode(MemmappedPackage.convert(graph))
    let layout = try bytes.withUnsafeBytes { try MemmappedPackage.layout(of: $0) }
    #expect(layout.entries.map(\.name) == ["memmapped_package://a", "memmapped_package://b", "memmapped_package://."])
    #expect(layout.entries.map(\.offset).prefix(2) == [0, 12032])
    #expect(layout.entries.map(\.length).prefix(2) == [12000, 12004])
    #expect(layout.entries.allSatisfy { $0.hasStoredLength })
  }

  @Test func writingIsDeterministicAndMatchesTheInMemoryEncoding() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let graph = Graph {
      filledConst("a", 1, shape: [3000])
      Placeholder("x")
    }
    let path = directory.appendingPathComponent("g.pbmm").path
    let written = try GraphFile.write(graph, to: path, format: .memmapped)
    let onDisk = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(onDisk == GraphFile.encode(graph, format: .memmapped))
    #expect(written.byteCount == onDisk.count)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["g.pbmm"])
  }
}

// MARK: - Reading packages back

@Suite struct MemmappedRoundTripTests {
  /// A graph with large constants of several dtypes, small ones, strings and other nodes.
  static func mixedGraph() -> Graph {
    var strings = Tensor(dtype: .string, shape: TensorShape([2]))
    strings.stringVal = [Array("a".utf8), [0, 255]]
    func raw(_ name: String, _ dtype: DataType, _ shape: [Int64], seed: UInt8) -> Node {
      let count = Int(shape.reduce(1, *)) * (dtype.byteSize ?? 1)
      let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
      return Node(
        name: name, op: "Const",
        attrs: [
          "dtype": .type(dtype),
          "value": .tensor(Tensor(dtype: dtype, shape: TensorShape(shape), content: SharedBytes(bytes))),
        ])
    }
    return Graph(versions: VersionDef(producer: 1234, minConsumer: 12)) {
      Placeholder("input", .float, shape: [1, 64])
      raw("dense/kernel", .float, [64, 100], seed: 1)
      raw("dense/bias", .float, [100], seed: 2)
      raw("table", .int64, [5000], seed: 3)
      raw("halves", .half, [100, 100], seed: 4)
      raw("doubles", .double, [50, 50], seed: 5)
      raw("complex", .complex128, [1000], seed: 6)
      raw("flags", .bool, [20000], seed: 7)
      Node(name: "names", op: "Const", attrs: ["dtype": .type(.string), "value": .tensor(strings)])
      Op("MatMul", "mm", inputs: "input", "dense/kernel", attrs: ["T": .type(.float)], device: "/cpu:0")
      Op("BiasAdd", "out", inputs: "mm", "dense/bias", "^names", attrs: ["T": .type(.float)])
    }
  }

  @Test func pbToPackageToPbReproducesEveryTensorBitForBit() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let original = Self.mixedGraph()
    let pb = directory.appendingPathComponent("g.pb").path
    let pbmm = directory.appendingPathComponent("g.pbmm").path
    let back = directory.appendingPathComponent("back.pb").path
    _ = try GraphFile.write(original, to: pb)
    _ = try GraphFile.write(try GraphFile.read(path: pb).graph, to: pbmm, format: .memmapped)
    let loaded = try GraphFile.read(path: pbmm)
    #expect(loaded.format == .memmapped)
    #expect(!loaded.graph.nodes.contains { $0.op == "ImmutableConst" })
    _ = try GraphFile.write(loaded.graph, to: back)
    let final = try GraphFile.read(path: back).graph
    // The converted constants had only dtype and value, so nothing is lost: the whole
    // graph, every tensor byte included, comes back; so do the file's bytes.
    #expect(final == original)
    #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == Data(contentsOf: URL(fileURLWithPath: pb)))
    let converted = MemmappedPackage.convert(original).regions.map(\.node)
    #expect(converted == ["dense/kernel", "table", "halves", "doubles", "complex", "flags"])
  }

  @Test func readingBorrowsRegionsFromTheMappedFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("g.pbmm").path
    _ = try GraphFile.write(Self.mixedGraph(), to: path, format: .memmapped)
    let graph = try GraphFile.read(path: path).graph
    guard let a = tensor(graph["dense/kernel"])?.content.unsafeBaseAddress,
      let b = tensor(graph["table"])?.content.unsafeBaseAddress
    else {
      Issue.record("restored constants lack content")
      return
    }
    // Both point into one mapping, at their regions' distance in the file.
    let layout = try Array(Data(contentsOf: URL(fileURLWithPath: path))).withUnsafeBytes {
      try MemmappedPackage.layout(of: $0)
    }
    let offsets = Dictionary(uniqueKeysWithValues: layout.entries.map { ($0.name, $0.offset) })
    let expected =
      try #require(offsets["memmapped_package://table"]) - #require(offsets["memmapped_package://dense_kernel"])
    #expect(b - a == expected)
    // Overwriting the package with its own contents is safe: the mapping keeps the old data.
    _ = try GraphFile.write(graph, to: path, format: .memmapped)
    #expect((try GraphFile.read(path: path).graph).withAttrsSortedByKey == Self.mixedGraph().withAttrsSortedByKey)
  }

  @Test func aPackageOfAPackageIsTheSamePackage() throws {
    let first = GraphFile.encode(Self.mixedGraph(), format: .memmapped)
    let reread = try GraphFile.decode(first)
    #expect(GraphFile.encode(reread, format: .memmapped) == first)
  }

  @Test func immutableConstOutsideThePackageIsLeftAlone() throws {
    let external = Node(
      name: "ext", op: "ImmutableConst",
      attrs: ["dtype": .type(.float), "shape": .shape(TensorShape([4])), "memory_region_name": .string("/data/w.bin")])
    let graph = Graph {
      external
      filledConst("w", 1, shape: [3000])
    }
    let loaded = try GraphFile.decode(GraphFile.encode(graph, format: .memmapped))
    #expect(loaded["ext"] == external)
    #expect(loaded["w"]?.op == "Const")
  }

  @Test func aPlainGraphWithImmutableConstNodesIsNotAPackage() throws {
    let graph = MemmappedPackage.convert(Graph { filledConst("w", 1, shape: [3000]) }).graph
    let (decoded, format) = try GraphFile.encode(graph).withUnsafeBytes { try GraphFile.decode($0) }
    #expect(format == .binary)
    #expect(decoded == graph)
  }

  /// A GraphDef can end in 8 bytes that read as a plausible directory offset, and the bytes
  /// there can even parse as a directory; it is a package only if the directory names
  /// package regions.
  @Test func aGraphDefThatLooksLikeAPackageIsStillAGraphDef() throws {
    // node { name: "\n\u{3}\u{12}\u{1}" }, then unknown field 15 (fixed64) = 4: from byte 4
    // the bytes read as a directory { element { name: "y" } } and the trailer points there.
    let tricky: [UInt8] = [0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x03, 0x12, 0x01, 0x79] + littleEndian(4)
    let (graph, format) = try tricky.withUnsafeBytes { try GraphFile.decode($0) }
    #expect(format == .binary)
    #expect(graph.nodes.map(\.name) == ["\n\u{3}\u{12}\u{1}"])
    #expect(graph.unknownFields.count == 1)
    // An empty directory right before the trailer is no package either.
    let empty = GraphFile.encode(Graph { Placeholder("x") })
    let emptyDirectory = empty + [0x79] + littleEndian(UInt64(empty.count + 1))
    #expect(try emptyDirectory.withUnsafeBytes { try GraphFile.decode($0) }.1 == .binary)
    // Real graphs ending in tensor bytes that read as an offset.
    let zeros = Graph { Const("z", floats: [0, 0], shape: [2]) }
    #expect(try GraphFile.encode(zeros).withUnsafeBytes { try GraphFile.decode($0) }.1 == .binary)
  }

  /// Packages from TensorFlow 1.x's writer store no `length`; regions then run to the next
  /// one, padding included, as that version's reader computed.
  @Test func packagesWithoutStoredLengthsAreRead() throws {
    let graph = Graph {
      bytesConst("a", count: 10001, fill: 7)
      filledConst("b", 2, shape: [3000])
    }
    let modern = try ParsedPackage(MemmappedPackage.encode(MemmappedPackage.convert(graph)))
    let body = Array(modern.bytes[0..<modern.directoryOffset])
    let legacy = handMadePackage(
      body: body, entries: modern.elements.map { ($0.name, $0.offset ?? 0, 0) })
    let decoded = try GraphFile.decode(legacy)
    #expect(decoded.withAttrsSortedByKey == graph.withAttrsSortedByKey)
  }
}

// MARK: - Malformed packages

@Suite struct MalformedMemmappedPackageTests {
  static let valid: [UInt8] = GraphFile.encode(
    Graph {
      filledConst("a", 1, shape: [3000])
      filledConst("b", 2, shape: [3000])
      Op("Add", "sum", inputs: "a", "b")
    }, format: .memmapped)

  private static var parsed: ParsedPackage { get throws { try ParsedPackage(valid) } }

  @Test func aTruncatedTrailerIsABadTrailer() throws {
    let message = try decodeError(Array(Self.valid.dropLast(3)))
    #expect(message.contains("memmapped package: bad trailer"), "\(message)")
  }

  @Test func aDirectoryOffsetPastTheEndIsABadTrailer() throws {
    var bytes = Self.valid
    bytes.replaceSubrange((bytes.count - 8)..., with: littleEndian(UInt64(bytes.count)))
    let message = try decodeError(bytes)
    #expect(message.contains("bad trailer") && message.contains("past the end"), "\(message)")
  }

  @Test func aGarbageDirectoryIsUnparsable() throws {
    var bytes = Self.valid
    let start = try Self.parsed.directoryOffset
    for index in start..<(bytes.count - 8) { bytes[index] = 0xff }
    let message = try decodeError(bytes)
    #expect(message.contains("unparsable directory"), "\(message)")
    #expect(message.contains("byte \(start)"), "\(message)")
  }

  @Test func overlappingRegionsAreNamed() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://a", 0, 12100),  // runs into b at 12032
        ("memmapped_package://b", 12032, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, graphRegion.length ?? 0),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("overlapping regions"), "\(message)")
    #expect(message.contains("'memmapped_package://a'") && message.contains("'memmapped_package://b'"), "\(message)")
  }

  @Test func outOfOrderRegionsAreNamed() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://b", 12032, 12000),
        ("memmapped_package://a", 0, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, graphRegion.length ?? 0),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("regions out of order"), "\(message)")
  }

  @Test func aRegionRunningIntoTheDirectoryIsAnError() throws {
    let directoryOffset = try Self.parsed.directoryOffset
    let body = Array(Self.valid[0..<directoryOffset])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://a", 0, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, UInt64(directoryOffset)),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("runs past the directory"), "\(message)")
  }

  @Test func duplicateNamesAreAnError() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://a", 0, 12000),
        ("memmapped_package://a", 12032, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, graphRegion.length ?? 0),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("duplicate region name 'memmapped_package://a'"), "\(message)")
  }

  @Test func aRegionANodeReadsMustExist() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://a", 0, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, graphRegion.length ?? 0),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("missing region"), "\(message)")
    #expect(message.contains("'memmapped_package://b'") && message.contains("node[1] ('b')"), "\(message)")
  }

  @Test func theGraphRegionMustExist() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let bytes = handMadePackage(
      body: body, entries: [("memmapped_package://a", 0, 12000), ("memmapped_package://b", 12032, 12000)])
    let message = try decodeError(bytes)
    #expect(message.contains("missing region") && message.contains("memmapped_package://."), "\(message)")
  }

  @Test func aRegionMustHoldDtypeTimesShapeBytes() throws {
    let body = Array(Self.valid[0..<(try Self.parsed.directoryOffset)])
    let graphRegion = try Self.parsed.elements[2]
    let bytes = handMadePackage(
      body: body,
      entries: [
        ("memmapped_package://a", 0, 11996),
        ("memmapped_package://b", 12032, 12000),
        ("memmapped_package://.", graphRegion.offset ?? 0, graphRegion.length ?? 0),
      ])
    let message = try decodeError(bytes)
    #expect(message.contains("region size mismatch"), "\(message)")
    #expect(message.contains("holds 11996 bytes") && message.contains("need 12000"), "\(message)")
  }

  @Test func aBrokenGraphRegionIsLocatedInTheFile() throws {
    var bytes = Self.valid
    let graphRegion = try Self.parsed.elements[2]
    let start = Int(graphRegion.offset ?? 0)
    bytes[start] = 0x0f  // field 1 with wire type 7, which does not exist
    let message = try decodeError(bytes)
    #expect(message.contains("GraphDef region"), "\(message)")
    #expect(message.contains("byte \(start)"), "\(message)")
  }

  @Test func cuttingAPackageAnywhereNeverCrashes() throws {
    let bytes = Self.valid
    for length in Array(stride(from: 0, to: bytes.count, by: 97)) + Array((bytes.count - 700)..<bytes.count) {
      _ = try? GraphFile.decode(Array(bytes[0..<length]))
    }
  }

  @Test func corruptingTheDirectoryNeverCrashes() throws {
    let start = try Self.parsed.directoryOffset
    var generator = SystemRandomNumberGenerator()
    for index in start..<Self.valid.count {
      for value: UInt8 in [0x00, 0x7f, 0x80, 0xff, UInt8.random(in: 0...255, using: &generator)] {
        var bytes = Self.valid
        bytes[index] = value
        _ = try? GraphFile.decode(bytes)
      }
    }
  }

  @Test func aBrokenTextGraphThatNamesRegionsKeepsItsTextError() throws {
    let text =
      #"node { name: "w" op: "ImmutableConst" attr { key: "memory_region_name" value { s: "memmapped_package://w" } } } node {"#
    let message = try decodeError(Array(text.utf8))
    #expect(!message.contains("memmapped package"), "\(message)")
  }

  @Test func readingABrokenPackageFileNamesTheFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("broken.pbmm").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(Self.valid.dropLast(1)))
    let error = try #require(throws: GraphDecodingError.self) { try GraphFile.read(path: path) }
    #expect(error.description.hasPrefix("'\(path)'"), "\(error)")
    #expect(error.description.contains("bad trailer"), "\(error)")
  }
}

// MARK: - A real graph

@Test func realGraphsRoundTripThroughAPackage() throws {
  for name in ["tf1_classic", "mobilenet_v2"] {
    let path = "/work/graphs/\(name).pb"
    guard FileManager.default.fileExists(atPath: path) else { continue }
    let original = try GraphFile.read(path: path).graph
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let package = directory.appendingPathComponent("\(name).pbmm").path
    _ = try GraphFile.write(original, to: package, format: .memmapped)
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: package)))
    let parsed = try ParsedPackage(bytes)
    for element in parsed.elements.dropLast() { #expect((element.offset ?? 0) % 64 == 0) }
    let restored = try GraphFile.read(path: package).graph
    #expect(restored.withAttrsSortedByKey == original.withAttrsSortedByKey, "\(name)")
  }
}
