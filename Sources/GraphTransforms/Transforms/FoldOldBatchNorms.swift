// SPDX-License-Identifier: Apache-2.0

import GraphEval
public import GraphIR

/// Folds inference-mode batch norms into the convolution before them: the per-channel
/// scale moves into the weights, and the rest becomes a BiasAdd.
///
///     w = Const(); conv = Conv2D(x, w); bn = FusedBatchNorm(conv, gamma, beta, mean, var)
///       ⟶   w = Const(w·scale); conv = Conv2D(x, w); conv_bn_offset = Const(offset);
///           bn = BiasAdd(conv, conv_bn_offset)
///
///     b2s = BatchToSpaceND(conv, block, crops); bn = BatchNormWithGlobalNormalization(b2s, …)
///       ⟶   conv/biasadd = BiasAdd(conv, conv_bn_offset); bn = BatchToSpaceND(conv/biasadd, block, crops)
///
///     cat = ConcatV2(conv0, conv1, axis); bn = FusedBatchNorm(cat, …)
///       ⟶   cat_bn_in0 = BiasAdd(conv0, conv0_bn_offset); cat_bn_in1 = BiasAdd(conv1, conv1_bn_offset);
///           bn = ConcatV2(cat_bn_in0, cat_bn_in1, axis)
///
/// With scale = gamma / √(var + ε) (1 / √(var + ε) when `scale_after_normalization` is
/// false) and offset = beta − mean · scale, per channel, in float32. The batch norm is
/// `BatchNormWithGlobalNormalization` or `FusedBatchNorm`/`V2`/`V3` with
/// `is_training=false`; the convolution is `Conv2D`, `DepthwiseConv2dNative` (any channel
/// multiplier) or `MatMul`, with float32 `Const` weights. The weights `Const` keeps its
/// name, attributes and control inputs; the node that takes the batch norm's name (the
/// BiasAdd, or the renamed BatchToSpaceND or ConcatV2) also takes its control inputs, so
/// every reference to it still works. The mean, variance, beta and gamma `Const`s
/// disappear unless something else still reads them. For a concatenation along the
/// channel axis each convolution takes its own slice of the coefficients; along another
/// axis both take all of them.
///
/// A match is left as it is, with a remark saying why, unless the fold is provably
/// exact: the batch norm is in inference mode (an absent `is_training` means true); only
/// its output 0 is used; the four parameters are finite float32 vectors with one value
/// per output channel; its `data_format` agrees with the convolution's (the atrous form
/// needs NHWC); the convolution's output is read only by the batch norm (or the
/// BatchToSpaceND or ConcatV2), the weights only by the convolution, the BatchToSpaceND
/// or ConcatV2 only by the batch norm, and none of them is an `--inputs` or `--outputs`
/// node. Control edges do not count as reads: names that a `^node` refers to survive.
///
/// TF parity: TensorFlow's three patterns, applied in its order (all plain folds, then
/// the atrous ones, then the concatenations), each repeated until a pass folds nothing,
/// with its matcher (execution order, a node taking part in one match per pass), new
/// node names, and node order (each match's nodes are emitted where its batch norm was:
/// weights, the convolution's input, the convolution, the offset, the BiasAdd, then
/// block_shape and crops or the axis, then the renamed BatchToSpaceND or ConcatV2).
/// Deliberate deviations, each where TensorFlow computed a wrong graph, failed, aborted
/// or never returned:
/// - `FusedBatchNormV2`/`V3` and `MatMul` are folded too; TensorFlow ignores them;
/// - a batch norm after `BiasAdd(conv, Const)` (a Keras 2 convolution with a bias) folds
///   too, the bias joining the offset: `(conv + b)·scale + offset`; TensorFlow leaves it;
/// - a training-mode batch norm is left alone; TensorFlow folds it;
/// - the guards above: TensorFlow scales weights that other nodes also read, leaves
///   readers of outputs 1–5 dangling, and loops forever when two batch norms share a
///   parameter `Const` or a BatchToSpaceND or ConcatV2 is read elsewhere. Here parameter
///   `Const`s may be shared, and every pass that changes nothing ends the phase;
/// - a batch norm whose layout differs from the convolution's (NHWC after NCHW) is left
///   alone; TensorFlow folds it along the wrong axis;
/// - a concatenation on axis -1 (or 1 for NCHW) splits the coefficients, and a depthwise
///   convolution's share is in×multiplier; TensorFlow only splits on axis 3, by dim 3;
/// - a shared input of both halves of a concatenation is emitted once; TensorFlow emits
///   it twice, and its own importer then rejects the duplicate name;
/// - a new name already in use gets a `_1`, `_2`… suffix instead of clashing;
/// - the weights `Const` keeps its device, attributes and control inputs, and the batch
///   norm's control inputs move to the node that takes its name; TensorFlow drops them;
/// - a BiasAdd named as the batch norm gets its device, other new nodes the
///   convolution's; TensorFlow sets none;
/// - what TensorFlow aborts on (a missing attribute, a wrong rank, a non-float tensor)
///   is left unchanged with a remark;
/// - after 32 passes of one pattern, the remaining matches fold in one pass that leaves
///   shared inputs where they are, where TensorFlow needs a pass per fold.
public struct FoldOldBatchNorms: GraphTransform {
  /// The transform's name in transform strings, as TensorFlow spells it.
  public static let name = "fold_old_batch_norms"
  /// One line for `--help`.
  public static let summary =
    "Fold inference batch norms into the weights of the convolution before them and a BiasAdd."
  /// Everything accepted between the parentheses: nothing.
  public static let parameters: [ParameterSpec] = []
  /// The rewrite, as in the doc comment above.
  public static let rewrite = """
    w = Const(); conv = Conv2D(x, w); bn = FusedBatchNorm(conv, gamma, beta, mean, var)
      ⟶   w = Const(w·scale); conv = Conv2D(x, w); conv_bn_offset = Const(offset);
          bn = BiasAdd(conv, conv_bn_offset)

    b2s = BatchToSpaceND(conv, block, crops); bn = BatchNormWithGlobalNormalization(b2s, …)
      ⟶   conv/biasadd = BiasAdd(conv, conv_bn_offset); bn = BatchToSpaceND(conv/biasadd, block, crops)

    cat = ConcatV2(conv0, conv1, axis); bn = FusedBatchNorm(cat, …)
      ⟶   cat_bn_in0 = BiasAdd(conv0, conv0_bn_offset); cat_bn_in1 = BiasAdd(conv1, conv1_bn_offset);
          bn = ConcatV2(cat_bn_in0, cat_bn_in1, axis)
    """
  /// Where it deliberately differs from TensorFlow; see the doc comment.
  public static let differences = [
    "FusedBatchNormV2/V3, MatMul, and a BiasAdd between the convolution and the batch norm fold too",
    "training-mode batch norms, layout mismatches and weights or inputs read elsewhere are left alone with a remark; TensorFlow folds them wrongly or loops forever",
    "concatenations on axis -1 and depthwise channel multipliers split the coefficients correctly",
    "new names never clash, and the weights Const and the batch norm keep their control inputs and devices",
  ]

