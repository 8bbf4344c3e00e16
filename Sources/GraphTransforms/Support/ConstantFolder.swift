// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR

/// The analysis behind `fold_constants`: which nodes compute a value known before the
/// graph runs, which are on a branch a constant predicate never takes, and what each
/// `Switch`/`Merge` with a constant predicate forwards.
///
/// One pass in topological order classifies every node. Values are computed as the pass
/// goes, but a `Const` is decoded only when a node that is being folded reads it, so the
/// weights of a 100 MB model that feed convolutions are never touched.
struct ConstantFolder {
  /// What the folder learned about one node.
  enum State: Equatable {
    /// Depends on a fed input, a stateful op, or an op the evaluator lacks.
    case variable
    /// Every output is known (`values` holds them, or the node is a `Const`).
    case constant
    /// On a branch a constant predicate never takes: TensorFlow would never run it.
    case dead
    /// A `Switch` or `Merge` whose choice is known; `routes` says what each port carries.
    case routed
  }

  /// Where one output port of a routed node gets its value.
  enum Route: Equatable {
    /// The port carries the tensor `InputRef` names (a data reference).
    case forward(InputRef)
    /// The port never produces a value.
    case dead
  }

  /// Where a data or control reference ends up after following routes.
  enum Resolved: Equatable {
    case dead
    /// A tensor of a constant node (`port` nil for a control reference).
    case constant(node: Int, port: Int?)
    /// A tensor (or control edge) of a node that stays as it is.
    case variable(InputRef)
  }

  let graph: Graph
  let index: [String: Int]
  let evaluator: Evaluator
  /// Nodes some input reads at a port other than 0.
  let readsBeyondPortZero: Set<String>
  var states: [State]
  var routes: [[Int: Route]]
  /// The computed outputs of constant nodes other than `Const`s, and of `Const`s once read.
  var values: [[DenseTensor]?]
  /// Static dtypes and shapes of the outputs of variable nodes, for folding `Shape`.
  var infos: [[StaticTensorInfo]]
  /// Why nodes whose inputs were all constant were not folded: reason → node names.
  var skipped: [String: [String]] = [:]

  /// Classifies every node of `graph`. `fed` nodes are never constant; nodes in `excluded`
  /// or with an op in `excludedOps` are never folded.
  ///
  /// - Throws: `TransformError` when a node names an input that does not exist.
  init(
    graph: Graph, fed: Set<String>, excluded: Set<String>, excludedOps: Set<String>, evaluator: Evaluator
  ) throws {
    self.graph = graph
    self.index = graph.nodeIndex()
    self.evaluator = evaluator
    readsBeyondPortZero = Set(graph.nodes.flatMap { $0.inputs.filter { ($0.port ?? 0) > 0 }.map(\.node) })
    let count = graph.nodes.count
    states = Array(repeating: .variable, count: count)
    routes = Array(repeating: [:], count: count)
    values = Array(repeating: nil, count: count)
    infos = Array(repeating: [], count: count)
    for position in try topologicalOrder() {
      let node = graph.nodes[position]
      if !fed.contains(node.name) {
        states[position] = classify(
          position, excluded: excluded.contains(node.name) || excludedOps.contains(node.op))
      }
      if states[position] == .variable {
        let inputs = node.inputs.filter { !$0.isControl }.map { inferenceInput(resolve($0)) }
        infos[position] = ShapeInference.infer(node, inputs: inputs) ?? []
      }
    }
  }

  /// Node indices so that every node comes after all its inputs; nodes on a cycle (a TF1
  /// while loop) and their dependents are left out, and so stay `.variable`.
  private func topologicalOrder() throws -> [Int] {
    for node in graph.nodes {
      for input in node.inputs where index[input.node] == nil {
        throw TransformError("input '\(input)' names no node in the graph", node: node.name)
      }
    }
    return graph.dependencyOrder(index: index)
  }

  // MARK: Classification

  private mutating func classify(_ position: Int, excluded: Bool) -> State {
    let node = graph.nodes[position]
    let controls = node.inputs.filter(\.isControl).map(resolve)
    if controls.contains(.dead) { return .dead }
    let inputs = node.inputs.filter { !$0.isControl }.map(resolve)
    if Graph.isMerge(node.op) {
      return excluded || readsBeyondPortZero.contains(node.name) ? .variable : classifyMerge(position, inputs: inputs)
    }
    if inputs.contains(.dead) { return .dead }
    if excluded { return .variable }
    let controlsConstant = controls.allSatisfy { if case .variable = $0 { false } else { true } }
    if node.op == "Switch" {
      return classifySwitch(position, inputs: inputs)
    }
    guard controlsConstant else { return .variable }
    switch node.op {
    case "Const":
      return inputs.isEmpty ? .constant : .variable
    case "NoOp":
      return inputs.isEmpty ? .constant : .variable
    default:
      break
    }
    let allConstant = inputs.allSatisfy { if case .variable = $0 { false } else { true } }
    if !allConstant && Self.shapeReaders.contains(node.op) {
      return foldShapeReader(position, inputs: inputs)
    }
    guard allConstant else { return .variable }
    // An unfed PlaceholderWithDefault is its default, which is what TensorFlow folds it to.
    let op = node.op == "PlaceholderWithDefault" ? "Identity" : node.op
    guard Evaluator.canEvaluate(op) else {
      if !node.op.hasPrefix("Placeholder") { skipped["no kernel for op '\(node.op)'", default: []].append(node.name) }
      return .variable
    }
    do {
      let arguments = try inputs.map { try value(of: $0) }
      var evaluated = node
      evaluated.op = op
      values[position] = try evaluator.evaluate(evaluated, inputs: arguments)
      return .constant
    } catch let error as EvalError {
      skipped["\(error)", default: []].append(node.name)
      return .variable
    } catch {
      skipped["\(error)", default: []].append(node.name)
      return .variable
    }
  }

