// SPDX-License-Identifier: Apache-2.0

/// A graph (`GraphDef`): its nodes in file order, plus the fields that travel with them.
///
/// A value type: transforms take a graph and return a new one, so a failed step simply
/// keeps the previous value. Tensor bytes are shared, so copies are cheap.
public struct Graph: Sendable, Hashable {
  /// The nodes (`GraphDef.node`), in file order. TensorFlow does not require topological
  /// order, and neither does this tool; `sort_by_execution_order` provides one.
  public var nodes: [Node]
  /// `versions`; nil when absent.
  public var versions: VersionDef?
  /// The deprecated `version` field; nil when absent.
  public var deprecatedVersion: Int32?
  /// `library` (a `FunctionDefLibrary`), encoded; nil when absent. Carried through untouched.
  public var library: SharedBytes?
  /// `debug_info` (a `GraphDebugInfo`), encoded; nil when absent. Carried through untouched.
  public var debugInfo: SharedBytes?
  /// Fields this tool's schema does not know; written back unchanged.
  public var unknownFields: [UnknownField]

  /// A graph of `nodes` with optional `versions` and no library, debug info or unknown
  /// fields: the form a transform or test builds from scratch.
  public init(nodes: [Node] = [], versions: VersionDef? = nil) {
    self.nodes = nodes
    self.versions = versions
    self.deprecatedVersion = nil
    self.library = nil
    self.debugInfo = nil
    self.unknownFields = []
  }

  /// The same graph-level fields with other nodes: what a transform returns.
  public func with(nodes: [Node]) -> Graph {
    var copy = self
    copy.nodes = nodes
    return copy
  }

  /// A map from node name to index; for duplicate names the last one wins, as in
  /// TensorFlow's own lookups.
  public func nodeIndex() -> [String: Int] {
    var index: [String: Int] = [:]
    index.reserveCapacity(nodes.count)
    for (position, node) in nodes.enumerated() { index[node.name] = position }
    return index
  }

  /// The first node named `name`.
  public func node(named name: String) -> Node? {
    nodes.first { $0.name == name }
  }

  /// For each node name, the names of the nodes that consume it through any input,
  /// control inputs included, once per input occurrence, in graph order.
  public func consumers() -> [String: [String]] {
    var result: [String: [String]] = [:]
    for node in nodes {
      for input in node.inputs { result[input.node, default: []].append(node.name) }
    }
    return result
  }
}

/// Producer and consumer versions (`VersionDef`).
///
/// TensorFlow uses these to refuse graphs written by a newer or known-broken producer; this
/// tool only carries them through.
public struct VersionDef: Sendable, Hashable {
  /// The `TF_GRAPH_DEF_VERSION` of the TensorFlow that wrote the graph (`producer`).
  public var producer: Int32
  /// The oldest graph-consumer version that can read the graph (`min_consumer`).
  public var minConsumer: Int32
  /// Consumer versions that must not read the graph (`bad_consumers`).
  public var badConsumers: [Int32]

  /// Versions with the given fields; zeros and an empty list match an absent field.
  public init(producer: Int32 = 0, minConsumer: Int32 = 0, badConsumers: [Int32] = []) {
    self.producer = producer
    self.minConsumer = minConsumer
    self.badConsumers = badConsumers
  }
}
