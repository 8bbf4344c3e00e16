// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Stores every large float `Const` as eight-bit codes plus a range, behind a `Dequantize`
/// that keeps the `Const`'s name, so that every consumer keeps working and the file shrinks
/// to about a quarter.
///
///     w = Const() {dtype: float, value: float[3,3,64,64]}
///       ⟶   w_quantized_const = Const() {dtype: quint8, value: quint8[3,3,64,64]}
///           w_quantized_min = Const() {dtype: float, value: float[] = min}
///           w_quantized_max = Const() {dtype: float, value: float[] = max}
///           w = Dequantize(w_quantized_const, w_quantized_min, w_quantized_max) {T: quint8, mode: "MIN_FIRST"}
///
/// Skips `Const`s that are not float or hold fewer than `minimum_size` elements. The four
/// nodes take the `Const`'s place in the node order. Each value `v` becomes
/// `clamp(round(v · 255/(max − min)) − round(min · 255/(max − min)), 0, 255)` over the
/// range `min = min(values, 0)`, `max = max(values, 0)`; `Dequantize` maps code `q` back
/// to `round(min/step) · step + q · step` with `step = (max − min)/255`.
///
/// TF parity: the same nodes, names, order, attributes and, for ordinary tensors, the same
/// quint8 codes and range, bit for bit (`QuantizeWeightsTests` checks committed fixtures
/// made by TensorFlow 2.21). Deliberate deviations, each where TensorFlow's output is
/// wrong:
/// - an all-zero tensor gets the range 0…1. TensorFlow's running maximum starts at
///   `FLT_MIN`, so it writes 0…1.2e-38, whose step `Dequantize` flushes to zero before
///   dividing by it: every value, and every output of the graph, becomes NaN;
/// - an all-negative tensor gets a maximum of 0 rather than that 1.2e-38 (same codes);
/// - a constant tensor gets a range that gives its value back exactly; TensorFlow's misses
///   by an ulp for about 0.4% of values. Any range whose step would be subnormal is
///   widened to a normal one, for the same NaN reason;
/// - where TensorFlow's quantizer and `Dequantize` round the code of 0.0 differently (the
///   range's minimum sits within an ulp or so of half a step; about 1 tensor in 200,000),
///   TensorFlow's output gives back every value, 0.0 included, one step off. The range is
///   nudged by an ulp or two until both agree, so 0.0 is always exactly representable and
///   zeros (from `prune_weights`, say) stay exactly zero;
/// - NaN becomes the code of 0.0 and infinities clamp to the range's ends, with a warning,
///   and neither takes part in the range; in TensorFlow one infinity makes every value NaN;
/// - a tensor whose finite values span more than the float range is left alone, with a
///   warning (TensorFlow: all NaN);
/// - the `Const`'s control inputs move to the `Dequantize`; TensorFlow drops them, which
///   makes a constant inside a TF1 `cond` branch live in both branches.
///
/// An empty tensor (possible only with `minimum_size=0`) is left alone; TensorFlow quantizes it
/// to an empty quint8 tensor with the range 0…1.2e-38.
///
/// As in TensorFlow, the new nodes have no device, and other attributes of the `Const`
/// (such as `_output_shapes`) are not carried over.
public struct QuantizeWeights: GraphTransform {
  /// The transform's name in transform strings, as TensorFlow spells it.
  public static let name = "quantize_weights"
  /// One line for `--help`.
  public static let summary =
    "Store large float Consts as eight-bit codes behind a Dequantize (about a quarter of the size)."
  /// Everything accepted between the parentheses.
  public static let parameters: [ParameterSpec] = [
    ParameterSpec(
      "minimum_size", .int, default: "1024",
      help: "only Consts with at least this many elements are quantized")
  ]
  /// The rewrite, as in the doc comment above.
  public static let rewrite = """
    w = Const() {dtype: float, value: float[3,3,64,64]}
      ⟶   w_quantized_const = Const() {dtype: quint8, value: quint8[3,3,64,64]}
          w_quantized_min = Const() {dtype: float, value: float[] = min}
          w_quantized_max = Const() {dtype: float, value: float[] = max}
          w = Dequantize(w_quantized_const, w_quantized_min, w_quantized_max) {T: quint8, mode: "MIN_FIRST"}
    """
  /// Where it deliberately differs from TensorFlow; see the doc comment.
  public static let differences = [
    "all-zero, constant and all-negative tensors get ranges that give their values back; TensorFlow's all-zero range makes Dequantize return NaN",
    "the range is nudged so that 0.0 is exactly representable",
    "NaN and infinities are handled with a warning, and a tensor wider than the float range is left alone; TensorFlow returns NaN",
    "the Const's control inputs move to the Dequantize; TensorFlow drops them",
  ]

  let minimumSize: Int

