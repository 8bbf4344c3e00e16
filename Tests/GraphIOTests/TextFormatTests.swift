// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIR
import GraphTestSupport
import Testing

@testable import GraphIO

// The .pbtxt/.pb fixture pairs were written by TensorFlow 2.21's `tf.io.write_graph`
// (as_text=True and False) with Fixtures/make_text_fixtures.py; text_tf1_classic is
// /work/graphs/tf1_classic.pb re-written that way (map entries sorted, as TF sorts them).

// MARK: - Helpers

/// The bytes of a fixture in the test bundle.
private func fixture(_ name: String, _ ext: String) throws -> [UInt8] {
  let url = try #require(
    Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
  return Array(try Data(contentsOf: url))
}

/// `TextFormat.parseGraphDef` over a string.
private func parse(_ text: String) throws(GraphDecodingError) -> [UInt8] {
  let bytes = Array(text.utf8)
  return try GraphFile.withBytes(bytes) { raw throws(GraphDecodingError) in
    try TextFormat.parseGraphDef(raw)
  }
}

/// The parse error for `text`, or nil when it parses.
private func parseError(_ text: String) -> GraphDecodingError? {
  do {
    _ = try parse(text)
    return nil
  } catch {
    return error
  }
}

/// Builds canonical wire bytes by hand, fields given in ascending number order.
private struct Wire {
  var bytes: [UInt8] = []

