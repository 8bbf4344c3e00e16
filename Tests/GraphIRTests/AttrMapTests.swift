// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

struct AttrMapTests {
  @Test func keepsInsertionOrder() {
    var attrs = AttrMap()
    attrs["T"] = .type(.float)
    attrs["padding"] = .string("SAME")
    attrs["data_format"] = .string("NHWC")
    #expect(attrs.keys == ["T", "padding", "data_format"])
    #expect(attrs.count == 3)
    #expect(!attrs.isEmpty)
    #expect(attrs.map(\.key) == ["T", "padding", "data_format"])
  }

  @Test func replacingAValueKeepsItsPosition() {
    var attrs: AttrMap = ["a": .i(1), "b": .i(2), "c": .i(3)]
    attrs["b"] = .i(20)
    #expect(attrs.keys == ["a", "b", "c"])
    #expect(attrs["b"] == .i(20))
  }

  @Test func removingAndReAddingMovesTheKeyToTheEnd() {
    var attrs: AttrMap = ["a": .i(1), "b": .i(2), "c": .i(3)]
    attrs["a"] = nil
    #expect(attrs.keys == ["b", "c"])
    #expect(attrs["a"] == nil)
    attrs["a"] = .i(4)
    #expect(attrs.keys == ["b", "c", "a"])
    #expect(attrs.removeValue(forKey: "c") == .i(3))
    #expect(attrs.removeValue(forKey: "c") == nil)
    #expect(attrs.keys == ["b", "a"])
    attrs["missing"] = nil
    #expect(attrs.keys == ["b", "a"])
  }

  @Test func repeatedKeyInInitKeepsFirstPositionAndLastValue() {
    let attrs = AttrMap([("a", .i(1)), ("b", .i(2)), ("a", .i(3))])
    #expect(attrs.keys == ["a", "b"])
    #expect(attrs["a"] == .i(3))
    let literal: AttrMap = ["x": .b(true), "x": .b(false)]
    #expect(literal.count == 1)
    #expect(literal["x"] == .b(false))
  }

  @Test func equalMapsHashEqually() {
    let a: AttrMap = ["k": .string("v"), "n": .f(1.5)]
    var b = AttrMap()
    b["k"] = .string("v")
    b["n"] = .f(1.5)
    #expect(a == b)
    #expect(a.hashValue == b.hashValue)
    b["n"] = .f(2.5)
    #expect(a != b)
  }

  @Test func stringValues() {
    #expect(AttrValue.string("SAME").stringValue == "SAME")
    #expect(AttrValue.s([0xFF, 0xFE]).stringValue == nil)
    #expect(AttrValue.i(1).stringValue == nil)
  }
}
