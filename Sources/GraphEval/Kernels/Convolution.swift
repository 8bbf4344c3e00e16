// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The convolution kernels: `Conv2D` (grouped when the filter's depth divides the
/// input's), `DepthwiseConv2dNative` and `Conv2DBackpropInput` (the transposed
/// convolution of decoder and segmentation graphs).
///
/// float32 runs as im2col + OpenBLAS sgemm (a 1x1 stride-1 convolution is a plain GEMM
/// over the input), float64 and int32 as direct loops. NHWC is native; NCHW is run by
/// transposing, for float32 only, which is where TensorFlow's CPU kernels accept it.
let convolutionKernels: [String: Kernel] = [
  "Conv2D": ConvolutionKernels.conv2D,
  "DepthwiseConv2dNative": ConvolutionKernels.depthwiseConv2D,
  "Conv2DBackpropInput": ConvolutionKernels.conv2DBackpropInput,
]

/// An element type the direct convolution loops accumulate in.
protocol ConvolutionElement: NumericElement {
  /// `sum + a × b`, wrapping for integers as TensorFlow's int32 kernels do.
  static func multiplyAdd(_ sum: Self, _ a: Self, _ b: Self) -> Self
}

extension Float: ConvolutionElement {
  /// `sum + a × b`, rounded twice.
  static func multiplyAdd(_ sum: Float, _ a: Float, _ b: Float) -> Float { sum + a * b }
}

extension Double: ConvolutionElement {
  /// `sum + a × b`, rounded twice.
  static func multiplyAdd(_ sum: Double, _ a: Double, _ b: Double) -> Double { sum + a * b }
}

extension Int32: ConvolutionElement {
  /// `sum + a × b` with wrap-around.
  static func multiplyAdd(_ sum: Int32, _ a: Int32, _ b: Int32) -> Int32 { sum &+ a &* b }
}

/// The convolution kernels' bodies.
enum ConvolutionKernels {
  /// `Conv2D(input, filter)`.
  static func conv2D(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let attributes = try WindowAttributes(invocation, hasDilations: true, allowsExplicit: true)
    let (input, filter) = (invocation.inputs[0], invocation.inputs[1])
    try checkTypes(input, filter, invocation)
    guard input.rank == 4 else { throw .invalidArgument("convolution input must be 4-dimensional: \(input.shapeText)") }
    guard filter.rank == 4 else {
      throw .invalidArgument("convolution filter must be 4-dimensional: \(filter.shapeText)")
    }
    let image = try attributes.layout.nhwcValues(input, "input")
    let plan = try ConvolutionPlan(input: image.shape, filter: filter.shape, attributes)
    let count = try invocation.checkSize(plan.outputShape)
    let result: DenseTensor
    switch input.dtype {
    case .float:
      let values = try plan.float32(
        try image.require(Float.self, "input"), try filter.require(Float.self, "filter"), count: count, invocation)
      result = try DenseTensor.checked(values, shape: plan.outputShape)
    case .double: result = try plan.direct(image, filter, Double.self, count: count)
    default: result = try plan.direct(image, filter, Int32.self, count: count)
    }
    return [try attributes.layout.restored(result)]
  }

