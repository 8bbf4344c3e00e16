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
    let index: NodeNameIndex
    do {
      index = try NodeNameIndex(nodes)
    } catch {
      switch error {
      case .emptyName(let position): throw .emptyNodeName(index: position)
      case .duplicate(let name): throw .duplicateNodeName(name)
      }
    }
    // Each input is looked up once; the producers, in flat arrays indexed by the
    // consumer's edge range, are what the cycle check walks. (Arrays of arrays cost an
    // allocation per node, a quarter of the validation that runs after every step.)
    var edgeStart = [Int](repeating: 0, count: nodes.count + 1)
    var producers: [Int] = []
    producers.reserveCapacity(nodes.count * 2)
    for position in nodes.indices {
      for input in nodes[position].inputs {
        guard let source = index.position(of: input.node) else {
          throw .danglingInput(node: nodes[position].name, input: input.description)
        }
        producers.append(source)
      }
      edgeStart[position + 1] = producers.count
    }
    let stuck = nodesOnCycles(edgeStart: edgeStart, producers: producers)
    if !stuck.isEmpty { throw .cycle(stuck) }
  }

  /// Names of the nodes on cycles (and on paths between two cycles), in graph order.
  /// Iterative, so deep graphs cannot overflow the stack. Node `i`'s producers are
  /// `producers[edgeStart[i]..<edgeStart[i + 1]]`.
  func nodesOnCycles(edgeStart: [Int], producers: [Int]) -> [String] {
    let count = nodes.count
    // A NextIteration feeding a Merge closes a TF1 loop; that edge does not count.
    var counts = [Bool](repeating: true, count: producers.count)
    for (position, node) in nodes.enumerated() where node.op == "Merge" || node.op == "RefMerge" {
      for edge in edgeStart[position]..<edgeStart[position + 1] {
        let op = nodes[producers[edge]].op
        if op == "NextIteration" || op == "RefNextIteration" { counts[edge] = false }
      }
    }
    var pending = [Int](repeating: 0, count: count)
    var consumerStart = [Int](repeating: 0, count: count + 1)
    for position in 0..<count {
      for edge in edgeStart[position]..<edgeStart[position + 1] where counts[edge] {
        pending[position] += 1
        consumerStart[producers[edge] + 1] += 1
      }
    }
    for position in 0..<count { consumerStart[position + 1] += consumerStart[position] }
    var consumers = [Int](repeating: 0, count: consumerStart[count])
    var filled = consumerStart
    for position in 0..<count {
      for edge in edgeStart[position]..<edgeStart[position + 1] where counts[edge] {
        consumers[filled[producers[edge]]] = position
        filled[producers[edge]] += 1
      }
    }
    var ready = (0..<count).filter { pending[$0] == 0 }
    var emitted = 0
    while let next = ready.popLast() {
      emitted += 1
      for consumer in consumers[consumerStart[next]..<consumerStart[next + 1]] {
        pending[consumer] -= 1
        if pending[consumer] == 0 { ready.append(consumer) }
      }
    }
    guard emitted < count else { return [] }
    // Kahn's algorithm leaves the cycles plus everything downstream of them; peel off, from
    // the far end, the nodes with no consumer left, so that only the cycles are named.
    var stuck = pending.map { $0 > 0 }
    var outgoing = [Int](repeating: 0, count: count)
    for position in 0..<count where stuck[position] {
      outgoing[position] = consumers[consumerStart[position]..<consumerStart[position + 1]].count { stuck[$0] }
    }
    var leaves = (0..<count).filter { stuck[$0] && outgoing[$0] == 0 }
    while let leaf = leaves.popLast() {
      stuck[leaf] = false
      for edge in edgeStart[leaf]..<edgeStart[leaf + 1] where counts[edge] && stuck[producers[edge]] {
        outgoing[producers[edge]] -= 1
        if outgoing[producers[edge]] == 0 { leaves.append(producers[edge]) }
      }
    }
    return (0..<count).filter { stuck[$0] }.map { nodes[$0].name }
  }
}
