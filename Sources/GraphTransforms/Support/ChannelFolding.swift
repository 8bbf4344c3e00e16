// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR

// The algebra shared by fold_batch_norms and fold_old_batch_norms: a convolution or
// MatMul whose weights are a float Const is linear in its weights per output channel, so
// a per-channel scale after it moves into the weights, and a per-channel offset into a
// BiasAdd.

/// A Conv2D, DepthwiseConv2dNative or MatMul whose weights are a float `Const`, with
/// what a fold needs to know about its output channels.
struct LinearProducer {
  /// The producer's position in the graph.
  let position: Int
  /// The position of the weights `Const`.
  let weightsPosition: Int
  /// The number of output channels.
  let channels: Int
  /// How far the channel axis of the output is from its last axis: 0 for NHWC and
  /// MatMul, 2 for NCHW.
  let channelAxisFromEnd: Int
  /// The producer's `data_format` attribute, to copy onto a new BiasAdd.
  let dataFormat: AttrValue?

  /// The ops this fold handles.
  static let ops: Set<String> = ["Conv2D", "DepthwiseConv2dNative", "MatMul"]

  /// The producer at `position`, or nil when it is not one of `ops`, its weights are not
  /// a float `Const` of the expected rank, or its layout is not understood.
  init?(_ graph: Graph, at position: Int, index: [String: Int]) {
    let node = graph.nodes[position]
    guard Self.ops.contains(node.op) else { return nil }
    let data = node.dataInputs
    guard data.count == 2, data[1].port == 0, let weights = index[data[1].node] else { return nil }
    let weightsNode = graph.nodes[weights]
    guard weightsNode.op == "Const", case .tensor(let tensor)? = weightsNode.attrs["value"], tensor.dtype == .float,
      tensor.shape.isFullyDefined
    else { return nil }
    let dims = tensor.shape.sizes.map { Int($0) }
    var axisFromEnd = 0
    switch node.op {
    case "MatMul":
      guard dims.count == 2 else { return nil }
      if case .b(true)? = node.attrs["transpose_a"] { return nil }
      let transposed: Bool = if case .b(true)? = node.attrs["transpose_b"] { true } else { false }
      channels = transposed ? dims[0] : dims[1]
    default:
      guard dims.count == 4 else { return nil }
      channels = node.op == "Conv2D" ? dims[3] : dims[2] * dims[3]
      switch node.attrs["data_format"] {
      case nil: break
      case .s(let format)? where format == Array("NHWC".utf8): break
      case .s(let format)? where format == Array("NCHW".utf8): axisFromEnd = 2
      default: return nil
      }
    }
    guard channels > 0 else { return nil }
    self.position = position
    self.weightsPosition = weights
    self.channelAxisFromEnd = axisFromEnd
    self.dataFormat = node.attrs["data_format"]
  }

  /// Whether output channels are the weights' rows (a MatMul with `transpose_b`) rather
  /// than their last axis.
  func channelsInRows(_ graph: Graph) -> Bool {
    if case .b(true)? = graph.nodes[position].attrs["transpose_b"] { return true }
    return false
  }

  /// The values of a float `Const` as one value per output channel, when it broadcasts
  /// against this producer's output as a per-channel (or scalar) constant: every axis
  /// other than the channel axis has size 1. Nil otherwise, or when it is not a `Const`.
  func perChannel(_ graph: Graph, constant position: Int) -> [Float]? {
    let node = graph.nodes[position]
    guard node.op == "Const", case .tensor(let tensor)? = node.attrs["value"], tensor.dtype == .float,
      let dense = try? DenseTensor(tensor), let values = dense.values(as: Float.self)
    else { return nil }
    let shape = dense.shape
    if values.count == 1 {
      // A scalar (or all-ones shape) applies to every channel. Its rank must not exceed
      // the output's (4 for a convolution, 2 for MatMul) or it would add axes.
      guard shape.count <= (graph.nodes[self.position].op == "MatMul" ? 2 : 4) else { return nil }
      return Array(repeating: values[0], count: channels)
    }
    guard values.count == channels else { return nil }
    let channelAxis = shape.count - 1 - channelAxisFromEnd
    guard channelAxis >= 0, shape[channelAxis] == channels,
      shape.count <= (graph.nodes[self.position].op == "MatMul" ? 2 : 4)
    else { return nil }
    return values
  }
}

