// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Runs a whole inference graph on given inputs: the reference interpreter behind
/// `--verify` and `compare_graphs`.
///
/// Only the nodes the fetched outputs depend on run, each once, in dependency order, with
/// the evaluator's kernels. A value is released as soon as its last consumer has run, so
/// peak memory is the graph's weights plus its widest layer, not every activation.
///
/// `Switch`/`Merge` follow TensorFlow's dead-tensor rule: a `Switch` sends its data to one
/// port and marks the other dead; a node with a dead input (data or control) is dead; a
/// `Merge` forwards its first live input. Loops (`Enter`, `NextIteration`…) have no kernel
/// and are reported as unsupported, never approximated.
public struct Interpreter: Sendable {
  /// The graph being run.
  public let graph: Graph
  /// The kernels and the ceiling on any one intermediate result.
  public var evaluator: Evaluator
  private let index: [String: Int]

  /// Ops the interpreter runs itself, without a kernel.
  static let builtinOps: Set<String> = [
    "Placeholder", "PlaceholderWithDefault", "NoOp", "Switch", "Merge", "CheckNumerics",
  ]

  /// An interpreter for `graph`. Node names are assumed unique, as the decoder checks;
  /// a repeated name resolves to its first node.
  public init(graph: Graph, evaluator: Evaluator = Evaluator()) {
    self.graph = graph
    self.evaluator = evaluator
    var index: [String: Int] = [:]
    index.reserveCapacity(graph.nodes.count)
    for (position, node) in graph.nodes.enumerated() where index[node.name] == nil {
      index[node.name] = position
    }
    self.index = index
  }

  /// Whether `op` can run here.
  public static func canRun(_ op: String) -> Bool {
    builtinOps.contains(op) || Evaluator.canEvaluate(op)
  }

  /// The ops that `outputs` depend on and that this interpreter cannot run, each with the
  /// nodes that use it (sorted), in op-name order; empty when the graph can run.
  ///
  /// - Throws: `InterpreterError` when an output or input names a missing node, or the
  ///   needed part of the graph has a cycle.
  public func unsupportedOps(outputs: [InputRef], fed: Set<String>) throws(InterpreterError) -> [(
    op: String, nodes: [String]
  )] {
    let order = try executionOrder(outputs: outputs, fed: fed)
    var byOp: [String: [String]] = [:]
    for position in order {
      let node = graph.nodes[position]
      if !fed.contains(node.name), !Self.canRun(node.op) { byOp[node.op, default: []].append(node.name) }
    }
    return byOp.keys.sorted().map { op in (op: op, nodes: byOp[op, default: []].sorted()) }
  }

  /// The values of `outputs` when the nodes named in `feeds` produce the given tensors
  /// (on port 0; a fed node's own op and inputs are ignored).
  ///
  /// - Throws: `InterpreterError`: a missing node or port, a cycle, an unfed
  ///   `Placeholder`, an op without a kernel, a kernel's error (naming the node), or an
  ///   output that is dead because of a `Switch`.
  public func run(feeds: [String: DenseTensor], outputs: [InputRef]) throws(InterpreterError) -> [DenseTensor] {
    let fed = Set(feeds.keys)
    let order = try executionOrder(outputs: outputs, fed: fed)

    // How many more times each node's values will be read; a value is dropped at zero.
    var pendingReads = [Int](repeating: 0, count: graph.nodes.count)
    for position in order where !fed.contains(graph.nodes[position].name) {
      for input in graph.nodes[position].inputs {
        if let producer = index[input.node] { pendingReads[producer] += 1 }
      }
    }
    for output in outputs {
      if let producer = index[output.node] { pendingReads[producer] += 1 }
    }

    // nil: not run yet, or released; a nil element is a dead port (an untaken Switch branch).
    var values = [[DenseTensor?]?](repeating: nil, count: graph.nodes.count)
    var dead = [Bool](repeating: false, count: graph.nodes.count)
    for position in order {
      let node = graph.nodes[position]
      if let value = feeds[node.name] {
        values[position] = [value]
        continue
      }
      // Inputs in order, nil where dead; only a Merge runs with dead inputs.
      var inputs: [DenseTensor?] = []
      var anyDead = false
      for input in node.inputs {
        guard let producer = index[input.node] else { throw .missingNode(input.node, usedBy: node.name) }
        defer {
          pendingReads[producer] -= 1
          if pendingReads[producer] == 0 { values[producer] = nil }
        }
        guard let port = input.port else {
          anyDead = anyDead || dead[producer]
          continue
        }
        if dead[producer] {
          anyDead = true
          inputs.append(nil)
          continue
        }
        guard let produced = values[producer], port < produced.count else {
          throw .missingPort(input, usedBy: node.name)
        }
        anyDead = anyDead || produced[port] == nil
        inputs.append(produced[port])
      }
      if node.op == "Merge" {
        guard let taken = inputs.firstIndex(where: { $0 != nil }), let value = inputs[taken] else {
          dead[position] = true
          continue
        }
        values[position] = [value, DenseTensor(scalar: Int32(taken))]
      } else if anyDead {
        dead[position] = true
      } else {
        values[position] = try evaluate(node, inputs: inputs.compactMap { $0 })
      }
    }

    var results: [DenseTensor] = []
    for output in outputs {
      guard let producer = index[output.node] else { throw .missingNode(output.node, usedBy: nil) }
      let port = output.port ?? 0
      guard let produced = values[producer], port < produced.count else {
        if dead[producer] { throw .deadOutput(output) }
        throw .missingPort(output, usedBy: nil)
      }
      guard let value = produced[port] else { throw .deadOutput(output) }
      results.append(value)
    }
    return results
  }

