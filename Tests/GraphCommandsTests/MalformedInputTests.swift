// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import Testing

/// Hostile and malformed graphs, each run through the real binaries.
///
/// Every case holds these invariants: the tool exits with 0 or 1 (never a signal), prints
/// exactly one line on stderr when it fails (`--quiet` keeps progress out), leaves no output
/// file behind on failure, and never changes its input.
///
/// TF parity: an input port past a node's outputs (`a:5` on a Const) is accepted, as
/// TensorFlow's `IsGraphValid` checks only that the named node exists; ports are known only
/// from op registrations, which this tool does not have.
struct MalformedCase: Sendable, CustomStringConvertible {
  var name: String
  /// The file's bytes.
  var bytes: [UInt8]
  /// The tool and its arguments; `IN` and `OUT` stand for the paths.
  var tool = "transform_graph"
  var arguments = ["--in_graph=IN", "--out_graph=OUT", "--transforms=sort_by_execution_order", "--quiet"]
  /// A fragment of the one-line error, or nil when the run must succeed.
  var error: String?
  var description: String { name }
}

// MARK: - Wire helpers

private func varint(_ value: UInt64) -> [UInt8] {
  var value = value
  var out: [UInt8] = []
  while value >= 0x80 {
    out.append(UInt8(truncatingIfNeeded: value) | 0x80)
    value >>= 7
  }
  out.append(UInt8(value))
  return out
}

private func field(_ number: UInt64, _ body: [UInt8]) -> [UInt8] {
  varint(number << 3 | 2) + varint(UInt64(body.count)) + body
}

private func varintField(_ number: UInt64, _ value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }

/// A TensorShapeProto with the given sizes (negative sizes as two's complement varints).
private func shapeProto(_ sizes: [Int64]) -> [UInt8] {
  sizes.flatMap { field(2, varintField(1, UInt64(bitPattern: $0))) }
}

/// A one-node GraphDef: a Const named `c` whose `value` is the given TensorProto body, with
/// `dtype` set to `dtype`.
private func constGraph(tensor: [UInt8], dtype: UInt64 = 1) -> [UInt8] {
  let value = field(1, Array("value".utf8)) + field(2, field(8, tensor))
  let type = field(1, Array("dtype".utf8)) + field(2, varintField(6, dtype))
  let node = field(1, Array("c".utf8)) + field(2, Array("Const".utf8)) + field(5, type) + field(5, value)
  return field(1, node)
}

private func tensorProto(dtype: UInt64, shape: [Int64], content: [UInt8]? = nil, extra: [UInt8] = []) -> [UInt8] {
  varintField(1, dtype) + field(2, shapeProto(shape)) + (content.map { field(4, $0) } ?? []) + extra
}

private func graphBytes(_ nodes: [Node]) -> [UInt8] { GraphFile.encode(Graph(nodes: nodes)) }

private func const(_ name: String, _ values: [Float]) -> Node {
  Node(name: name, op: "Const", attrs: ["dtype": .type(.float), "value": .tensor(.floats(values, shape: [Int64(values.count)]))])
}

private func identity(_ name: String, _ input: String) -> Node {
  Node(name: name, op: "Identity", inputs: [InputRef(parsing: input)], attrs: ["T": .type(.float)])
}

/// Deterministic pseudo-random bytes (xorshift), so the case is the same on every run.
private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var state = seed
  return (0..<count).map { _ in
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return UInt8(truncatingIfNeeded: state)
  }
}

