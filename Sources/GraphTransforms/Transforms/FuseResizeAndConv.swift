// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Merges a bilinear `ResizeBilinear` into the `Conv2D` that reads it: one
/// `FusedResizeAndPadConv2D` with zero padding, which interpolates while it gathers the
/// convolution's patches instead of writing the enlarged image.
///
///     r = ResizeBilinear(x, size; align_corners=a);  y = Conv2D(r, w; T, padding, strides)
///       ⟶   y_dummy_paddings = Const(int32 [4, 2] zeros);
///           y = FusedResizeAndPadConv2D(x, size, y_dummy_paddings, w;
///                 resize_align_corners=a, mode=REFLECT, T, padding, strides)
///
/// The weights are emitted again, where the `Conv2D` was, followed by the zero paddings
/// and the fused node, which takes the `Conv2D`'s name and device. The `ResizeBilinear`
/// disappears; a match whose `ResizeBilinear` other nodes read is left as it is.
///
/// A match is also left as it is, with a remark, when the fused node would not compute
/// the same: the `Conv2D` is not float32, not NHWC, dilated, or has EXPLICIT padding; its
/// stride exceeds the filter size plus one (SAME) or 3 (VALID), where TensorFlow's fused
/// kernel places its windows differently; the `ResizeBilinear` uses half-pixel centres or
/// reads a non-float image. TensorFlow 2.21's fused kernel gives every image of a batch the
/// first image's result, so a convolution whose batch the graph fixes at several images is
/// left alone too; where the graph leaves the batch open, the fusion goes ahead, as in
/// TensorFlow, with a warning.
///
/// TF parity: TensorFlow's pattern, matcher, names and node order. Deliberate deviations:
/// - the matches listed above are left alone; TensorFlow fuses them into a node that
///   computes something else or fails;
/// - a missing `align_corners` reads as false, its default; TensorFlow aborts;
/// - when `<conv>_dummy_paddings` is taken, the paddings get a `_1`, `_2`… suffix;
///   TensorFlow writes a second node of that name;
/// - the fused node keeps the `Conv2D`'s device; TensorFlow sets none.
public struct FuseResizeAndConv: GraphTransform {
  /// The transform's name in transform strings, as TensorFlow spells it.
  public static let name = "fuse_resize_and_conv"
  /// One line for `--help`.
  public static let summary = "Merge a ResizeBilinear into the Conv2D after it (FusedResizeAndPadConv2D)."
  /// Everything accepted between the parentheses: nothing.
  public static let parameters: [ParameterSpec] = []
  /// The rewrite, as in the doc comment.
  public static let rewrite = """
    r = ResizeBilinear(x, size; align_corners=a);  y = Conv2D(r, w; T, padding, strides)
      ⟶   y_dummy_paddings = Const(int32 [4, 2] zeros);
          y = FusedResizeAndPadConv2D(x, size, y_dummy_paddings, w;
                resize_align_corners=a, mode=REFLECT, T, padding, strides)
    """
  /// Where this differs from TensorFlow's.
  public static let differences = [
    ConvolutionFusion.Difference.batch,
    ConvolutionFusion.Difference.convolution,
    ConvolutionFusion.Difference.resize,
    ConvolutionFusion.Difference.alignCorners,
    "a taken <conv>_dummy_paddings name gets a _1, _2… suffix",
    ConvolutionFusion.Difference.device,
  ]

  /// Takes no arguments.
  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  static let pattern = OpTypePattern("Conv2D", [OpTypePattern("ResizeBilinear"), OpTypePattern("*")])

  /// Returns the graph with every fusable match fused.
  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    var names = Set(graph.nodes.map(\.name))
    var batch = ConvolutionFusion.BatchCheck(graph)
    let result = graph.replacingMatches(of: Self.pattern, context: context) { match, _, outputs in
      let conv = match.node
      let resize = match.inputs[0].node
      let weights = match.inputs[1].node
      let resizeInputs = resize.dataInputs
      let refusal =
        ConvolutionFusion.convolutionRefusal(conv, weights: weights) ?? ConvolutionFusion.resizeRefusal(resize)
        ?? (resizeInputs.count == 2 ? nil : "the ResizeBilinear does not have 2 data inputs")
      if let refusal {
        context.report(.remark, "not fused: " + refusal, node: conv.name)
        return match.uniqueNodes
      }
      // The engine would put the match back; no paddings name may be taken then.
      guard !outputs.contains(resize.name) else {
        context.report(.remark, "not fused: other nodes read the ResizeBilinear '\(resize.name)'", node: conv.name)
        return match.uniqueNodes
      }
      if let refusal = batch.refusal(for: resizeInputs[0]) {
        context.report(.remark, "not fused: " + refusal, node: conv.name)
        return match.uniqueNodes
      }
      let paddingsName = reserveUnusedName(conv.name + "_dummy_paddings", in: &names)
      let paddings = Node(
        name: paddingsName, op: "Const",
        attrs: ["dtype": .type(.int32), "value": .tensor(.int32s([Int32](repeating: 0, count: 8), shape: [4, 2]))])
      let fusedNode = ConvolutionFusion.fusedNode(
        "FusedResizeAndPadConv2D", replacing: conv,
        inputs: [resizeInputs[0], resizeInputs[1], .data(paddingsName), conv.dataInputs[1]],
        mode: .string("REFLECT"), alignCorners: ConvolutionFusion.alignCorners(resize))
      return [weights, paddings, fusedNode]
    }
    batch.warn("FusedResizeAndPadConv2D", context)
    return result
  }
}