  /// The passes per pattern that follow TensorFlow's matcher exactly. Each folds at least
  /// one batch norm; convolutions sharing one input fold one per pass, so without a bound
  /// a hostile graph would take quadratic time.
  static let exactPasses = 32

  /// Takes no arguments.
  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  /// Returns the graph with every provably foldable batch norm folded.
  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    let count = graph.nodes.count { BatchNormParameters.ops.contains($0.op) }
    guard count > 0 else { return graph }
    guard graph.nodeIndex().count == graph.nodes.count else {
      context.report(.remark, "nothing folded: node names are not unique")
      return graph
    }
    var folder = BatchNormFolder(protected: Set(context.inputNodeNames + context.outputNodeNames))
    var current = graph
    for pattern in BatchNormPattern.allCases {
      var passes = 0
      while true {
        passes += 1
        guard let next = folder.pass(over: current, pattern: pattern, exact: passes <= Self.exactPasses) else {
          break
        }
        current = next
      }
    }

    let index = current.nodeIndex()
    for node in current.nodes where BatchNormParameters.ops.contains(node.op) {
      let reason = folder.refusals[node.name] ?? Self.mismatch(node, in: current, index: index)
      context.report(.remark, "not folded: " + reason, node: node.name)
    }
    context.report(.remark, "folded \(folder.folded) of \(count) batch norms")
    return current
  }

  /// Why a batch norm matched none of the patterns.
  static func mismatch(_ node: Node, in graph: Graph, index: [String: Int]) -> String {
    let data = node.dataInputs
    guard data.count == 5 else { return "expected 5 data inputs, found \(data.count)" }
    guard let first = index[data[0].node] else { return "its input '\(data[0])' is not in the graph" }
    if let notConst = data.dropFirst().first(where: { index[$0.node].map { graph.nodes[$0].op != "Const" } ?? true }) {
      return "its parameter input '\(notConst)' is not a Const"
    }
    if BatchNormPattern.allCases.contains(where: {
      BatchNormMatch(graph, head: index[node.name] ?? 0, pattern: $0, index: index) != nil
    }) {
      // TF parity: the matcher walks the execution order, which stops at a cycle or a
      // missing input.
      return "it lies on a cycle or after a missing input, so the execution order never reaches it"
    }
    let producer = graph.nodes[first]
    let convolutions = LinearProducer.ops.sorted().joined(separator: ", ")
    return "its input '\(producer.name)' is a \(producer.op), not one of \(convolutions) with Const weights, "
      + "directly or through a BatchToSpaceND or a two-input ConcatV2"
  }
}

