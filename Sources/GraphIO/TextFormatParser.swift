// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC

/// Parses protobuf text format into the binary wire bytes of the same message, driven by
/// the schema's descriptors: every field name is looked up in the message being parsed,
/// and its declared type decides how the value is read and encoded.
///
/// Accepts what TensorFlow's writers produce (Python `text_format`, C++ `TextFormat`) and
/// the usual hand-written variants: `#` comments, `:` before `{` or not, `<…>` as well as
/// `{…}`, `;` or `,` after a field, adjacent strings concatenated, C escapes including
/// `\xNN`, `\NNN`, `\uXXXX` and `\UXXXXXXXX`, decimal, hex and octal integers, floats with
/// an `f` suffix, `inf`/`infinity`/`nan` in any case, the boolean spellings
/// `true`/`True`/`t`/`1` and `false`/`False`/`f`/`0`, enums by name or number, and
/// `field: [a, b]` lists for repeated fields.
///
/// The output is what protobuf's serializer would write after parsing the same text:
/// fields in number order, repeated scalars packed where the schema packs them, and
/// proto3 scalars that hold their default value (0, "", false) left out, except in a
/// `oneof` or a map entry, where protobuf keeps them.
///
/// Errors carry the line and column (1-based, columns counted in characters) in the
/// reason, the byte offset, and the field path. The parser never traps: nesting is
/// limited to `WireScanner.maximumDepth` messages, integers are range-checked, and every
/// read is bounds-checked.
struct TextParser {
  /// The whole input.
  private let text: UnsafeRawBufferPointer
  /// The byte offset of the next unread byte.
  private var position = 0
  private let schemas = TextSchemas()
  /// The message fields entered, outermost first, for error paths.
  private var path: [PathEntry] = []

  /// One step of a field path: `node[3]`, `attr["T"]`, `value`.
  private struct PathEntry {
    var name: String
    var index: Int?
    var key: String?

    var text: String {
      if let key { return "\(name)[\"\(key)\"]" }
      if let index { return "\(name)[\(index)]" }
      return name
    }
  }

  /// A parser positioned at the start of `text`, after a byte order mark if any.
  init(_ text: UnsafeRawBufferPointer) {
    self.text = text
    // A UTF-8 byte order mark, as some editors write, is not part of the text.
    if text.count >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF { position = 3 }
  }

  /// Parses the whole input as a `tensorflow.GraphDef`.
  mutating func parseGraphDef() throws(GraphDecodingError) -> [UInt8] {
    try parseFields(of: schemas.graphDef(), closing: nil, openedAt: 0, depth: 0)
  }

  // MARK: - Messages

