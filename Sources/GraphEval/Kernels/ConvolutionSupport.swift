// SPDX-License-Identifier: Apache-2.0

import GraphIR

// The window geometry shared by the convolution and pooling kernels: TensorFlow's
// `padding`, `strides`, `dilations`, `ksize` and `explicit_paddings` attributes, checked
// as its kernels check them and turned into per-axis output sizes and paddings. All
// arithmetic on sizes taken from the graph reports overflow instead of trapping.

/// The layout of a 4-D image tensor (`data_format`).
enum ImageLayout: Sendable {
  /// Batch, height, width, channels: TensorFlow's CPU layout.
  case nhwc
  /// Batch, channels, height, width: the GPU layout, which the kernels here run by
  /// transposing to NHWC and back.
  case nchw

  /// The layout named by the node's `data_format` attribute (default NHWC).
  ///
  /// - Throws: `EvalError.unsupported` for other layouts (NCHW_VECT_C, …).
  init(_ invocation: KernelInvocation) throws(EvalError) {
    switch try invocation.string("data_format", default: "NHWC") {
    case "NHWC": self = .nhwc
    case "NCHW": self = .nchw
    case let other: throw .unsupported("\(invocation.node.op) with data_format '\(other)'")
    }
  }

  /// The positions of the height, width and channel axes in a shape or a 4-element
  /// attribute of this layout.
  var axes: (height: Int, width: Int, channel: Int) { self == .nhwc ? (1, 2, 3) : (2, 3, 1) }
}

/// TensorFlow's `padding` attribute.
enum WindowPadding: Sendable {
  /// No padding; windows that do not fit are dropped.
  case valid
  /// Pad so that the output has `ceil(input / stride)` elements, the odd one after.
  case same
  /// The amounts given by `explicit_paddings`.
  case explicit

  /// The node's `padding` attribute.
  init(_ invocation: KernelInvocation) throws(EvalError) {
    switch try invocation.string("padding") {
    case "VALID": self = .valid
    case "SAME": self = .same
    case "EXPLICIT": self = .explicit
    case let other: throw .invalidArgument("\(invocation.node.op): unknown padding '\(other)'")
    }
  }
}

/// How a sliding window moves along one spatial axis: TensorFlow's
/// `GetWindowedOutputSizeVerbose`.
struct WindowAxis: Sendable {
  /// The input's size along the axis.
  let input: Int
  /// The window's (filter's) size along the axis.
  let window: Int
  /// The step between windows.
  let stride: Int
  /// The step between window taps.
  let dilation: Int
  /// The implicit zeros (or ignored positions) before the first input element.
  let padBefore: Int
  /// The number of windows.
  let output: Int

  /// The geometry of `window` taps `dilation` apart sliding `stride` at a time over
  /// `input` elements.
  ///
  /// - Parameter explicit: the padding before and after, used for `.explicit`.
  /// - Throws: `invalidArgument` for a non-positive stride or dilation, an output size
  ///   that would be negative, or sizes that overflow.
  init(
    input: Int, window: Int, stride: Int, dilation: Int = 1, padding: WindowPadding,
    explicit: (before: Int, after: Int) = (0, 0)
  ) throws(EvalError) {
    guard stride > 0 else { throw .invalidArgument("Stride must be > 0, but got \(stride)") }
    guard dilation > 0 else { throw .invalidArgument("Dilation rate must be >= 1, but got \(dilation)") }
    guard input >= 0 else { throw .invalidArgument("negative input size \(input)") }
    // An empty window has no output size TensorFlow defines (its formula goes past the
    // input), so it is an error rather than a sum of nothing.
    guard window > 0 else { throw .invalidArgument("window (filter) size must be positive, got \(window)") }
    let effective = try Checked.add(try Checked.multiply(window - 1, dilation), 1)
    var before = 0
    let output: Int
    switch padding {
    case .valid:
      output = try Checked.add(input - effective, stride) / stride
    case .same:
      output = try Checked.add(input, stride - 1) / stride
      let needed = try Checked.add(try Checked.multiply(max(output - 1, 0), stride), effective) - input
      before = max(needed, 0) / 2
    case .explicit:
      guard explicit.before >= 0, explicit.after >= 0 else {
        throw .invalidArgument("All elements of explicit_paddings must be nonnegative")
      }
      let padded = try Checked.add(try Checked.add(input, explicit.before), explicit.after)
      output = try Checked.add(padded - effective, stride) / stride
      before = explicit.before
    }
    guard output >= 0 else {
      throw .invalidArgument(
        "Computed output size would be negative: \(output) [input_size: \(input), effective_filter_size: "
          + "\(effective), stride: \(stride)]")
    }
    self.input = input
    self.window = window
    self.stride = stride
    self.dilation = dilation
    self.padBefore = before
    self.output = output
  }