extension Graph {
  /// For each node, how many data inputs of other nodes read it (control inputs are not
  /// counted: a control edge orders execution and does not read the value, so it never
  /// blocks a fold).
  func dataConsumerCounts() -> [String: Int] {
    var counts: [String: Int] = [:]
    for node in nodes {
      for input in node.inputs where !input.isControl { counts[input.node, default: 0] += 1 }
    }
    return counts
  }
}

/// A float `Const` node holding `values` as a rank-1 tensor.
func floatVectorConst(_ name: String, _ values: [Float], device: String = "") -> Node {
  Node(
    name: name, op: "Const", device: device,
    attrs: ["dtype": .type(.float), "value": .tensor(DenseTensor(values, shape: [values.count]).tensor)])
}

/// Per-channel scales for weight tensors, applied in one batch (Conv2D weights are HWIO and
/// DepthwiseConv2dNative's HW·in·multiplier, so the output channel of a flat element is its
/// index modulo the channel count): the new tensors are computed when the graph is written
/// (`deferredOutput`), on all cores, reading the old ones where they lie (often in the
/// memory-mapped input). Scaling a ResNet-50's 94 MB of convolution weights tensor by
/// tensor through `DenseTensor` copies cost 0.2 s; in one output arena it cost the page
/// faults of 94 MB of new memory; now it costs one pass over the old bytes.
struct WeightScaling {
  /// One tensor to scale: output channel `k` of element `i` is `i % channels`, or, when
  /// `channelsInRows`, row `i / (count / channels)` (a MatMul with `transpose_b`).
  struct Job {
    var tensor: Tensor
    var scale: [Float]
    var channelsInRows: Bool
  }

  /// The scaled tensors, in the order of `jobs`.
  ///
  /// - Throws: `TransformError` when a tensor is not float32 with a multiple of its
  ///   scale's length in elements, or memory runs out.
  static func apply(_ jobs: [Job]) throws -> [Tensor] {
    guard !jobs.isEmpty else { return [] }
    var sources: [FloatElements] = []
    for job in jobs {
      guard let elements = try job.tensor.floatElements(), !job.scale.isEmpty, elements.count % job.scale.count == 0
      else { throw TransformError("weights of \(job.tensor.shape) do not have \(job.scale.count) output channels") }
      sources.append(elements)
    }
    return jobs.indices.map { index in
      let source = sources[index]
      let scale = jobs[index].scale
      let inRows = jobs[index].channelsInRows
      let rowLength = inRows ? source.count / scale.count : scale.count
      let scaled = deferredOutput(count: source.count, elementSize: 4) { range, output in
        scale.withUnsafeBufferPointer { scale in
          Self.scale(source, range, rowLength: rowLength, channelsInRows: inRows, by: scale, into: output)
        }
      }
      return Tensor(dtype: .float, shape: jobs[index].tensor.shape, content: scaled)
    }
  }

  /// Scales elements `range` of `source` into `output` (addressed by element index): by
  /// `scale[row]` for every element of a row when `channelsInRows`, else by `scale[column]`.
  static func scale(
    _ source: FloatElements, _ range: Range<Int>, rowLength: Int, channelsInRows: Bool,
    by scale: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawPointer
  ) {
    guard let factors = scale.baseAddress.map(UnsafeRawPointer.init) else { return }
    let input = source.base
    var index = range.lowerBound
    while index < range.upperBound {
      // One row segment at a time; the weights may be unaligned (borrowed from the file).
      let row = index / rowLength
      let end = Swift.min(range.upperBound, (row &+ 1) &* rowLength)
      var column = index &- row &* rowLength
      if channelsInRows {
        let factor = scale[row]
        let lanes = SIMD8<Float>(repeating: factor)
        while index &+ 8 <= end {
          output.storeBytes(
            of: input.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self) * lanes,
            toByteOffset: index &* 4, as: SIMD8<Float>.self)
          index &+= 8
        }
        while index < end {
          output.storeBytes(of: source[index] * factor, toByteOffset: index &* 4, as: Float.self)
          index &+= 1
        }
      } else {
        while index &+ 8 <= end {
          let lanes = factors.loadUnaligned(fromByteOffset: column &* 4, as: SIMD8<Float>.self)
          output.storeBytes(
            of: input.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self) * lanes,
            toByteOffset: index &* 4, as: SIMD8<Float>.self)
          index &+= 8
          column &+= 8
        }
        while index < end {
          output.storeBytes(of: source[index] * scale[column], toByteOffset: index &* 4, as: Float.self)
          index &+= 1
          column &+= 1
        }
      }
    }
  }
}
