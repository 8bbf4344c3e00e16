// SPDX-License-Identifier: Apache-2.0

@testable import GraphIR
import Testing

@Suite struct NodeNameIndexTests {
  func nodes(_ names: [String]) -> [Node] { names.map { Node(name: $0, op: "NoOp") } }

  @Test func findsEveryNameAndNothingElse() throws {
    // Lengths around the 8-byte steps, a tail that differs only by trailing zero bytes,
    // non-ASCII names and a long Keras-style name.
    let names = [
      "a", "a\0", "ab", "abcdefg", "abcdefgh", "abcdefghi", "abcdefgh\0", "é", "模型/层",
      "mobilenetv3small/expanded_conv_1/depthwise/BatchNorm/FusedBatchNormV3",
      "mobilenetv3small/expanded_conv_1/depthwise/BatchNorm/FusedBatchNormV4",
    ]
    let index = try NodeNameIndex(nodes(names))
    for (position, name) in names.enumerated() { #expect(index.position(of: name) == position, "\(name)") }
    for absent in ["", "b", "abcdefgh\0\0", "abcdefghij", "mobilenetv3small/expanded_conv_1"] {
      #expect(index.position(of: absent) == nil, "\(absent)")
    }
    // A string built differently (not a literal) with the same bytes is found.
    #expect(index.position(of: String(decoding: Array("abcdefghi".utf8), as: UTF8.self)) == 5)
  }

  @Test func manyNamesStayFindable() throws {
    let names = (0..<5000).map { "block_\($0 % 97)/conv_\($0)/kernel" }
    let index = try NodeNameIndex(nodes(names))
    #expect(names.indices.allSatisfy { index.position(of: names[$0]) == $0 })
    #expect(index.position(of: "block_0/conv_5000/kernel") == nil)
  }

  @Test func rejectsEmptyAndRepeatedNames() {
    #expect(throws: NodeNameIndex.Problem.self) { try NodeNameIndex(nodes(["x", "", "y"])) }
    #expect(throws: NodeNameIndex.Problem.self) { try NodeNameIndex(nodes(["x", "y", "x"])) }
  }

  @Test func theHashDependsOnEveryByteAndTheLength() {
    let seed: UInt64 = 42
    func hash(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { NodeNameIndex.hash($0, seed: seed) } }
    let base = Array("layer_17/weights".utf8)
    var seen: Set<UInt64> = [hash(base), hash(base + [0]), hash(Array(base.dropLast()))]
    for position in base.indices {
      var changed = base
      changed[position] ^= 1
      seen.insert(hash(changed))
    }
    #expect(seen.count == base.count + 3)
  }
}
