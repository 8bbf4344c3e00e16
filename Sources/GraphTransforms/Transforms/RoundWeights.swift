// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Rounds every large float `Const` to `num_steps` evenly spaced levels, so that the file
/// stays float (no new ops) but compresses far better under zip.
///
///     w = Const() {dtype: float, value: float[3,3,64,64]}
///       ⟶   w = Const() {dtype: float, value: float[3,3,64,64], each value moved to the
///                                  centre of its level}                  (num_steps=256)
///
/// Skips `Const`s that are not float or hold fewer than 16 elements. With `min` and `max`
/// the tensor's extremes and `width = (max − min)/num_steps`, each value `v` becomes
/// `min + width · (floor((v − min)/width) + 0.5)`, in float arithmetic, so every value
/// moves by at most half a level. The maximum itself lands half a level above the range (a
/// `num_steps + 1`-th value), as in TensorFlow.
///
/// TF parity: the same arithmetic, bit for bit, on ordinary tensors, the maximum included.
/// Putting the maximum at the centre of the top level instead (the error is half a level
/// either way) made the output error of a frozen EfficientNet-B0 1.4–2.35 times TensorFlow's
/// on six random inputs out of six, so it is not done. Deliberate deviations:
/// - an all-negative tensor is rounded over its own range. TensorFlow's running maximum
///   starts at `FLT_MIN` (1.2e-38), so it rounds over `min…0`: values in −4…−1 with 4 steps
///   come out as −3.5, −2.5, −1.5, −0.5 rather than levels of −4…−1 (−3.625, −2.875,
///   −2.125, −1.375, and −0.625 for the maximum);
/// - zeros stay exactly zero (TensorFlow moves them to the centre of their level), so the
///   zeros of a pruned model survive;
/// - a constant tensor, and one without two distinct finite values, is left unchanged
///   (TensorFlow moves a constant `c` to about `c + c/512`);
/// - NaN and infinities are kept as they are and take no part in the range; in TensorFlow
///   an infinity makes every value NaN and NaN becomes a large finite number;
/// - `num_steps` below 1 is an error (TensorFlow writes infinities), and so is one above
///   2^23 (8,388,608), finer than float can tell apart over most ranges;
/// - only the `value` attribute changes; TensorFlow rebuilds the node with just `dtype` and
///   `value`, dropping its device, control inputs and other attributes.
public struct RoundWeights: GraphTransform {
  /// The transform's name in transform strings, as TensorFlow spells it.
  public static let name = "round_weights"
  /// One line for `--help`.
  public static let summary =
    "Round large float Consts to num_steps levels, so the graph compresses much better."
  /// Everything accepted between the parentheses.
  public static let parameters: [ParameterSpec] = [
    ParameterSpec("num_steps", .int, default: "256", help: "the number of levels per tensor (1 to 8388608)")
  ]
  /// The rewrite, as in the doc comment above.
  public static let rewrite = """
    w = Const() {dtype: float, value: float[3,3,64,64]}
      ⟶   w = Const() {dtype: float, value: float[3,3,64,64], each value moved to the
                                 centre of its level}                  (num_steps=256)
    """
  /// Where it deliberately differs from TensorFlow; see the doc comment.
  public static let differences = [
    "all-negative tensors are rounded over their own range; TensorFlow's range starts at 1.2e-38",
    "zeros stay exactly zero",
    "constant tensors, NaN and infinities are kept as they are; in TensorFlow one infinity makes every value NaN",
    "num_steps below 1 or above 2^23 is an error; TensorFlow writes infinities for 0",
    "only the value changes; TensorFlow drops the Const's device, control inputs and other attributes",
  ]

  /// TensorFlow's fixed size threshold.
  static let minimumSize = 16

  let steps: Int

  /// Reads and checks the arguments.
  public init(arguments: TransformArguments) throws(TransformArgumentError) {
    let steps = try arguments.int("num_steps") ?? 256
    // Float has 24 bits of mantissa, so much finer levels could not be told apart; the
    // kernel's floor (adding and subtracting 2^23) is exact for buckets below 2^23.
    guard steps >= 1, steps <= 1 << 23 else {
      throw TransformArgumentError(
        transform: Self.name, parameter: "num_steps",
        "parameter 'num_steps' must be between 1 and 8388608, found \(steps), e.g. round_weights(num_steps=256)")
    }
    self.steps = Int(steps)
  }

  /// One `Const` being rounded.
  struct Job: Sendable {
    var node: Int
    var elements: FloatElements
    var minimum: Float = 0
    var width: Float = 0
    /// Whether the tensor is rounded (false: left unchanged).
    var rounded = false
  }

  /// Returns the rewritten graph, as described on the type.
  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    var jobs = try graph.floatConstants(minimumSize: Self.minimumSize).map {
      Job(node: $0.position, elements: $0.elements)
    }
    guard !jobs.isEmpty else { return graph }

    let scans = Parallel.scan(jobs.map(\.elements))
    var unchanged = 0
    for index in jobs.indices {
      let scan = scans[index]
      let width = (scan.maximum - scan.minimum) / Float(steps)
      // No two distinct finite values, or a range wider than the floats: nothing to round.
      guard scan.minimum < scan.maximum, width.isFinite, width > 0 else {
        if scan.minimum < scan.maximum {
          context.report(
            .warning, "left unchanged: its values span more than the float range can hold",
            node: graph.nodes[jobs[index].node].name)
        }
        unchanged += 1
        continue
      }
      jobs[index].minimum = scan.minimum
      jobs[index].width = width
      jobs[index].rounded = true
    }

    let steps = steps
    var nodes = graph.nodes
    var rounded = 0
    for job in jobs where job.rounded {
      var node = nodes[job.node]
      guard case .tensor(let original)? = node.attrs["value"] else { continue }
      let values = deferredOutput(count: job.elements.count, elementSize: 4) { range, output in
        FloatKernels.round(
          job.elements.base, range, into: output, minimum: job.minimum, width: job.width, steps: steps)
      }
      node.attrs["value"] = .tensor(Tensor(dtype: .float, shape: original.shape, content: values))
      nodes[job.node] = node
      rounded += 1
    }
    var remark = "rounded \(rounded) float Consts to at most \(steps) levels each"
    if unchanged > 0 { remark += "; left \(unchanged) without two distinct finite values unchanged" }
    context.report(.remark, remark)
    return graph.with(nodes: nodes)
  }
}
