// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the memmapped package reader (trailer, directory, regions, restoring
// ImmutableConst nodes), and the package writer on what it read.
@testable import GraphIO
import GraphIR

final class Owner {}
let owner = Owner()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMemmapped(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  _ = try? MemmappedPackage.layout(of: bytes)
  guard case .package(let layout) = MemmappedPackage.inspect(bytes) else { return 0 }
  guard let graph = try? MemmappedPackage.decode(bytes, layout: layout, owner: owner) else { return 0 }
  _ = try? MemmappedPackage.decode(bytes, layout: layout, owner: nil)
  let package = MemmappedPackage.encode(MemmappedPackage.convert(graph, minConversionBytes: 1))
  guard (try? GraphFile.decode(package)) != nil else { fatalError("written package does not read back") }
  return 0
}