  /// The input position of tap `tap` of window `index`; outside `0..<input` in the
  /// padding. Never overflows: both terms were bounded when the geometry was built.
  @inline(__always) func position(_ index: Int, tap: Int) -> Int {
    index * stride - padBefore + tap * dilation
  }
}

/// Overflow-checked arithmetic on sizes that come from the graph.
enum Checked {
  /// `a + b`.
  static func add(_ a: Int, _ b: Int) throws(EvalError) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw .invalidArgument("size arithmetic overflows: \(a) + \(b)") }
    return sum
  }

  /// `a * b`.
  static func multiply(_ a: Int, _ b: Int) throws(EvalError) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow else { throw .invalidArgument("size arithmetic overflows: \(a) * \(b)") }
    return product
  }

  /// The product of `values`.
  static func product(_ values: [Int]) throws(EvalError) -> Int {
    var result = 1
    for value in values { result = try multiply(result, value) }
    return result
  }
}

/// The window attributes of a convolution or pooling node, in NHWC terms.
struct WindowAttributes: Sendable {
  /// The layout of the image input and output.
  let layout: ImageLayout
  /// The padding mode.
  let padding: WindowPadding
  /// Strides along height and width.
  let strides: (height: Int, width: Int)
  /// Dilations along height and width (1 when the op has none).
  let dilations: (height: Int, width: Int)
  /// `explicit_paddings` along height and width, zero unless `.explicit`.
  let explicit: (height: (before: Int, after: Int), width: (before: Int, after: Int))

  /// Reads and checks `strides`, `dilations` (when `hasDilations`), `padding` and
  /// `explicit_paddings` (when `allowsExplicit`) as TensorFlow's reference kernels do.
  ///
  /// TF parity: the oneDNN float32 kernels accept some malformed attributes (non-zero
  /// batch padding, explicit paddings with SAME); the reference kernels reject them,
  /// and so does this.
  init(_ invocation: KernelInvocation, hasDilations: Bool, allowsExplicit: Bool) throws(EvalError) {
    let op = invocation.node.op
    layout = try ImageLayout(invocation)
    padding = try WindowPadding(invocation)
    let axes = layout.axes
    let strides = try invocation.ints("strides")
    guard strides.count == 4 else {
      throw .invalidArgument("\(op): Sliding window strides field must specify 4 dimensions")
    }
    guard strides[0] == 1, strides[axes.channel] == 1 else {
      throw .invalidArgument(
        "\(op): Current implementation does not yet support strides in the batch and depth dimensions.")
    }
    guard strides[axes.height] > 0, strides[axes.width] > 0 else {
      throw .invalidArgument("\(op): Row and column strides should be larger than 0.")
    }
    self.strides = (strides[axes.height], strides[axes.width])
    let dilations = hasDilations ? try invocation.ints("dilations", default: [1, 1, 1, 1]) : [1, 1, 1, 1]
    guard dilations.count == 4 else {
      throw .invalidArgument("\(op): Sliding window dilations field must specify 4 dimensions")
    }
    guard dilations[0] == 1, dilations[axes.channel] == 1 else {
      throw .invalidArgument(
        "\(op): Current implementation does not yet support dilations in the batch and depth dimensions.")
    }
    guard dilations[axes.height] > 0, dilations[axes.width] > 0 else {
      throw .invalidArgument("\(op): Dilated rates should be larger than 0.")
    }
    self.dilations = (dilations[axes.height], dilations[axes.width])
    explicit = try Self.explicitPaddings(invocation, layout: layout, padding: padding, allowsExplicit: allowsExplicit)
  }

  /// `explicit_paddings` along height and width: zero unless `padding` is EXPLICIT, and
  /// checked as TensorFlow's `CheckValidPadding` does.
  static func explicitPaddings(
    _ invocation: KernelInvocation, layout: ImageLayout, padding: WindowPadding, allowsExplicit: Bool
  ) throws(EvalError) -> (height: (before: Int, after: Int), width: (before: Int, after: Int)) {
    let op = invocation.node.op
    let axes = layout.axes
    let paddings = allowsExplicit ? try invocation.ints("explicit_paddings", default: []) : []
    guard padding == .explicit else {
      guard paddings.isEmpty else {
        throw .invalidArgument("explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT")
      }
      return ((0, 0), (0, 0))
    }
    guard allowsExplicit else { throw .invalidArgument("\(op) does not take EXPLICIT padding") }
    guard paddings.count == 8 else {
      throw .invalidArgument("explicit_paddings attribute must contain 8 values, but got: \(paddings.count)")
    }
    guard paddings.allSatisfy({ $0 >= 0 }) else {
      throw .invalidArgument("All elements of explicit_paddings must be nonnegative")
    }
    guard paddings[0] == 0, paddings[1] == 0, paddings[2 * axes.channel] == 0, paddings[2 * axes.channel + 1] == 0
    else {
      throw .invalidArgument("Nonzero explicit padding in the batch or depth dimensions is not supported")
    }
    return (
      (paddings[2 * axes.height], paddings[2 * axes.height + 1]),
      (paddings[2 * axes.width], paddings[2 * axes.width + 1])
    )
  }