/// The shapes folded, in order: TensorFlow's three, with the BiasAdd form after the first.
enum BatchNormPattern: CaseIterable {
  /// `BN(conv(*, Const), Const×4)`.
  case convolution
  /// `BN(BiasAdd(conv(*, Const), Const), Const×4)`: a Keras 2 convolution with a bias,
  /// which TensorFlow does not fold.
  case biasAdd
  /// `BN(BatchToSpaceND(conv(*, Const), Const, Const), Const×4)`.
  case batchToSpace
  /// `BN(ConcatV2(conv(*, Const), conv(*, Const), Const), Const×4)`.
  case concat
}

/// The nodes of one structural match of a pattern, before any check of values.
private struct BatchNormMatch {
  /// The batch norm.
  var head: Int
  /// The convolutions: one, or two for a concatenation.
  var convolutions: [Int]
  /// Each convolution's data input (TensorFlow's `*`).
  var inputs: [Int]
  /// Each convolution's weights `Const`.
  var weights: [Int]
  /// The BatchToSpaceND or ConcatV2 between the convolutions and the batch norm.
  var intermediate: Int?
  /// block_shape and crops, or the concatenation axis.
  var extras: [Int]

  /// Nodes no other match may use: they are rewritten or renamed.
  var core: [Int] { [head] + convolutions + weights + (intermediate.map { [$0] } ?? []) }
  /// Nodes TensorFlow's matcher also claims and moves, though they are only re-emitted.
  var leaves: [Int] { inputs + extras }

