// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

struct TensorShapeTests {
  @Test(
    arguments: [
      ("1,224,224,3", [1, 224, 224, 3]),
      ("1, 2, 3", [1, 2, 3]),
      (" 7 ", [7]),
      ("\t4,\n5", [4, 5]),
      ("-1,3", [-1, 3]),
      ("0", [0]),
      ("+2", [2]),
    ] as [(String, [Int64])])
  func parsesCommaSeparatedSizes(_ text: String, _ sizes: [Int64]) throws {
    let shape = try #require(TensorShape(parsing: text))
    #expect(shape.sizes == sizes)
    #expect(!shape.unknownRank)
  }

  @Test(arguments: [
    "", " ", ",", "1,", ",1", "1,,2", "a", "1.5", "1 2", "0x10", "99999999999999999999", "[1,2]",
  ])
  func rejectsBadShapeStrings(_ text: String) {
    #expect(TensorShape(parsing: text) == nil)
  }

  @Test(arguments: [
    (TensorShape([1, 224, 224, 3]), "[1,224,224,3]"),
    (TensorShape([-1, 3]), "[?,3]"),
    (TensorShape([-1, -1]), "[?,?]"),
    (TensorShape.scalar, "[]"),
    (TensorShape.unknown, "<unknown>"),
  ])
  func description(_ shape: TensorShape, _ text: String) {
    #expect(shape.description == text)
  }

  @Test(
    arguments: [
      (TensorShape([2, 3, 4]), 24),
      (TensorShape.scalar, 1),
      (TensorShape([0, 5]), 0),
      (TensorShape([1 << 31, 1 << 31]), 1 << 62),
      (TensorShape([-1, 3]), nil),
      (TensorShape([-2]), nil),
      (TensorShape.unknown, nil),
      (TensorShape([Int64.max, 2]), nil),
      (TensorShape([1 << 32, 1 << 31]), nil),
      (TensorShape([3_037_000_500, 3_037_000_500]), nil),
    ] as [(TensorShape, Int64?)])
  func elementCount(_ shape: TensorShape, _ count: Int64?) {
    #expect(shape.elementCount == count)
  }

  @Test func fullyDefinedAndRank() {
    #expect(TensorShape([1, 2]).isFullyDefined)
    #expect(TensorShape.scalar.isFullyDefined)
    #expect(!TensorShape([1, -1]).isFullyDefined)
    #expect(!TensorShape.unknown.isFullyDefined)
    #expect(TensorShape([1, 2, 3]).rank == 3)
    #expect(TensorShape.unknown.rank == 0)
  }
}
