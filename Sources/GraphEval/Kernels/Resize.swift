// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The image-resizing kernels: `ResizeBilinear` (float32 result for every input type) and
/// `ResizeNearestNeighbor` (the input's type), NHWC, with TensorFlow's three coordinate
/// conventions: legacy (`out × scale`), `align_corners` and `half_pixel_centers`.
///
/// Coordinates and weights are computed in float32 exactly as TensorFlow's CPU kernels
/// compute them, so the chosen source pixels and the interpolated values agree to the bit.
let resizeKernels: [String: Kernel] = [
  "ResizeBilinear": ResizeKernels.resizeBilinear,
  "ResizeNearestNeighbor": ResizeKernels.resizeNearestNeighbor,
]

/// The resize kernels' bodies.
enum ResizeKernels {
  /// `ResizeBilinear(images, size)`.
  static func resizeBilinear(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let plan = try ResizePlan(invocation)
    try DTypeDomain.real.check(plan.images.dtype, op: invocation.node.op)
    if plan.count == 0 { return [try DenseTensor.checked([Float](), shape: plan.shape)] }
    let pixels = try plan.images.dtype.visit(FloatPixels(tensor: plan.images))
    let rows = plan.bilinearWeights(output: plan.shape[1], input: plan.images.shape[1], scale: plan.scales.height)
    let columns = plan.bilinearWeights(output: plan.shape[2], input: plan.images.shape[2], scale: plan.scales.width)
    let (height, width, depth) = (plan.images.shape[1], plan.images.shape[2], plan.images.shape[3])
    var result = [Float]()
    result.reserveCapacity(plan.count)
    for batch in 0..<plan.shape[0] {
      let image = batch * height * width * depth
      for row in rows {
        let top = image + row.lower * width * depth
        let bottom = image + row.upper * width * depth
        for column in columns {
          let (left, right) = (column.lower * depth, column.upper * depth)
          for channel in 0..<depth {
            let topLeft = pixels[top + left + channel]
            let topRight = pixels[top + right + channel]
            let bottomLeft = pixels[bottom + left + channel]
            let bottomRight = pixels[bottom + right + channel]
            let upper = topLeft + (topRight - topLeft) * column.lerp
            let lower = bottomLeft + (bottomRight - bottomLeft) * column.lerp
            result.append(upper + (lower - upper) * row.lerp)
          }
        }
      }
    }
    return [try DenseTensor.checked(result, shape: plan.shape)]
  }

  /// `ResizeNearestNeighbor(images, size)`.
  static func resizeNearestNeighbor(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let plan = try ResizePlan(invocation)
    try DTypeDomain.real.check(plan.images.dtype, op: invocation.node.op)
    // An empty batch may come with any output size, so no per-pixel tables then.
    let isEmpty = plan.count == 0
    let rows =
      isEmpty ? [] : plan.nearest(output: plan.shape[1], input: plan.images.shape[1], scale: plan.scales.height)
    let columns =
      isEmpty ? [] : plan.nearest(output: plan.shape[2], input: plan.images.shape[2], scale: plan.scales.width)
    let move = NearestMove(images: plan.images, shape: plan.shape, rows: rows, columns: columns)
    return [try plan.images.storage.visitElementType(move)]
  }
}

/// A checked resize: the images, the output shape and the per-axis scales.
private struct ResizePlan {
  /// The `[batch, height, width, channels]` input.
  let images: DenseTensor
  /// The output shape.
  let shape: [Int]
  /// The output's element count.
  let count: Int
  /// Whether the corner pixels of input and output are aligned.
  let alignCorners: Bool
  /// Whether pixels are sampled at their centres.
  let halfPixelCenters: Bool
  /// Input pixels per output pixel, along each axis.
  let scales: (height: Float, width: Float)