  static func varint(_ value: UInt64) -> [UInt8] {
    var out: [UInt8] = []
    var rest = value
    while rest >= 0x80 {
      out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    out.append(UInt8(rest))
    return out
  }

  func varint(_ number: UInt64, _ value: UInt64) -> Wire {
    var copy = self
    copy.bytes += Self.varint(number << 3) + Self.varint(value)
    return copy
  }

  func fixed64(_ number: UInt64, _ value: UInt64) -> Wire {
    var copy = self
    copy.bytes +=
      Self.varint(number << 3 | 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    return copy
  }

  func bytes(_ number: UInt64, _ value: [UInt8]) -> Wire {
    var copy = self
    copy.bytes += Self.varint(number << 3 | 2) + Self.varint(UInt64(value.count)) + value
    return copy
  }

  func string(_ number: UInt64, _ value: String) -> Wire { bytes(number, Array(value.utf8)) }
  func message(_ number: UInt64, _ value: Wire) -> Wire { bytes(number, value.bytes) }
}

/// A graph that uses every AttrValue kind, every TensorProto value list, partial shapes,
/// node extras, versions, a library (TensorFlow's, from a fixture) and debug info.
private func everythingGraph() throws -> Graph {
  var tensor = Tensor(dtype: .float, shape: TensorShape([2]))
  tensor.floatVal = [1.5, -0.0]
  tensor.versionNumber = 3
  var ints = Tensor(dtype: .int32, shape: TensorShape([3]))
  ints.intVal = [1, -2, Int32.max]
  var strings = Tensor(dtype: .string, shape: TensorShape([3]))
  strings.stringVal = [
    Array("plain".utf8), [0, 0xff, 0x22, 0x27, 0x5c, 0x0a, 0x09, 0x0d, 0x7f], [],
  ]
  var wide = Tensor(dtype: .int64, shape: nil)
  wide.int64Val = [Int64.min, Int64.max, 0]
  var doubles = Tensor(dtype: .double, shape: TensorShape([4]))
  doubles.doubleVal = [.infinity, -.infinity, 1e-300, 0.1]
  var bools = Tensor(dtype: .bool, shape: TensorShape([2]))
  bools.boolVal = [true, false]
  var halves = Tensor(dtype: .half, shape: TensorShape([2]))
  halves.halfVal = [0x3C00, 0xBC00]
  var complexes = Tensor(dtype: .complex128, shape: TensorShape([1]))
  complexes.dcomplexVal = [1, -1]
  var scomplexes = Tensor(dtype: .complex64, shape: TensorShape([1]))
  scomplexes.scomplexVal = [0.5, 2]
  var unsigned = Tensor(dtype: .uint64, shape: TensorShape([2]))
  unsigned.uint64Val = [UInt64.max, 1]
  var unsigned32 = Tensor(dtype: .uint32, shape: TensorShape([1]))
  unsigned32.uint32Val = [UInt32.max]
  var float8 = Tensor(dtype: DataType(rawValue: 24), shape: TensorShape([3]))
  float8.float8Val = SharedBytes([0x00, 0x3c, 0xff])
  var resource = Tensor(dtype: .resource, shape: .scalar)
  resource.resourceHandleVal = [
    SharedBytes(
      Wire().string(1, "/cpu:0").string(3, "var").varint(4, 0xDEAD_BEEF).string(5, "float")
        .message(6, Wire().varint(1, 1).message(2, Wire().message(2, Wire().varint(1, 4)))).bytes)
  ]
  var variant = Tensor(dtype: .variant, shape: .scalar)
  variant.variantVal = [
    SharedBytes(
      Wire().string(1, "TensorList").bytes(2, [1, 2, 0])
        .message(3, Wire().varint(1, 1).message(2, Wire()).bytes(5, [0, 0, 128, 63])).bytes)
  ]
  let partial = TensorShape(dims: [.init(size: -1), .init(size: 3, name: "channels")])
  let list = AttrList(
    s: [Array("a".utf8), []], i: [0, -1, Int64.max], f: [0, 1.25, -.infinity], b: [false, true],
    type: [.float, .invalid, DataType(rawValue: 101), DataType(rawValue: 999)],
    shape: [.unknown, .scalar, partial], tensor: [ints, strings],
    function: [NameAttrList(name: "g", attrs: ["T": .type(.int32)])])

  var conv = Op(
    "Conv2D", "conv", inputs: "input", "weights:0", "^init",
    attrs: [
      "T": .type(.float), "strides": .list(AttrList(i: [1, 2, 2, 1])), "padding": .string("SAME"),
      "use_cudnn_on_gpu": .b(true), "zero_i": .i(0), "zero_f": .f(0), "negative_zero": .f(-0.0),
      "false": .b(false), "empty_s": .s([]), "invalid_type": .type(.invalid),
      "unknown_rank": .shape(.unknown), "partial": .shape(partial), "scalar_shape": .shape(.scalar),
      "tensor": .tensor(tensor), "list": .list(list), "empty_list": .list(AttrList()),
      "func": .function(NameAttrList(name: "f", attrs: ["x": .i(-5), "y": .unset])),
      "placeholder": .placeholder("T"), "unset": .unset, "big": .i(Int64.min),
      "tiny": .f(Float.leastNonzeroMagnitude), "inf": .f(.infinity),
    ],
    device: "/job:localhost/replica:0/task:0/device:CPU:0")
  conv.experimentalDebugInfo = SharedBytes(
    Wire().string(1, "orig/a").string(1, "orig/b").string(2, "func").bytes)
  conv.experimentalType = SharedBytes(
    Wire().varint(1, 10_001).message(2, Wire().varint(1, 2).string(3, "s")).message(
      2, Wire().varint(4, 7)
    ).bytes)

  var graph = Graph(versions: VersionDef(producer: 1882, minConsumer: 12, badConsumers: [3, 5])) {
    Placeholder("input", .float, shape: [-1, 224, 224, 3])
    Placeholder("any_shape", .string)
    Const("weights", floats: [1, -2, 0.5, .greatestFiniteMagnitude], shape: [1, 1, 2, 2])
    Const("init", int32s: [7], shape: [])
    conv
    Op("Identity", "output", inputs: "conv:0", attrs: ["T": .type(.float)])
    for (index, value) in [
      ints, wide, doubles, bools, halves, complexes, scomplexes, unsigned,
      unsigned32, float8, resource, variant,
    ].enumerated() {
      Node(
        name: "const_\(index)", op: "Const",
        attrs: ["dtype": .type(value.dtype), "value": .tensor(value)])
    }
  }
  graph.deprecatedVersion = 21
  let library: SharedBytes = try #require(
    try GraphFile.decode(try fixture("text_with_library", "pb")).library)
  graph.library = library
  // GraphDebugInfo: files, traces (map<string, StackTrace>), frames_by_id (map<fixed64,
  // FileLineCol>), name_to_trace_id (map<string, fixed64>).
  let frame = Wire().varint(1, 1).varint(2, 12).varint(3, 3).string(4, "build").string(
    5, "x = f(y)")
  graph.debugInfo = SharedBytes(
    Wire().string(1, "model.py").string(1, "lib.py")
      .message(
        2,
        Wire().string(1, "conv").message(
          2, Wire().message(1, frame).bytes(2, (0..<16).map { $0 == 0 ? 7 : $0 == 8 ? 8 : 0 }))
      )
      .message(4, Wire().fixed64(1, 7).message(2, frame))
      .message(5, Wire().string(1, "conv").fixed64(2, 9)).bytes)
  return graph
}

// MARK: - Round trips

@Test func graphRoundTripsThroughText() throws {
  let graph = try everythingGraph()
  let text = GraphFile.encode(graph, format: .text)
  let (decoded, format) = try GraphFile.withBytes(text) { raw throws(GraphDecodingError) in
    try GraphFile.decode(raw)
  }
  #expect(format == .text)
  #expect(decoded == graph)
  // Same bytes, too: text → wire reproduces the binary encoder's output exactly.
  #expect(GraphFile.encode(decoded) == GraphFile.encode(graph))
  // And printing is stable.
  #expect(GraphFile.encode(decoded, format: .text) == text)
}

@Test func printsTheLayoutOfTensorFlowPbtxtFiles() {
  let graph = Graph(versions: VersionDef(producer: 27)) {
    Placeholder("x", .float, shape: [-1, 2])
    Op("Neg", "y", inputs: "x", attrs: ["T": .type(.float), "note": .string("a\"b\n\u{e9}")])
  }
  let text = String(decoding: GraphFile.encode(graph, format: .text), as: UTF8.self)
  #expect(
    text == """
      node {
        name: "x"
        op: "Placeholder"
        attr {
          key: "dtype"
          value {
            type: DT_FLOAT
          }
        }
        attr {
          key: "shape"
          value {
            shape {
              dim {
                size: -1
              }
              dim {
                size: 2
              }
            }
          }
        }
      }
      node {
        name: "y"
        op: "Neg"
        input: "x"
        attr {
          key: "T"
          value {
            type: DT_FLOAT
          }
        }
        attr {
          key: "note"
          value {
            s: "a\\"b\\n\\303\\251"
          }
        }
      }
      versions {
        producer: 27
      }

      """)
}

