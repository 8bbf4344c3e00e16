// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Builds the node list of a tiny test graph:
///
///     let graph = Graph {
///       Placeholder("x", shape: [1, 4])
///       Const("w", floats: [1, 2, 3, 4], shape: [4, 1])
///       Op("MatMul", "y", inputs: "x", "w")
///     }
@resultBuilder
public enum GraphBuilder {
  /// A single node statement contributes that node.
  public static func buildExpression(_ node: Node) -> [Node] { [node] }
  /// A statement that yields several nodes (such as a helper building a subgraph) contributes
  /// them all, in order.
  public static func buildExpression(_ nodes: [Node]) -> [Node] { nodes }
  /// A block's statements contribute their nodes in the order written.
  public static func buildBlock(_ parts: [Node]...) -> [Node] { parts.flatMap { $0 } }
  /// A `for` loop contributes the nodes of every iteration, in order.
  public static func buildArray(_ parts: [[Node]]) -> [Node] { parts.flatMap { $0 } }
  /// An `if` without `else` contributes its nodes only when taken.
  public static func buildOptional(_ part: [Node]?) -> [Node] { part ?? [] }
  /// The `if` branch of an `if`/`else` (or the first `switch` case) contributes its nodes.
  public static func buildEither(first: [Node]) -> [Node] { first }
  /// The `else` branch of an `if`/`else` (or a later `switch` case) contributes its nodes.
  public static func buildEither(second: [Node]) -> [Node] { second }
}

extension Graph {
  /// A graph from builder statements.
  public init(versions: VersionDef? = nil, @GraphBuilder _ build: () -> [Node]) {
    self.init(nodes: build(), versions: versions)
  }
}

// The node helpers are capitalised on purpose, so that a test graph reads like the ops it
// holds (`Const`, `Placeholder`); hence the naming-rule exemptions below.

// swift-format-ignore: AlwaysUseLowerCamelCase
/// A node with `op`; inputs are written as in a GraphDef (`"a"`, `"a:1"`, `"^a"`).
public func Op(
  _ op: String, _ name: String, inputs: String..., attrs: AttrMap = AttrMap(), device: String = ""
) -> Node {
  Node(name: name, op: op, inputs: inputs.map(InputRef.init(parsing:)), device: device, attrs: attrs)
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// A float32 `Const`.
public func Const(_ name: String, floats: [Float], shape: [Int64], device: String = "") -> Node {
  Node(
    name: name, op: "Const", device: device,
    attrs: ["dtype": .type(.float), "value": .tensor(.floats(floats, shape: shape))])
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// An int32 `Const`.
public func Const(_ name: String, int32s: [Int32], shape: [Int64]) -> Node {
  Node(
    name: name, op: "Const",
    attrs: ["dtype": .type(.int32), "value": .tensor(.int32s(int32s, shape: shape))])
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// A scalar float32 `Const`.
public func Const(_ name: String, _ value: Float) -> Node {
  Const(name, floats: [value], shape: [])
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// A `Placeholder` with a dtype and an optional shape.
public func Placeholder(_ name: String, _ dtype: DataType = .float, shape: [Int64]? = nil) -> Node {
  var attrs: AttrMap = ["dtype": .type(dtype)]
  if let shape { attrs["shape"] = .shape(TensorShape(shape)) }
  return Node(name: name, op: "Placeholder", attrs: attrs)
}

extension Graph {
  /// The node names in order.
  public var nodeNames: [String] { nodes.map(\.name) }

  /// The same graph with every node's attributes sorted by key, so graphs compare
  /// regardless of the order a file stored them in.
  public var withAttrsSortedByKey: Graph {
    var copy = self
    for index in copy.nodes.indices {
      copy.nodes[index].attrs = AttrMap(
        copy.nodes[index].attrs.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
    return copy
  }

  /// The first node named `name`, or nil.
  public subscript(_ name: String) -> Node? { node(named: name) }

  /// A stable, line-per-node text dump for golden comparisons: name, op, inputs, device,
  /// and attributes sorted by key.
  public var dump: String { nodes.map(\.dumpLine).joined(separator: "\n") }
}

extension Node {
  /// `name = Op(in1, in2) @device {attr=value, …}`, attributes sorted by key.
  public var dumpLine: String {
    var line = "\(name) = \(op)(\(inputs.map(\.description).joined(separator: ", ")))"
    if !device.isEmpty { line += " @\(device)" }
    let shown = attrs.entries.sorted { $0.key < $1.key }.map { "\($0.key)=\(describe($0.value))" }
    if !shown.isEmpty { line += " {" + shown.joined(separator: ", ") + "}" }
    return line
  }
}

/// An attribute value as `dumpLine` shows it: scalars plainly, lists item by item, tensors
/// as dtype and shape with their values when there are at most 16, else the first four.
public func describe(_ value: AttrValue) -> String {
  switch value {
  case .unset: return "<unset>"
  case .s(let bytes): return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
  case .i(let i): return String(i)
  case .f(let f): return String(f)
  case .b(let b): return String(b)
  case .type(let t): return t.name
  case .shape(let s): return s.description
  case .tensor(let t): return describe(t)
  case .list(let l):
    var parts: [String] = []
    parts += l.s.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }
    parts += l.i.map { String($0) }
    parts += l.f.map { String($0) }
    parts += l.b.map { String($0) }
    parts += l.type.map { $0.name }
    parts += l.shape.map { $0.description }
    parts += l.tensor.map(describe)
    parts += l.function.map { "func(\($0.name))" }
    return "[" + parts.joined(separator: ", ") + "]"
  case .function(let f): return "func(\(f.name))"
  case .placeholder(let p): return "placeholder(\(p))"
  }
}

/// `float[2,3]{1.0, 2.0, …}`: values in full up to 16, else the first four and the count.
func describe(_ tensor: Tensor) -> String {
  let values: [String]? =
    (try? tensor.floatValues()).map { $0.map { String($0) } }
    ?? (try? tensor.int32Values()).map { $0.map { String($0) } }
  guard let values else {
    return "\(tensor.dtype)\(tensor.shape){\(tensor.content.count) content bytes}"
  }
  let shown = values.count <= 16 ? values : Array(values.prefix(4)) + ["… \(values.count) values"]
  return "\(tensor.dtype)\(tensor.shape){" + shown.joined(separator: ", ") + "}"
}
