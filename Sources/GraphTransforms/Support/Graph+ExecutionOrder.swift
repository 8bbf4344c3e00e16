// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Why a graph cannot be put in execution order.
public enum ExecutionOrderError: Error, Sendable, Hashable, CustomStringConvertible {
  /// An input of `node` (written as `input`) names no node in the graph.
  case unknownInput(node: String, input: String)
  /// `count` nodes were never ready: they are on a cycle or wait on one. `stuck` holds the
  /// names of the first few of them, in graph order.
  case cycle(count: Int, stuck: [String])

  /// One line naming the problem and the nodes involved.
  public var description: String {
    switch self {
    case .unknownInput(let node, let input):
      return "node '\(node)' has input '\(input)', but no node of that name exists"
    case .cycle(let count, let stuck):
      let shown = stuck.map { "'\($0)'" }.joined(separator: ", ")
      let more = count > stuck.count ? " and \(count - stuck.count) more" : ""
      return "\(count) nodes in a cycle (or waiting on one), so the graph has no execution order: "
        + shown + more
    }
  }
}

extension Graph {
  /// Whether TensorFlow's sort lets `op` run once its control inputs and one data input are
  /// done, so that a TF1 while loop (`NextIteration` ⟶ `Merge`) can be ordered.
  static func isMerge(_ op: String) -> Bool {
    // Plain comparisons: cheaper than hashing every op into a set.
    op == "Merge" || op == "RefMerge" || op == "_XlaMerge"
  }

  /// Node indices in TensorFlow's execution order (`SortByExecutionOrder`).
  ///
  /// Nodes with no inputs start on a stack in graph order. The last node pushed is emitted
  /// next (LIFO); emitting a node decrements the pending count of each consumer, once per
  /// input occurrence (control inputs and duplicates count), and a consumer whose count
  /// reaches exactly zero is pushed. A `Merge`, `RefMerge` or `_XlaMerge` starts at its
  /// number of control inputs plus one. The pattern-matching transforms walk the graph in
  /// this order, so it decides which of two overlapping matches wins; it must not change.
  ///
  /// Iterative, so 100k-node chains cannot overflow the stack.
  ///
  /// - Throws: `ExecutionOrderError.unknownInput` for the first input (in graph order) that
  ///   names no node; `.cycle` when some nodes never become ready.
  public func executionOrder() throws(ExecutionOrderError) -> [Int] {
    let (order, failure) = tensorFlowExecutionOrder()
    if let failure { throw failure }
    return order
  }

  /// The graph with its nodes in TensorFlow's execution order (see `executionOrder()`).
  public func sortedByExecutionOrder() throws(ExecutionOrderError) -> Graph {
    let order = try executionOrder()
    return with(nodes: order.map { nodes[$0] })
  }

  /// The order TensorFlow's pattern matcher walks, which ignores sort errors: empty when an
  /// input names no node, and only the nodes ordered before the sort stalled when there is
  /// a cycle.
  public func executionOrderIgnoringErrors() -> [Int] {
    tensorFlowExecutionOrder().order
  }

  /// The sort itself; returns what was ordered plus the error, if any, so that callers can
  /// choose TensorFlow's strict or error-ignoring behaviour.
  func tensorFlowExecutionOrder() -> (order: [Int], failure: ExecutionOrderError?) {
    let count = nodes.count
    // TF parity: a duplicated name resolves to its last node, as TF's name map does.
    let index = nodeIndex()
    var pending = [Int](repeating: 0, count: count)
    var consumers = [[Int]](repeating: [], count: count)
    var ready: [Int] = []
    for (position, node) in nodes.enumerated() {
      if Self.isMerge(node.op) {
        pending[position] = node.inputs.count(where: \.isControl) + 1
      } else {
        pending[position] = node.inputs.count
      }
      // TF parity: readiness at the start depends on having no inputs at all, not on the
      // pending count, so an input-less Merge (count 1) still starts ready.
      if node.inputs.isEmpty {
        ready.append(position)
        continue
      }
      for input in node.inputs {
        guard let source = index[input.node] else {
          // TF parity: TensorFlow returns an empty graph with this error.
          return ([], .unknownInput(node: node.name, input: input.description))
        }
        consumers[source].append(position)
      }
    }

    var order: [Int] = []
    order.reserveCapacity(count)
    while let next = ready.popLast() {
      order.append(next)
      for consumer in consumers[next] {
        pending[consumer] -= 1
        // Exactly zero: a Merge whose count goes negative later is not pushed again.
        if pending[consumer] == 0 { ready.append(consumer) }
      }
    }
    guard order.count < count else { return (order, nil) }

    var emitted = [Bool](repeating: false, count: count)
    for position in order { emitted[position] = true }
    let stuck = nodes.indices.lazy.filter { !emitted[$0] }.prefix(5).map { nodes[$0].name }
    return (order, .cycle(count: count - order.count, stuck: Array(stuck)))
  }

  /// Node indices so that every node comes after all its inputs: Kahn's order, ready
  /// nodes taken in graph order. Nodes on a cycle (a TF1 while loop) and those after one
  /// are left out; an input naming no node is ignored. Unlike `executionOrder()`, which
  /// reproduces TensorFlow's LIFO walk for the matcher, this is for passes that only
  /// need inputs first (constant folding, shape inference, merging). `index` is
  /// `nodeIndex()`, which every caller already has.
  func dependencyOrder(index: [String: Int]) -> [Int] {
    var pending = [Int](repeating: 0, count: nodes.count)
    var consumers = [[Int]](repeating: [], count: nodes.count)
    for (position, node) in nodes.enumerated() {
      for input in node.inputs {
        guard let source = index[input.node] else { continue }
        pending[position] += 1
        consumers[source].append(position)
      }
    }
    var order = pending.indices.filter { pending[$0] == 0 }
    var next = 0
    while next < order.count {
      for consumer in consumers[order[next]] {
        pending[consumer] -= 1
        if pending[consumer] == 0 { order.append(consumer) }
      }
      next += 1
    }
    return order
  }
}
