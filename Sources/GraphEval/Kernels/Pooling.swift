// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The pooling kernels: `MaxPool` (spatial, or across depth), `MaxPoolV2` (ksize and
/// strides as inputs) and `AvgPool`, NHWC, and NCHW for float32 by transposing.
let poolingKernels: [String: Kernel] = [
  "MaxPool": PoolingKernels.maxPool,
  "MaxPoolV2": PoolingKernels.maxPoolV2,
  "AvgPool": PoolingKernels.avgPool,
]

/// The pooling kernels' bodies.
enum PoolingKernels {
  /// `MaxPool(input)`, for every real dtype.
  static func maxPool(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    return [
      try pool(
        invocation, ksize: try invocation.ints("ksize"), strides: try invocation.ints("strides"), isMax: true)
    ]
  }

  /// `MaxPoolV2(input, ksize, strides)`.
  static func maxPoolV2(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let ksize = try invocation.inputs[1].indices("ksize")
    let strides = try invocation.inputs[2].indices("strides")
    return [try pool(invocation, ksize: ksize, strides: strides, isMax: true)]
  }

  /// `AvgPool(value)`, for float32 and float64.
  static func avgPool(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    try DTypeDomain.floats.check(invocation.inputs[0].dtype, op: invocation.node.op)
    return [
      try pool(
        invocation, ksize: try invocation.ints("ksize"), strides: try invocation.ints("strides"), isMax: false)
    ]
  }

  /// Checks the window as TensorFlow's `PoolParameters` does and pools.
  private static func pool(
    _ invocation: KernelInvocation, ksize: [Int], strides: [Int], isMax: Bool
  ) throws(EvalError) -> DenseTensor {
    let op = invocation.node.op
    let input = invocation.inputs[0]
    try DTypeDomain.real.check(input.dtype, op: op)
    let layout = try ImageLayout(invocation)
    let padding = try WindowPadding(invocation)
    let explicit = try WindowAttributes.explicitPaddings(
      invocation, layout: layout, padding: padding, allowsExplicit: isMax && invocation.node.op == "MaxPool")
    guard ksize.count == 4 else { throw .invalidArgument("Sliding window ksize field must specify 4 dimensions") }
    guard strides.count == 4 else { throw .invalidArgument("Sliding window stride field must specify 4 dimensions") }
    for (axis, size) in ksize.enumerated() where size <= 0 {
      throw .invalidArgument("Sliding window ksize for dimension \(axis) was zero.")
    }
    guard ksize[0] == 1, strides[0] == 1 else {
      throw .invalidArgument("Pooling is not yet supported on the batch dimension.")
    }
    guard input.rank == 4 else { throw .invalidArgument("input must be 4-dimensional") }
    let axes = layout.axes
    let image = try layout.nhwcValues(input, "input")
    let (windowHeight, windowWidth, windowDepth) = (ksize[axes.height], ksize[axes.width], ksize[axes.channel])
    if windowDepth > 1 {
      guard isMax else { throw .unsupported("\(op) across depth (TensorFlow's reference kernel lacks it too)") }
      return try layout.restored(
        try depthPool(image, window: windowDepth, stride: strides[axes.channel], spatial: (windowHeight, windowWidth)))
    }
    // TF parity: with a depth window of 1 the depth stride is ignored, whatever it is.
    let rows = try WindowAxis(
      input: image.shape[1], window: windowHeight, stride: strides[axes.height], padding: padding,
      explicit: explicit.height)
    let columns = try WindowAxis(
      input: image.shape[2], window: windowWidth, stride: strides[axes.width], padding: padding,
      explicit: explicit.width)
    let shape = [image.shape[0], rows.output, columns.output, image.shape[3]]
    let count = try invocation.checkSize(shape)
    let window = SpatialPool(image: image, rows: rows, columns: columns, shape: shape, count: count)
    let result = isMax ? try input.dtype.visit(MaxPoolVisitor(pool: window)) : try input.dtype.visit(window)
    return try layout.restored(result)
  }

  /// Max pooling across depth only: each run of `window` channels to its maximum.
  private static func depthPool(
    _ image: DenseTensor, window: Int, stride: Int, spatial: (Int, Int)
  ) throws(EvalError) -> DenseTensor {
    guard spatial == (1, 1) else {
      throw .invalidArgument("MaxPooling supports exactly one of pooling across depth or pooling across width/height.")
    }
    guard image.shape[3] % window == 0 else {
      throw .invalidArgument("Depthwise max pooling requires the depth window to evenly divide the input depth")
    }
    guard stride == window else {
      throw .invalidArgument("Depthwise max pooling requires the depth window to equal the depth stride")
    }
    var shape = image.shape
    shape[3] /= window
    return try image.dtype.visit(DepthMaxPool(image: image, window: window, shape: shape))
  }
}