  /// Checks the inputs as TensorFlow's `ImageResizerState` does.
  init(_ invocation: KernelInvocation) throws(EvalError) {
    try invocation.expectInputs(2)
    images = invocation.inputs[0]
    let sizeTensor = invocation.inputs[1]
    alignCorners = try invocation.bool("align_corners", default: false)
    halfPixelCenters = try invocation.bool("half_pixel_centers", default: false)
    guard !(alignCorners && halfPixelCenters) else {
      throw .invalidArgument("If half_pixel_centers is True, align_corners must be False.")
    }
    guard images.rank == 4 else { throw .invalidArgument("input must be 4-dimensional\(images.shapeText)") }
    guard sizeTensor.rank == 1 else { throw .invalidArgument("shape_t must be 1-dimensional\(sizeTensor.shapeText)") }
    guard sizeTensor.dtype == .int32 else { throw .typeMismatch("size has dtype \(sizeTensor.dtype), expected int32") }
    let size = try sizeTensor.indices("size")
    guard size.count == 2 else { throw .invalidArgument("shape_t must have two elements\(sizeTensor.shapeText)") }
    guard size[0] > 0, size[1] > 0 else { throw .invalidArgument("output dimensions must be positive") }
    guard images.shape[3] > 0 else { throw .invalidArgument("image must have at least one channel") }
    guard images.shape[1] > 0, images.shape[2] > 0 else {
      throw .invalidArgument("input image must be of non-zero size")
    }
    shape = [images.shape[0], size[0], size[1], images.shape[3]]
    count = try invocation.checkSize(shape)
    func scale(_ input: Int, _ output: Int, _ alignCorners: Bool) -> Float {
      alignCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
    }
    scales = (scale(images.shape[1], size[0], alignCorners), scale(images.shape[2], size[1], alignCorners))
  }

  /// The two source pixels and the weight of the second, for each output pixel along an
  /// axis: TensorFlow's `compute_interpolation_weights`.
  func bilinearWeights(output: Int, input: Int, scale: Float) -> [(lower: Int, upper: Int, lerp: Float)] {
    (0..<output).map { index in
      let position = halfPixelCenters ? (Float(index) + 0.5) * scale - 0.5 : Float(index) * scale
      let floor = position.rounded(.down)
      return (max(Int(floor), 0), min(Int(position.rounded(.up)), input - 1), position - floor)
    }
  }

  /// The source pixel of each output pixel along an axis.
  func nearest(output: Int, input: Int, scale: Float) -> [Int] {
    (0..<output).map { index in
      // TF parity: the nearest-neighbour half-pixel scaler has no `- 0.5`; it floors
      // (or, with align_corners, rounds half away from zero) `(index + 0.5) · scale`.
      let position = halfPixelCenters ? (Float(index) + 0.5) * scale : Float(index) * scale
      let source = Int(alignCorners ? position.rounded(.toNearestOrAwayFromZero) : position.rounded(.down))
      return max(min(source, input - 1), 0)
    }
  }
}

/// The elements of a real tensor as float32, as TensorFlow's bilinear kernel reads them.
private struct FloatPixels: NumericVisitor {
  /// The tensor.
  let tensor: DenseTensor

  /// `[T]` converted to `[Float]`.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> [Float] {
    let values = try tensor.require(T.self, "images")
    if let floats = values as? [Float] { return floats }
    if let doubles = values as? [Double] { return doubles.map { Float($0) } }
    return values.map { Float($0.doubleValue) }
  }
}

/// The nearest-neighbour copy.
private struct NearestMove: AnyElementVisitor {
  /// The input images.
  let images: DenseTensor
  /// The output shape.
  let shape: [Int]
  /// The source row of each output row.
  let rows: [Int]
  /// The source column of each output column.
  let columns: [Int]

  /// Copies `[T]`, one run of channels per output pixel.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try images.require(T.self, "images")
    let (height, width, depth) = (images.shape[1], images.shape[2], images.shape[3])
    var result = [T]()
    result.reserveCapacity(shape.reduce(1, *))
    for batch in 0..<shape[0] {
      for row in rows {
        for column in columns {
          let base = ((batch * height + row) * width + column) * depth
          result.append(contentsOf: values[base..<(base + depth)])
        }
      }
    }
    return try images.withValues(result, shape: shape)
  }
}