  /// Reads and checks the arguments.
  public init(arguments: TransformArguments) throws(TransformArgumentError) {
    let size = try arguments.int("minimum_size") ?? 1024
    guard size >= Int64(Int32.min), size <= Int64(Int32.max) else {
      throw TransformArgumentError(
        transform: Self.name, parameter: "minimum_size",
        "parameter 'minimum_size' must fit in 32 bits, found \(size)")
    }
    // TF parity: TensorFlow compares the element count (unsigned) with the int32 size, so a
    // negative size means "larger than any tensor" and nothing is quantized.
    minimumSize = size < 0 ? Int.max : Int(size)
  }

  /// One `Const` being quantized.
  struct Job: Sendable {
    var node: Int
    var elements: FloatElements
    var range = MinFirstRange(min: 0, max: 1)
    /// Whether every value is finite (the fast kernel's condition).
    var finite = true
    /// Whether the tensor is quantized (false: left alone, with a warning).
    var quantized = false
  }

  /// Returns the rewritten graph, as described on the type.
  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    var jobs = try graph.floatConstants(minimumSize: minimumSize).map { Job(node: $0.position, elements: $0.elements) }
    guard !jobs.isEmpty else { return graph }

    let scans = Parallel.scan(jobs.map(\.elements))
    var nudged = 0
    for index in jobs.indices {
      let scan = scans[index]
      let name = graph.nodes[jobs[index].node].name
      guard let range = MinFirstRange.range(for: scan) else {
        context.report(
          .warning, "left as float: its finite values span more than the float range can hold", node: name)
        continue
      }
      if scan.nonFinite > 0 {
        context.report(
          .warning,
          "\(scan.nonFinite) of its \(jobs[index].elements.count) values are NaN or infinite; "
            + "NaN becomes 0 and infinities become the range's ends", node: name)
      }
      let tensorFlows = MinFirstRange.tensorFlowRange(lowest: scan.minimum, highest: scan.maximum)
      if scan.minimum < scan.maximum, range != tensorFlows { nudged += 1 }
      jobs[index].range = range
      jobs[index].finite = scan.nonFinite == 0
      jobs[index].quantized = true
    }

    // Build the new node list; the codes are computed when the graph is written. The
    // replacements are in node order, as the jobs are.
    var replacements: [(position: Int, nodes: [Node])] = []
    var quantizedValues = 0
    for job in jobs where job.quantized {
      let original = graph.nodes[job.node]
      let codes = deferredOutput(count: job.elements.count, elementSize: 1) { range, output in
        let codes = output.assumingMemoryBound(to: UInt8.self)
        if job.finite {
          FloatKernels.quantizeFinite(
            job.elements.base, range, into: codes, rangeScale: job.range.rangeScale,
            zeroOffset: job.range.zeroOffset)
        } else {
          FloatKernels.quantize(
            job.elements.base, range, into: codes, rangeScale: job.range.rangeScale,
            zeroOffset: job.range.zeroOffset, nanCode: job.range.code(for: 0))
        }
      }
      replacements.append((job.node, quantizedNodes(for: original, job: job, codes: codes)))
      quantizedValues += job.elements.count
    }
    var nodes: [Node] = []
    nodes.reserveCapacity(graph.nodes.count + 3 * replacements.count)
    var next = 0
    for (position, replacement) in replacements {
      nodes += graph.nodes[next..<position]
      nodes += replacement
      next = position + 1
    }
    nodes += graph.nodes[next...]
    var remark = "quantized \(replacements.count) float Consts (\(quantizedValues) values) to quint8"
    if nudged > 0 {
      remark += "; nudged \(nudged) ranges by an ulp or so to keep 0.0 exact"
    }
    context.report(.remark, remark)
    return graph.with(nodes: nodes)
  }

  /// The four nodes that replace `original`, in TensorFlow's order.
  func quantizedNodes(for original: Node, job: Job, codes: SharedBytes) -> [Node] {
    let name = original.name
    let shape =
      original.attrs["value"].flatMap { value -> TensorShape? in
        if case .tensor(let tensor) = value { return tensor.shape }
        return nil
      } ?? TensorShape([Int64(job.elements.count)])
    let quantized = Node(
      name: name + "_quantized_const", op: "Const",
      attrs: [
        "dtype": .type(.quint8),
        "value": .tensor(Tensor(dtype: .quint8, shape: shape, content: codes)),
      ])
    let minimum = Self.scalarConst(name + "_quantized_min", job.range.min)
    let maximum = Self.scalarConst(name + "_quantized_max", job.range.max)
    let dequantize = Node(
      name: name, op: "Dequantize",
      inputs: [.data(quantized.name), .data(minimum.name), .data(maximum.name)] + original.controlInputs,
      attrs: ["T": .type(.quint8), "mode": .string("MIN_FIRST")])
    return [quantized, minimum, maximum, dequantize]
  }

  /// A scalar float `Const`, stored as `tensor_content` as TensorFlow writes it.
  static func scalarConst(_ name: String, _ value: Float) -> Node {
    let bytes = withUnsafeBytes(of: value.bitPattern.littleEndian) { SharedBytes($0) }
    return Node(
      name: name, op: "Const",
      attrs: ["dtype": .type(.float), "value": .tensor(Tensor(dtype: .float, shape: .scalar, content: bytes))])
  }
}
