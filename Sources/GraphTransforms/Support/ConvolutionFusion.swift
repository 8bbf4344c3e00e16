// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR

/// What `fuse_pad_and_conv`, `fuse_resize_and_conv` and `fuse_resize_pad_and_conv` share:
/// the checks that a `Conv2D`, `MirrorPad` or `ResizeBilinear` can join a
/// `FusedPadConv2D` or `FusedResizeAndPadConv2D` that computes the same, and the builder
/// of the fused node.
///
/// The fused ops take no `data_format`, `dilations` or explicit padding, have CPU kernels
/// for float32 only, cannot sample at half-pixel centres, and pad only the spatial axes.
/// TensorFlow fuses without looking, so each of those convolutions becomes a node that
/// computes something else or fails; here the match is left alone instead.
enum ConvolutionFusion {
  /// Why `conv` cannot become a fused convolution with the same result, or nil when it can.
  /// `weights` is the node feeding its filter, whose shape bounds the strides that keep
  /// TensorFlow's window placement.
  static func convolutionRefusal(_ conv: Node, weights: Node) -> String? {
    guard case .type(let type)? = conv.attrs["T"] else { return "the Conv2D has no type attribute 'T'" }
    guard type == .float else {
      return "TensorFlow's fused convolutions only have float32 kernels, and the Conv2D is \(type.name)"
    }
    if let format = conv.attrs["data_format"]?.stringValue, format != "NHWC" {
      return "the Conv2D's data_format is \(format); the fused convolutions only take NHWC"
    }
    if case .list(let dilations)? = conv.attrs["dilations"], dilations.i.contains(where: { $0 != 1 }) {
      return "the Conv2D is dilated; the fused convolutions have no dilations"
    }
    guard let padding = conv.attrs["padding"]?.stringValue, padding == "SAME" || padding == "VALID" else {
      return "the Conv2D's padding is not SAME or VALID, the only ones the fused convolutions take"
    }
    guard case .list(let list)? = conv.attrs["strides"], list.i.count == 4, list.i[0] == 1, list.i[3] == 1,
      list.i[1] > 0, list.i[2] > 0
    else { return "the Conv2D's strides are not [1, h, w, 1]" }
    // TF parity: the fused kernels place their windows with C's truncating division,
    // which for some input sizes starts them later than Conv2D does: never when
    // stride ≤ filter + 1 (SAME) or stride ≤ 3 (VALID). Without a Const filter its
    // size is unknown, so SAME assumes the smallest, 1.
    var window = [Int64](repeating: 1, count: 2)
    if case .tensor(let filter)? = weights.attrs["value"], weights.op == "Const", filter.shape.rank == 4 {
      window = Array(filter.shape.sizes.prefix(2))
    }
    for axis in 0..<2 {
      let stride = list.i[axis + 1]
      // `stride − 1 > window` rather than `stride > window + 1`: a hostile filter size
      // must not overflow.
      if padding == "SAME" ? stride - 1 > window[axis] : stride > 3 {
        let limit = padding == "SAME" ? "the filter size plus one" : "3"
        return "the Conv2D's stride \(stride) is larger than \(limit), where TensorFlow's fused kernel places its "
          + "windows differently from Conv2D's"
      }
    }
    return nil
  }

  /// Why `pad` (whose paddings come from `dims`) cannot join a fused convolution, or nil.
  static func mirrorPadRefusal(_ pad: Node, dims: Node) -> String? {
    guard let mode = pad.attrs["mode"]?.stringValue, mode == "REFLECT" || mode == "SYMMETRIC" else {
      return "the MirrorPad's mode is not REFLECT or SYMMETRIC"
    }
    if case .type(let type)? = pad.attrs["Tpaddings"], type != .int32 {
      return "the MirrorPad's paddings are \(type.name); the fused convolutions take int32"
    }
    // Paddings computed at run time cannot be checked, and TensorFlow fuses them.
    guard dims.op == "Const", case .tensor(let tensor)? = dims.attrs["value"] else { return nil }
    guard tensor.shape.sizes == [4, 2], let values = try? tensor.int32Values() else {
      return "the MirrorPad's paddings are not a 4x2 int32 Const"
    }
    if values[0] != 0 || values[1] != 0 || values[6] != 0 || values[7] != 0 {
      return "the MirrorPad pads the batch or channel axis, which the fused convolutions refuse"
    }
    return nil
  }