  /// `DepthwiseConv2dNative(input, filter)`: each input channel convolved with its own
  /// `depth_multiplier` filters; output channel `c × multiplier + m`.
  static func depthwiseConv2D(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let attributes = try WindowAttributes(invocation, hasDilations: true, allowsExplicit: true)
    let (input, filter) = (invocation.inputs[0], invocation.inputs[1])
    try DTypeDomain.floats.check(input.dtype, op: invocation.node.op)
    guard filter.dtype == input.dtype else {
      throw .typeMismatch("\(invocation.node.op): filter has dtype \(filter.dtype), input \(input.dtype)")
    }
    guard input.rank == 4 else { throw .invalidArgument("input must be 4-dimensional\(input.shapeText)") }
    guard filter.rank == 4 else { throw .invalidArgument("filter must be 4-dimensional: \(filter.shapeText)") }
    let image = try attributes.layout.nhwcValues(input, "input")
    guard image.shape[3] == filter.shape[2] else {
      throw .invalidArgument("input and filter must have the same depth: \(image.shape[3]) vs \(filter.shape[2])")
    }
    let (rows, columns) = try attributes.geometry(
      input: image.shape, window: (filter.shape[0], filter.shape[1]))
    let outDepth = try Checked.multiply(filter.shape[2], filter.shape[3])
    let shape = [image.shape[0], rows.output, columns.output, outDepth]
    let count = try invocation.checkSize(shape)
    let depthwise = Depthwise(
      image: image, filter: filter, rows: rows, columns: columns, shape: shape, count: count)
    return [try attributes.layout.restored(try input.dtype.visit(depthwise))]
  }

  /// `Conv2DBackpropInput(input_sizes, filter, out_backprop)`: the gradient of `Conv2D`
  /// with respect to its input, which graphs use as a transposed convolution.
  static func conv2DBackpropInput(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let attributes = try WindowAttributes(invocation, hasDilations: true, allowsExplicit: true)
    let (sizesTensor, filter, gradient) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
    try checkTypes(gradient, filter, invocation)
    guard sizesTensor.rank == 1 else {
      throw .invalidArgument("input_sizes must be a 1-D tensor, got \(sizesTensor.shapeText)")
    }
    guard filter.rank == 4 else { throw .invalidArgument("filter must be 4-dimensional: \(filter.shapeText)") }
    guard gradient.rank == 4 else {
      throw .invalidArgument("out_backprop must be 4-dimensional: \(gradient.shapeText)")
    }
    let layout = attributes.layout
    let gradientImage = try layout.nhwcValues(gradient, "out_backprop")
    let sizes = try sizesTensor.indices("input_sizes")
    let inputShape: [Int]
    switch sizes.count {
    case 4: inputShape = layout.nhwcShape(sizes)
    case 2: inputShape = [gradientImage.shape[0], sizes[0], sizes[1], filter.shape[2]]
    default: throw .invalidArgument("input_sizes must have 4 or 2 elements, got \(sizes.count)")
    }
    let count = try invocation.checkSize(inputShape)
    guard inputShape[0] == gradientImage.shape[0] else {
      throw .invalidArgument("Input and out_backprop must have the same batch size")
    }
    guard inputShape[3] == filter.shape[2] else {
      throw .invalidArgument("input and filter must have the same depth: \(inputShape[3]) vs \(filter.shape[2])")
    }
    guard filter.shape[3] == gradientImage.shape[3] else {
      throw .invalidArgument(
        "filter and out_backprop must have the same out_depth: \(filter.shape[3]) vs \(gradientImage.shape[3])")
    }
    let plan = try ConvolutionPlan(input: inputShape, filter: filter.shape, attributes)
    for (axis, computed) in [(1, plan.rows.output), (2, plan.columns.output)]
    where computed != gradientImage.shape[axis] {
      throw .invalidArgument(
        "Conv2DSlowBackpropInput: Size of out_backprop doesn't match computed: actual = "
          + "\(gradientImage.shape[axis]), computed = \(computed) spatial_dim: \(axis)")
    }
    let result: DenseTensor
    switch gradient.dtype {
    case .float:
      let values = try plan.float32Backprop(
        try gradientImage.require(Float.self, "out_backprop"), try filter.require(Float.self, "filter"),
        count: count, invocation)
      result = try DenseTensor.checked(values, shape: inputShape)
    case .double: result = try plan.directBackprop(gradientImage, filter, Double.self, count: count)
    default: result = try plan.directBackprop(gradientImage, filter, Int32.self, count: count)
    }
    return [try layout.restored(result)]
  }

