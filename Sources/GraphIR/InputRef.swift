// SPDX-License-Identifier: Apache-2.0

/// One entry of `NodeDef.input`, parsed once when the graph is read.
///
/// `"a"` and `"a:0"` name the same tensor and compare equal; the spelling is remembered
/// only so that an untouched graph is written back byte for byte.
public struct InputRef: Sendable, Hashable, CustomStringConvertible {
  /// The producing node's name.
  public var node: String
  /// The output port, or nil for a control input (`^node`).
  public var port: Int?
  /// Whether port 0 was written out (`a:0`).
  var spellsPortZero: Bool

  /// A data input: output `port` of `node`.
  public static func data(_ node: String, port: Int = 0) -> InputRef {
    InputRef(node: node, port: port, spellsPortZero: false)
  }

  /// A control input (`^node`).
  public static func control(_ node: String) -> InputRef {
    InputRef(node: node, port: nil, spellsPortZero: false)
  }

  init(node: String, port: Int?, spellsPortZero: Bool) {
    self.node = node
    self.port = port
    self.spellsPortZero = spellsPortZero
  }

  /// Parses `node`, `node:port` or `^node`. A suffix that is not a decimal port stays part
  /// of the node name, so graph validation reports it as a missing node rather than
  /// misreading it.
  public init(parsing text: String) {
    var text = text
    self = text.withUTF8 { InputRef(utf8: $0) }
  }

  /// Parses the UTF-8 bytes of `node`, `node:port` or `^node` (see `init(parsing:)`).
  ///
  /// TF parity: bytes, not Characters, as TensorFlow's `ParseTensorName` reads them. A
  /// colon never occurs inside a multi-byte UTF-8 sequence, so this also spares the
  /// grapheme breaking a Character search costs (3,000 instructions an input).
  public init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
    func text(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> String {
      String(decoding: UnsafeBufferPointer(rebasing: part), as: UTF8.self)
    }
    if bytes.first == UInt8(ascii: "^") {
      self.init(node: text(bytes.dropFirst()), port: nil, spellsPortZero: false)
      return
    }
    if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
      let digits = bytes[(colon + 1)...]
      if !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) {
        let port = digits.reduce(0) { $0 * 10 + Int($1 &- UInt8(ascii: "0")) }
        self.init(node: text(bytes[..<colon]), port: port, spellsPortZero: port == 0)
        return
      }
    }
    self.init(node: text(bytes[...]), port: 0, spellsPortZero: false)
  }

  /// The port written after a colon in `description`, or nil when none is written
  /// (control inputs, and port 0 when it was not spelled out).
  public var spelledPort: Int? {
    guard let port, port != 0 || spellsPortZero else { return nil }
    return port
  }

  /// Whether this is a control input.
  public var isControl: Bool { port == nil }

  /// The text written to `NodeDef.input`.
  public var description: String {
    guard let port else { return "^" + node }
    return port == 0 && !spellsPortZero ? node : "\(node):\(port)"
  }

  /// TensorFlow's canonical form: `node:port` or `^node`.
  public var canonical: String {
    guard let port else { return "^" + node }
    return "\(node):\(port)"
  }

  /// Whether both name the same tensor (or the same control dependency), ignoring whether
  /// port 0 was spelled out.
  public static func == (lhs: InputRef, rhs: InputRef) -> Bool {
    lhs.node == rhs.node && lhs.port == rhs.port
  }

  /// Hashes the node and port, consistently with `==`.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(node)
    hasher.combine(port)
  }
}
