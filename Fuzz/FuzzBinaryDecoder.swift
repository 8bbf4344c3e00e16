// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the binary GraphDef decoder (WireScanner, TensorSplicer, protobuf-c,
// conversion to the IR, tensor validation), then a re-encode and decode of what it accepted.
@testable import GraphIO
import GraphIR

final class Owner {}
let owner = Owner()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  // Both paths: borrowing (the splicer) and copying.
  guard let graph = try? BinaryDecoder.decode(bytes, borrowingFrom: owner) else { return 0 }
  _ = try? BinaryDecoder.decode(bytes)
  let encoded = GraphFile.encode(graph)
  let again = try? GraphFile.withBytes(encoded) { raw throws(GraphDecodingError) in try BinaryDecoder.decode(raw) }
  guard let again, GraphFile.encode(again) == encoded else {
    fatalError("re-encoded graph does not decode to the same bytes")
  }
  return 0
}
