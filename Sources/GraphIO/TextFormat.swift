// SPDX-License-Identifier: Apache-2.0

/// The protobuf text format for GraphDefs (placeholder; implemented separately).
enum TextFormat {
  static func looksLikeText(_ bytes: UnsafeRawBufferPointer) -> Bool { false }
  static func parseGraphDef(_ text: UnsafeRawBufferPointer) throws(GraphDecodingError) -> [UInt8] {
    throw GraphDecodingError(reason: "text format not implemented")
  }
  static func printGraphDef(wire: [UInt8]) -> String { "" }
}