  /// One node's outputs, from the builtins or the evaluator.
  private func evaluate(_ node: Node, inputs: [DenseTensor]) throws(InterpreterError) -> [DenseTensor?] {
    switch node.op {
    case "Placeholder":
      throw .unfedPlaceholder(node.name)
    case "PlaceholderWithDefault":
      guard inputs.count == 1 else {
        throw .kernel(node: node.name, op: node.op, .invalidArgument("expects one input"))
      }
      return inputs
    case "NoOp":
      return []
    case "CheckNumerics":
      // An identity that fails on NaN/Inf; stateful in TensorFlow, so no kernel for folding.
      guard inputs.count == 1 else {
        throw .kernel(node: node.name, op: node.op, .invalidArgument("expects one input"))
      }
      if let values = inputs[0].numericValues, values.contains(where: { !$0.isFinite }) {
        let message = (try? KernelInvocation(node: node, inputs: inputs).string("message", default: "")) ?? ""
        throw .kernel(node: node.name, op: node.op, .invalidArgument("\(message) : Tensor had NaN or Inf values"))
      }
      return inputs
    case "Switch":
      guard inputs.count == 2 else {
        throw .kernel(node: node.name, op: node.op, .invalidArgument("expects two inputs"))
      }
      let predicate: Bool
      switch inputs[1].storage {
      case .bool(let flags) where flags.count == 1: predicate = flags[0]
      default:
        throw .kernel(node: node.name, op: node.op, .invalidArgument("pred must be a scalar bool, got \(inputs[1])"))
      }
      return predicate ? [nil, inputs[0]] : [inputs[0], nil]
    default:
      do {
        return try evaluator.evaluate(node, inputs: inputs)
      } catch {
        throw .kernel(node: node.name, op: node.op, error)
      }
    }
  }

  /// The nodes `outputs` depend on, producers first; fed nodes are leaves. Iterative, so a
  /// 100k-node chain needs no deep stack.
  func executionOrder(outputs: [InputRef], fed: Set<String>) throws(InterpreterError) -> [Int] {
    // 0: unvisited, 1: on the current path, 2: done.
    var state = [UInt8](repeating: 0, count: graph.nodes.count)
    var order: [Int] = []
    var stack: [(position: Int, nextInput: Int)] = []
    for output in outputs {
      guard let root = index[output.node] else { throw .missingNode(output.node, usedBy: nil) }
      guard state[root] == 0 else { continue }
      state[root] = 1
      stack.append((root, 0))
      while let top = stack.last {
        let node = graph.nodes[top.position]
        // A loop's back edge enters through NextIteration; stopping there leaves the loop's
        // ops (which have no kernels) to be reported instead of a false cycle.
        let inputs = fed.contains(node.name) || node.op == "NextIteration" ? [] : node.inputs
        if top.nextInput < inputs.count {
          stack[stack.count - 1].nextInput += 1
          let input = inputs[top.nextInput]
          guard let producer = index[input.node] else { throw .missingNode(input.node, usedBy: node.name) }
          switch state[producer] {
          case 0:
            state[producer] = 1
            stack.append((producer, 0))
          case 1:
            throw .cycle(through: input.node)
          default:
            break
          }
        } else {
          state[top.position] = 2
          order.append(top.position)
          stack.removeLast()
        }
      }
    }
    return order
  }
}

/// Why a graph could not be interpreted.
public enum InterpreterError: Error, Sendable, CustomStringConvertible {
  /// An input or output names a node the graph does not have.
  case missingNode(String, usedBy: String?)
  /// An input or output names a port its node does not produce.
  case missingPort(InputRef, usedBy: String?)
  /// The nodes the outputs need form a cycle.
  case cycle(through: String)
  /// A `Placeholder` the outputs need was not given a value.
  case unfedPlaceholder(String)
  /// A kernel failed, or has no implementation for this node.
  case kernel(node: String, op: String, EvalError)
  /// A fetched output is dead: an untaken `Switch` branch leads to it.
  case deadOutput(InputRef)

  /// Whether the failure is the interpreter's limitation (an op, dtype or form it lacks)
  /// rather than a fault in the graph or its inputs.
  public var isLimitation: Bool {
    if case .kernel(_, _, let error) = self { return error.isLimitation }
    return false
  }

  /// A one-line message naming the node.
  public var description: String {
    switch self {
    case .missingNode(let name, let user?): return "node '\(user)' has input '\(name)', which is not in the graph"
    case .missingNode(let name, nil): return "no node named '\(name)'"
    case .missingPort(let input, let user?): return "node '\(user)' reads '\(input)', which that node does not produce"
    case .missingPort(let input, nil): return "'\(input)' is not an output of that node"
    case .cycle(let name): return "the graph has a cycle through node '\(name)'"
    case .unfedPlaceholder(let name): return "placeholder '\(name)' needs a value; add it to --inputs"
    case .kernel(let node, let op, let error): return "node '\(node)' (\(op)): \(error)"
    case .deadOutput(let output): return "output '\(output)' is on an untaken Switch branch"
    }
  }
}