  /// Ops whose result depends only on their inputs' shapes.
  static let shapeReaders: Set<String> = ["Shape", "ShapeN", "Size", "Rank"]

  /// `Shape`, `ShapeN`, `Size` or `Rank` of tensors whose shapes are statically known,
  /// built from the shapes alone (running the kernel would need the elements).
  private mutating func foldShapeReader(_ position: Int, inputs: [Resolved]) -> State {
    let node = graph.nodes[position]
    var shapes: [[Int]] = []
    for input in inputs {
      guard let shape = inferenceInput(input).info.shape else { return .variable }
      shapes.append(shape)
    }
    let wide: Bool = if case .type(.int64)? = node.attrs["out_type"] { true } else { false }
    func vector(_ values: [Int], shape: [Int]) -> DenseTensor {
      wide
        ? DenseTensor(values.map { Int64($0) }, shape: shape)
        : DenseTensor(values.map { Int32(truncatingIfNeeded: $0) }, shape: shape)
    }
    switch node.op {
    case "Shape", "ShapeN":
      guard node.op == "ShapeN" || shapes.count == 1 else { return .variable }
      values[position] = shapes.map { vector($0, shape: [$0.count]) }
    case "Size":
      guard shapes.count == 1 else { return .variable }
      values[position] = [vector([shapes[0].reduce(1, *)], shape: [])]
    default:
      guard shapes.count == 1 else { return .variable }
      values[position] = [DenseTensor(scalar: Int32(shapes[0].count))]
    }
    return .constant
  }

  /// What shape inference may know about `resolved`.
  private func inferenceInput(_ resolved: Resolved) -> InferenceInput {
    switch resolved {
    case .dead:
      return .variable(.unknown)
    case .variable(let reference):
      guard let position = index[reference.node], let port = reference.port, port < infos[position].count else {
        return .variable(.unknown)
      }
      return .variable(infos[position][port])
    case .constant(let position, let port):
      let port = port ?? 0
      var info = StaticTensorInfo.unknown
      if let computed = values[position], port < computed.count {
        info = StaticTensorInfo(dtype: computed[port].dtype, shape: computed[port].shape)
      } else if graph.nodes[position].op == "Const", case .tensor(let tensor)? = graph.nodes[position].attrs["value"],
        tensor.shape.isFullyDefined
      {
        info = StaticTensorInfo(dtype: tensor.dtype, shape: tensor.shape.sizes.map { Int($0) })
      }
      let folder = self
      return .constant(
        info,
        value: {
          var copy = folder
          return try? copy.value(of: resolved)
        })
    }
  }

  /// A `Switch` with a constant predicate forwards its data to the taken port only.
  private mutating func classifySwitch(_ position: Int, inputs: [Resolved]) -> State {
    guard inputs.count == 2 else { return .variable }
    guard let predicate = try? value(of: inputs[1]), predicate.count == 1,
      let taken = predicate.values(as: Bool.self)?.first
    else { return .variable }
    let data = graph.nodes[position].inputs.filter { !$0.isControl }[0]
    routes[position] = [taken ? 1 : 0: .forward(data), taken ? 0 : 1: .dead]
    return .routed
  }

  /// A `Merge` forwards its one live input once the others are known dead. (Only when
  /// nothing reads its `value_index` output, which would need a constant of its own.)
  private mutating func classifyMerge(_ position: Int, inputs: [Resolved]) -> State {
    let live = inputs.indices.filter { inputs[$0] != .dead }
    if live.isEmpty { return .dead }
    guard live.count == 1 else { return .variable }
    let data = graph.nodes[position].inputs.filter { !$0.isControl }[live[0]]
    routes[position] = [0: .forward(data)]
    return .routed
  }

  // MARK: Values

  /// Follows routes from `reference` to where its value comes from.
  func resolve(_ reference: InputRef) -> Resolved {
    var reference = reference
    // Routes only point backwards in topological order, so this ends; the bound guards
    // against a malformed graph anyway.
    for _ in 0...graph.nodes.count {
      guard let position = index[reference.node] else { return .variable(reference) }
      switch states[position] {
      case .variable: return .variable(reference)
      case .dead: return .dead
      case .constant: return .constant(node: position, port: reference.port)
      case .routed:
        guard let port = reference.port else {
          // A control edge from a resolved Switch or Merge waits for the tensor it forwards.
          let forwarded = routes[position].sorted { $0.key < $1.key }.lazy.compactMap { entry -> InputRef? in
            if case .forward(let target) = entry.value { return target }
            return nil
          }.first
          guard let forwarded else { return .variable(reference) }
          reference = .control(forwarded.node)
          continue
        }
        switch routes[position][port] {
        case .forward(let next)?: reference = next
        case .dead?: return .dead
        case nil: return .variable(reference)
        }
      }
    }
    return .variable(reference)
  }

  /// The value of a constant reference, decoding a `Const` on first use.
  mutating func value(of resolved: Resolved) throws -> DenseTensor {
    switch resolved {
    case .constant(let position, let port?):
      let outputs = try outputs(of: position)
      guard port < outputs.count else {
        throw EvalError.invalidArgument(
          "'\(graph.nodes[position].name)' has \(outputs.count) outputs; port \(port) does not exist")
      }
      return outputs[port]
    default:
      throw EvalError.invalidArgument("not a constant tensor")
    }
  }

  /// The outputs of constant node `position`.
  mutating func outputs(of position: Int) throws -> [DenseTensor] {
    if let known = values[position] { return known }
    let computed = try evaluator.evaluate(graph.nodes[position], inputs: [])
    values[position] = computed
    return computed
  }
}
