// SPDX-License-Identifier: Apache-2.0

import GraphTransforms
import Testing

/// A parse that should succeed, and the calls it should give.
struct ParseCase: Sendable, CustomTestStringConvertible {
  var text: String
  var allowComments = false
  var calls: [TransformCall]
  var testDescription: String { text.debugDescription }

  init(_ text: String, allowComments: Bool = false, _ calls: [TransformCall]) {
    self.text = text
    self.allowComments = allowComments
    self.calls = calls
  }
}

/// A parse that should fail, with the exact message and place.
struct ParseErrorCase: Sendable, CustomTestStringConvertible {
  var text: String
  var allowComments = false
  var message: String
  var line: Int
  var column: Int
  var testDescription: String { text.debugDescription }

  init(_ text: String, allowComments: Bool = false, line: Int = 1, column: Int, _ message: String) {
    self.text = text
    self.allowComments = allowComments
    self.message = message
    self.line = line
    self.column = column
  }
}

func call(_ name: String, _ pairs: (String, String)...) -> TransformCall {
  TransformCall(name: name, pairs: pairs.map { (key: $0.0, value: $0.1) })
}

struct TransformSpecParserTests {
  // TensorFlow's TestParseTransformParameters and the consequences listed in the reference.
  static let tensorFlowCases: [ParseCase] = [
    ParseCase("foo", [call("foo")]),
    ParseCase("foo bar", [call("foo"), call("bar")]),
    ParseCase("foo() bar()", [call("foo"), call("bar")]),
    ParseCase("foo(bob_something=sue)", [call("foo", ("bob_something", "sue"))]),
    ParseCase("bar(a=1, b=2, a=3)", [call("bar", ("a", "1"), ("b", "2"), ("a", "3"))]),
    ParseCase(
      #"bar(a="1", b="1,2,3", a=3)"#, [call("bar", ("a", "1"), ("b", "1,2,3"), ("a", "3"))]),
    ParseCase("foo()", [call("foo")]),
    ParseCase("", []),
    ParseCase("   \t\n  ", []),
    ParseCase("a(x=1)b", [call("a", ("x", "1")), call("b")]),
    ParseCase("a()b()c", [call("a"), call("b"), call("c")]),
    ParseCase("foo(a=1 b=2)", [call("foo", ("a", "1"), ("b", "2"))]),
    ParseCase("foo(,a=1)", [call("foo", ("a", "1"))]),
    ParseCase(
      "f(name=scope/conv_1.weights, v=-0.5, p=./a-b, n=1e-3)",
      [call("f", ("name", "scope/conv_1.weights"), ("v", "-0.5"), ("p", "./a-b"), ("n", "1e-3"))]),
    // Backslashes stay in quoted values verbatim; a backslash escapes a quote.
    ParseCase(#"foo(a="x\"y")"#, [call("foo", ("a", #"x\"y"#))]),
    ParseCase(#"foo(a="c:\\dir\n", b=1)"#, [call("foo", ("a", #"c:\\dir\n"#), ("b", "1"))]),
    ParseCase(#"foo(a="", b="x y)(")"#, [call("foo", ("a", ""), ("b", "x y)("))]),
    // One stray '"' and then one stray '\'' after a value are skipped.
    ParseCase(#"foo(a=1")"#, [call("foo", ("a", "1"))]),
    ParseCase("foo(a=1')", [call("foo", ("a", "1"))]),
    ParseCase(#"foo(a=1"')"#, [call("foo", ("a", "1"))]),
    ParseCase(#"foo(a="x"", b=2)"#, [call("foo", ("a", "x"), ("b", "2"))]),
    ParseCase("foo(a=1' b=2)", [call("foo", ("a", "1"), ("b", "2"))]),
    ParseCase("_x9(K_1=V)", [call("_x9", ("K_1", "V"))]),
    // TensorFlow's scanner counts line breaks as spaces.
    ParseCase("foo\nbar(a=1,\n b=2)", [call("foo"), call("bar", ("a", "1"), ("b", "2"))]),
  ]

  @Test(arguments: tensorFlowCases)
  func parsesWhatTensorFlowParses(_ c: ParseCase) throws {
    #expect(try TransformSpecParser.parse(c.text, allowComments: c.allowComments) == c.calls)
  }

  @Test func repeatedKeysAppendInOrder() throws {
    let calls = try TransformSpecParser.parse("bar(a=1, b=2, a=3)")
    let arguments = try #require(calls.first).arguments
    #expect(arguments.all("a") == ["1", "3"])
    #expect(arguments.all("b") == ["2"])
    #expect(arguments.all("c") == [])
    #expect(arguments.count("a") == 2)
    #expect(arguments.pairs.map(\.key) == ["a", "b", "a"])
    #expect(arguments.transform == "bar")
  }

  // Deliberate deviations that accept more than TensorFlow (which rejects these).
  static let relaxedCases: [ParseCase] = [
    ParseCase("foo( a = 1 , b = 2 )", [call("foo", ("a", "1"), ("b", "2"))]),
    ParseCase("foo(a=1 )", [call("foo", ("a", "1"))]),
    ParseCase("foo ( a=1 )", [call("foo", ("a", "1"))]),
    ParseCase(
      "# header\nfoo(a=1) # trailing\n\n  # indented\nbar(x=\"#not a comment\", # why\n y=2)\n# done",
      allowComments: true,
      [call("foo", ("a", "1")), call("bar", ("x", "#not a comment"), ("y", "2"))]),
    ParseCase("foo(a=1# note\n)", allowComments: true, [call("foo", ("a", "1"))]),
    ParseCase("foo\r\nbar\r\n", allowComments: true, [call("foo"), call("bar")]),
  ]

  @Test(arguments: relaxedCases)
  func acceptsHarmlessTextThatTensorFlowRejects(_ c: ParseCase) throws {
    #expect(try TransformSpecParser.parse(c.text, allowComments: c.allowComments) == c.calls)
  }

  static let neverClosed = "is never closed; add ')' after its last parameter"
  static let errorCases: [ParseErrorCase] = [
    // TensorFlow silently drops an unclosed last transform; here it is an error at its name.
    ParseErrorCase("remove_nodes(op=Identity", column: 1, "'remove_nodes(' \(neverClosed)"),
    ParseErrorCase(#"remove_device strip(a=1, b="2""#, column: 15, "'strip(' \(neverClosed)"),
    ParseErrorCase("foo(a=1, ", column: 1, "'foo(' \(neverClosed)"),
    ParseErrorCase("foo(", column: 1, "'foo(' \(neverClosed)"),
    // TensorFlow's TestParseEscapedNewline input; TensorFlow returns an empty list.
    ParseErrorCase(
      "\\\n", column: 1,
      "backslash-newline is not a line continuation inside a transform string; remove the backslashes (or use --transforms_file, where line breaks are allowed)"
    ),
    ParseErrorCase(
      "remove_device \\\r\n strip", column: 15,
      "backslash-newline is not a line continuation inside a transform string; remove the backslashes (or use --transforms_file, where line breaks are allowed)"
    ),
    ParseErrorCase("foo \\ bar", column: 5, #"expected a transform name, found '\ bar'"#),
    ParseErrorCase("(a=1)", column: 1, "expected a transform name, found '(a=1)'"),
    ParseErrorCase("foo bar-baz", column: 8, "expected a transform name, found '-baz'"),
    ParseErrorCase("foo # c", column: 5, "expected a transform name, found '# c'"),
    ParseErrorCase(
      "foo(a)", column: 6, "expected '=' after parameter name 'a', found ')'; e.g. foo(a=value)"),
    ParseErrorCase(
      "foo(a", column: 6,
      "expected '=' after parameter name 'a', found the end of the text; e.g. foo(a=value)"),
    ParseErrorCase(
      "foo(a=)", column: 7,
      #"expected a value for 'a', found ')'; quote values that hold other characters, e.g. a="1,224,224,3""#
    ),
    ParseErrorCase(
      "foo(a=1,,b=2)", column: 9,
      "expected a parameter name, found ',b=2)'; write parameters as name=value, e.g. foo(key=value)"
    ),
    ParseErrorCase(
      "foo(-a=1)", column: 5,
      "expected a parameter name, found '-a=1)'; write parameters as name=value, e.g. foo(key=value)"
    ),
    ParseErrorCase(
      #"foo(a=1'")"#, column: 9,
      #"expected a parameter name, found '")'; write parameters as name=value, e.g. foo(key=value)"#
    ),
    ParseErrorCase(
      #"foo(a="1,2)"#, column: 7, #"the quoted value of 'a' is never closed; add the closing '"'"#),
    ParseErrorCase(
      #"foo(a="x\")"#, column: 7, #"the quoted value of 'a' is never closed; add the closing '"'"#),
    ParseErrorCase(
      "remove_nodes(op=x:0)", column: 18,
      #"the value of 'op' cannot contain ':' unless quoted; write op="x:…""#),
    ParseErrorCase(
      "# spec\nfoo(a=1)\nbar(b=)\n", allowComments: true, line: 3, column: 7,
      #"expected a value for 'b', found ')'; quote values that hold other characters, e.g. b="1,224,224,3""#
    ),
    ParseErrorCase(
      "foo(\n  a=1,\n  b=2\n", allowComments: true, line: 1, column: 1, "'foo(' \(neverClosed)"),
    // Columns count characters, not UTF-8 bytes.
    ParseErrorCase(#"foo(a="é") bar("#, column: 12, "'bar(' \(neverClosed)"),
  ]

  @Test(arguments: errorCases)
  func reportsErrorsWithMessageAndPlace(_ c: ParseErrorCase) throws {
    let error = try #require(throws: TransformSpecError.self) {
      try TransformSpecParser.parse(c.text, allowComments: c.allowComments)
    }
    #expect(error.message == c.message)
    #expect(error.lineAndColumn.line == c.line)
    #expect(error.lineAndColumn.column == c.column)
    #expect(error.source == c.text)
    #expect(error.origin == "--transforms")
  }

  @Test func caretPointsAtTheMissingEquals() throws {
    let text = #"strip_unused_nodes(type=float, shape "1,224,224,3")"#
    let error = try #require(throws: TransformSpecError.self) {
      try TransformSpecParser.parse(text)
    }
    #expect(
      error.description == """
        --transforms, column 38: expected '=' after parameter name 'shape', found '"1,224,224,3")'; e.g. strip_unused_nodes(shape=value)
          strip_unused_nodes(type=float, shape "1,224,224,3")
                                               ^
        """)
  }

  @Test func caretPointsAtTheUnclosedTransform() throws {
    let text = "remove_device strip_unused_nodes(type=float"
    let error = try #require(throws: TransformSpecError.self) {
      try TransformSpecParser.parse(text)
    }
    #expect(
      error.description == """
        --transforms, column 15: 'strip_unused_nodes(' is never closed; add ')' after its last parameter
          remove_device strip_unused_nodes(type=float
                        ^
        """)
  }

  @Test func caretInASpecFileNamesFileLineAndColumn() throws {
    let text = "# spec\nremove_device\n  rename_op(old_op_name=Mul new_op_name)\n"
    let error = try #require(throws: TransformSpecError.self) {
      try TransformSpecParser.parse(text, origin: "spec.txt", allowComments: true)
    }
    #expect(error.lineAndColumn == (line: 3, column: 40))
    #expect(
      error.description == """
        spec.txt:3:40: expected '=' after parameter name 'new_op_name', found ')'; e.g. rename_op(new_op_name=value)
            rename_op(old_op_name=Mul new_op_name)
                                                 ^
        """)
  }

  @Test func caretUnderNonASCIIText() throws {
    let error = try #require(throws: TransformSpecError.self) {
      try TransformSpecParser.parse(#"foo(a="é") bar("#)
    }
    #expect(
      error.description == """
        --transforms, column 12: 'bar(' is never closed; add ')' after its last parameter
          foo(a="é") bar(
                     ^
        """)
  }

  @Test func callsRememberWhereTheirNamesStart() throws {
    let calls = try TransformSpecParser.parse("  foo bar(a=1)\n baz")
    #expect(calls.map(\.sourceOffset) == [2, 6, 16])
  }

  @Test func descriptionIsCanonical() throws {
    let calls = try TransformSpecParser.parse(#"foo( a = 1 ,b="x",c="1,2", d="" , e="a b" ) bar()"#)
    #expect(calls.map(\.description) == [#"foo(a=1, b=x, c="1,2", d="", e="a b")"#, "bar"])
  }

  static let roundTripCalls: [TransformCall] = [
    call("remove_device"),
    call("strip_unused_nodes", ("type", "float"), ("shape", "1,224,224,3")),
    call("rename_node", ("old_node_name", "scope/a.b-c_1"), ("new_node_name", "x")),
    call("set_device", ("device", "/device:GPU:0"), ("if_default", "true")),
    call("f", ("a", ""), ("a", "1"), ("b", "x y"), ("c", "#"), ("d", ")"), ("e", "'")),
    call("g", ("path", #"c:\\dir"#), ("quote", #"say \"hi\""#), ("tail", #"ends\\"#)),
    call("h", ("unicode", "ünïcödé"), ("newline", "a\nb"), ("tab", "\t")),
  ]

  @Test(arguments: roundTripCalls)
  func descriptionParsesBackToTheSameCall(_ original: TransformCall) throws {
    #expect(try TransformSpecParser.parse(original.description) == [original])
    #expect(try TransformSpecParser.parse(original.description, allowComments: true) == [original])
  }

  @Test func aListOfCallsRoundTrips() throws {
    let text = Self.roundTripCalls.map(\.description).joined(separator: " ")
    #expect(try TransformSpecParser.parse(text) == Self.roundTripCalls)
    // A call with parameters ends in ')', so the next name may follow directly.
    let withParameters = Self.roundTripCalls.filter { !$0.arguments.pairs.isEmpty }
    let adjacent = withParameters.map(\.description).joined() + "x"
    #expect(try TransformSpecParser.parse(adjacent) == withParameters + [call("x")])
  }
}

/// TransformArguments accessors follow TensorFlow's GetOne*Parameter rules.
struct TransformArgumentsTests {
  func arguments(_ pairs: (String, String)...) -> TransformArguments {
    TransformArguments(transform: "t", pairs: pairs.map { (key: $0.0, value: $0.1) })
  }

  @Test func singleValues() throws {
    let args = arguments(("s", "x"), ("n", " 42 "), ("f", "-1.5e2"), ("b", "1"))
    #expect(try args.string("s") == "x")
    #expect(try args.string("absent") == nil)
    #expect(try args.int("n") == 42)
    #expect(try args.int("absent") == nil)
    #expect(try args.float("f") == -150)
    #expect(try args.bool("b") == true)
  }

  @Test(arguments: [("true", true), ("1", true), ("false", false), ("0", false)])
  func booleans(_ text: String, _ value: Bool) throws {
    #expect(try arguments(("b", text)).bool("b") == value)
  }

  @Test func repeatedSingleValueIsAnError() throws {
    let error = try #require(throws: TransformArgumentError.self) {
      try arguments(("x", "1"), ("x", "2")).string("x")
    }
    #expect(error.parameter == "x")
    #expect(error.description == "t: parameter 'x' given 2 times; pass it once, e.g. t(x=1)")
  }

  @Test(arguments: [
    ("n", "-23.2", "t: parameter 'n' must be an integer, found '-23.2'"),
    ("n", "", "t: parameter 'n' must be an integer, found ''"),
    (
      "n", "99999999999999999999",
      "t: parameter 'n' must be an integer, found '99999999999999999999'"
    ),
    ("f", "abc", "t: parameter 'f' must be a finite number, found 'abc'"),
    ("f", "inf", "t: parameter 'f' must be a finite number, found 'inf'"),
    ("f", "nan", "t: parameter 'f' must be a finite number, found 'nan'"),
    ("b", "True", "t: parameter 'b' must be true, false, 1 or 0, found 'True'"),
    ("b", "yes", "t: parameter 'b' must be true, false, 1 or 0, found 'yes'"),
  ])
  func illTypedValues(_ name: String, _ text: String, _ message: String) throws {
    let args = arguments((name, text))
    let error = try #require(throws: TransformArgumentError.self) {
      switch name {
      case "n": _ = try args.int(name)
      case "f": _ = try args.float(name)
      default: _ = try args.bool(name)
      }
    }
    #expect(error.description == message)
    #expect(error.parameter == name)
  }

  @Test func typesAndShapes() throws {
    let args = arguments()
    #expect(try args.parseType("quint8", for: "type") == .quint8)
    #expect(try args.parseShape("1, 224,224,3", for: "shape").sizes == [1, 224, 224, 3])
    let typeError = try #require(throws: TransformArgumentError.self) {
      try args.parseType("DT_FLOAT", for: "type")
    }
    #expect(
      typeError.description
        == "t: parameter 'type': unknown type 'DT_FLOAT'; use a name such as float, int32, uint8 or quint8"
    )
    let shapeError = try #require(throws: TransformArgumentError.self) {
      try args.parseShape("", for: "shape")
    }
    #expect(
      shapeError.description
        == #"t: parameter 'shape': cannot read '' as a shape; write comma-separated sizes, e.g. shape="1,224,224,3""#
    )
  }
}
