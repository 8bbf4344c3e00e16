// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the binary GraphDef decoder (WireScanner, TensorSplicer, protobuf-c,
// conversion to the IR, tensor validation), then a write and read of what it accepted.
@testable import GraphIO
import GraphIR

final class Owner {}
let owner = Owner()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  // Both paths: borrowing (the splicer) and copying.
  guard let graph = try? BinaryDecoder.decode(bytes, borrowingFrom: owner) else { return 0 }
  let copied = try? BinaryDecoder.decode(bytes)
  // Nodes read by the borrowing path are written as they were read, field order and
  // repeated fields included, so `encoded` need not be canonical. A graph read from
  // memory keeps no source bytes and encodes canonically: that encoding must be a fixed
  // point, and must be the one the input itself has.
  let encoded = GraphFile.encode(graph)
  guard let again = try? GraphFile.withBytes(encoded, { raw throws(GraphDecodingError) in try BinaryDecoder.decode(raw) })
  else { fatalError("written graph does not read back") }
  let canonical = GraphFile.encode(again)
  let third = try? GraphFile.withBytes(canonical) { raw throws(GraphDecodingError) in try BinaryDecoder.decode(raw) }
  guard let third, GraphFile.encode(third) == canonical else {
    fatalError("re-encoded graph does not decode to the same bytes")
  }
  if let copied, GraphFile.encode(copied) != canonical {
    fatalError("written graph does not mean what was read")
  }
  return 0
}
