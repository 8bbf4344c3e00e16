// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR

// What fold_old_batch_norms needs to know about a batch-norm node: in inference mode every
// batch-norm op is a per-channel affine map y = x·scale + offset, computed from four
// constant vectors, and that map is what moves into the convolution before it.

/// Why a pattern that looks foldable is left as it is; the reason becomes a remark.
struct FoldRefusal: Error {
  /// Lowercase, without a trailing period, naming nodes in quotes.
  let reason: String

  /// A refusal with its reason.
  init(_ reason: String) { self.reason = reason }
}

/// An inference-mode batch norm reduced to `y[…, c] = x[…, c] · scale[c] + offset[c]`.
struct BatchNormParameters {
  /// The batch-norm ops understood; all have five data inputs.
  static let ops: Set<String> = [
    "BatchNormWithGlobalNormalization", "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3",
  ]

  /// The factor per channel.
  let scale: [Float]
  /// The term added per channel, after scaling.
  let offset: [Float]
  /// How far the normalised axis is from the last axis: 0 for channels-last, 2 for NCHW.
  let channelAxisFromEnd: Int
  /// The positions of the mean, variance, beta (offset) and gamma (scale) `Const`s.
  let constants: [Int]

  /// The number of channels.
  var channels: Int { scale.count }

  /// Reads the batch norm at `position`, whose op is one of `ops` with five data inputs of
  /// which the last four are `Const` nodes.
  ///
  /// - Throws: `FoldRefusal` when it is not in inference mode, an attribute or a parameter
  ///   is missing, malformed or not float32, or the coefficients are not finite.
  init(_ graph: Graph, at position: Int, index: [String: Int]) throws(FoldRefusal) {
    let node = graph.nodes[position]
    let isFused = node.op != "BatchNormWithGlobalNormalization"
    let data = node.dataInputs
    guard data.count == 5 else { throw FoldRefusal("expected 5 data inputs, found \(data.count)") }

    try Self.requireFloat(node, "T")
    var epsilon: Float
    var scaleAfterNormalization = true
    if isFused {
      // TF parity: the op defs' defaults are is_training=true and epsilon=0.0001.
      switch node.attrs["is_training"] {
      case .b(false)?: break
      case .b(true)?:
        throw FoldRefusal("is_training is true: a training-mode batch norm uses the statistics of each batch")
      case nil:
        throw FoldRefusal(
          "is_training is not set, and its default (true) means the statistics of each batch are used")
      case let other?: throw FoldRefusal("attr 'is_training' holds \(other.kindName), expected a bool")
      }
      if node.op != "FusedBatchNorm" { try Self.requireFloat(node, "U") }
      switch node.attrs["epsilon"] {
      case nil: epsilon = 0.0001
      case .f(let value)?: epsilon = value
      case let other?: throw FoldRefusal("attr 'epsilon' holds \(other.kindName), expected a float")
      }
    } else {
      guard case .f(let value)? = node.attrs["variance_epsilon"] else {
        throw FoldRefusal("attr 'variance_epsilon' is missing or not a float")
      }
      guard case .b(let flag)? = node.attrs["scale_after_normalization"] else {
        throw FoldRefusal("attr 'scale_after_normalization' is missing or not a bool")
      }
      epsilon = value
      scaleAfterNormalization = flag
    }
    channelAxisFromEnd = try Self.channelAxisFromEnd(node, isFused: isFused)

    // BatchNormWithGlobalNormalization(t, mean, variance, beta, gamma);
    // FusedBatchNorm*(x, scale = gamma, offset = beta, mean, variance).
    let slots = isFused ? [3, 4, 2, 1] : [1, 2, 3, 4]
    let roles = ["mean", "variance", "beta", "gamma"]
    var vectors: [[Float]] = []
    var constants: [Int] = []
    for (slot, role) in zip(slots, roles) {
      let input = data[slot]
      guard input.port == 0, let source = index[input.node] else {
        throw FoldRefusal("its \(role) input '\(input)' is not output 0 of a node in the graph")
      }
      let values = try Self.vector(graph.nodes[source], role: role)
      if let first = vectors.first, values.count != first.count {
        throw FoldRefusal("its \(role) has \(values.count) values but its mean has \(first.count)")
      }
      vectors.append(values)
      constants.append(source)
    }
    let (mean, variance, beta, gamma) = (vectors[0], vectors[1], vectors[2], vectors[3])

    // TF parity: the same float32 expressions as TensorFlow, so the results match bit for bit.
    var scale = [Float](repeating: 0, count: mean.count)
    var offset = scale
    for channel in mean.indices {
      let inverse = 1 / (variance[channel] + epsilon).squareRoot()
      scale[channel] = scaleAfterNormalization ? inverse * gamma[channel] : inverse
      offset[channel] = (-mean[channel] * scale[channel]) + beta[channel]
    }
    if let channel = mean.indices.first(where: { !scale[$0].isFinite || !offset[$0].isFinite }) {
      throw FoldRefusal(
        "channel \(channel) gives scale \(scale[channel]) and offset \(offset[channel]), which are not finite")
    }
    self.scale = scale
    self.offset = offset
    self.constants = constants
  }

  /// Refuses a type attribute that is present and not float32: the folded weights are
  /// float32, and so is the BiasAdd that replaces the batch norm.
  private static func requireFloat(_ node: Node, _ attr: String) throws(FoldRefusal) {
    switch node.attrs[attr] {
    case nil, .type(.float)?: return
    case .type(let type)?: throw FoldRefusal("attr '\(attr)' is \(type), and only float32 is folded")
    case let other?: throw FoldRefusal("attr '\(attr)' holds \(other.kindName), expected a type")
    }
  }

  /// The layout of a batch norm's input: BatchNormWithGlobalNormalization normalises the
  /// last axis; the fused ops follow `data_format`, NHWC when absent.
  private static func channelAxisFromEnd(_ node: Node, isFused: Bool) throws(FoldRefusal) -> Int {
    guard isFused, let format = node.attrs["data_format"] else { return 0 }
    switch format.stringValue {
    case "NHWC": return 0
    case "NCHW": return 2
    default: throw FoldRefusal("data_format \(describe(format)) is not NHWC or NCHW")
    }
  }

  /// The values of a float32 `Const` of rank 1.
  private static func vector(_ node: Node, role: String) throws(FoldRefusal) -> [Float] {
    guard node.op == "Const", case .tensor(let tensor)? = node.attrs["value"] else {
      throw FoldRefusal("its \(role) '\(node.name)' is not a Const with a 'value' tensor")
    }
    guard tensor.dtype == .float else {
      throw FoldRefusal("its \(role) '\(node.name)' is \(tensor.dtype), and only float32 is folded")
    }
    guard let dense = try? DenseTensor(tensor), let values = dense.values(as: Float.self) else {
      throw FoldRefusal("its \(role) '\(node.name)' has a 'value' tensor that cannot be read")
    }
    guard dense.rank == 1, !values.isEmpty else {
      throw FoldRefusal("its \(role) '\(node.name)' has shape \(dense.shape), expected one value per channel")
    }
    return values
  }

  /// An attribute value for a message: a string in quotes, else its kind.
  private static func describe(_ value: AttrValue) -> String {
    value.stringValue.map { "'\($0)'" } ?? value.kindName
  }
}
