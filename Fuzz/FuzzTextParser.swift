// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the text-format parser, and the binary decoder on what it builds.
@testable import GraphIO
import GraphIR

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  _ = TextFormat.looksLikeText(bytes)
  guard let wire = try? TextFormat.parseGraphDef(bytes) else { return 0 }
  if let graph = try? GraphFile.withBytes(wire, { raw throws(GraphDecodingError) in try BinaryDecoder.decode(raw) }) {
    // The printer must print what the parser accepted, and the parser read it back.
    let text = TextFormat.printGraphDef(wire: GraphFile.encode(graph))
    let utf8 = Array(text.utf8)
    guard (try? utf8.withUnsafeBytes { try TextFormat.parseGraphDef($0) }) != nil else {
      fatalError("printed text does not parse back")
    }
  }
  return 0
}