  /// Parses fields until `closing` (or the end of the input for the top level) and
  /// returns the message's wire bytes.
  private mutating func parseFields(
    of message: TextMessage, closing: UInt8?, openedAt: Int, depth: Int
  ) throws(GraphDecodingError) -> [UInt8] {
    var builder = WireBuilder()
    // How many values each field has had: indices for paths, and the singular check.
    var counts = [Int](repeating: 0, count: message.fields.count)
    var oneofsSet: [(oneof: UInt32, field: String)] = []
    while true {
      skipTrivia()
      guard position < text.count else {
        if let closing {
          let (line, column) = location(of: openedAt)
          throw failure(
            "unexpected end of input: expected '\(Character(Unicode.Scalar(closing)))' to close "
              + "the message opened at line \(line), column \(column)", at: position)
        }
        break
      }
      let byte = text[position]
      if let closing, byte == closing {
        position += 1
        break
      }
      let nameStart = position
      guard let nameRange = identifier() else {
        throw unexpectedToken(expected: expectedFieldName(closing: closing), at: nameStart)
      }
      guard let field = message.field(named: text[nameRange]) else {
        let name = String(decoding: text[nameRange], as: UTF8.self)
        throw failure(
          "message type '\(message.fullName)' has no field named '\(name)'", at: nameStart)
      }
      if !field.isRepeated {
        guard counts[field.index] == 0 else {
          throw failure(
            "field '\(field.displayName)' is given more than once, but it is not repeated",
            at: nameStart)
        }
        if let oneof = field.oneof {
          if let other = oneofsSet.first(where: { $0.oneof == oneof }) {
            throw failure(
              "fields '\(other.field)' and '\(field.displayName)' belong to the same oneof; "
                + "give only one of them", at: nameStart)
          }
          oneofsSet.append((oneof, field.displayName))
        }
      }
      skipTrivia()
      let values: Int
      if field.isMessage {
        let hasColon = consume(UInt8(ascii: ":"))
        if hasColon { skipTrivia() }
        if peek() == UInt8(ascii: "[") {
          values = try parseList(
            field, in: message, builder: &builder, first: counts[field.index], depth: depth)
        } else if peek() == UInt8(ascii: "{") || peek() == UInt8(ascii: "<") {
          try parseMessageValue(field, index: counts[field.index], builder: &builder, depth: depth)
          values = 1
        } else {
          let expected =
            hasColon
            ? "'{' after '\(field.displayName):'"
            : "':' or '{' after field name '\(field.displayName)'"
          throw unexpectedToken(expected: expected, at: position)
        }
      } else {
        guard consume(UInt8(ascii: ":")) else {
          throw unexpectedToken(
            expected: "':' after field name '\(field.displayName)'", at: position)
        }
        skipTrivia()
        if peek() == UInt8(ascii: "[") {
          values = try parseList(
            field, in: message, builder: &builder, first: counts[field.index], depth: depth)
        } else {
          try parseScalar(field, in: message, builder: &builder)
          values = 1
        }
      }
      counts[field.index] += values
      skipTrivia()
      if peek() == UInt8(ascii: ";") || peek() == UInt8(ascii: ",") { position += 1 }
    }
    if message.isMapEntry {
      // protobuf always writes a map entry's key and value, defaults included.
      for field in message.fields where !builder.contains(number: field.number) {
        appendDefault(field, to: &builder)
      }
    }
    return builder.finish()
  }