@Test func printsScalarsLikeProtobuf() throws {
  // AttrValue.list with packed f and i, an unknown enum number, and escapes.
  let list = Wire().bytes(2, [0, 0xff, 0x27, 0x22, 0x0a, 0x09, 0x5c, UInt8(ascii: "z")])
    .bytes(3, Wire.varint(UInt64(bitPattern: -1)) + Wire.varint(300))
    .bytes(4, [0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f, 0, 0, 0x80, 0xff, 0xcd, 0xcc, 0xcc, 0x3d])
    .bytes(6, Wire.varint(1) + Wire.varint(77))
  let entry = Wire().string(1, "k").message(2, Wire().message(1, list))
  let wire = Wire().message(1, Wire().string(1, "n").message(5, entry)).bytes
  let text = TextFormat.printGraphDef(wire: wire)
  #expect(text.contains(#"s: "\000\377\'\"\n\t\\z""#))
  #expect(text.contains("f: nan\n"))
  #expect(text.contains("f: inf\n"))
  #expect(text.contains("f: -inf\n"))
  #expect(text.contains("f: 0.1\n"))
  #expect(text.contains("i: -1\n"))
  #expect(text.contains("i: 300\n"))
  #expect(text.contains("type: DT_FLOAT\n"))
  #expect(text.contains("type: 77\n"))
  // And it parses back to the same bytes (NaN keeps its canonical bits).
  let reparsed = try parse(text)
  #expect(reparsed == wire)
}