  /// Conv2D's dtypes: float32, float64 and int32 (TensorFlow also has half and bfloat16,
  /// which the evaluator does not hold); both operands share one.
  private static func checkTypes(
    _ input: DenseTensor, _ filter: DenseTensor, _ invocation: KernelInvocation
  ) throws(EvalError) {
    try (DTypeDomain.floats + DTypeDomain(dtypes: [.int32])).check(input.dtype, op: invocation.node.op)
    guard filter.dtype == input.dtype else {
      throw .typeMismatch("\(invocation.node.op): filter has dtype \(filter.dtype), expected \(input.dtype)")
    }
  }
}

/// A checked NHWC convolution: input `[batch, height, width, depth]`, filter
/// `[filterHeight, filterWidth, depth / groups, outDepth]`.
struct ConvolutionPlan {
  /// The input's NHWC shape.
  let input: [Int]
  /// The filter's shape.
  let filter: [Int]
  /// The geometry along the height.
  let rows: WindowAxis
  /// The geometry along the width.
  let columns: WindowAxis
  /// The number of channel groups: the input depth over the filter's.
  let groups: Int

  /// Checks depths and groups as TensorFlow's `ComputeConv2DDimension` does.
  init(input: [Int], filter: [Int], _ attributes: WindowAttributes) throws(EvalError) {
    let (depth, groupDepth, outDepth) = (input[3], filter[2], filter[3])
    guard groupDepth > 0 else { throw .invalidArgument("filter depth must be stricly positive, got \(groupDepth)") }
    guard depth % groupDepth == 0 else {
      throw .invalidArgument("input depth must be evenly divisible by filter depth: \(depth) vs \(groupDepth)")
    }
    let groups = depth / groupDepth
    guard groups > 0 else {
      throw .invalidArgument("input depth must be evenly divisible by filter depth: \(depth) vs \(groupDepth)")
    }
    guard outDepth % groups == 0 else {
      throw .invalidArgument("output depth must be evenly divisible by number of groups: \(outDepth) vs \(groups)")
    }
    (rows, columns) = try attributes.geometry(input: input, window: (filter[0], filter[1]))
    self.input = input
    self.filter = filter
    self.groups = groups
  }

  /// `[batch, outHeight, outWidth, outDepth]`.
  var outputShape: [Int] { [input[0], rows.output, columns.output, filter[3]] }

  /// Whether the convolution is a plain matrix product over pixels: a 1x1 filter at
  /// stride 1 with no padding and one group.
  private var isPointwise: Bool {
    filter[0] == 1 && filter[1] == 1 && groups == 1 && rows.output == input[1] && columns.output == input[2]
      && rows.padBefore == 0 && columns.padBefore == 0
  }

  // MARK: float32 through GEMM

  /// Checks that inner dimensions the result size does not bound fit CBLAS's 32-bit
  /// sizes (only an input of over 2³¹ elements could exceed them).
  private static func checkGemmSizes(_ sizes: [Int], _ invocation: KernelInvocation) throws(EvalError) {
    for size in sizes where size > Int(Int32.max) {
      throw .tooLarge("\(invocation.node.op): a matrix dimension of \(size) exceeds what BLAS takes")
    }
  }

  /// The most floats an im2col block holds (16 MB): a large image is lowered a band of
  /// output rows at a time, so the buffer stays cache-sized and far below the result
  /// limit however large the image.
  static let blockElements = 1 << 22

  /// The output rows one im2col block covers, at least one.
  private func blockRows(patch: Int) -> Int {
    max(1, min(rows.output, Self.blockElements / max(columns.output * patch, 1)))
  }

