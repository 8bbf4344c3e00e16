// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import Testing

/// Decoding then encoding an untouched graph reproduces it byte for byte. Runs on the
/// real graphs from `make_graphs.py` when GRAPHS_DIR points at them (the conformance
/// run sets it); the committed fixtures cover the same property in every run.
@Test(arguments: ["mobilenet_v2", "resnet50", "tf1_classic"])
func realGraphRoundTripsByteForByte(name: String) throws {
  guard let directory = ProcessInfo.processInfo.environment["GRAPHS_DIR"] else { return }
  let path = "\(directory)/\(name).pb"
  guard FileManager.default.fileExists(atPath: path) else { return }
  let original = try Data(contentsOf: URL(fileURLWithPath: path))
  let loaded = try GraphFile.read(path: path)
  let encoded = GraphFile.encode(loaded.graph)
  #expect(encoded.count == original.count)
  #expect(encoded == Array(original))
}
