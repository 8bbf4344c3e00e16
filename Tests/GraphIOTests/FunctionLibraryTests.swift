// SPDX-License-Identifier: Apache-2.0

import GraphIO
import GraphIR
import Testing

@Test func libraryNodeOpsAreReadFromTheEncodedLibrary() {
  // library { function { node_def { op: "Add" } node_def { op: "Mul" } } function { node_def { op: "Relu" } } }
  func field(_ number: UInt8, _ body: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(body.count)] + body }
  let add = field(3, field(2, Array("Add".utf8)))
  let mul = field(3, field(2, Array("Mul".utf8)))
  let relu = field(3, field(2, Array("Relu".utf8)))
  let library = field(1, add + mul) + field(1, relu)
  #expect(FunctionLibrary.nodeOps(in: SharedBytes(library)) == ["Add", "Mul", "Relu"])
  #expect(FunctionLibrary.nodeOps(in: SharedBytes([0xff])) == [])
}