@Test func unknownFieldsAreLeftOutOfText() throws {
  var graph = Graph { Placeholder("x") }
  graph.unknownFields = [UnknownField(number: 99, wireType: 0, data: SharedBytes([5]))]
  graph.nodes[0].unknownFields = [
    UnknownField(number: 50, wireType: 2, data: SharedBytes([2, 0x41, 0x42]))
  ]
  let text = GraphFile.encode(graph, format: .text)
  let decoded = try GraphFile.decode(text)
  var expected = graph
  expected.unknownFields = []
  expected.nodes[0].unknownFields = []
  #expect(decoded == expected)
  #expect(!String(decoding: text, as: UTF8.self).contains("99"))
}

// MARK: - TensorFlow's files

@Test(arguments: ["text_small_tf1", "text_with_library", "text_tf1_classic"])
func parsesTextWrittenByTensorFlow(name: String) throws {
  let text = try fixture(name, "pbtxt")
  let binary = try fixture(name, "pb")
  let (fromText, format) = try GraphFile.withBytes(text) { raw throws(GraphDecodingError) in
    try GraphFile.decode(raw)
  }
  #expect(format == .text)
  let fromBinary = try GraphFile.decode(binary)
  #expect(fromText == fromBinary)
  // The wire bytes equal TensorFlow's own binary for the same graph, byte for byte.
  let wire = try GraphFile.withBytes(text) { raw throws(GraphDecodingError) in
    try TextFormat.parseGraphDef(raw)
  }
  #expect(wire == binary)
}

@Test(arguments: ["text_small_tf1", "text_with_library", "text_tf1_classic"])
func printsWhatTensorFlowPrints(name: String) throws {
  // TensorFlow's writer sorts map entries; these fixtures' binaries are sorted too, so
  // printing the binary in wire order reproduces TensorFlow's text exactly.
  let text = try fixture(name, "pbtxt")
  let binary = try fixture(name, "pb")
  #expect(TextFormat.printGraphDef(wire: binary) == String(decoding: text, as: UTF8.self))
}

@Test func libraryIsParsedByFieldName() throws {
  let text = String(decoding: try fixture("text_with_library", "pbtxt"), as: UTF8.self)
  #expect(text.contains("library {\n  function {\n    signature {"))
  let edited = text.replacingOccurrences(of: "signature {", with: "signature { bogus: 1")
  let error = try #require(parseError(edited))
  #expect(error.reason.contains("message type 'tensorflow.OpDef' has no field named 'bogus'"))
  #expect(error.fieldPath == "library.function[0].signature")
}

// MARK: - Syntax variants

