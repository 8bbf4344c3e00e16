// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Merges a `ResizeBilinear` and the `MirrorPad` after it into the `Conv2D` that reads
/// them: one `FusedResizeAndPadConv2D`, which interpolates and pads while it gathers the
/// convolution's patches instead of writing two enlarged copies of the image.
///
///     r = ResizeBilinear(x, size; align_corners=a);  p = MirrorPad(r, dims; mode=m);
///     y = Conv2D(p, w; T, padding, strides)
///       ⟶   y = FusedResizeAndPadConv2D(x, size, dims, w;
///                 resize_align_corners=a, mode=m, T, padding, strides)
///
/// The weights and `dims` are emitted again, where the `Conv2D` was, followed by the
/// fused node, which takes the `Conv2D`'s name and device. The `ResizeBilinear` and the
/// `MirrorPad` disappear; a match where other nodes read either is left as it is.
///
/// A match is also left as it is, with a remark, when the fused node would not compute
/// the same: the `Conv2D` is not float32, not NHWC, dilated, or has EXPLICIT padding; its
/// stride exceeds the filter size plus one (SAME) or 3 (VALID), where TensorFlow's fused
/// kernel places its windows differently; the `MirrorPad` has int64 paddings or a `Const`
/// padding the batch or channel axis; the `ResizeBilinear` uses half-pixel centres or
/// reads a non-float image. TensorFlow 2.21's fused kernel gives every image of a batch the
/// first image's result, so a convolution whose batch the graph fixes at several images is
/// left alone too; where the graph leaves the batch open, the fusion goes ahead, as in
/// TensorFlow, with a warning.
///
/// TF parity: TensorFlow's pattern, matcher and node order. Deliberate deviations:
/// - the matches listed above are left alone; TensorFlow fuses them into a node that
///   computes something else or fails (for a batch of several images, silently);
/// - a missing `align_corners` reads as false, its default; TensorFlow aborts;
/// - a node filling two places of the match is emitted once; TensorFlow emits it twice;
/// - the fused node keeps the `Conv2D`'s device; TensorFlow sets none.
public struct FuseResizePadAndConv: GraphTransform {
  /// The transform's name in transform strings, as TensorFlow spells it.
  public static let name = "fuse_resize_pad_and_conv"
  /// One line for `--help`.
  public static let summary =
    "Merge a ResizeBilinear and a MirrorPad into the Conv2D after them (FusedResizeAndPadConv2D)."
  /// Everything accepted between the parentheses: nothing.
  public static let parameters: [ParameterSpec] = []
  /// The rewrite, as in the doc comment.
  public static let rewrite = """
    r = ResizeBilinear(x, size; align_corners=a);  p = MirrorPad(r, dims; mode=m);
    y = Conv2D(p, w; T, padding, strides)
      ⟶   y = FusedResizeAndPadConv2D(x, size, dims, w;
                resize_align_corners=a, mode=m, T, padding, strides)
    """
  /// Where this differs from TensorFlow's.
  public static let differences = [
    ConvolutionFusion.Difference.batch,
    ConvolutionFusion.Difference.convolution,
    ConvolutionFusion.Difference.mirrorPad,
    ConvolutionFusion.Difference.resize,
    ConvolutionFusion.Difference.alignCorners,
    ConvolutionFusion.Difference.repeatedNode,
    ConvolutionFusion.Difference.device,
  ]

  /// Takes no arguments.
  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  static let pattern = OpTypePattern(
    "Conv2D", [OpTypePattern("MirrorPad", [OpTypePattern("ResizeBilinear"), OpTypePattern("*")]), OpTypePattern("*")])

  /// Returns the graph with every fusable match fused.
  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    var batch = ConvolutionFusion.BatchCheck(graph)
    let result = graph.replacingMatches(of: Self.pattern, context: context) { match, _, _ in
      let conv = match.node
      let pad = match.inputs[0].node
      let resize = match.inputs[0].inputs[0].node
      let dims = match.inputs[0].inputs[1].node
      let weights = match.inputs[1].node
      let resizeInputs = resize.dataInputs
      let refusal =
        ConvolutionFusion.convolutionRefusal(conv, weights: weights)
        ?? ConvolutionFusion.mirrorPadRefusal(pad, dims: dims) ?? ConvolutionFusion.resizeRefusal(resize)
        ?? (resizeInputs.count == 2 ? nil : "the ResizeBilinear does not have 2 data inputs")
        ?? batch.refusal(for: resizeInputs[0])
      if let refusal {
        context.report(.remark, "not fused: " + refusal, node: conv.name)
        return match.uniqueNodes
      }
      let fusedNode = ConvolutionFusion.fusedNode(
        "FusedResizeAndPadConv2D", replacing: conv,
        inputs: [resizeInputs[0], resizeInputs[1], pad.dataInputs[1], conv.dataInputs[1]],
        mode: pad.attrs["mode"] ?? .unset, alignCorners: ConvolutionFusion.alignCorners(resize))
      return ConvolutionFusion.deduplicated([weights, dims, fusedNode])
    }
    batch.warn("FusedResizeAndPadConv2D", context)
    return result
  }
}
