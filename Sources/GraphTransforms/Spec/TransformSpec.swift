// SPDX-License-Identifier: Apache-2.0

/// One `name(key=value, …)` entry of a transform string.
public struct TransformCall: Sendable, Hashable, CustomStringConvertible {
  /// The transform's name as written.
  public var name: String
  /// The `key=value` arguments.
  public var arguments: TransformArguments
  /// Where the name starts in the source text (a UTF-8 offset), for error messages.
  public var sourceOffset: Int

  /// A call; `sourceOffset` locates it in the parsed text.
  public init(name: String, pairs: [(key: String, value: String)] = [], sourceOffset: Int = 0) {
    self.name = name
    self.arguments = TransformArguments(transform: name, pairs: pairs)
    self.sourceOffset = sourceOffset
  }

  /// Equal when name and arguments are; the source position is ignored.
  public static func == (lhs: TransformCall, rhs: TransformCall) -> Bool {
    lhs.name == rhs.name && lhs.arguments == rhs.arguments
  }

  /// Hashes name and arguments.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(arguments)
  }

  /// Canonical text that parses back to an equal call.
  public var description: String {
    guard !arguments.pairs.isEmpty else { return name }
    let rendered = arguments.pairs.map { pair in
      let bare = !pair.value.isEmpty && pair.value.utf8.allSatisfy(TransformSpecParser.isBareValueByte)
      return "\(pair.key)=" + (bare ? pair.value : "\"\(pair.value)\"")
    }
    return "\(name)(\(rendered.joined(separator: ", ")))"
  }
}

/// A transform string or spec file could not be parsed, or names something unknown.
public struct TransformSpecError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What is wrong, with a corrected example where one helps.
  public var message: String
  /// The whole text that was parsed.
  public var source: String
  /// The UTF-8 offset the error points at.
  public var offset: Int
  /// Where the text came from: `--transforms` or a spec file's path.
  public var origin: String

  /// An error at `offset` in `source`.
  public init(_ message: String, source: String, offset: Int, origin: String) {
    self.message = message
    self.source = source
    self.offset = offset
    self.origin = origin
  }

  /// 1-based line and column of `offset`. The column counts characters, not bytes, so
  /// the caret lines up under text that holds non-ASCII characters.
  public var lineAndColumn: (line: Int, column: Int) {
    let bytes = Array(source.utf8)
    let end = min(max(offset, 0), bytes.count)
    var line = 1
    var lineStart = 0
    for index in 0..<end where bytes[index] == UInt8(ascii: "\n") {
      line += 1
      lineStart = index + 1
    }
    return (line, String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1)
  }

  /// `origin:line:column: message`, then the offending line with a caret under the spot.
  public var description: String {
    let (line, column) = lineAndColumn
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    let text = line <= lines.count ? String(lines[line - 1]) : ""
    let caret = String(repeating: " ", count: max(0, column - 1)) + "^"
    let place = lines.count > 1 ? "\(origin):\(line):\(column)" : "\(origin), column \(column)"
    return "\(place): \(message)\n  \(text)\n  \(caret)"
  }
}

/// Parses transform strings with TensorFlow's grammar:
///
///     spec  := ( name ( "(" [","] param ( [","] param )* ")" )? )*
///     param := name "=" ( '"' chars '"' | [A-Za-z0-9_./-]+ )
///
/// Names are `[A-Za-z0-9_]+`. Quoted values keep backslashes verbatim, as TensorFlow does.
///
/// TF parity, deliberately different where TensorFlow misparses silently or rejects
/// harmless text:
/// - a missing `)` is an error; TensorFlow drops the last transform without a word;
/// - a backslash-newline (a shell line continuation inside quotes) is an error that says
///   so; TensorFlow reports "Looking for transform name";
/// - spaces are allowed around `=`, `,` and before `)`, which TensorFlow rejects; every
///   string TensorFlow accepts parses to the same calls here;
/// - spec files (`--transforms_file`) may hold `#` comments and line breaks.
public enum TransformSpecParser {
  /// Parses `text`; `origin` names it in errors (`--transforms` or a file path).
  public static func parse(
    _ text: String, origin: String = "--transforms", allowComments: Bool = false
  ) throws(TransformSpecError) -> [TransformCall] {
    var scanner = Scanner(bytes: Array(text.utf8), source: text, origin: origin, allowComments: allowComments)
    return try scanner.parse()
  }

