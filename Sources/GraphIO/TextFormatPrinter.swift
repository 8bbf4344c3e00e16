// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC

/// Prints protobuf wire bytes as text format, walking them with the full schema's
/// descriptors, in the layout of TensorFlow's `.pbtxt` files:
///
///     node {
///       name: "w"
///       attr {
///         key: "dtype"
///         value {
///           type: DT_FLOAT
///         }
///       }
///     }
///
/// Fields come out in wire order, so printing and parsing back gives the same bytes for
/// anything protobuf itself wrote. Map entries are printed as the messages they are on
/// the wire (`attr { key: … value { … } }`). For a graph whose map entries are sorted by
/// key, the output is byte for byte what TensorFlow's Python `text_format` writes
/// (checked on the test fixtures, tf1_classic and MobileNetV2).
///
/// TF parity: map entries keep their file order, where TensorFlow's printers sort them
/// by key. Keeping the order is what lets an untouched graph survive binary → text →
/// binary byte for byte; parsers accept either order.
///
/// TF parity: unknown fields (numbers the schema lacks) are dropped. protobuf's printers
/// write them as `123: value`, but neither Python's `text_format` nor C++'s `TextFormat`
/// parses that by default ("has no field named '123'"), so a file holding them would no
/// longer load in TensorFlow.
struct TextPrinter {
  /// The text printed so far (ASCII: every other byte is escaped).
  private(set) var output: [UInt8] = []
  private let schemas = TextSchemas()

  /// Prints a whole GraphDef.
  mutating func printGraphDef(_ bytes: UnsafeRawBufferPointer) {
    // Escaped weights make text about 3× the binary (2.8× for MobileNetV2, 3.05× for
    // tf1_classic); reserving that up front saves the copies of growing a large array.
    output.reserveCapacity(bytes.count * 3 + 64)
    printMessage(schemas.graphDef(), bytes: bytes, range: 0..<bytes.count, indent: 0, depth: 0)
  }

  /// Prints the fields of one message held in `bytes[range]`.
  ///
  /// `printGraphDef` cannot throw, and the bytes come from this tool's own encoder, so
  /// malformed data should not occur; if it does, what was read so far is kept and a
  /// comment (which parsers skip) says where printing stopped.
  private mutating func printMessage(
    _ message: TextMessage, bytes: UnsafeRawBufferPointer, range: Range<Int>, indent: Int,
    depth: Int
  ) {
    var reader = WireReader(bytes, range: range)
    while !reader.isAtEnd {
      let start = reader.offset
      do throws(WireProblem) {
        let (number, wireType) = try reader.tag()
        guard let field = message.field(number: number) else {
          try reader.skip(wireType: wireType)
          continue
        }
        // Parsers must accept packed and unpacked encodings of repeated scalars alike.
        if field.isRepeated && field.info.isPackable && wireType == 2 {
          let payload = try reader.lengthDelimited()
          try printPacked(field, bytes: bytes, payload: payload, indent: indent)
          continue
        }
        guard wireType == field.info.wireType else {
          // A known number with the wrong wire type is unknown data to protobuf too.
          try reader.skip(wireType: wireType)
          continue
        }
        // Like protobuf's printers, show a plain proto3 scalar only when it is set, that
        // is, not 0, "" or false. Such values reach the wire only inside map entries
        // (`key: ""`), and parsing puts them back there.
        let showsDefault = field.isRepeated || field.tracksPresence
        switch wireType {
        case 0, 1, 5:
          let value = try wireType == 0 ? reader.varint() : reader.fixed(wireType == 1 ? 8 : 4)
          if value != 0 || showsDefault { printScalar(field, bits: value, indent: indent) }
        default:
          let value = try reader.lengthDelimited()
          if value.isEmpty && !showsDefault && field.message == nil { continue }
          if let nested = field.message {
            guard depth + 1 < WireScanner.maximumDepth else { throw .tooDeep }
            appendIndent(indent)
            output.append(contentsOf: field.name)
            output.append(contentsOf: " {\n".utf8)
            printMessage(
              schemas.message(nested), bytes: bytes, range: value, indent: indent + 1,
              depth: depth + 1)
            appendIndent(indent)
            output.append(contentsOf: "}\n".utf8)
          } else {
            appendIndent(indent)
            output.append(contentsOf: field.name)
            output.append(contentsOf: ": \"".utf8)
            TextEscaping.appendEscaped(bytes[value], to: &output)
            output.append(contentsOf: "\"\n".utf8)
          }
        }
      } catch {
        appendIndent(indent)
        output.append(
          contentsOf: "# printing stopped: \(error) (at byte \(start) of the binary)\n".utf8)
        return
      }
    }
  }