  /// The match of `pattern` at the batch norm `head`, or nil when the ops do not fit.
  init?(_ graph: Graph, head: Int, pattern: BatchNormPattern, index: [String: Int]) {
    let data = graph.nodes[head].dataInputs
    func constant(_ input: InputRef) -> Int? {
      index[input.node].flatMap { graph.nodes[$0].op == "Const" ? $0 : nil }
    }
    guard data.count == 5, data.dropFirst().allSatisfy({ constant($0) != nil }),
      let first = index[data[0].node]
    else { return nil }
    // TF parity: TensorFlow's matcher resolves inputs by node name and ignores ports;
    // the checks that follow the match refuse ports other than 0.
    func convolution(_ position: Int?) -> (conv: Int, input: Int, weights: Int)? {
      guard let position, LinearProducer.ops.contains(graph.nodes[position].op) else { return nil }
      let inputs = graph.nodes[position].dataInputs
      guard inputs.count == 2, let input = index[inputs[0].node], let weights = constant(inputs[1]) else {
        return nil
      }
      return (position, input, weights)
    }
    self.head = head
    let node = graph.nodes[first]
    let inner = node.dataInputs
    var found: [(conv: Int, input: Int, weights: Int)] = []
    switch pattern {
    case .convolution:
      guard let match = convolution(first) else { return nil }
      found = [match]
      intermediate = nil
      extras = []
    case .biasAdd:
      guard node.op == "BiasAdd", inner.count == 2, let match = convolution(index[inner[0].node]),
        let bias = constant(inner[1])
      else { return nil }
      found = [match]
      intermediate = first
      extras = [bias]
    case .batchToSpace:
      guard node.op == "BatchToSpaceND", inner.count == 3, let match = convolution(index[inner[0].node]),
        let block = constant(inner[1]), let crops = constant(inner[2])
      else { return nil }
      found = [match]
      intermediate = first
      extras = [block, crops]
    case .concat:
      guard node.op == "ConcatV2", inner.count == 3, let match0 = convolution(index[inner[0].node]),
        let match1 = convolution(index[inner[1].node]), let axis = constant(inner[2])
      else { return nil }
      found = [match0, match1]
      intermediate = first
      extras = [axis]
    }
    convolutions = found.map(\.conv)
    inputs = found.map(\.input)
    weights = found.map(\.weights)
  }
}

/// A folded match: what is emitted at the batch norm's position.
private struct BatchNormRewrite {
  /// The nodes, in TensorFlow's order.
  var replacement: [Node]
  /// The parameter `Const`s, removed afterwards when nothing reads them any more.
  var parameters: [Int]
}

/// The state of the whole transform across passes.
private struct BatchNormFolder {
  /// The `--inputs` and `--outputs` nodes: their values must not change, and their names
  /// must not disappear.
  let protected: Set<String>
  /// Why each batch norm that matched a pattern was not folded, by its name.
  var refusals: [String: String] = [:]
  /// How many batch norms were folded.
  var folded = 0

  init(protected: Set<String>) { self.protected = protected }

  /// One TensorFlow pass of `pattern`: match in execution order, fold what is provably
  /// exact, rebuild the graph with each fold emitted at its batch norm's position.
  ///
  /// With `exact`, every node of a match is claimed and moved, as TensorFlow's matcher
  /// does; otherwise only the nodes that are rewritten, so that all remaining matches
  /// fold in one pass.
  ///
  /// - Returns: the new graph, or nil when nothing was folded.
  mutating func pass(over graph: Graph, pattern: BatchNormPattern, exact: Bool) -> Graph? {
    let facts = GraphFacts(graph, protected: protected)
    var claimed = [Bool](repeating: false, count: graph.nodes.count)
    var names = Set(graph.nodes.map(\.name))
    var rewrites: [Int: BatchNormRewrite] = [:]
    for head in graph.executionOrderIgnoringErrors()
    where !claimed[head] && BatchNormParameters.ops.contains(graph.nodes[head].op) {
      guard let match = BatchNormMatch(graph, head: head, pattern: pattern, index: facts.index) else { continue }
      let claims = exact ? match.core + match.leaves : match.core
      // TF parity: a node claimed by an earlier match waits for the next pass.
      guard !claims.contains(where: { claimed[$0] }) else { continue }
      var builder = RewriteBuilder(graph: graph, facts: facts, names: names, includeLeaves: exact)
      do {
        rewrites[head] = try builder.rewrite(match, pattern: pattern)
      } catch {
        refusals[graph.nodes[head].name] = error.reason
        continue
      }
      names = builder.names
      for position in claims { claimed[position] = true }
    }
    guard !rewrites.isEmpty else { return nil }
    folded += rewrites.count

    var nodes: [Node] = []
    nodes.reserveCapacity(graph.nodes.count + 2 * rewrites.count)
    for (position, node) in graph.nodes.enumerated() {
      if let rewrite = rewrites[position] {
        nodes += rewrite.replacement
      } else if !claimed[position] {
        nodes.append(node)
      }
    }
    // Unread parameters go, including any a match re-emitted (a BiasAdd's old bias).
    let parameters = Set(rewrites.values.flatMap(\.parameters).map { graph.nodes[$0].name })
    return graph.with(nodes: removingUnread(parameters, from: nodes))
  }

