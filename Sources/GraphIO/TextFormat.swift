// SPDX-License-Identifier: Apache-2.0

/// The protobuf text format for GraphDefs (`.pbtxt`), as TensorFlow reads and writes it.
///
/// Both directions go through binary wire bytes and are driven by protobuf-c's
/// descriptors of the full `tensorflow` schema, so the library, debug info and every
/// nested message print and parse by field name, although the fast binary path carries
/// them as opaque bytes. The IR never sees text: parsing produces wire bytes that the
/// binary decoder then reads, and printing walks the binary encoder's output. See
/// `TextParser` and `TextPrinter` for the accepted syntax and the exact output.
enum TextFormat {
  /// How much of the input `looksLikeText` examines.
  static let sniffLength = 4096

  /// Whether `bytes` plausibly hold text format: the first non-blank byte starts a field
  /// name or a `#` comment, and the first few KB have no control bytes and are UTF-8.
  ///
  /// Called only after binary decoding failed, to choose between reporting the binary
  /// error and trying the text parser. A binary GraphDef has control bytes (tags,
  /// lengths, zeros) within its first bytes, so it is not mistaken for text.
  static func looksLikeText(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let end = min(bytes.count, sniffLength)
    var index = 0
    if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
    var first: UInt8?
    while index < end {
      let byte = bytes[index]
      switch byte {
      case 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20:
        index += 1
        continue
      case 0x00..<0x20, 0x7f:
        return false
      case 0x80...:
        // A UTF-8 sequence: a lead byte and its continuation bytes. One cut off by the
        // end of the sample is accepted.
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 ? 2 : 0
        guard length > 0, byte < 0xF5 else { return false }
        var next = index + 1
        while next < index + length && next < end {
          guard bytes[next] & 0xC0 == 0x80 else { return false }
          next += 1
        }
        if first == nil { first = byte }
        index = next
        continue
      default:
        break
      }
      if first == nil { first = byte }
      index += 1
    }
    guard let first else { return false }
    let isLetter = (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
    return isLetter || first == UInt8(ascii: "_") || first == UInt8(ascii: "#")
  }

  /// Parses a text-format GraphDef into the binary wire bytes of the same GraphDef, as
  /// protobuf would serialize it after parsing the text.
  ///
  /// - Throws: `GraphDecodingError` whose reason starts with the line and column
  ///   (`line 12, column 5: expected ':' or '{' after field name 'attr', found '='`), with
  ///   the byte offset and the field path of the enclosing messages.
  static func parseGraphDef(_ text: UnsafeRawBufferPointer) throws(GraphDecodingError) -> [UInt8] {
    var parser = TextParser(text)
    return try parser.parseGraphDef()
  }

  /// Prints the binary wire bytes of a GraphDef as text format, two-space indented like
  /// TensorFlow's `.pbtxt` files. Unknown fields are left out (see `TextPrinter`).
  static func printGraphDef(wire: [UInt8]) -> String {
    var printer = TextPrinter()
    wire.withUnsafeBytes { printer.printGraphDef($0) }
    return String(decoding: printer.output, as: UTF8.self)
  }
}