  /// Prints the elements of a packed run as one `name: value` line each, as protobuf's
  /// printers do.
  private mutating func printPacked(
    _ field: TextField, bytes: UnsafeRawBufferPointer, payload: Range<Int>, indent: Int
  ) throws(WireProblem) {
    var reader = WireReader(bytes, range: payload)
    let size = field.info.wireType == 5 ? 4 : field.info.wireType == 1 ? 8 : 0
    if size > 0 && payload.count % size != 0 { throw .packedSize(field: field.displayName) }
    while !reader.isAtEnd {
      let value = try size == 0 ? reader.varint() : reader.fixed(size)
      printScalar(field, bits: value, indent: indent)
    }
  }

  /// Prints one `name: value` line for a scalar whose wire value is `bits` (the varint,
  /// or the little-endian fixed32/fixed64 bits).
  private mutating func printScalar(_ field: TextField, bits: UInt64, indent: Int) {
    appendIndent(indent)
    output.append(contentsOf: field.name)
    output.append(contentsOf: ": ".utf8)
    let text: String
    switch field.type {
    case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SFIXED32:
      text = String(Int32(truncatingIfNeeded: bits))
    case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SFIXED64:
      text = String(Int64(bitPattern: bits))
    case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
      text = String(UInt32(truncatingIfNeeded: bits))
    case PROTOBUF_C_TYPE_SINT32:
      let raw = UInt32(truncatingIfNeeded: bits)
      text = String(Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
    case PROTOBUF_C_TYPE_SINT64:
      text = String(Int64(bitPattern: (bits >> 1) ^ (0 &- (bits & 1))))
    case PROTOBUF_C_TYPE_BOOL:
      text = bits != 0 ? "true" : "false"
    case PROTOBUF_C_TYPE_FLOAT:
      text = TextEscaping.format(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
    case PROTOBUF_C_TYPE_DOUBLE:
      text = TextEscaping.format(Double(bitPattern: bits))
    case PROTOBUF_C_TYPE_ENUM:
      let number = Int32(truncatingIfNeeded: bits)
      if let name = field.enumeration?.name(of: number) {
        output.append(contentsOf: name)
        output.append(UInt8(ascii: "\n"))
        return
      }
      // proto3 enums are open: a number without a name is printed, and parsed, as is.
      text = String(number)
    default:
      text = String(bits)
    }
    output.append(contentsOf: text.utf8)
    output.append(UInt8(ascii: "\n"))
  }

  /// Two spaces per level, as TensorFlow's files have it.
  private mutating func appendIndent(_ indent: Int) {
    output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
  }
}

/// The escaping and number spelling shared by the printer and its tests.
enum TextEscaping {
  /// Appends `bytes` C-escaped the way protobuf's `CEscape` does: printable ASCII as is,
  /// `\n \r \t \" \' \\` by name, every other byte as a 3-digit octal escape (so UTF-8
  /// text comes out as octal too, as TensorFlow's own `.pbtxt` files have it).
  static func appendEscaped(_ bytes: UnsafeRawBufferPointer.SubSequence, to output: inout [UInt8]) {
    // Weights in tensor_content make this the printer's hot loop: escape into a buffer of
    // the worst-case size (4 bytes per byte) through a pointer, then append it in one copy.
    let escaped = [UInt8](unsafeUninitializedCapacity: bytes.count * 4) { buffer, count in
      guard let base = buffer.baseAddress else { return }
      var at = base
      for byte in bytes {
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
          at[0] = 0x5c
          at[1] =
            byte == UInt8(ascii: "\n")
            ? UInt8(ascii: "n") : byte == UInt8(ascii: "\r") ? UInt8(ascii: "r") : UInt8(ascii: "t")
          at += 2
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"):
          at[0] = 0x5c
          at[1] = byte
          at += 2
        case 0x20..<0x7f:
          at[0] = byte
          at += 1
        default:
          at[0] = 0x5c
          at[1] = UInt8(ascii: "0") + (byte >> 6)
          at[2] = UInt8(ascii: "0") + ((byte >> 3) & 7)
          at[3] = UInt8(ascii: "0") + (byte & 7)
          at += 4
        }
      }
      count = at - base
    }
    output.append(contentsOf: escaped)
  }

  /// The shortest spelling that parses back to the same `Float`; `inf`, `-inf` and `nan`
  /// as protobuf spells them (a NaN's sign and payload are not kept, as in protobuf).
  static func format(_ value: Float) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return value.description
  }

  /// The shortest spelling that parses back to the same `Double`.
  static func format(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return value.description
  }
}
