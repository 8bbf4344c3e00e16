// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import GraphTestSupport
import Testing

/// A fresh directory for one test.
func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("graph-io-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Test func writeThenReadRoundTripsThroughAFile() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let path = directory.appendingPathComponent("g.pb").path
  let graph = everyKindGraph()
  let written = try GraphFile.write(graph, to: path, countGzip: true)
  #expect(written.byteCount == GraphFile.encode(graph).count)
  #expect((written.gzipByteCount ?? 0) > 0)
  let loaded = try GraphFile.read(path: path)
  #expect(loaded.graph == graph)
  #expect(loaded.format == .binary)
  #expect(loaded.byteCount == written.byteCount)
}

@Test func overwritingTheInputFileWithItsOwnTransformIsSafe() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let path = directory.appendingPathComponent("same.pb").path
  _ = try GraphFile.write(everyKindGraph(), to: path)
  // The graph borrows weights from the mapped input; rewriting the same path must not
  // disturb them.
  var graph = try GraphFile.read(path: path).graph
  graph.nodes[0].device = "/cpu:0"
  _ = try GraphFile.write(graph, to: path)
  let reread = try GraphFile.read(path: path).graph
  #expect(reread == graph)
  #expect(reread["w"] == everyKindGraph()["w"])
}

/// Files of 8 MB and more are mapped in by a background thread while decoding starts;
/// whatever that thread has reached, the graph reads the same, and dropping the graph
/// (which stops the thread before unmapping) leaves nothing behind that breaks the next read.
@Test func aLargeFileReadsTheSameWhileItsPagesMapInBehind() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let path = directory.appendingPathComponent("large.pb").path
  var graph = Graph()
  for layer in 0..<6 {
    // 6 × 2 MB of weights, each different, with small nodes between them.
    let values = (0..<(1 << 19)).map { Float($0 % 977) * 0.5 + Float(layer) }
    graph.nodes.append(
      Node(
        name: "w\(layer)", op: "Const",
        attrs: ["dtype": .type(.float), "value": .tensor(.floats(values, shape: [512, 1024]))]))
    graph.nodes.append(
      Node(name: "i\(layer)", op: "Identity", inputs: [.data("w\(layer)")], attrs: ["T": .type(.float)]))
  }
  let written = try GraphFile.write(graph, to: path)
  #expect(written.byteCount > 8 << 20)
  for _ in 0..<5 {
    let loaded = try GraphFile.read(path: path)
    #expect(loaded.graph == graph)
  }
}

@Test func aFailedWriteLeavesNoFileBehind() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let target = directory.appendingPathComponent("sub")
  try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
  #expect(throws: GraphWriteError.self) { try GraphFile.write(everyKindGraph(), to: target.path) }
  let missing = directory.appendingPathComponent("no/such/dir/out.pb").path
  #expect(throws: GraphWriteError.self) { try GraphFile.write(everyKindGraph(), to: missing) }
  let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
  #expect(leftovers == ["sub"])
}

@Test func readingAMissingFileNamesIt() throws {
  let error = try #require(throws: GraphDecodingError.self) {
    try GraphFile.read(path: "/nonexistent/graph.pb")
  }
  #expect(error.description.contains("'/nonexistent/graph.pb'"))
  #expect(error.description.contains("No such file"))
}

@Test func anEmptyFileIsAnError() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: directory) }
  let path = directory.appendingPathComponent("empty.pb").path
  #expect(FileManager.default.createFile(atPath: path, contents: Data()))
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.read(path: path) }
  #expect(error.description.contains("empty"))
}

@Test func aDirectoryIsNotAGraph() throws {
  let error = try #require(throws: GraphDecodingError.self) { try GraphFile.read(path: "/tmp") }
  #expect(error.description.contains("not a regular file"))
}

@Test func measureMatchesTheEncodedSize() throws {
  let graph = everyKindGraph()
  let measured = GraphFile.measure(graph, gzip: true)
  #expect(measured.byteCount == GraphFile.encode(graph).count)
  #expect(measured.gzipByteCount.map { $0 > 0 && $0 < measured.byteCount } == true)
}

/// A graph whose tensor bytes are computed on demand encodes exactly like one holding
/// them, in every format, and measuring its size never computes them.
@Suite struct DeferredTensorEncodingTests {
  final class Calls: @unchecked Sendable {
    var count = 0
  }

  static func graph(pending: Bool, calls: Calls) -> Graph {
    let count = 3 * 1024 * 1024 + 20  // several write-buffer pieces, with a ragged end
    let pattern: @Sendable (Int) -> UInt8 = { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
    let content =
      pending
      ? SharedBytes(count: count) { offset, buffer in
        calls.count += 1
        for index in 0..<buffer.count { buffer[index] = pattern(offset + index) }
      }
      : SharedBytes((0..<count).map(pattern))
    let tensor = Tensor(dtype: .uint8, shape: TensorShape([Int64(count)]), content: content)
    return Graph(nodes: [
      Node(name: "weights", op: "Const", attrs: ["dtype": .type(.uint8), "value": .tensor(tensor)]),
      Node(name: "out", op: "Identity", inputs: [.data("weights")], attrs: ["T": .type(.uint8)]),
    ])
  }

  @Test(arguments: [GraphFormat.binary, .text, .memmapped])
  func encodesLikeEagerBytes(_ format: GraphFormat) throws {
    let calls = Calls()
    let eager = Self.graph(pending: false, calls: calls)
    let pending = Self.graph(pending: true, calls: calls)
    #expect(GraphFile.encode(pending, format: format) == GraphFile.encode(eager, format: format))
    #expect(calls.count > 0)
  }

  @Test func measuringDoesNotCompute() throws {
    let calls = Calls()
    let pending = Self.graph(pending: true, calls: calls)
    let eager = Self.graph(pending: false, calls: calls)
    #expect(GraphFile.measure(pending, gzip: false).byteCount == GraphFile.measure(eager, gzip: false).byteCount)
    #expect(calls.count == 0)
    #expect(GraphFile.measure(pending, gzip: true).gzipByteCount == GraphFile.measure(eager, gzip: true).gzipByteCount)
    #expect(calls.count > 0)
  }
}