/// Each variant must give the same bytes as the canonical text next to it.
@Test(arguments: [
  // Comments, ':' before '{', '<…>', ';' and ',' separators.
  (
    "# header\nnode: { name: 'a' ; op: \"Const\", } # trailing\n",
    "node { name: \"a\" op: \"Const\" }"
  ),
  ("node < name: \"a\" >", "node { name: \"a\" }"),
  (
    "node: < name: \"a\" attr: < key: \"T\" value: < type: DT_FLOAT > > >",
    "node { name: \"a\" attr { key: \"T\" value { type: DT_FLOAT } } }"
  ),
  // Adjacent strings and every escape.
  ("node { name: \"a\" 'b'\n  \"c\" }", "node { name: \"abc\" }"),
  (
    #"node { attr { key: "k" value { s: "\a\b\f\n\r\t\v\\\'\"\?\101\60\x41\x9\u00e9\U0001F600\uD83D\uDE00" } } }"#,
    #"node { attr { key: "k" value { s: "\007\010\014\012\015\011\013\134\047\042?A0A\t\303\251\360\237\230\200\360\237\230\200" } } }"#
  ),
  // Integers in hex, octal, with sign and spaces after the sign.
  (
    "versions { producer: 0x1F min_consumer: 017 bad_consumers: - 3 }",
    "versions { producer: 31 min_consumer: 15 bad_consumers: -3 }"
  ),
  ("versions { producer: 0X1f }", "versions { producer: 31 }"),
  // Floats with suffixes and special values in any case.
  (
    "node { attr { key: \"k\" value { list { f: 1f f: 2.5F f: .5 f: 1e2 f: 1.E-2 f: -INF f: Infinity f: -inff f: NaN f: 3 } } } }",
    "node { attr { key: \"k\" value { list { f: 1 f: 2.5 f: 0.5 f: 100 f: 0.01 f: -inf f: inf f: -inf f: nan f: 3.0 } } } }"
  ),
  // Booleans.
  (
    "node { attr { key: \"k\" value { list { b: True b: t b: 1 b: False b: f b: 0 } } } }",
    "node { attr { key: \"k\" value { list { b: true b: true b: true b: false b: false b: false } } } }"
  ),
  // Enums by number, lists of scalars and messages, an empty list.
  (
    "node { attr { key: \"k\" value { list { type: [1, DT_INT32, 101] shape: [{dim: [{size: 1}, <size: 2>]}, {unknown_rank: true}] i: [] } } } }",
    "node { attr { key: \"k\" value { list { type: DT_FLOAT type: DT_INT32 type: DT_FLOAT_REF shape { dim { size: 1 } dim { size: 2 } } shape { unknown_rank: true } } } } }"
  ),
  ("node [{name: \"a\"}, {name: \"b\"}]", "node { name: \"a\" } node { name: \"b\" }"),
  ("node { input: [\"a\", \"b\" \"c\"] }", "node { input: \"a\" input: \"bc\" }"),
  // Fields out of order and repeated values spread out come back in number order, packed.
  (
    "versions { bad_consumers: 1 producer: 5 bad_consumers: 2 } node { op: \"X\" name: \"n\" }",
    "node { name: \"n\" op: \"X\" } versions { producer: 5 bad_consumers: [1, 2] }"
  ),
  // proto3 defaults outside a oneof are not written; inside one they are.
  (
    "versions { producer: 0 min_consumer: 0 } node { name: \"\" attr { key: \"k\" value { i: 0 } } }",
    "versions { } node { attr { key: \"k\" value { i: 0 } } }"
  ),
  // Map entries always carry key and value.
  (
    "node { attr { value { } } attr { key: \"x\" } }",
    "node { attr { key: \"\" value { } } attr { key: \"x\" value { } } }"
  ),
  // A byte order mark, CRLF line ends, and an empty input.
  ("\u{FEFF}node {\r\n name: \"a\"\r\n}\r\n", "node { name: \"a\" }"),
  ("", " # nothing but a comment"),
])
func acceptsSyntaxVariants(variant: String, canonical: String) throws {
  #expect(try parse(variant) == parse(canonical))
}

// MARK: - Errors