  /// `nodes` without those of `candidates` that no remaining node reads (through data or
  /// control inputs) and that are not `--inputs`/`--outputs` nodes.
  private func removingUnread(_ candidates: Set<String>, from nodes: [Node]) -> [Node] {
    guard !candidates.isEmpty else { return nodes }
    var pending = Array(candidates.intersection(protected))
    var candidateInputs: [String: [String]] = [:]
    for node in nodes {
      let read = node.inputs.map(\.node).filter { candidates.contains($0) }
      if candidates.contains(node.name) {
        candidateInputs[node.name] = read
      } else {
        pending += read
      }
    }
    // A kept candidate keeps the candidates it reads (a control edge between two Consts).
    var kept: Set<String> = []
    while let name = pending.popLast() {
      guard kept.insert(name).inserted else { continue }
      pending += candidateInputs[name] ?? []
    }
    return nodes.filter { !candidates.contains($0.name) || kept.contains($0.name) }
  }
}

/// What a pass needs to know about who reads what.
private struct GraphFacts {
  /// Node positions by name.
  let index: [String: Int]
  /// How many data inputs read each node.
  let dataReaders: [String: Int]
  /// The nodes with a control consumer, with the names of those consumers.
  let controlReaders: [String: [String]]
  /// For a node whose output other than 0 is read: the first such port and its reader.
  let otherOutputs: [String: (port: Int, reader: String)]
  /// The `--inputs` and `--outputs` nodes.
  let protected: Set<String>

  init(_ graph: Graph, protected: Set<String>) {
    index = graph.nodeIndex()
    dataReaders = graph.dataConsumerCounts()
    var controlReaders: [String: [String]] = [:]
    var otherOutputs: [String: (port: Int, reader: String)] = [:]
    for node in graph.nodes {
      for input in node.inputs {
        guard let port = input.port else {
          controlReaders[input.node, default: []].append(node.name)
          continue
        }
        if port != 0 && otherOutputs[input.node] == nil { otherOutputs[input.node] = (port, node.name) }
      }
    }
    self.controlReaders = controlReaders
    self.otherOutputs = otherOutputs
    self.protected = protected
  }
}

/// Checks one match and builds its replacement.
private struct RewriteBuilder {
  let graph: Graph
  let facts: GraphFacts
  /// Every name in use, including those this pass created; grows with a successful rewrite.
  var names: Set<String>
  /// Whether the convolutions' inputs and the extras are re-emitted (TensorFlow's order)
  /// or stay where they are.
  let includeLeaves: Bool