  /// The float32 convolution: one sgemm per image, group and band of output rows over an
  /// im2col buffer of `[band pixels, filterHeight × filterWidth × groupDepth]`, allocated
  /// once per call.
  func float32(
    _ image: [Float], _ weights: [Float], count: Int, _ invocation: KernelInvocation
  ) throws(EvalError) -> [Float] {
    let (batch, depth) = (input[0], input[3])
    let (groupDepth, outDepth) = (filter[2], filter[3])
    // Every size below is bounded by the (non-empty, checked) result or the filter.
    if count == 0 { return [] }
    let pixels = rows.output * columns.output
    let patch = filter[0] * filter[1] * groupDepth
    try Self.checkGemmSizes([depth, patch], invocation)
    let outPerGroup = outDepth / groups
    let band = blockRows(patch: patch)
    // The buffer is bounded like a result: one output row of a huge filter could
    // otherwise ask for more than any result may hold.
    let columnCount = isPointwise ? 0 : try invocation.checkSize([band * columns.output, patch])
    // im2col writes every element before sgemm reads any, so no zero fill.
    var columnBuffer = [Float](unsafeUninitializedCapacity: columnCount) { _, initialized in
      initialized = columnCount
    }
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      guard let output = out.baseAddress else { return }
      image.withUnsafeBufferPointer { imageBuffer in
        weights.withUnsafeBufferPointer { weightBuffer in
          columnBuffer.withUnsafeMutableBufferPointer { columnsBuffer in
            guard let x = imageBuffer.baseAddress, let w = weightBuffer.baseAddress else {
              output.update(repeating: 0, count: count)
              return
            }
            if isPointwise {
              Gemm.multiply(x, w, into: output, m: batch * pixels, n: outDepth, k: depth)
              return
            }
            guard let column = columnsBuffer.baseAddress else {
              output.update(repeating: 0, count: count)
              return
            }
            let imageSize = input[1] * input[2] * depth
            for index in 0..<batch {
              for group in 0..<groups {
                for first in stride(from: 0, to: rows.output, by: band) {
                  let bandRows = first..<min(first + band, rows.output)
                  im2col(
                    x + index * imageSize, outRows: bandRows, channelOffset: group * groupDepth, depth: groupDepth,
                    into: column)
                  let target = output + (index * pixels + first * columns.output) * outDepth + group * outPerGroup
                  Gemm.multiply(
                    column, w + group * outPerGroup, into: target, m: bandRows.count * columns.output, n: outPerGroup,
                    k: patch, ldb: outDepth, ldc: outDepth)
                }
              }
            }
          }
        }
      }
      initialized = count
    }
  }

  /// Fills `column` with one row per output pixel of `outRows`: the `depth` channels
  /// from `channelOffset` of every filter tap, zeros where the tap falls in the padding.
  private func im2col(
    _ image: UnsafePointer<Float>, outRows: Range<Int>, channelOffset: Int, depth: Int,
    into column: UnsafeMutablePointer<Float>
  ) {
    let (height, width, pixelPitch) = (input[1], input[2], input[3])
    let (filterHeight, filterWidth) = (filter[0], filter[1])
    var row = column
    for outRow in outRows {
      for outColumn in 0..<columns.output {
        for tapRow in 0..<filterHeight {
          let inRow = rows.position(outRow, tap: tapRow)
          guard inRow >= 0 && inRow < height else {
            row.update(repeating: 0, count: filterWidth * depth)
            row += filterWidth * depth
            continue
          }
          let source = image + inRow * width * pixelPitch + channelOffset
          for tapColumn in 0..<filterWidth {
            let inColumn = columns.position(outColumn, tap: tapColumn)
            if inColumn >= 0 && inColumn < width {
              row.update(from: source + inColumn * pixelPitch, count: depth)
            } else {
              row.update(repeating: 0, count: depth)
            }
            row += depth
          }
        }
      }
    }
  }

  /// The float32 input gradient: per image and band of output rows, `columns =
  /// out_backprop · filterᵀ` by sgemm, then each row of `columns` added back onto the
  /// input pixels its taps read (col2im).
  func float32Backprop(
    _ gradient: [Float], _ weights: [Float], count: Int, _ invocation: KernelInvocation
  ) throws(EvalError) -> [Float] {
    let (batch, height, width, depth) = (input[0], input[1], input[2], input[3])
    let (filterHeight, filterWidth, outDepth) = (filter[0], filter[1], filter[3])
    if count == 0 { return [] }
    // An empty out_backprop may have huge spatial sizes; the filter's are bounded by
    // its element count unless it is empty too.
    let pixels = try Checked.multiply(rows.output, columns.output)
    let patch = try Checked.multiply(try Checked.multiply(filterHeight, filterWidth), depth)
    try Self.checkGemmSizes([outDepth], invocation)
    let band = blockRows(patch: patch)
    let columnCount = try invocation.checkSize([band * columns.output, patch])
    var columnBuffer = [Float](repeating: 0, count: columnCount)
    var result = [Float](repeating: 0, count: count)
    result.withUnsafeMutableBufferPointer { out in
      gradient.withUnsafeBufferPointer { gradientBuffer in
        weights.withUnsafeBufferPointer { weightBuffer in
          columnBuffer.withUnsafeMutableBufferPointer { columnsBuffer in
            guard let output = out.baseAddress, let dy = gradientBuffer.baseAddress, let w = weightBuffer.baseAddress,
              let column = columnsBuffer.baseAddress
            else { return }
            for index in 0..<batch {
              for first in stride(from: 0, to: rows.output, by: band) {
                let bandRows = first..<min(first + band, rows.output)
                Gemm.multiply(
                  dy + (index * pixels + first * columns.output) * outDepth, w, into: column,
                  m: bandRows.count * columns.output, n: patch, k: outDepth, transposeB: true)
                let image = output + index * height * width * depth
                var row = UnsafePointer(column)
                for outRow in bandRows {
                  for outColumn in 0..<columns.output {
                    for tapRow in 0..<filterHeight {
                      let inRow = rows.position(outRow, tap: tapRow)
                      for tapColumn in 0..<filterWidth {
                        let inColumn = columns.position(outColumn, tap: tapColumn)
                        if inRow >= 0 && inRow < height && inColumn >= 0 && inColumn < width {
                          let target = image + (inRow * width + inColumn) * depth
                          for channel in 0..<depth { target[channel] += row[channel] }
                        }
                        row += depth
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return result
  }

  // MARK: Direct loops

  /// The convolution in `T`, one output element at a time.
  func direct<T: ConvolutionElement>(
    _ image: DenseTensor, _ weights: DenseTensor, _ type: T.Type, count: Int
  ) throws(EvalError) -> DenseTensor {
    let x = try image.require(T.self, "input")
    let w = try weights.require(T.self, "filter")
    let (height, width, depth) = (input[1], input[2], input[3])
    let (filterHeight, filterWidth, groupDepth, outDepth) = (filter[0], filter[1], filter[2], filter[3])
    let outPerGroup = outDepth / max(groups, 1)
    var result = [T](repeating: T.zero, count: count)
    var index = 0
    for batchIndex in 0..<input[0] {
      for outRow in 0..<rows.output {
        for outColumn in 0..<columns.output {
          for channel in 0..<outDepth {
            let channelBase = channel / outPerGroup * groupDepth
            var sum = T.zero
            for tapRow in 0..<filterHeight {
              let inRow = rows.position(outRow, tap: tapRow)
              guard inRow >= 0 && inRow < height else { continue }
              for tapColumn in 0..<filterWidth {
                let inColumn = columns.position(outColumn, tap: tapColumn)
                guard inColumn >= 0 && inColumn < width else { continue }
                let source = ((batchIndex * height + inRow) * width + inColumn) * depth + channelBase
                let tap = (tapRow * filterWidth + tapColumn) * groupDepth
                for inner in 0..<groupDepth {
                  sum = T.multiplyAdd(sum, x[source + inner], w[(tap + inner) * outDepth + channel])
                }
              }
            }
            result[index] = sum
            index += 1
          }
        }
      }
    }
    return try DenseTensor.checked(result, shape: outputShape)
  }

  /// The input gradient in `T`: every output gradient scattered back through the filter.
  func directBackprop<T: ConvolutionElement>(
    _ gradient: DenseTensor, _ weights: DenseTensor, _ type: T.Type, count: Int
  ) throws(EvalError) -> DenseTensor {
    let dy = try gradient.require(T.self, "out_backprop")
    let w = try weights.require(T.self, "filter")
    let (height, width, depth) = (input[1], input[2], input[3])
    let (filterHeight, filterWidth, outDepth) = (filter[0], filter[1], filter[3])
    var result = [T](repeating: T.zero, count: count)
    var source = 0
    for batchIndex in 0..<input[0] {
      for outRow in 0..<rows.output {
        for outColumn in 0..<columns.output {
          defer { source += outDepth }
          for tapRow in 0..<filterHeight {
            let inRow = rows.position(outRow, tap: tapRow)
            guard inRow >= 0 && inRow < height else { continue }
            for tapColumn in 0..<filterWidth {
              let inColumn = columns.position(outColumn, tap: tapColumn)
              guard inColumn >= 0 && inColumn < width else { continue }
              let target = ((batchIndex * height + inRow) * width + inColumn) * depth
              let tap = (tapRow * filterWidth + tapColumn) * depth
              for channel in 0..<depth {
                var sum = result[target + channel]
                for out in 0..<outDepth {
                  sum = T.multiplyAdd(sum, dy[source + out], w[(tap + channel) * outDepth + out])
                }
                result[target + channel] = sum
              }
            }
          }
        }
      }
    }
    return try DenseTensor.checked(result, shape: input)
  }
}

/// The depthwise convolution in one float type.
private struct Depthwise: FloatVisitor {
  /// The NHWC input.
  let image: DenseTensor
  /// The filter, `[height, width, depth, multiplier]`.
  let filter: DenseTensor
  /// The geometry along the height.
  let rows: WindowAxis
  /// The geometry along the width.
  let columns: WindowAxis
  /// The NHWC result shape.
  let shape: [Int]
  /// The result's element count, already checked.
  let count: Int

  /// Convolves `[T]`: per output pixel, the taps in order, each a run over the
  /// contiguous channels × multipliers.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let x = try image.require(T.self, "input")
    let w = try filter.require(T.self, "filter")
    let (height, width, depth) = (image.shape[1], image.shape[2], image.shape[3])
    let (filterHeight, filterWidth, multiplier) = (filter.shape[0], filter.shape[1], filter.shape[3])
    let outDepth = depth * multiplier
    var result = [T](repeating: 0, count: count)
    if count == 0 { return try DenseTensor.checked(result, shape: shape) }
    result.withUnsafeMutableBufferPointer { out in
      x.withUnsafeBufferPointer { input in
        w.withUnsafeBufferPointer { weights in
          guard let output = out.baseAddress, let x = input.baseAddress, let w = weights.baseAddress else { return }
          var target = output
          for batchIndex in 0..<shape[0] {
            for outRow in 0..<rows.output {
              for outColumn in 0..<columns.output {
                for tapRow in 0..<filterHeight {
                  let inRow = rows.position(outRow, tap: tapRow)
                  guard inRow >= 0 && inRow < height else { continue }
                  for tapColumn in 0..<filterWidth {
                    let inColumn = columns.position(outColumn, tap: tapColumn)
                    guard inColumn >= 0 && inColumn < width else { continue }
                    let source = x + ((batchIndex * height + inRow) * width + inColumn) * depth
                    let taps = w + (tapRow * filterWidth + tapColumn) * outDepth
                    if multiplier == 1 {
                      for channel in 0..<depth { target[channel] += source[channel] * taps[channel] }
                    } else {
                      for channel in 0..<depth {
                        let value = source[channel]
                        for copy in 0..<multiplier {
                          target[channel * multiplier + copy] += value * taps[channel * multiplier + copy]
                        }
                      }
                    }
                  }
                }
                target += outDepth
              }
            }
          }
        }
      }
    }
    return try DenseTensor.checked(result, shape: shape)
  }
}
