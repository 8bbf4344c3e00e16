// SPDX-License-Identifier: Apache-2.0

/// An attribute is missing or holds the wrong kind of value.
public struct AttrError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The node whose attribute was read.
  public var node: String
  /// The attribute's name.
  public var attr: String
  /// What is wrong, e.g. `is missing` or `holds a list, expected a tensor`.
  public var problem: String

  /// An error about `attr` on `node`.
  public init(node: String, attr: String, problem: String) {
    self.node = node
    self.attr = attr
    self.problem = problem
  }

  /// `node 'conv1': attr 'value': holds a string, expected a tensor`.
  public var description: String { "node '\(node)': attr '\(attr)': \(problem)" }
}

extension AttrValue {
  /// The kind of value, as the messages name it (`a tensor`, `a list`).
  public var kindName: String {
    switch self {
    case .unset: return "no value"
    case .s: return "a string"
    case .i: return "an int"
    case .f: return "a float"
    case .b: return "a bool"
    case .type: return "a type"
    case .shape: return "a shape"
    case .tensor: return "a tensor"
    case .list: return "a list"
    case .function: return "a function"
    case .placeholder: return "a placeholder"
    }
  }
}

extension Node {
  /// The attribute `name`, or an error naming this node when it is absent.
  public func requiredAttr(_ name: String) throws(AttrError) -> AttrValue {
    guard let value = attrs[name] else { throw AttrError(node: self.name, attr: name, problem: "is missing") }
    return value
  }

  private func mismatch(_ name: String, _ value: AttrValue, _ expected: String) -> AttrError {
    AttrError(node: self.name, attr: name, problem: "holds \(value.kindName), expected \(expected)")
  }

  /// The tensor in attribute `name`, already checked against its own shape and dtype.
  public func tensorAttr(_ name: String) throws(AttrError) -> Tensor {
    let value = try requiredAttr(name)
    guard case .tensor(let tensor) = value else { throw mismatch(name, value, "a tensor") }
    do {
      try tensor.validate()
    } catch {
      throw AttrError(node: self.name, attr: name, problem: error.description)
    }
    return tensor
  }

  /// The type in attribute `name`; `known` also rejects numbers this tool does not know.
  public func typeAttr(_ name: String, known: Bool = false) throws(AttrError) -> DataType {
    let value = try requiredAttr(name)
    guard case .type(let type) = value else { throw mismatch(name, value, "a type") }
    if known && (type == .invalid || type.enumName == nil) {
      throw AttrError(node: self.name, attr: name, problem: "unknown dtype \(type.rawValue)")
    }
    return type
  }

  /// The shape in attribute `name`.
  public func shapeAttr(_ name: String) throws(AttrError) -> TensorShape {
    let value = try requiredAttr(name)
    guard case .shape(let shape) = value else { throw mismatch(name, value, "a shape") }
    return shape
  }

  /// The integer in attribute `name`.
  public func intAttr(_ name: String) throws(AttrError) -> Int64 {
    let value = try requiredAttr(name)
    guard case .i(let number) = value else { throw mismatch(name, value, "an int") }
    return number
  }

  /// The UTF-8 string in attribute `name`.
  public func stringAttr(_ name: String) throws(AttrError) -> String {
    let value = try requiredAttr(name)
    guard case .s(let bytes) = value else { throw mismatch(name, value, "a string") }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw AttrError(node: self.name, attr: name, problem: "is not valid UTF-8")
    }
    return text
  }
}