  static func isNameByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
      || byte == UInt8(ascii: "_")
  }

  static func isBareValueByte(_ byte: UInt8) -> Bool {
    isNameByte(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
  }

  private struct Scanner {
    let bytes: [UInt8]
    let source: String
    let origin: String
    let allowComments: Bool
    var position = 0

    init(bytes: [UInt8], source: String, origin: String, allowComments: Bool) {
      self.bytes = bytes
      self.source = source
      self.origin = origin
      self.allowComments = allowComments
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    func fail(_ message: String, at offset: Int? = nil) -> TransformSpecError {
      TransformSpecError(message, source: source, offset: offset ?? position, origin: origin)
    }

    mutating func skipSpace() throws(TransformSpecError) {
      while let byte = current {
        if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
          position += 1
        } else if byte == UInt8(ascii: "#") && allowComments {
          while let c = current, c != UInt8(ascii: "\n") { position += 1 }
        } else if byte == UInt8(ascii: "\\") {
          let next = position + 1 < bytes.count ? bytes[position + 1] : nil
          if next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") {
            throw fail(
              "backslash-newline is not a line continuation inside a transform string; remove the backslashes (or use --transforms_file, where line breaks are allowed)"
            )
          }
          return
        } else {
          return
        }
      }
    }

    mutating func name() -> String? {
      let start = position
      while let byte = current, TransformSpecParser.isNameByte(byte) { position += 1 }
      guard position > start else { return nil }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// What follows the current position: at most 24 bytes, and only up to the end of the
    /// line, so that a message stays on one line.
    func rest() -> String {
      let tail = bytes[position...].prefix(24).prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
      return tail.isEmpty ? "the end of the text" : "'\(String(decoding: tail, as: UTF8.self))'"
    }

    mutating func parse() throws(TransformSpecError) -> [TransformCall] {
      var calls: [TransformCall] = []
      while true {
        try skipSpace()
        guard current != nil else { return calls }
        let start = position
        guard let transform = name() else {
          throw fail("expected a transform name, found \(rest())")
        }
        try skipSpace()
        var pairs: [(key: String, value: String)] = []
        if current == UInt8(ascii: "(") {
          position += 1
          pairs = try parameters(of: transform, openedAt: start)
        }
        calls.append(TransformCall(name: transform, pairs: pairs, sourceOffset: start))
      }
    }

    mutating func parameters(of transform: String, openedAt start: Int) throws(TransformSpecError)
      -> [(key: String, value: String)]
    {
      var pairs: [(key: String, value: String)] = []
      while true {
        try skipSpace()
        guard let byte = current else {
          throw fail("'\(transform)(' is never closed; add ')' after its last parameter", at: start)
        }
        if byte == UInt8(ascii: ")") {
          position += 1
          return pairs
        }
        // One optional comma separates parameters (or precedes the first, as in TensorFlow).
        if byte == UInt8(ascii: ",") {
          position += 1
          try skipSpace()
        }
        guard let key = name() else {
          if current == nil {
            throw fail("'\(transform)(' is never closed; add ')' after its last parameter", at: start)
          }
          throw fail(
            "expected a parameter name, found \(rest()); write parameters as name=value, e.g. \(transform)(key=value)")
        }
        try skipSpace()
        guard current == UInt8(ascii: "=") else {
          throw fail("expected '=' after parameter name '\(key)', found \(rest()); e.g. \(transform)(\(key)=value)")
        }
        position += 1
        try skipSpace()
        let value = try self.value(for: key, in: transform)
        pairs.append((key, value))
        // TF parity: TensorFlow skips one stray '"' and then one stray '\'' after a value.
        if current == UInt8(ascii: "\"") { position += 1 }
        if current == UInt8(ascii: "'") { position += 1 }
      }
    }

    mutating func value(for key: String, in transform: String) throws(TransformSpecError) -> String {
      if current == UInt8(ascii: "\"") {
        let open = position
        position += 1
        let start = position
        while let byte = current, byte != UInt8(ascii: "\"") {
          // TF parity: a backslash escapes the next character but stays in the value.
          position += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        guard position < bytes.count else {
          throw fail("the quoted value of '\(key)' is never closed; add the closing '\"'", at: open)
        }
        let value = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return value
      }
      let start = position
      while let byte = current, TransformSpecParser.isBareValueByte(byte) { position += 1 }
      guard position > start else {
        throw fail(
          "expected a value for '\(key)', found \(rest()); quote values that hold other characters, e.g. \(key)=\"1,224,224,3\""
        )
      }
      let value = String(decoding: bytes[start..<position], as: UTF8.self)
      // A bare value runs until a character it cannot hold; if that is not a separator,
      // the user almost certainly meant to quote the whole value (e.g. a device "/cpu:0").
      if let next = current, !isSeparator(next) {
        // Show the whole character, which may be several UTF-8 bytes.
        let rest = String(decoding: bytes[position...].prefix(4), as: UTF8.self)
        let character = rest.first.map(String.init) ?? String(decoding: [next], as: UTF8.self)
        throw fail(
          "the value of '\(key)' cannot contain '\(character)' unless quoted; write \(key)=\"\(value)\(character)…\"")
      }
      return value
    }

    /// Characters that may follow a bare value: space, ',', ')', and the stray quotes
    /// TensorFlow skips.
    func isSeparator(_ byte: UInt8) -> Bool {
      byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) || byte == UInt8(ascii: ",")
        || byte == UInt8(ascii: ")") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        || (allowComments && byte == UInt8(ascii: "#"))
    }
  }
}
