// SPDX-License-Identifier: Apache-2.0

/// Why a graph is not well formed.
public enum GraphValidationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// Two or more nodes share this name, so inputs naming it are ambiguous.
  case duplicateNodeName(String)
  /// `node` lists `input` (as written in `NodeDef.input`), but no node has that name.
  case danglingInput(node: String, input: String)
  /// These nodes, in graph order, lie on cycles that are not TF1 `NextIteration` → `Merge`
  /// loops, so there is no execution order.
  case cycle([String])
  /// The node at this position in `GraphDef.node` has an empty name.
  case emptyNodeName(index: Int)

  /// A one-line message for the user, naming the offending nodes.
  public var description: String {
    switch self {
    case .duplicateNodeName(let name):
      return "two nodes are named '\(name)'; node names must be unique"
    case .danglingInput(let node, let input):
      return "node '\(node)' has input '\(input)', but no node of that name exists"
    case .cycle(let names):
      let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
      let more = names.count > 5 ? " and \(names.count - 5) more" : ""
      return "the graph has a cycle through \(names.count) nodes: \(shown)\(more)"
    case .emptyNodeName(let index):
      return "node #\(index) has an empty name"
    }
  }
}

extension Graph {
  /// Checks that names are unique and non-empty, that every input names an existing node,
  /// and that the graph is acyclic.
  ///
  /// Loops in TF1 control flow go through `NextIteration` into `Merge`, so an edge into a
  /// `Merge` from a `NextIteration` is not counted as a cycle.
  public func validate() throws(GraphValidationError) {
    var index: [String: Int] = [:]
    index.reserveCapacity(nodes.count)
    for (position, node) in nodes.enumerated() {
      if node.name.isEmpty { throw .emptyNodeName(index: position) }
      if index.updateValue(position, forKey: node.name) != nil {
        throw .duplicateNodeName(node.name)
      }
    }
    for node in nodes {
      for input in node.inputs where index[input.node] == nil {
        throw .danglingInput(node: node.name, input: input.description)
      }
    }
    let stuck = nodesOnCycles(index: index)
    if !stuck.isEmpty { throw .cycle(stuck) }
  }

  /// Names of the nodes on cycles (and on paths between two cycles), in graph order.
  /// Iterative, so deep graphs cannot overflow the stack.
  func nodesOnCycles(index: [String: Int]) -> [String] {
    var pending = [Int](repeating: 0, count: nodes.count)
    var consumers = [[Int]](repeating: [], count: nodes.count)
    var producers = [[Int]](repeating: [], count: nodes.count)
    for (position, node) in nodes.enumerated() {
      let isMerge = node.op == "Merge" || node.op == "RefMerge"
      for input in node.inputs {
        guard let source = index[input.node] else { continue }
        let op = nodes[source].op
        if isMerge && (op == "NextIteration" || op == "RefNextIteration") { continue }
        pending[position] += 1
        consumers[source].append(position)
        producers[position].append(source)
      }
    }
    var ready = pending.indices.filter { pending[$0] == 0 }
    var emitted = 0
    while let next = ready.popLast() {
      emitted += 1
      for consumer in consumers[next] {
        pending[consumer] -= 1
        if pending[consumer] == 0 { ready.append(consumer) }
      }
    }
    guard emitted < nodes.count else { return [] }
    // Kahn's algorithm leaves the cycles plus everything downstream of them; peel off, from
    // the far end, the nodes with no consumer left, so that only the cycles are named.
    var stuck = pending.map { $0 > 0 }
    var outgoing = [Int](repeating: 0, count: nodes.count)
    for position in nodes.indices where stuck[position] {
      outgoing[position] = consumers[position].count { stuck[$0] }
    }
    var leaves = nodes.indices.filter { stuck[$0] && outgoing[$0] == 0 }
    while let leaf = leaves.popLast() {
      stuck[leaf] = false
      for producer in producers[leaf] where stuck[producer] {
        outgoing[producer] -= 1
        if outgoing[producer] == 0 { leaves.append(producer) }
      }
    }
    return nodes.indices.filter { stuck[$0] }.map { nodes[$0].name }
  }
}