  /// The replacement of `match`.
  ///
  /// - Throws: `FoldRefusal` when the fold is not provably exact.
  mutating func rewrite(_ match: BatchNormMatch, pattern: BatchNormPattern) throws(FoldRefusal) -> BatchNormRewrite {
    let batchNorm = graph.nodes[match.head]
    let data = batchNorm.dataInputs
    guard data[0].port == 0 else { throw FoldRefusal("it reads output \(data[0].port ?? 0) of '\(data[0].node)'") }
    if let other = facts.otherOutputs[batchNorm.name] {
      throw FoldRefusal("its output \(other.port) is read by '\(other.reader)', and only output 0 can be folded")
    }
    let parameters = try BatchNormParameters(graph, at: match.head, index: facts.index)
    let producers = try match.convolutions.map { (position) throws(FoldRefusal) in try producer(at: position) }
    for producer in producers where producer.channelAxisFromEnd != parameters.channelAxisFromEnd {
      throw FoldRefusal(
        "its channel axis (\(Self.layout(parameters.channelAxisFromEnd))) differs from that of "
          + "'\(graph.nodes[producer.position].name)' (\(Self.layout(producer.channelAxisFromEnd)))")
    }

    var nodes: [Node] = []
    switch pattern {
    case .convolution:
      try requireChannels(parameters.channels, producers[0])
      nodes = try folded(
        producers[0], scale: parameters.scale, offset: parameters.offset, output: batchNorm.name,
        device: batchNorm.device, controls: batchNorm.controlInputs)
    case .biasAdd:
      guard let intermediate = match.intermediate else { throw FoldRefusal("internal: no BiasAdd") }
      try requireSoleReader(of: intermediate, head: match.head)
      try requireChannels(parameters.channels, producers[0])
      let biasAdd = graph.nodes[intermediate]
      let nchw: Bool =
        if case .s(let format)? = biasAdd.attrs["data_format"] { format == Array("NCHW".utf8) } else { false }
      guard nchw == (producers[0].channelAxisFromEnd == 2) else {
        throw FoldRefusal("the layout of '\(biasAdd.name)' differs from that of its convolution")
      }
      guard let bias = producers[0].perChannel(graph, constant: match.extras[0]) else {
        throw FoldRefusal("the bias of '\(biasAdd.name)' is not one float per output channel")
      }
      // (conv + b)·scale + offset = conv·scale + (b·scale + offset)
      let offset = zip(zip(bias, parameters.scale), parameters.offset).map { $0.0 * $0.1 + $1 }
      nodes = try folded(
        producers[0], scale: parameters.scale, offset: offset, output: batchNorm.name,
        device: batchNorm.device, controls: batchNorm.controlInputs + biasAdd.controlInputs)
      // The old bias stays only while something else reads it.
      if includeLeaves { nodes += match.extras.map { graph.nodes[$0] } }
      return BatchNormRewrite(replacement: nodes, parameters: parameters.constants + match.extras)
    case .batchToSpace:
      guard let intermediate = match.intermediate else { throw FoldRefusal("internal: no BatchToSpaceND") }
      try requireSoleReader(of: intermediate, head: match.head)
      try requireSpatialBlocks(match.extras[0], producer: producers[0])
      try requireChannels(parameters.channels, producers[0])
      let biasAdd = uniqueName(graph.nodes[producers[0].position].name + "/biasadd")
      nodes = try folded(
        producers[0], scale: parameters.scale, offset: parameters.offset, output: biasAdd,
        device: graph.nodes[producers[0].position].device, controls: [])
      if includeLeaves { nodes += match.extras.map { graph.nodes[$0] } }
      nodes.append(renamed(intermediate, as: batchNorm, inputs: [biasAdd]))
    case .concat:
      guard let intermediate = match.intermediate else { throw FoldRefusal("internal: no ConcatV2") }
      try requireSoleReader(of: intermediate, head: match.head)
      let (scales, offsets) = try split(parameters, among: producers, axis: match.extras[0])
      let concat = graph.nodes[intermediate].name
      var outputs: [String] = []
      for (slot, producer) in producers.enumerated() {
        let output = uniqueName("\(concat)_bn_in\(slot)")
        nodes += try folded(
          producer, scale: scales[slot], offset: offsets[slot], output: output,
          device: graph.nodes[producer.position].device, controls: [])
        outputs.append(output)
      }
      if includeLeaves { nodes += match.extras.map { graph.nodes[$0] } }
      nodes.append(renamed(intermediate, as: batchNorm, inputs: outputs))
    }
    // A node shared by both halves of a concatenation (their common input) is emitted
    // once, where it first appears.
    var emitted: Set<String> = []
    nodes = nodes.filter { emitted.insert($0.name).inserted }
    return BatchNormRewrite(replacement: nodes, parameters: parameters.constants)
  }