let malformedCases: [MalformedCase] = {
  let big = graphBytes([const("w", (0..<1000).map(Float.init)), identity("out", "w")])
  let package = GraphFile.encode(
    Graph(nodes: [const("w", (0..<5000).map(Float.init)), identity("out", "w")]), format: .memmapped)
  let floats4: [UInt8] = Array(repeating: 0, count: 8)
  return [
    MalformedCase(name: "empty file", bytes: [], error: "the file is empty; expected a binary or text GraphDef"),
    MalformedCase(name: "random bytes", bytes: randomBytes(4096, seed: 0x9E37_79B9_7F4A_7C15), error: "byte "),
    MalformedCase(
      name: "truncated in the middle of a tensor", bytes: Array(big.prefix(big.count / 2)),
      error: "runs past the end"),
    MalformedCase(
      name: "wrong wire type", bytes: varintField(1, 7), error: "field 'node' has wire type 0, expected 2"),
    MalformedCase(
      name: "length prefix past the end", bytes: [0x0a, 0x7f, 0x0a, 0x01, 0x61],
      error: "a length prefix of 127 bytes runs past the end"),
    MalformedCase(
      name: "content/shape mismatch", bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [10], content: floats4)),
      error: "tensor_content holds 8 bytes, but the shape needs 40"),
    MalformedCase(
      name: "negative dim", bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [2, -3], content: floats4)),
      error: "tensor shape has dimension 1 of size -3"),
    MalformedCase(
      name: "dim product overflowing int64",
      bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [1 << 32, 1 << 32], content: floats4)),
      error: "has more elements than fit in 64 bits"),
    MalformedCase(
      name: "huge shape with a short value list",
      bytes: constGraph(
        tensor: tensorProto(dtype: 1, shape: [1 << 20, 1 << 20], extra: field(5, [0, 0, 0x80, 0x3f]))),
      tool: "convert_graphdef_memmapped_format",
      arguments: ["--in_graph=IN", "--out_graph=OUT", "--quiet", "--min_conversion_tensor_size=1"],
      error: "expands at most"),
    MalformedCase(
      name: "unknown dtype", bytes: constGraph(tensor: tensorProto(dtype: 999, shape: [2], content: floats4), dtype: 999),
      error: "tensor has unknown dtype 999"),
    MalformedCase(
      name: "values in the wrong field",
      bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [2], extra: varintField(7, 5))),
      error: "tensor of dtype 'float' stores its values in 'int_val'"),
    MalformedCase(
      name: "string tensor where float expected",
      bytes: constGraph(tensor: tensorProto(dtype: 7, shape: [1], extra: field(8, Array("abc".utf8)))),
      arguments: ["--in_graph=IN", "--out_graph=OUT", "--transforms=round_weights", "--quiet"],
      error: "node 'c'"),
    MalformedCase(
      name: "duplicate node name", bytes: graphBytes([const("a", [1]), const("a", [2])]),
      error: "two nodes are named 'a'"),
    MalformedCase(
      name: "input naming a missing node", bytes: graphBytes([identity("b", "nowhere")]),
      error: "node 'b' has input 'nowhere', but no node of that name exists"),
    MalformedCase(
      name: "input port out of range (accepted, as TensorFlow does)",
      bytes: graphBytes([const("a", [1]), identity("b", "a:5")]), error: nil),
    MalformedCase(
      name: "a cycle", bytes: graphBytes([identity("a", "b"), identity("b", "a")]), error: "cycle"),
    MalformedCase(
      name: "text file that is not a GraphDef", bytes: Array("hello: world\n".utf8),
      error: "has no field named 'hello'"),
    MalformedCase(
      name: "truncated memmapped trailer", bytes: Array(package.dropLast(3)), error: "memmapped package: bad trailer"),
    MalformedCase(
      name: "bad shape attribute", bytes: graphBytes([
        Node(name: "p", op: "Placeholder", attrs: ["dtype": .type(.float), "shape": .shape(TensorShape([-7]))])
      ]), error: "shape has dimension 0 of size -7"),
    MalformedCase(
      name: "summarize_graph on a content/shape mismatch",
      bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [3], content: floats4)), tool: "summarize_graph",
      arguments: ["--in_graph=IN"], error: "tensor_content holds 8 bytes, but the shape needs 12"),
    // Fuzz findings (FUZZING.md), minimised by libFuzzer.
    MalformedCase(
      name: "fuzz: a negative dtype number in a tensor (written back as read)",
      bytes: [
        0x0a, 0x32, 0x0a, 0x05, 0x73, 0x75, 0x62, 0x2f, 0x79, 0x12, 0x05, 0x43, 0x6f, 0x6e, 0x73, 0x74,
        0x2a, 0x0b, 0x0a, 0x05, 0x64, 0x74, 0x79, 0x70, 0x65, 0x12, 0x02, 0x30, 0x01, 0x2a, 0x15, 0x0a,
        0x05, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x12, 0x0c, 0x42, 0x0a, 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0x40,
      ], error: nil),
    MalformedCase(
      name: "convert_graphdef_memmapped_format on a negative dim",
      bytes: constGraph(tensor: tensorProto(dtype: 1, shape: [-1], content: floats4)),
      tool: "convert_graphdef_memmapped_format", arguments: ["--in_graph=IN", "--out_graph=OUT", "--quiet"],
      error: "tensor shape has dimension 0 of size -1"),
  ]
}()

@Suite struct MalformedInputTests {
  @Test(arguments: malformedCases)
  func failsCleanly(_ testCase: MalformedCase) throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("in.pb")
    let output = folder.appendingPathComponent("out.pb")
    try Data(testCase.bytes).write(to: input)
    let arguments = testCase.arguments.map {
      $0.replacingOccurrences(of: "IN", with: input.path).replacingOccurrences(of: "OUT", with: output.path)
    }
    let result = try runTool(testCase.tool, arguments)
    #expect(try Array(Data(contentsOf: input)) == testCase.bytes, "the input was modified")
    let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    if let expected = testCase.error {
      #expect(result.status == 1, "\(testCase.name): \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(testCase.name): stderr is not one line: \(result.stderr)")
      #expect(result.stderr.contains(expected), "\(testCase.name): \(result.stderr)")
      #expect(left == ["in.pb"], "\(testCase.name): left \(left)")
    } else {
      #expect(result.status == 0, "\(testCase.name): \(result.stderr)")
    }
  }
}