  /// Parses `{ … }` or `< … >` for one value of a message field and appends it.
  private mutating func parseMessageValue(
    _ field: TextField, index: Int, builder: inout WireBuilder, depth: Int
  ) throws(GraphDecodingError) {
    let openedAt = position
    let closing = text[position] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: ">")
    guard depth + 1 < WireScanner.maximumDepth else {
      throw failure(
        "messages are nested more than \(WireScanner.maximumDepth) levels deep", at: openedAt)
    }
    guard let nested = field.message else {
      throw failure("field '\(field.displayName)' has no message type in the schema", at: openedAt)
    }
    position += 1
    path.append(PathEntry(name: field.displayName, index: field.isRepeated ? index : nil))
    let bytes = try parseFields(
      of: schemas.message(nested), closing: closing, openedAt: openedAt, depth: depth + 1)
    path.removeLast()
    builder.appendLengthDelimited(number: field.number, bytes)
  }

  /// Parses `[v, v, …]` for a repeated field and returns how many values it held.
  private mutating func parseList(
    _ field: TextField, in message: TextMessage, builder: inout WireBuilder, first: Int,
    depth: Int
  ) throws(GraphDecodingError) -> Int {
    let listStart = position
    guard field.isRepeated else {
      throw failure(
        "field '\(field.displayName)' is not repeated, so it cannot take a list '[…]'",
        at: listStart)
    }
    position += 1
    skipTrivia()
    if consume(UInt8(ascii: "]")) { return 0 }
    var count = 0
    while true {
      skipTrivia()
      if field.isMessage {
        guard peek() == UInt8(ascii: "{") || peek() == UInt8(ascii: "<") else {
          throw unexpectedToken(
            expected: "'{' to start an element of the list '\(field.displayName)'", at: position)
        }
        try parseMessageValue(field, index: first + count, builder: &builder, depth: depth)
      } else {
        try parseScalar(field, in: message, builder: &builder)
      }
      count += 1
      skipTrivia()
      if consume(UInt8(ascii: ",")) { continue }
      if consume(UInt8(ascii: "]")) { return count }
      throw unexpectedToken(
        expected: "',' or ']' in the list '\(field.displayName)'", at: position)
    }
  }

  // MARK: - Scalars

  /// A scalar's wire value.
  private enum WireValue {
    case varint(UInt64)
    case fixed32(UInt32)
    case fixed64(UInt64)
    case bytes([UInt8])

    /// Whether protobuf would treat it as the field's default (bit pattern zero; -0.0
    /// and NaN are not defaults).
    var isDefault: Bool {
      switch self {
      case .varint(let value): return value == 0
      case .fixed32(let bits): return bits == 0
      case .fixed64(let bits): return bits == 0
      case .bytes(let bytes): return bytes.isEmpty
      }
    }
  }

  /// Parses one value of a scalar field and appends its encoding.
  private mutating func parseScalar(
    _ field: TextField, in message: TextMessage, builder: inout WireBuilder
  ) throws(GraphDecodingError) {
    let value = try scalarValue(field)
    if case .bytes(let bytes) = value, message.isMapEntry, field.number == 1,
      let key = String(validating: bytes, as: UTF8.self), !path.isEmpty
    {
      // Name map entries by key in later error paths: attr["T"] instead of attr[3].
      path[path.count - 1].key = key
    }
    if field.isPacked {
      switch value {
      case .varint(let v): builder.appendPacked(number: field.number, v, size: 0)
      case .fixed32(let bits): builder.appendPacked(number: field.number, UInt64(bits), size: 4)
      case .fixed64(let bits): builder.appendPacked(number: field.number, bits, size: 8)
      case .bytes(let bytes): builder.appendLengthDelimited(number: field.number, bytes)
      }
      return
    }
    if !field.isRepeated && !field.tracksPresence && !message.isMapEntry && value.isDefault {
      return
    }
    append(value, number: field.number, to: &builder)
  }

  /// Appends `value` as field `number`, unpacked.
  private func append(_ value: WireValue, number: UInt32, to builder: inout WireBuilder) {
    switch value {
    case .varint(let v): builder.appendVarint(number: number, v)
    case .fixed32(let bits): builder.appendFixed32(number: number, bits)
    case .fixed64(let bits): builder.appendFixed64(number: number, bits)
    case .bytes(let bytes): builder.appendLengthDelimited(number: number, bytes)
    }
  }

  /// Appends the default value of `field` (for map entries that leave out key or value).
  private func appendDefault(_ field: TextField, to builder: inout WireBuilder) {
    switch field.info.wireType {
    case 0: builder.appendVarint(number: field.number, 0)
    case 1: builder.appendFixed64(number: field.number, 0)
    case 5: builder.appendFixed32(number: field.number, 0)
    default: builder.appendLengthDelimited(number: field.number, [])
    }
  }

  /// Reads one value of `field`'s type.
  private mutating func scalarValue(_ field: TextField) throws(GraphDecodingError) -> WireValue {
    switch field.type {
    case PROTOBUF_C_TYPE_STRING:
      let start = position
      let bytes = try stringValue(field)
      guard String(validating: bytes, as: UTF8.self) != nil else {
        throw failure(
          "field '\(field.displayName)' is a string and must hold UTF-8 text; its value is not "
            + "valid UTF-8 (use a bytes field for binary data)", at: start, field: field)
      }
      return .bytes(bytes)
    case PROTOBUF_C_TYPE_BYTES:
      return .bytes(try stringValue(field))
    case PROTOBUF_C_TYPE_BOOL:
      return .varint(try boolValue(field) ? 1 : 0)
    case PROTOBUF_C_TYPE_ENUM:
      return .varint(UInt64(bitPattern: Int64(try enumValue(field))))
    case PROTOBUF_C_TYPE_FLOAT:
      return .fixed32(try floatValue(field, single: true).bits32)
    case PROTOBUF_C_TYPE_DOUBLE:
      return .fixed64(try floatValue(field, single: false).bits64)
    case PROTOBUF_C_TYPE_INT32:
      return .varint(
        UInt64(bitPattern: try integerValue(field, min: Int64(Int32.min), max: UInt64(Int32.max))))
    case PROTOBUF_C_TYPE_INT64:
      return .varint(
        UInt64(bitPattern: try integerValue(field, min: Int64.min, max: UInt64(Int64.max))))
    case PROTOBUF_C_TYPE_UINT32:
      return .varint(UInt64(bitPattern: try integerValue(field, min: 0, max: UInt64(UInt32.max))))
    case PROTOBUF_C_TYPE_UINT64:
      return .varint(UInt64(bitPattern: try integerValue(field, min: 0, max: UInt64.max)))
    case PROTOBUF_C_TYPE_SINT32:
      let value = Int32(
        truncatingIfNeeded: try integerValue(field, min: Int64(Int32.min), max: UInt64(Int32.max)))
      return .varint(UInt64(UInt32(bitPattern: (value &<< 1) ^ (value >> 31))))
    case PROTOBUF_C_TYPE_SINT64:
      let value = try integerValue(field, min: Int64.min, max: UInt64(Int64.max))
      return .varint(UInt64(bitPattern: (value &<< 1) ^ (value >> 63)))
    case PROTOBUF_C_TYPE_SFIXED32:
      let value = try integerValue(field, min: Int64(Int32.min), max: UInt64(Int32.max))
      return .fixed32(UInt32(truncatingIfNeeded: value))
    case PROTOBUF_C_TYPE_FIXED32:
      let value = try integerValue(field, min: 0, max: UInt64(UInt32.max))
      return .fixed32(UInt32(truncatingIfNeeded: value))
    case PROTOBUF_C_TYPE_SFIXED64:
      return .fixed64(
        UInt64(bitPattern: try integerValue(field, min: Int64.min, max: UInt64(Int64.max))))
    case PROTOBUF_C_TYPE_FIXED64:
      return .fixed64(UInt64(bitPattern: try integerValue(field, min: 0, max: UInt64.max)))
    default:
      throw failure(
        "field '\(field.displayName)' has a type this parser does not know", at: position,
        field: field)
    }
  }

  /// One or more adjacent string literals, concatenated, unescaped.
  private mutating func stringValue(_ field: TextField) throws(GraphDecodingError) -> [UInt8] {
    guard let first = peek(), first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") else {
      throw unexpectedToken(
        expected: "a quoted string for field '\(field.displayName)'", at: position, field: field)
    }
    var result: [UInt8] = []
    while let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
      try appendStringLiteral(to: &result)
      skipTrivia()
    }
    return result
  }

  /// Reads one quoted literal at `position` and appends its unescaped bytes.
  private mutating func appendStringLiteral(to result: inout [UInt8]) throws(GraphDecodingError) {
    let start = position
    let quote = text[position]
    position += 1
    while true {
      // Copy runs of plain bytes in one go; escapes and the end quote are handled below.
      let runStart = position
      while position < text.count {
        let byte = text[position]
        if byte == quote || byte == 0x5c || byte == 0x0a { break }
        position += 1
      }
      if position > runStart {
        result.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<position]))
      }
      guard position < text.count, text[position] != 0x0a else {
        let closing = quote == 0x22 ? "'\"'" : "\"'\""
        throw failure(
          "unterminated string: the string that starts here has no closing \(closing) before "
            + "the end of the line", at: start)
      }
      if text[position] == quote {
        position += 1
        return
      }
      try appendEscape(to: &result, literalStart: start)
    }
  }

  /// Reads the escape sequence at `position` (a backslash) and appends what it stands for.
  private mutating func appendEscape(
    to result: inout [UInt8], literalStart: Int
  ) throws(GraphDecodingError) {
    let escapeStart = position
    position += 1
    guard position < text.count, text[position] != 0x0a else {
      throw failure("unterminated string: a backslash ends the line", at: literalStart)
    }
    let letter = text[position]
    position += 1
    switch letter {
    case UInt8(ascii: "n"): result.append(0x0a)
    case UInt8(ascii: "t"): result.append(0x09)
    case UInt8(ascii: "r"): result.append(0x0d)
    case UInt8(ascii: "a"): result.append(0x07)
    case UInt8(ascii: "b"): result.append(0x08)
    case UInt8(ascii: "f"): result.append(0x0c)
    case UInt8(ascii: "v"): result.append(0x0b)
    case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "?"):
      result.append(letter)
    case UInt8(ascii: "0")...UInt8(ascii: "7"):
      var value = Int(letter - UInt8(ascii: "0"))
      var digits = 1
      while digits < 3, position < text.count,
        (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(text[position])
      {
        value = value * 8 + Int(text[position] - UInt8(ascii: "0"))
        position += 1
        digits += 1
      }
      guard value <= 0xFF else {
        throw failure(
          "octal escape '\(snippet(escapeStart..<position))' is larger than 255", at: escapeStart)
      }
      result.append(UInt8(value))
    case UInt8(ascii: "x"), UInt8(ascii: "X"):
      guard let value = hexDigits(min: 1, max: 2) else {
        throw failure("'\\x' must be followed by one or two hex digits", at: escapeStart)
      }
      result.append(UInt8(truncatingIfNeeded: value))
    case UInt8(ascii: "u"), UInt8(ascii: "U"):
      let width = letter == UInt8(ascii: "u") ? 4 : 8
      guard var code = hexDigits(min: width, max: width) else {
        let escape = Character(Unicode.Scalar(letter))
        throw failure(
          "'\\\(escape)' must be followed by exactly \(width) hex digits", at: escapeStart)
      }
      // A UTF-16 surrogate pair written as two \u escapes is one code point.
      if (0xD800...0xDBFF).contains(code), position + 6 <= text.count,
        text[position] == 0x5c, text[position + 1] == UInt8(ascii: "u")
      {
        let save = position
        position += 2
        if let low = hexDigits(min: 4, max: 4), (0xDC00...0xDFFF).contains(low) {
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else {
          position = save
        }
      }
      guard let scalar = Unicode.Scalar(code) else {
        throw failure(
          "'\(snippet(escapeStart..<position))' is not a Unicode scalar value (a lone surrogate "
            + "or above U+10FFFF)", at: escapeStart)
      }
      result.append(contentsOf: String(Character(scalar)).utf8)
    default:
      throw failure(
        "invalid escape sequence '\(snippet(escapeStart..<position))' in a string", at: escapeStart)
    }
  }

  /// Reads `min...max` hex digits at `position`; nil (and nothing consumed) when fewer.
  private mutating func hexDigits(min: Int, max: Int) -> UInt32? {
    var value: UInt32 = 0
    var count = 0
    while count < max, position + count < text.count,
      let digit = Self.hexValue(text[position + count])
    {
      value = value << 4 | UInt32(digit)
      count += 1
    }
    guard count >= min else { return nil }
    position += count
    return value
  }

  /// Reads a bool: `true`, `True`, `t`, `1`, `false`, `False`, `f` or `0`.
  private mutating func boolValue(_ field: TextField) throws(GraphDecodingError) -> Bool {
    let start = position
    if let name = identifier() {
      switch String(decoding: text[name], as: UTF8.self) {
      case "true", "True", "t": return true
      case "false", "False", "f": return false
      default: break
      }
    } else if let token = numberToken() {
      switch Self.parseInteger(text[token]) {
      case .value(0): return false
      case .value(1): return true
      default: break
      }
    }
    position = start
    throw unexpectedToken(
      expected: "true or false for field '\(field.displayName)'", at: start, field: field)
  }

  /// Reads an enum value by name, or by number (any int32: proto3 enums are open).
  private mutating func enumValue(_ field: TextField) throws(GraphDecodingError) -> Int32 {
    let start = position
    if let name = identifier() {
      let text = String(decoding: self.text[name], as: UTF8.self)
      guard let number = field.enumeration?.number(named: text) else {
        throw failure(
          "'\(text)' is not a value of enum '\(field.enumeration?.fullName ?? "?")' "
            + "(field '\(field.displayName)')", at: start, field: field)
      }
      return number
    }
    return Int32(
      truncatingIfNeeded: try integerValue(field, min: Int64(Int32.min), max: UInt64(Int32.max)))
  }

  /// A parsed floating-point value with the width of its field.
  private struct FloatingValue {
    var bits32: UInt32 = 0
    var bits64: UInt64 = 0
  }

  /// Reads a float or double: a decimal number (an `f` suffix allowed), or `inf`,
  /// `infinity`, `nan` in any case, each optionally signed.
  ///
  /// TF parity: the decimal text is converted straight to `Float` for float fields
  /// (correctly rounded), where protobuf converts to `double` first and then narrows.
  /// The two agree except for rare decimal strings near a rounding boundary, and never for
  /// the shortest round-trip spellings that the printers (ours and protobuf's) write.
  private mutating func floatValue(
    _ field: TextField, single: Bool
  ) throws(GraphDecodingError) -> FloatingValue {
    let negative = consume(UInt8(ascii: "-"))
    if negative { skipTrivia() }
    var double: Double
    var float: Float
    if let name = identifier() {
      var word = String(decoding: text[name], as: UTF8.self).lowercased()
      if word.hasSuffix("f") && word != "inf" { word.removeLast() }
      switch word {
      case "inf", "infinity":
        double = .infinity
        float = .infinity
      case "nan":
        double = .nan
        float = .nan
      default:
        throw unexpectedToken(
          expected: "a number for field '\(field.displayName)'", at: name.lowerBound, field: field)
      }
    } else if let token = numberToken() {
      var digits = text[token]
      if let last = digits.last, last | 0x20 == UInt8(ascii: "f"),
        Self.isDecimalFloat(digits.dropLast())
      {
        digits = digits.dropLast()
      }
      let spelling = String(decoding: digits, as: UTF8.self)
      guard Self.isDecimalFloat(digits), let d = Double(spelling), let f = Float(spelling) else {
        throw failure(
          "'\(snippet(token))' is not a valid number for field '\(field.displayName)' "
            + "(\(field.typeName)); write e.g. 1.5, -2e-3 or inf", at: token.lowerBound,
          field: field)
      }
      double = d
      float = f
    } else {
      throw unexpectedToken(
        expected: "a number for field '\(field.displayName)'", at: position, field: field)
    }
    if negative {
      double = -double
      float = -float
    }
    return single
      ? FloatingValue(bits32: float.bitPattern) : FloatingValue(bits64: double.bitPattern)
  }

  /// Reads a signed integer within `min...max` (`max` as a magnitude, so the full
  /// `UInt64` range fits) and returns it as an `Int64` bit pattern.
  private mutating func integerValue(
    _ field: TextField, min: Int64, max: UInt64
  ) throws(GraphDecodingError) -> Int64 {
    let start = position
    let negative = consume(UInt8(ascii: "-"))
    if negative { skipTrivia() }
    guard let token = numberToken() else {
      throw unexpectedToken(
        expected: "an integer for field '\(field.displayName)' (\(field.typeName))", at: position,
        field: field)
    }
    let spelled = snippet(start..<token.upperBound)
    switch Self.parseInteger(text[token]) {
    case .notInteger:
      throw failure(
        "'\(spelled)' is not an integer; field '\(field.displayName)' is \(field.typeName)",
        at: start, field: field)
    case .overflow:
      throw failure(
        "integer '\(spelled)' is out of range for field '\(field.displayName)' (\(field.typeName))",
        at: start, field: field)
    case .value(let magnitude):
      if negative {
        // -(min) as a magnitude, computed without overflowing Int64.min.
        let limit = UInt64(bitPattern: 0 &- min)
        guard magnitude <= limit || (min == 0 && magnitude == 0) else {
          throw failure(
            "integer '\(spelled)' is out of range for field '\(field.displayName)' "
              + "(\(field.typeName))", at: start, field: field)
        }
        return Int64(bitPattern: 0 &- magnitude)
      }
      guard magnitude <= max else {
        throw failure(
          "integer '\(spelled)' is out of range for field '\(field.displayName)' "
            + "(\(field.typeName))", at: start, field: field)
      }
      return Int64(bitPattern: magnitude)
    }
  }

  /// The outcome of reading an unsigned integer token.
  enum IntegerParse: Equatable {
    case value(UInt64)
    case overflow
    case notInteger
  }

  /// Parses `0x1F` (hex), `017` (octal) or `15` (decimal) into a magnitude.
  static func parseInteger(_ token: UnsafeRawBufferPointer.SubSequence) -> IntegerParse {
    guard let first = token.first else { return .notInteger }
    var digits = token[...]
    var radix: UInt64 = 10
    if first == UInt8(ascii: "0") && token.count > 1 {
      let second = token[token.index(after: token.startIndex)]
      if second | 0x20 == UInt8(ascii: "x") {
        radix = 16
        digits = token.dropFirst(2)
      } else {
        radix = 8
        digits = token.dropFirst()
      }
    }
    guard !digits.isEmpty else { return .notInteger }
    var value: UInt64 = 0
    var overflowed = false
    for byte in digits {
      guard let digit = hexValue(byte), UInt64(digit) < radix else { return .notInteger }
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
      let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
      if overflow1 || overflow2 { overflowed = true }
      value = sum
    }
    return overflowed ? .overflow : .value(value)
  }

  /// Whether `token` is `digits[.digits][e[+-]digits]` (a leading or trailing `.` allowed,
  /// as in C): the only spellings handed to `Float(_:)`, which would also take hex floats
  /// and words.
  static func isDecimalFloat(_ token: UnsafeRawBufferPointer.SubSequence) -> Bool {
    var index = token.startIndex
    var mantissaDigits = 0
    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    while index < token.endIndex, isDigit(token[index]) {
      mantissaDigits += 1
      index += 1
    }
    if index < token.endIndex, token[index] == UInt8(ascii: ".") {
      index += 1
      while index < token.endIndex, isDigit(token[index]) {
        mantissaDigits += 1
        index += 1
      }
    }
    guard mantissaDigits > 0 else { return false }
    if index < token.endIndex, token[index] | 0x20 == UInt8(ascii: "e") {
      index += 1
      if index < token.endIndex,
        token[index] == UInt8(ascii: "+") || token[index] == UInt8(ascii: "-")
      {
        index += 1
      }
      var exponentDigits = 0
      while index < token.endIndex, isDigit(token[index]) {
        exponentDigits += 1
        index += 1
      }
      guard exponentDigits > 0 else { return false }
    }
    return index == token.endIndex
  }

  /// The value of a hex digit, or nil for any other byte.
  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }

  // MARK: - Tokens

  /// The byte at `position`, or nil at the end.
  private func peek() -> UInt8? { position < text.count ? text[position] : nil }

  /// Skips `byte` if it is next; says whether it was.
  private mutating func consume(_ byte: UInt8) -> Bool {
    guard position < text.count, text[position] == byte else { return false }
    position += 1
    return true
  }

  /// Skips whitespace and `#` comments.
  private mutating func skipTrivia() {
    while position < text.count {
      switch text[position] {
      case 0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c:
        position += 1
      case UInt8(ascii: "#"):
        while position < text.count && text[position] != 0x0a { position += 1 }
      default:
        return
      }
    }
  }

  /// `[A-Za-z_]`.
  private static func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
      || byte == UInt8(ascii: "_")
  }

  /// `[A-Za-z0-9_]`.
  private static func isIdentifierPart(_ byte: UInt8) -> Bool {
    isIdentifierStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
  }

  /// Reads `[A-Za-z_][A-Za-z0-9_]*` at `position`.
  private mutating func identifier() -> Range<Int>? {
    guard position < text.count, Self.isIdentifierStart(text[position]) else { return nil }
    let start = position
    position += 1
    while position < text.count, Self.isIdentifierPart(text[position]) { position += 1 }
    return start..<position
  }

  /// Reads a number token at `position`: it starts with a digit (or `.` and a digit) and
  /// runs through letters, digits, `_` and `.`, and through a sign right after the
  /// exponent `e` of a decimal number. Whether it is a valid number is decided by the
  /// field's type.
  private mutating func numberToken() -> Range<Int>? {
    guard position < text.count else { return nil }
    let first = text[position]
    let isDigit = first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")
    let startsWithPoint =
      first == UInt8(ascii: ".") && position + 1 < text.count
      && text[position + 1] >= UInt8(ascii: "0") && text[position + 1] <= UInt8(ascii: "9")
    guard isDigit || startsWithPoint else { return nil }
    let isHex =
      first == UInt8(ascii: "0") && position + 1 < text.count
      && text[position + 1] | 0x20 == UInt8(ascii: "x")
    let start = position
    position += 1
    while position < text.count {
      let byte = text[position]
      if Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") {
        position += 1
      } else if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && !isHex
        && text[position - 1] | 0x20 == UInt8(ascii: "e")
      {
        position += 1
      } else {
        break
      }
    }
    return start..<position
  }

  // MARK: - Errors

  /// What may come where a field starts: a name, or the current message's closing bracket.
  private func expectedFieldName(closing: UInt8?) -> String {
    guard let closing else { return "a field name" }
    return "a field name or '\(Character(Unicode.Scalar(closing)))'"
  }

  /// "expected X, found Y" at `offset`.
  private func unexpectedToken(
    expected: String, at offset: Int, field: TextField? = nil
  ) -> GraphDecodingError {
    var reason = "expected \(expected), found \(describeToken(at: offset))"
    if offset < text.count, text[offset] == UInt8(ascii: "[") && expected.hasPrefix("a field name") {
      reason += " (extensions and Any expansions are not part of a GraphDef)"
    }
    return failure(reason, at: offset, field: field)
  }

  /// A short description of the token at `offset`, for error messages.
  private func describeToken(at offset: Int) -> String {
    guard offset < text.count else { return "the end of the input" }
    let first = text[offset]
    var end = offset + 1
    if Self.isIdentifierPart(first) || first == UInt8(ascii: ".") {
      while end < text.count, end - offset < 40,
        Self.isIdentifierPart(text[end]) || text[end] == UInt8(ascii: ".")
      {
        end += 1
      }
    } else if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
      return "a string"
    } else if first >= 0x80 {
      while end < text.count, end - offset < 4, text[end] & 0xC0 == 0x80 { end += 1 }
    }
    return "'\(snippet(offset..<end))'"
  }

  /// Input bytes for an error message, with control bytes escaped.
  private func snippet(_ range: Range<Int>) -> String {
    let clamped =
      max(0, min(range.lowerBound, text.count))..<max(0, min(range.upperBound, text.count))
    var bytes: [UInt8] = []
    for byte in text[clamped] {
      if byte < 0x20 || byte == 0x7f {
        bytes.append(contentsOf: "\\x".utf8)
        bytes.append(contentsOf: String(byte, radix: 16).utf8)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The 1-based line and column (in characters) of byte `offset`.
  private func location(of offset: Int) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    for index in 0..<min(offset, text.count) {
      let byte = text[index]
      if byte == 0x0a {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        column += 1
      }
    }
    return (line, column)
  }

  /// An error at byte `offset`, located by line and column, with the field path.
  private func failure(_ message: String, at offset: Int, field: TextField? = nil)
    -> GraphDecodingError
  {
    let (line, column) = location(of: offset)
    var steps = path.map(\.text)
    if let field { steps.append(field.displayName) }
    return GraphDecodingError(
      reason: "line \(line), column \(column): \(message)", byteOffset: offset,
      fieldPath: steps.isEmpty ? nil : steps.joined(separator: "."))
  }
}