  /// The convolution at `position` with its weights, when both may change: only the
  /// batch norm path reads them, and neither is an `--inputs` or `--outputs` node.
  private func producer(at position: Int) throws(FoldRefusal) -> LinearProducer {
    let conv = graph.nodes[position]
    guard let producer = LinearProducer(graph, at: position, index: facts.index) else {
      throw FoldRefusal(
        "'\(conv.name)' does not have float32 Const weights of a known shape and layout read through output 0")
    }
    switch conv.attrs["T"] {
    case nil, .type(.float)?: break
    default: throw FoldRefusal("'\(conv.name)' does not compute in float32")
    }
    let weights = graph.nodes[producer.weightsPosition].name
    for name in [conv.name, weights] {
      let readers = facts.dataReaders[name] ?? 0
      if readers > 1 {
        throw FoldRefusal("'\(name)' has \(readers) data readers, and the others would see the folded values")
      }
      if facts.protected.contains(name) {
        throw FoldRefusal("'\(name)' is an --inputs or --outputs node, and folding would change its value")
      }
    }
    return producer
  }

  /// Requires the BatchToSpaceND or ConcatV2 to be read by the batch norm alone, since it
  /// is renamed to the batch norm's name.
  private func requireSoleReader(of position: Int, head: Int) throws(FoldRefusal) {
    let name = graph.nodes[position].name
    let readers = facts.dataReaders[name] ?? 0
    if readers > 1 {
      throw FoldRefusal("'\(name)' has \(readers) data readers, and it is to take the batch norm's name")
    }
    if let input = graph.nodes[position].dataInputs.first(where: { $0.port != 0 }) {
      throw FoldRefusal("'\(name)' reads output \(input.port ?? 0) of '\(input.node)'")
    }
    if let reader = facts.controlReaders[name]?.first(where: { $0 != graph.nodes[head].name }) {
      throw FoldRefusal("'\(reader)' has a control input on '\(name)', which takes the batch norm's name")
    }
    if facts.protected.contains(name) {
      throw FoldRefusal("'\(name)' is an --inputs or --outputs node, and it takes the batch norm's name")
    }
  }

  /// Requires a BatchToSpaceND to leave the channel axis alone: an NHWC convolution and at
  /// most two block dimensions, so that a per-channel bias commutes with it.
  private func requireSpatialBlocks(_ block: Int, producer: LinearProducer) throws(FoldRefusal) {
    let conv = graph.nodes[producer.position]
    guard conv.op != "MatMul", producer.channelAxisFromEnd == 0 else {
      throw FoldRefusal("'\(conv.name)' is not an NHWC convolution, so BatchToSpaceND may move its channels")
    }
    let node = graph.nodes[block]
    guard case .tensor(let tensor)? = node.attrs["value"], let values = try? DenseTensor(tensor).indices("block"),
      tensor.shape.rank == 1, (1...2).contains(values.count)
    else {
      throw FoldRefusal("block_shape '\(node.name)' is not one or two integers, so it may reach the channel axis")
    }
  }

  /// Requires the batch norm to have one value per output channel of `producer`.
  private func requireChannels(_ channels: Int, _ producer: LinearProducer) throws(FoldRefusal) {
    guard channels == producer.channels else {
      throw FoldRefusal(
        "it has \(channels) channels, but '\(graph.nodes[producer.position].name)' has \(producer.channels)")
    }
  }

  /// The coefficients for each half of a concatenation: along the channel axis each
  /// convolution takes its own slice, along any other axis both take them all.
  private func split(
    _ parameters: BatchNormParameters, among producers: [LinearProducer], axis position: Int
  ) throws(FoldRefusal) -> (scales: [[Float]], offsets: [[Float]]) {
    let node = graph.nodes[position]
    guard case .tensor(let tensor)? = node.attrs["value"], let axis = try? DenseTensor(tensor).scalarIndex("axis")
    else { throw FoldRefusal("axis '\(node.name)' is not one integer") }
    let convs = producers.map { graph.nodes[$0.position] }
    guard (convs[0].op == "MatMul") == (convs[1].op == "MatMul") else {
      throw FoldRefusal("'\(convs[0].name)' and '\(convs[1].name)' have outputs of different ranks")
    }
    let rank = convs[0].op == "MatMul" ? 2 : 4
    guard (-rank..<rank).contains(axis) else { throw FoldRefusal("axis \(axis) is out of range for rank \(rank)") }
    let channelAxis = rank - 1 - parameters.channelAxisFromEnd
    guard (axis + rank) % rank == channelAxis else {
      for producer in producers { try requireChannels(parameters.channels, producer) }
      return ([parameters.scale, parameters.scale], [parameters.offset, parameters.offset])
    }
    let first = producers[0].channels
    guard first + producers[1].channels == parameters.channels else {
      throw FoldRefusal(
        "it has \(parameters.channels) channels, but the concatenated '\(convs[0].name)' and "
          + "'\(convs[1].name)' have \(first) + \(producers[1].channels)")
    }
    return (
      [Array(parameters.scale[..<first]), Array(parameters.scale[first...])],
      [Array(parameters.offset[..<first]), Array(parameters.offset[first...])]
    )
  }