/// Malformed inputs and the exact start of the error reason.
@Test(
  arguments: [
    (
      "node { name: \"a\" attr = 5 }",
      "line 1, column 23: expected ':' or '{' after field name 'attr', found '='", "node[0]"
    ),
    (
      "node {\n  name: \"a\"\n  bogus: 1\n}",
      "line 3, column 3: message type 'tensorflow.NodeDef' has no field named 'bogus'", "node[0]"
    ),
    (
      "versions { producer: 1.5 }",
      "line 1, column 22: '1.5' is not an integer; field 'producer' is int32", "versions.producer"
    ),
    (
      "versions {\n  producer: 3000000000\n}",
      "line 2, column 13: integer '3000000000' is out of range for field 'producer' (int32)",
      "versions.producer"
    ),
    (
      "versions { producer: 99999999999999999999999999 }",
      "line 1, column 22: integer '99999999999999999999999999' is out of range", "versions.producer"
    ),
    (
      "versions { producer: -2147483649 }",
      "line 1, column 22: integer '-2147483649' is out of range",
      "versions.producer"
    ),
    ("node { name: \"abc }", "line 1, column 14: unterminated string", "node[0]"),
    ("node { name: \"abc\n\" }", "line 1, column 14: unterminated string", "node[0]"),
    (
      "node { attr { key: \"T\" value { type: DT_BOGUS } } }",
      "line 1, column 38: 'DT_BOGUS' is not a value of enum 'tensorflow.DataType' (field 'type')",
      "node[0].attr[\"T\"].value.type"
    ),
    (
      "node { name: \"a\" name: \"b\" }",
      "line 1, column 18: field 'name' is given more than once, but it is not repeated", "node[0]"
    ),
    (
      "node { attr { key: \"x\" value { i: 1 f: 2 } } }",
      "line 1, column 37: fields 'i' and 'f' belong to the same oneof", "node[0].attr[\"x\"].value"
    ),
    (
      "node {\n  name: \"a\"\n",
      "line 3, column 1: unexpected end of input: expected '}' to close the message opened at line 1, column 6",
      "node[0]"
    ),
    ("node { name: \"a\" } }", "line 1, column 20: expected a field name, found '}'", nil),
    (
      "node { name: \"a\" >", "line 1, column 18: expected a field name or '}', found '>'",
      "node[0]"
    ),
    (
      "versions { producer: [1, 2] }",
      "line 1, column 22: field 'producer' is not repeated, so it cannot take a list", "versions"
    ),
    (
      "node { input: [\"a\"; \"b\"] }",
      "line 1, column 19: expected ',' or ']' in the list 'input', found ';'",
      "node[0]"
    ),
    ("node { name: \"\\q\" }", "line 1, column 15: invalid escape sequence '\\q'", "node[0]"),
    (
      "node { name: \"\\777\" }", "line 1, column 15: octal escape '\\777' is larger than 255",
      "node[0]"
    ),
    (
      "node { name: \"\\x\" }",
      "line 1, column 15: '\\x' must be followed by one or two hex digits",
      "node[0]"
    ),
    (
      "node { name: \"\\uD800\" }", "line 1, column 15: '\\uD800' is not a Unicode scalar value",
      "node[0]"
    ),
    (
      "node { name: \"\\xff\" }", "line 1, column 14: field 'name' is a string and must hold UTF-8",
      "node[0].name"
    ),
    ("[tensorflow.ext] { }", "line 1, column 1: expected a field name, found '[' (extensions", nil),
    (
      "node { attr { key: \"b\" value { b: yes } } }",
      "line 1, column 35: expected true or false for field 'b', found 'yes'",
      "node[0].attr[\"b\"].value.b"
    ),
    (
      "node { attr { key: \"f\" value { f: 0x10 } } }",
      "line 1, column 35: '0x10' is not a valid number for field 'f' (float)",
      "node[0].attr[\"f\"].value.f"
    ),
    (
      "node { attr { key: \"f\" value { f: bogus } } }",
      "line 1, column 35: expected a number for field 'f', found 'bogus'",
      "node[0].attr[\"f\"].value.f"
    ),
    (
      "node { name: 5 }", "line 1, column 14: expected a quoted string for field 'name', found '5'",
      "node[0].name"
    ),
    (
      "node { name: }", "line 1, column 14: expected a quoted string for field 'name', found '}'",
      "node[0].name"
    ),
    (
      "node { name \"a\" }",
      "line 1, column 13: expected ':' after field name 'name', found a string",
      "node[0]"
    ),
    ("node: 5", "line 1, column 7: expected '{' after 'node:', found '5'", nil),
    (
      "versions { bad_consumers: 12abc }", "line 1, column 27: '12abc' is not an integer",
      "versions.bad_consumers"
    ),
    (
      "node { name: \"\u{e9}\" } \u{e9}",
      "line 1, column 20: expected a field name, found '\u{e9}'", nil
    ),
  ] as [(String, String, String?)])
func reportsErrorsWithLineAndColumn(text: String, reason: String, path: String?) throws {
  let error = try #require(parseError(text))
  #expect(error.reason.hasPrefix(reason), "\(error.reason)")
  #expect(error.fieldPath == path)
  #expect(error.byteOffset != nil)
}