  /// Why `resize` cannot join a fused convolution, or nil.
  static func resizeRefusal(_ resize: Node) -> String? {
    if case .b(true)? = resize.attrs["half_pixel_centers"] {
      return "the ResizeBilinear samples at half-pixel centres, which the fused convolution cannot"
    }
    if case .type(let type)? = resize.attrs["T"], type != .float {
      return "the ResizeBilinear's input is \(type.name); the fused convolution reads float32"
    }
    return nil
  }

  /// The fused node, named as `conv` and on its device, with `conv`'s `T`, `padding` and
  /// `strides`, MirrorPad's `mode`, and with `alignCorners` when it resizes.
  static func fusedNode(
    _ op: String, replacing conv: Node, inputs: [InputRef], mode: AttrValue, alignCorners: Bool?
  ) -> Node {
    var attrs: AttrMap = [:]
    if let alignCorners { attrs["resize_align_corners"] = .b(alignCorners) }
    attrs["mode"] = mode
    for key in ["T", "padding", "strides"] { attrs[key] = conv.attrs[key] }
    return Node(name: conv.name, op: op, inputs: inputs, device: conv.device, attrs: attrs)
  }

  /// The `differences` lines the three fuse transforms share.
  enum Difference {
    static let batch =
      "leaves alone a convolution whose batch is known to hold several images, which TensorFlow's fused kernel gets wrong"
    static let convolution =
      "leaves alone a Conv2D the fused op cannot reproduce (non-float, NCHW, dilated, EXPLICIT, large stride)"
    static let mirrorPad =
      "leaves alone a MirrorPad with int64 paddings or a Const padding the batch or channel axis"
    static let resize =
      "leaves alone a ResizeBilinear with half-pixel centres or a non-float image"
    static let alignCorners =
      "a missing align_corners reads as false instead of aborting"
    static let repeatedNode =
      "emits a node that fills two places of the match once"
    static let device =
      "the fused node keeps the Conv2D's device"
  }

  /// The `align_corners` of `resize`; false, its default, when absent.
  static func alignCorners(_ resize: Node) -> Bool {
    if case .b(let value)? = resize.attrs["align_corners"] { return value }
    return false
  }

  /// `nodes` with later nodes of an already seen name left out: TensorFlow emits a node
  /// twice when one node fills two places of a match, which no importer accepts.
  static func deduplicated(_ nodes: [Node]) -> [Node] {
    var seen: Set<String> = []
    return nodes.filter { seen.insert($0.name).inserted }
  }

  /// Decides, from the shapes the graph fixes, whether a fused convolution computes what
  /// the nodes it replaces do, as far as the batch goes. TensorFlow 2.21's fused kernels
  /// give every image of a batch the first image's result, so a fusion is right only for
  /// batches of one image.
  struct BatchCheck {
    let graph: Graph
    private var infos: [String: [StaticTensorInfo]]?
    /// Fusions allowed although the graph does not fix their batch size.
    private(set) var uncertain = 0

    init(_ graph: Graph) { self.graph = graph }

    /// Why a fused convolution whose image comes from `input` would compute something
    /// else (the batch is known to hold several images), or nil. A nil for an unknown
    /// batch is counted in `uncertain`.
    mutating func refusal(for input: InputRef) -> String? {
      // Shapes are worked out once, and only for graphs that have a match.
      if infos == nil { infos = graph.staticOutputInfos() }
      let port = input.port ?? 0
      guard let outputs = infos?[input.node], port < outputs.count, let batch = outputs[port].shape?.first else {
        uncertain += 1
        return nil
      }
      guard batch <= 1 else {
        return "the image batch holds \(batch) images, and TensorFlow 2.21's fused kernels give every image "
          + "the first one's result"
      }
      return nil
    }

    /// Warns, once, about the fusions whose batch size the graph leaves open.
    func warn(_ op: String, _ context: TransformContext) {
      guard uncertain > 0 else { return }
      context.report(
        .warning,
        "fused \(uncertain) convolution(s) whose batch size the graph leaves open; TensorFlow 2.21's \(op) "
          + "kernel gives every image of a batch the first one's result, so the graph is right only for one "
          + "image at a time (fix the input shape, e.g. strip_unused_nodes(shape=\"1,…\"), to fuse only where "
          + "that holds)")
    }
  }
}
