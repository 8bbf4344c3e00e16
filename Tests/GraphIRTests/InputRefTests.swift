// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

struct InputRefTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var text: String
    var node: String
    var port: Int?
    var canonical: String
    var testDescription: String { "'\(text)'" }
  }

  @Test(arguments: [
    Case(text: "a", node: "a", port: 0, canonical: "a:0"),
    Case(text: "a:0", node: "a", port: 0, canonical: "a:0"),
    Case(text: "a:1", node: "a", port: 1, canonical: "a:1"),
    Case(text: "^a", node: "a", port: nil, canonical: "^a"),
    Case(
      text: "scope/conv_1/BiasAdd:12", node: "scope/conv_1/BiasAdd", port: 12,
      canonical: "scope/conv_1/BiasAdd:12"),
    Case(text: "^scope/init", node: "scope/init", port: nil, canonical: "^scope/init"),
    // A suffix that is not a decimal port stays part of the node name.
    Case(text: "a:x", node: "a:x", port: 0, canonical: "a:x:0"),
    Case(text: "a:", node: "a:", port: 0, canonical: "a::0"),
    Case(text: "a:-1", node: "a:-1", port: 0, canonical: "a:-1:0"),
    Case(text: "a:1234567890", node: "a:1234567890", port: 0, canonical: "a:1234567890:0"),
    Case(text: "a:123456789", node: "a", port: 123_456_789, canonical: "a:123456789"),
    Case(text: "", node: "", port: 0, canonical: ":0"),
    Case(text: "^", node: "", port: nil, canonical: "^"),
  ])
  func parsesNodeAndPort(_ c: Case) {
    let ref = InputRef(parsing: c.text)
    #expect(ref.node == c.node)
    #expect(ref.port == c.port)
    #expect(ref.isControl == (c.port == nil))
    #expect(ref.canonical == c.canonical)
    // The spelling is kept, so an untouched input is written back as it was read.
    #expect(ref.description == c.text)
  }

  @Test func portZeroSpelledAndUnspelledAreEqualButPrintAsWritten() {
    let bare = InputRef(parsing: "a")
    let spelled = InputRef(parsing: "a:0")
    #expect(bare == spelled)
    #expect(bare.hashValue == spelled.hashValue)
    #expect(Set([bare, spelled]).count == 1)
    #expect(bare == .data("a"))
    #expect(spelled == .data("a", port: 0))
    #expect(bare.description == "a")
    #expect(spelled.description == "a:0")
    #expect(InputRef.data("a").description == "a")
    #expect(InputRef.data("a", port: 0).description == "a")
    #expect(InputRef.data("a", port: 2).description == "a:2")
  }

  @Test func differentPortsOrControlAreDifferentInputs() {
    #expect(InputRef(parsing: "a:1") != InputRef(parsing: "a"))
    #expect(InputRef(parsing: "^a") != InputRef(parsing: "a"))
    #expect(InputRef(parsing: "^a") == .control("a"))
    #expect(InputRef.control("a").description == "^a")
    #expect(InputRef(parsing: "b") != InputRef(parsing: "a"))
  }

  @Test func renamingTheNodeKeepsThePortSpelling() {
    var spelled = InputRef(parsing: "old:0")
    spelled.node = "new"
    #expect(spelled.description == "new:0")
    var control = InputRef(parsing: "^old")
    control.node = "new"
    #expect(control.description == "^new")
    var port = InputRef(parsing: "old:3")
    port.node = "new"
    #expect(port.description == "new:3")
  }
}