@Test func decodeReportsTextErrorsForTextFiles() throws {
  let text = Array("node {\n  name: \"a\"\n  op = \"Const\"\n}\n".utf8)
  #expect(TextFormat.looksLikeText(text.withUnsafeBytes { $0 }) == true)
  do {
    _ = try GraphFile.decode(text)
    Issue.record("expected an error")
  } catch {
    #expect(
      error.reason.hasPrefix("line 3, column 6: expected ':' after field name 'op', found '='"))
    #expect(error.byteOffset == 24)
    #expect(error.description.contains("in node[0]"))
  }
}

@Test func looksLikeTextTellsTextFromBinary() throws {
  func sniff(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { TextFormat.looksLikeText($0) } }
  #expect(sniff(try fixture("text_small_tf1", "pbtxt")))
  #expect(!sniff(try fixture("text_small_tf1", "pb")))
  #expect(!sniff(try fixture("text_tf1_classic", "pb")))
  #expect(sniff(Array("# comment\nnode {}".utf8)))
  #expect(sniff([0xEF, 0xBB, 0xBF] + Array("  versions {}".utf8)))
  #expect(sniff(Array("node { name: \"caf\u{e9}\" }".utf8)))
  #expect(!sniff([]))
  #expect(!sniff(Array("   \n".utf8)))
  #expect(!sniff(Array("{ node }".utf8)))
  #expect(!sniff(Array("node\u{0}".utf8)))
  #expect(!sniff([UInt8(ascii: "n"), 0xFF, 0xFE]))
}

// MARK: - Hostile input

@Test func deepNestingFailsCleanly() throws {
  // AttrValue → NameAttrList → attr entry → AttrValue → …: three messages per step.
  func nested(_ steps: Int) -> String {
    "node { attr { key: \"a\" value { "
      + String(repeating: "func { attr { key: \"a\" value { ", count: steps)
      + String(repeating: "} } } ", count: steps) + "} } }"
  }
  // 3 + 3 × 32 = 99 levels below the GraphDef: the deepest accepted, and printable.
  let wire = try parse(nested(32))
  let graph = try GraphFile.decode(wire)
  #expect(graph.nodes.count == 1)
  #expect(try GraphFile.decode(GraphFile.encode(graph, format: .text)) == graph)
  let error = try #require(parseError(nested(33)))
  #expect(error.reason.contains("messages are nested more than 100 levels deep"))
  #expect(error.reason.hasPrefix("line 1, column "))
  // Far deeper, with or without closing braces.
  #expect(parseError(nested(100_000)) != nil)
  #expect(parseError(String(repeating: "node { attr { value { func { ", count: 50_000)) != nil)
  #expect(parseError(String(repeating: "[", count: 100_000)) != nil)
}

@Test func hostileScalarsFailCleanly() {
  let cases = [
    "node { name: \"", "node { name: \"\\", "node { name: \"\\x", "node { name: '\\u12",
    "node { name: \"\\U0011FFFF\" }", "versions { producer: -",
    "versions { producer: 0x }", "versions { producer: 0xFFFFFFFFFFFFFFFFFFFF }",
    "versions { producer: -9223372036854775809 }", "versions { producer: 08 }",
    "node { attr { key: \"k\" value { f: 1e } } }",
    "node { attr { key: \"k\" value { f: 1.2.3 } } }",
    "node { attr { key: \"k\" value { f: - } } }", "node { attr { key: \"k\" value { f: -- 1 } } }",
    "node { attr { key: \"k\" value { i: 9223372036854775808 } } }",
    "node { attr { key: \"k\" value { type: 4294967296 } } }",
    "node { attr { key: \"k\" value { list { b: 2 } } } }",
    "node " + String(repeating: "{ ", count: 3),
    String(repeating: "9", count: 100_000),
    "node { name: \"" + String(repeating: "\\", count: 9_999),
  ]
  for text in cases {
    #expect(parseError(text) != nil, "\(text.prefix(60))")
  }
  // Huge values in range still work; a file of nothing but a comment is an empty graph.
  #expect(parseError(String(repeating: "#", count: 10_000)) == nil)
  #expect(
    parseError(
      "node { attr { key: \"k\" value { list { i: -9223372036854775808 f: 1e39 f: 1e-50 } } } }")
      == nil)
}