  /// TensorFlow's five nodes for one convolution: the scaled weights (same name), the
  /// convolution's input, the convolution, `<conv>_bn_offset`, and the BiasAdd `output`.
  private mutating func folded(
    _ producer: LinearProducer, scale: [Float], offset: [Float], output: String, device: String,
    controls: [InputRef]
  ) throws(FoldRefusal) -> [Node] {
    let conv = graph.nodes[producer.position]
    var weights = graph.nodes[producer.weightsPosition]
    let original = try? weights.tensorAttr("value")
    guard let original, let values = try? original.floatValues(),
      scale.count == producer.channels,
      let scaled = try? WeightScaling.apply([
        WeightScaling.Job(tensor: original, scale: scale, channelsInRows: producer.channelsInRows(graph))
      ]).first,
      let scaledValues = try? scaled.floatValues()
    else { throw FoldRefusal("the weights '\(weights.name)' cannot be read as \(producer.channels) channels") }
    if let element = values.indices.first(where: { values[$0].isFinite && !scaledValues[$0].isFinite }) {
      throw FoldRefusal("scaling the weights '\(weights.name)' overflows float32 at element \(element)")
    }
    weights.attrs["value"] = .tensor(scaled)

    let offsetNode = floatVectorConst(uniqueName(conv.name + "_bn_offset"), offset, device: conv.device)
    var attrs = AttrMap()
    if let format = producer.dataFormat { attrs["data_format"] = format }
    attrs["T"] = conv.attrs["T"] ?? .type(.float)
    let biasAdd = Node(
      name: output, op: "BiasAdd", inputs: [.data(conv.name), .data(offsetNode.name)] + controls,
      device: device, attrs: attrs)
    var nodes = [weights]
    if includeLeaves, let input = conv.dataInputs.first.flatMap({ facts.index[$0.node] }) {
      nodes.append(graph.nodes[input])
    }
    return nodes + [conv, offsetNode, biasAdd]
  }

  /// The BatchToSpaceND or ConcatV2 at `position` under the batch norm's name, reading
  /// `inputs` in place of its first data inputs, with the batch norm's control inputs.
  private func renamed(_ position: Int, as batchNorm: Node, inputs: [String]) -> Node {
    var node = graph.nodes[position]
    let old = node.name
    node.name = batchNorm.name
    let dataSlots = node.inputs.indices.filter { !node.inputs[$0].isControl }
    for (slot, input) in zip(dataSlots, inputs) { node.inputs[slot] = .data(input) }
    // The old name disappears, so the batch norm's control edge on it (if any) goes: the
    // data edge orders the two anyway.
    for control in batchNorm.controlInputs where control.node != old && !node.inputs.contains(control) {
      node.inputs.append(control)
    }
    return node
  }

  /// `base`, or `base_1`, `base_2`… when it is in use; the result is then in use.
  private mutating func uniqueName(_ base: String) -> String {
    reserveUnusedName(base, in: &names)
  }

  /// A channel layout for messages.
  private static func layout(_ channelAxisFromEnd: Int) -> String {
    channelAxisFromEnd == 0 ? "channels last" : "NCHW"
  }
}