  /// The geometry along height and width of a `window` over an NHWC `input` shape.
  func geometry(input: [Int], window: (height: Int, width: Int)) throws(EvalError) -> (WindowAxis, WindowAxis) {
    (
      try WindowAxis(
        input: input[1], window: window.height, stride: strides.height, dilation: dilations.height,
        padding: padding, explicit: explicit.height),
      try WindowAxis(
        input: input[2], window: window.width, stride: strides.width, dilation: dilations.width,
        padding: padding, explicit: explicit.width)
    )
  }
}

extension DenseTensor {
  /// A kernel result of `shape`.
  ///
  /// - Throws: `invalidArgument` instead of trapping when the running product of `shape`
  ///   overflows (an empty result may have huge sizes besides its zero) or does not
  ///   match `values`.
  static func checked<T: TensorElement>(_ values: [T], shape: [Int]) throws(EvalError) -> DenseTensor {
    try requireShape(shape, holds: values.count)
    return DenseTensor(values, shape: shape)
  }

  /// Checks that `shape` holds exactly `count` elements, without trapping on overflow.
  static func requireShape(_ shape: [Int], holds count: Int) throws(EvalError) {
    var product = 1
    for dim in shape {
      let (next, overflow) = product.multipliedReportingOverflow(by: dim)
      guard !overflow, dim >= 0 else { throw .invalidArgument("invalid result shape \(shape)") }
      product = next
    }
    guard product == count else {
      throw .invalidArgument("\(count) elements do not fill a result of shape \(shape)")
    }
  }
}

// MARK: Layout conversion

extension ImageLayout {
  /// `shape` (of this layout) in NHWC order.
  func nhwcShape(_ shape: [Int]) -> [Int] {
    self == .nhwc ? shape : [shape[0], shape[2], shape[3], shape[1]]
  }

  /// The float32 values of an NCHW tensor in NHWC order; NHWC tensors pass through.
  ///
  /// Only float32 has an NCHW path: TensorFlow 2.21's CPU kernels run NCHW through
  /// oneDNN for float32 only and reject it for the other dtypes.
  func nhwcValues(_ tensor: DenseTensor, _ role: String) throws(EvalError) -> DenseTensor {
    if self == .nhwc { return tensor }
    guard tensor.dtype == .float else {
      throw .unsupported("data_format NCHW for dtype \(tensor.dtype) (TensorFlow's CPU kernels lack it too)")
    }
    guard tensor.rank == 4 else { return tensor }
    let values = try tensor.require(Float.self, role)
    let shape = tensor.shape
    if values.isEmpty { return try DenseTensor.checked(values, shape: nhwcShape(shape)) }
    return DenseTensor(
      transposed(values, dims: (shape[0], shape[1], shape[2] * shape[3])),
      shape: nhwcShape(shape))
  }

  /// An NHWC float32 result in this layout.
  func restored(_ tensor: DenseTensor) throws(EvalError) -> DenseTensor {
    if self == .nhwc { return tensor }
    let values = try tensor.require(Float.self, "result")
    let shape = tensor.shape
    if values.isEmpty { return try DenseTensor.checked(values, shape: [shape[0], shape[3], shape[1], shape[2]]) }
    return DenseTensor(
      transposed(values, dims: (shape[0], shape[1] * shape[2], shape[3])),
      shape: [shape[0], shape[3], shape[1], shape[2]])
  }

  /// Each of `dims.0` matrices of `dims.1 × dims.2` elements transposed.
  private func transposed(_ values: [Float], dims: (Int, Int, Int)) -> [Float] {
    let (batches, rows, columns) = dims
    let size = rows * columns
    if size == 0 || batches == 0 { return values }
    return [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
      values.withUnsafeBufferPointer { input in
        for batch in 0..<batches {
          let base = batch * size
          for row in 0..<rows {
            for column in 0..<columns {
              out[base + column * rows + row] = input[base + row * columns + column]
            }
          }
        }
      }
      initialized = values.count
    }
  }
}