/// Text touching every part of the syntax, for cutting at every byte.
private let syntaxSampler = #"""
  # comment
  node {
    name: "a\n\x41\101\u00e9\U0001F600" 'b'
    op: "Const"
    input: ["x:1", "^y"]
    attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: -1 } }
      float_val: [1.5, -inf, nan, 2e-3f] tensor_content: "\000\377" } } }
    attr: < key: "list" value: < list < i: [0x10, -017, 5] b: [true, f] type: 3 > > >
  } ; versions { producer: 27 bad_consumers: 1, }
  """#

@Test func truncatedAndMutatedTextNeverTraps() throws {
  let fixtureText = try fixture("text_small_tf1", "pbtxt")
  let sampler = Array(syntaxSampler.utf8)
  #expect(try parse(syntaxSampler).count > 100)
  // Every prefix either parses (cut between fields) or fails with a located error.
  let prefixes =
    (0...sampler.count).map { Array(sampler[..<$0]) }
    + stride(from: 0, through: fixtureText.count, by: 13).map { Array(fixtureText[..<$0]) }
  for prefix in prefixes {
    do {
      let wire = try GraphFile.withBytes(prefix) { raw throws(GraphDecodingError) in
        try TextFormat.parseGraphDef(raw)
      }
      _ = try? GraphFile.decode(wire)
    } catch {
      #expect(error.reason.hasPrefix("line "))
    }
  }
  // Seeded random byte mutations.
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  func next() -> UInt64 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return state
  }
  let alphabet = Array("{}<>[]:;,\"'\\-.#0123456789xefinatu \n".utf8) + [0, 0xff, 0xc3]
  for round in 0..<600 {
    var mutated = round % 2 == 0 ? fixtureText : sampler
    for _ in 0..<(1 + Int(next() % 4)) {
      let at = Int(next() % UInt64(mutated.count))
      mutated[at] = alphabet[Int(next() % UInt64(alphabet.count))]
    }
    do {
      let wire = try GraphFile.withBytes(mutated) { raw throws(GraphDecodingError) in
        try TextFormat.parseGraphDef(raw)
      }
      _ = try? GraphFile.decode(wire)
    } catch {
      #expect(error.reason.hasPrefix("line "))
    }
  }
}

@Test func printerSurvivesMalformedWire() {
  // Truncated, and nested deeper than the limit: printing stops with a comment.
  let truncated: [UInt8] = [0x0a, 0x05, 0x0a, 0x10, 0x41]
  #expect(TextFormat.printGraphDef(wire: truncated).contains("# printing stopped"))
  var deep = Wire().string(1, "x")
  for _ in 0..<120 { deep = Wire().message(2, Wire().message(10, Wire().message(2, deep))) }
  let text = TextFormat.printGraphDef(wire: Wire().message(1, Wire().message(5, deep)).bytes)
  #expect(text.contains("# printing stopped: messages are nested too deeply"))
}

// MARK: - Real graphs

/// The real graphs from `make_graphs.py` (when GRAPHS_DIR points at them) survive
/// binary → text → binary unchanged. With TEXT_FORMAT_OUT_DIR set, the text is also
/// written there, to be checked with TensorFlow's own parser.
@Test(arguments: ["tf1_classic", "mobilenet_v2"])
func realGraphRoundTripsThroughText(name: String) throws {
  let environment = ProcessInfo.processInfo.environment
  guard let directory = environment["GRAPHS_DIR"] else { return }
  let path = "\(directory)/\(name).pb"
  guard FileManager.default.fileExists(atPath: path) else { return }
  let graph = try GraphFile.read(path: path).graph
  let text = GraphFile.encode(graph, format: .text)
  if let out = environment["TEXT_FORMAT_OUT_DIR"] {
    try Data(text).write(to: URL(fileURLWithPath: "\(out)/\(name).pbtxt"))
  }
  let decoded = try GraphFile.decode(text)
  #expect(decoded == graph)
  #expect(GraphFile.encode(decoded) == GraphFile.encode(graph))
}