/// A checked spatial pooling window over an NHWC image; as a visitor, average pooling.
private struct SpatialPool: FloatVisitor {
  /// The NHWC input.
  let image: DenseTensor
  /// The geometry along the height.
  let rows: WindowAxis
  /// The geometry along the width.
  let columns: WindowAxis
  /// The NHWC result shape.
  let shape: [Int]
  /// The result's element count, already checked.
  let count: Int

  /// Calls `body(target, source)` for every output pixel's run of channels and each of
  /// its in-bounds taps, then `finish(target, taps)` with the number of such taps.
  func forEachTap<T>(
    _ x: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>,
    body: (UnsafeMutablePointer<T>, UnsafePointer<T>) -> Void, finish: (UnsafeMutablePointer<T>, Int) -> Void
  ) {
    let (height, width, depth) = (image.shape[1], image.shape[2], image.shape[3])
    var target = output
    for batchIndex in 0..<shape[0] {
      for outRow in 0..<rows.output {
        let firstRow = max(rows.position(outRow, tap: 0), 0)
        let endRow = min(rows.position(outRow, tap: rows.window), height)
        for outColumn in 0..<columns.output {
          let firstColumn = max(columns.position(outColumn, tap: 0), 0)
          let endColumn = min(columns.position(outColumn, tap: columns.window), width)
          var taps = 0
          for inRow in firstRow..<max(endRow, firstRow) {
            for inColumn in firstColumn..<max(endColumn, firstColumn) {
              body(target, x + ((batchIndex * height + inRow) * width + inColumn) * depth)
              taps += 1
            }
          }
          finish(target, taps)
          target += depth
        }
      }
    }
  }

  /// Average pooling of `[T]`: the sum of the in-bounds taps over their count, as
  /// TensorFlow's SAME padding divides by the elements actually inside the image.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try image.require(T.self, "value")
    let depth = image.shape[3]
    var result = [T](repeating: 0, count: count)
    if count == 0 { return try DenseTensor.checked(result, shape: shape) }
    result.withUnsafeMutableBufferPointer { out in
      values.withUnsafeBufferPointer { input in
        guard let output = out.baseAddress, let x = input.baseAddress else { return }
        forEachTap(
          x, output,
          body: { target, source in
            for channel in 0..<depth { target[channel] += source[channel] }
          },
          finish: { target, taps in
            let divisor = T(taps)
            for channel in 0..<depth { target[channel] /= divisor }
          })
      }
    }
    return try DenseTensor.checked(result, shape: shape)
  }
}

/// Max pooling over a `SpatialPool` window, for every real type.
private struct MaxPoolVisitor: NumericVisitor {
  /// The window.
  let pool: SpatialPool

  /// The maximum of the in-bounds taps of `[T]`; padding never wins.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try pool.image.require(T.self, "input")
    let depth = pool.image.shape[3]
    var result = [T](repeating: T.lowest, count: pool.count)
    if pool.count > 0 {
      result.withUnsafeMutableBufferPointer { out in
        values.withUnsafeBufferPointer { input in
          guard let output = out.baseAddress, let x = input.baseAddress else { return }
          pool.forEachTap(
            x, output,
            body: { target, source in
              // A select rather than a branch, so the loop vectorizes; padding never wins.
              for channel in 0..<depth {
                let (candidate, best) = (source[channel], target[channel])
                target[channel] = candidate > best ? candidate : best
              }
            },
            finish: { _, _ in })
        }
      }
    }
    return try pool.image.withValues(result, shape: pool.shape)
  }
}

/// Max pooling across depth.
private struct DepthMaxPool: NumericVisitor {
  /// The NHWC input.
  let image: DenseTensor
  /// The channels per output channel.
  let window: Int
  /// The result shape.
  let shape: [Int]

  /// The maximum of each run of `window` channels of `[T]`.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try image.require(T.self, "input")
    var result = [T]()
    result.reserveCapacity(values.count / max(window, 1))
    for start in stride(from: 0, to: values.count, by: window) {
      var best = values[start]
      for offset in 1..<window where values[start + offset] > best { best = values[start + offset] }
      result.append(best)
    }
    return try image.withValues(result, shape: shape)
  }
}
