// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// A parameter a transform accepts, declared next to its code; help text and argument
/// checking come from these declarations.
public struct ParameterSpec: Sendable, Hashable {
  /// What kind of value the parameter takes.
  public enum Kind: String, Sendable, Hashable {
    case string, int, float, bool, type, shape
  }

  /// The key, as written in the transform string.
  public var name: String
  /// The kind of value, for help text.
  public var kind: Kind
  /// Whether the parameter may be given several times.
  public var repeated: Bool
  /// The default, as shown in help; nil when there is none.
  public var defaultValue: String?
  /// One line for help.
  public var help: String

  /// Declares a parameter.
  public init(
    _ name: String, _ kind: Kind, repeated: Bool = false, default defaultValue: String? = nil,
    help: String
  ) {
    self.name = name
    self.kind = kind
    self.repeated = repeated
    self.defaultValue = defaultValue
    self.help = help
  }

  /// `name=<kind>` with `…` for repeatable ones and the default, for help text.
  public var usage: String {
    var text = "\(name)=<\(kind.rawValue)>"
    if repeated { text += "…" }
    if let defaultValue { text += " (default \(defaultValue.isEmpty ? "\"\"" : defaultValue))" }
    return text
  }
}

/// A transform's arguments could not be used.
public struct TransformArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The transform whose arguments were wrong.
  public var transform: String
  /// The parameter at fault, if one is.
  public var parameter: String?
  /// What is wrong, with a corrected example where one helps.
  public var message: String

  /// An argument error for `transform`.
  public init(transform: String, parameter: String? = nil, _ message: String) {
    self.transform = transform
    self.parameter = parameter
    self.message = message
  }

  /// `<transform>: <message>`.
  public var description: String { "\(transform): \(message)" }
}

/// The arguments of one transform call, with typed accessors that follow TensorFlow's
/// rules (a single value unless repeatable; exact spellings for booleans).
public struct TransformArguments: Sendable, Hashable {
  /// The transform these arguments are for.
  public var transform: String
  /// `key=value` pairs in the order given; repeated keys kept.
  public var pairs: [(key: String, value: String)]

  /// Arguments for `transform`, in the order given.
  public init(transform: String, pairs: [(key: String, value: String)] = []) {
    self.transform = transform
    self.pairs = pairs
  }

  /// Equal when the transform and the ordered pairs are equal.
  public static func == (lhs: TransformArguments, rhs: TransformArguments) -> Bool {
    lhs.transform == rhs.transform && lhs.pairs.map(\.key) == rhs.pairs.map(\.key)
      && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
  }

  /// Hashes the transform and the ordered pairs.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(transform)
    for pair in pairs {
      hasher.combine(pair.key)
      hasher.combine(pair.value)
    }
  }

  /// Every value given for `name`, in order.
  public func all(_ name: String) -> [String] {
    pairs.filter { $0.key == name }.map(\.value)
  }

  /// How many times `name` was given.
  public func count(_ name: String) -> Int { pairs.count { $0.key == name } }

  /// The single value of `name`, or nil when absent.
  /// - Throws: when the parameter was given more than once.
  public func string(_ name: String) throws(TransformArgumentError) -> String? {
    let values = all(name)
    guard values.count <= 1 else {
      throw error(
        name,
        "parameter '\(name)' given \(values.count) times; pass it once, e.g. \(transform)(\(name)=\(values[0]))"
      )
    }
    return values.first
  }

  /// The single value of `name` as a decimal integer.
  public func int(_ name: String) throws(TransformArgumentError) -> Int64? {
    guard let text = try string(name) else { return nil }
    guard let value = Int64(Substring(text).trimmingASCIIWhitespace()) else {
      throw error(name, "parameter '\(name)' must be an integer, found '\(text)'")
    }
    return value
  }

  /// The single value of `name` as a float.
  public func float(_ name: String) throws(TransformArgumentError) -> Float? {
    guard let text = try string(name) else { return nil }
    guard let value = Float(Substring(text).trimmingASCIIWhitespace()), value.isFinite else {
      throw error(name, "parameter '\(name)' must be a finite number, found '\(text)'")
    }
    return value
  }

  /// The single value of `name` as a boolean: exactly `true`, `false`, `1` or `0`.
  public func bool(_ name: String) throws(TransformArgumentError) -> Bool? {
    guard let text = try string(name) else { return nil }
    switch text {
    case "true", "1": return true
    case "false", "0": return false
    default:
      throw error(name, "parameter '\(name)' must be true, false, 1 or 0, found '\(text)'")
    }
  }

  /// Parses a TensorFlow type name such as `float`, `int32` or `quint8`.
  public func parseType(_ text: String, for name: String) throws(TransformArgumentError) -> DataType {
    guard let type = DataType(name: text) else {
      throw error(
        name, "parameter '\(name)': unknown type '\(text)'; use a name such as float, int32, uint8 or quint8")
    }
    return type
  }

  /// Parses a shape such as `"1,224,224,3"`.
  public func parseShape(_ text: String, for name: String) throws(TransformArgumentError) -> TensorShape {
    guard let shape = TensorShape(parsing: text) else {
      throw error(
        name,
        "parameter '\(name)': cannot read '\(text)' as a shape; write comma-separated sizes, e.g. \(name)=\"1,224,224,3\""
      )
    }
    return shape
  }

  func error(_ parameter: String, _ message: String) -> TransformArgumentError {
    TransformArgumentError(transform: transform, parameter: parameter, message)
  }
}
