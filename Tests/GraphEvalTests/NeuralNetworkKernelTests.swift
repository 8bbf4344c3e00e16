// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

@testable import GraphEval

// The neural-network kernels on inputs no TensorFlow fixture can hold: shapes a hostile
// graph can declare (negative sizes whose product still matches the element count, empty
// tensors with huge other sizes, overflowing attributes). Each must throw an EvalError,
// or return an empty result, and never trap.

private func node(_ op: String, _ attrs: [String: AttrValue]) -> Node {
  Node(name: op.lowercased(), op: op, attrs: AttrMap(attrs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
}

private func ints(_ values: [Int]) -> AttrValue {
  var list = AttrList()
  list.i = values.map(Int64.init)
  return .list(list)
}

private func string(_ value: String) -> AttrValue { .s(Array(value.utf8)) }

private let convolution: [String: AttrValue] = [
  "T": .type(.float), "padding": string("SAME"), "strides": ints([1, 1, 1, 1]),
]
private let pooling = convolution.merging(["ksize": ints([1, 2, 2, 1])]) { $1 }
private let huge = 1 << 40

/// Evaluates `op`; a trap here would take the test process down with it.
private func outcome(_ op: String, _ attrs: [String: AttrValue], _ inputs: [DenseTensor]) -> Result<
  [DenseTensor], EvalError
> {
  do {
    return .success(try Evaluator().evaluate(node(op, attrs), inputs: inputs))
  } catch {
    return .failure(error)
  }
}

/// Whether `op` threw or returned only empty tensors: what a hostile shape may get.
private func survives(_ op: String, _ attrs: [String: AttrValue], _ inputs: [DenseTensor]) -> Bool {
  switch outcome(op, attrs, inputs) {
  case .success(let outputs): return outputs.allSatisfy { $0.count == 0 }
  case .failure: return true
  }
}

@Test(arguments: [
  // Negative sizes whose product is the element count.
  ("Conv2D", [-1, -1, 1, 1], [1, 1, 1, 1]),
  ("Conv2D", [1, 1, 1, 1], [1, 1, -1, -1]),
  ("Conv2D", [1, -1, -1, 1], [1, 1, 1, 1]),
  ("DepthwiseConv2dNative", [1, -1, -1, 1], [1, 1, 1, 1]),
  ("DepthwiseConv2dNative", [1, 1, -1, -1], [1, 1, -1, -1]),
  // Empty tensors with huge other sizes (a zero after an overflowing prefix cannot even
  // be built).
  ("Conv2D", [0, huge, huge, 1], [1, 1, 1, 1]),
  ("Conv2D", [0, huge, huge, 1], [3, 3, 1, 2]),
  ("Conv2D", [1, 0, huge, 1], [3, 3, 1, 2]),
  ("Conv2D", [1, 2, 2, 1], [0, huge, 1, 1]),
  ("DepthwiseConv2dNative", [0, huge, huge, 1], [3, 3, 1, 1]),
  ("DepthwiseConv2dNative", [1, 2, 2, 1], [0, huge, 1, 2]),
  // Channels that do not divide.
  ("Conv2D", [1, 2, 2, 0], [1, 1, 3, 1]),
])
func convolutionsRejectHostileShapes(op: String, inputShape: [Int], filterShape: [Int]) {
  let input = DenseTensor([Float](repeating: 1, count: inputShape.reduce(1, *)), shape: inputShape)
  let filter = DenseTensor([Float](repeating: 1, count: filterShape.reduce(1, *)), shape: filterShape)
  #expect(survives(op, convolution, [input, filter]))
  let gradient = DenseTensor([Float](repeating: 1, count: inputShape.reduce(1, *)), shape: inputShape)
  let sizes = DenseTensor(inputShape.map { Int32(truncatingIfNeeded: $0) }, shape: [4])
  #expect(survives("Conv2DBackpropInput", convolution, [sizes, filter, gradient]))
}

@Test func windowAttributesThatOverflowThrow() {
  let input = DenseTensor([Float](repeating: 1, count: 4), shape: [1, 2, 2, 1])
  let filter = DenseTensor([Float](repeating: 1, count: 1), shape: [1, 1, 1, 1])
  var explicit = convolution
  explicit["padding"] = string("EXPLICIT")
  explicit["explicit_paddings"] = ints([0, 0, Int.max, Int.max, 0, 0, 0, 0])
  #expect(throws: EvalError.self) { try Evaluator().evaluate(node("Conv2D", explicit), inputs: [input, filter]) }
  var dilated = convolution
  dilated["dilations"] = ints([1, Int.max, 1, 1])
  let wide = DenseTensor([Float](repeating: 1, count: 3), shape: [3, 1, 1, 1])
  #expect(throws: EvalError.self) { try Evaluator().evaluate(node("Conv2D", dilated), inputs: [input, wide]) }
  var strided = pooling
  strided["strides"] = ints([1, Int.max, Int.max, 1])
  strided["ksize"] = ints([1, Int.max, Int.max, 1])
  #expect(survives("MaxPool", strided, [input]))
  var zero = pooling
  zero["strides"] = ints([1, 0, 1, 1])
  #expect(throws: EvalError.self) { try Evaluator().evaluate(node("AvgPool", zero), inputs: [input]) }
}

@Test func otherKernelsRejectHostileShapes() {
  let negative = DenseTensor([Float](repeating: 1, count: 1), shape: [1, -1, -1, 1])
  let empty = DenseTensor([Float](), shape: [0, huge, huge, 1])
  for image in [negative, empty] {
    #expect(survives("MaxPool", pooling, [image]))
    #expect(survives("AvgPool", pooling, [image]))
    let size = DenseTensor([Int32(3), Int32(3)], shape: [2])
    #expect(survives("ResizeBilinear", ["T": .type(.float)], [image, size]))
    #expect(survives("ResizeNearestNeighbor", ["T": .type(.float)], [image, size]))
    let block = DenseTensor([Int32(2), Int32(2)], shape: [2])
    let pads = DenseTensor([Int32](repeating: 0, count: 4), shape: [2, 2])
    #expect(survives("SpaceToBatchND", [:], [image, block, pads]))
    #expect(survives("BatchToSpaceND", [:], [image, block, pads]))
    let channel = DenseTensor([Float(1)], shape: [1])
    // Batch norm keeps its input's shape and passes its statistics through.
    _ = outcome("FusedBatchNormV3", ["is_training": .b(false)], [image, channel, channel, channel, channel])
  }
  let emptyWide = DenseTensor([Float](), shape: [1, 0, huge, huge])
  let huge32 = DenseTensor([Int32(Int32.max), Int32(Int32.max)], shape: [2])
  #expect(survives("ResizeBilinear", ["T": .type(.float)], [DenseTensor([Float](), shape: [0, 1, 1, 1]), huge32]))
  let noChannels = Array(repeating: DenseTensor([Float](), shape: [0]), count: 4)
  _ = outcome("FusedBatchNormV3", ["is_training": .b(false), "data_format": string("NCHW")], [emptyWide] + noChannels)
  let quantized = try? DenseTensor([UInt8](), shape: [1, 0, huge, huge], dtype: .quint8)
  if let quantized {
    let range = DenseTensor([Float(1)], shape: [1])
    #expect(
      survives("Dequantize", ["T": .type(.quint8), "dtype": .type(.float), "axis": .i(3)], [quantized, range, range]))
  }
  // A block product that overflows.
  let blocks = DenseTensor([Int64(huge), Int64(huge)], shape: [2])
  let pads64 = DenseTensor([Int64](repeating: 0, count: 4), shape: [2, 2])
  #expect(
    survives(
      "SpaceToBatchND", [:], [DenseTensor([Float](repeating: 1, count: 4), shape: [1, 2, 2, 1]), blocks, pads64]))
  #expect(
    survives(
      "BatchToSpaceND", [:], [DenseTensor([Float](repeating: 1, count: 4), shape: [1, 2, 2, 1]), blocks, pads64]))
}

@Test func fusedMultiplyAddRoundsOnce() {
  var generator = SystemRandomNumberGenerator()
  for _ in 0..<200_000 {
    let a = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4F00_0000, using: &generator))
    let b = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4F00_0000, using: &generator))
    let c =
      Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4F00_0000, using: &generator)) * (Bool.random() ? -1 : 1)
    let expected = c.addingProduct(a, b)
    #expect(fusedMultiplyAdd(a, b, c).bitPattern == expected.bitPattern, "fma(\(a), \(b), \(c))")
  }
}

/// A float32 convolution too large for one im2col block is lowered in bands of output
/// rows; with small integers every sum is exact, so it must equal the float64 loop.
@Test func bandedFloat32ConvolutionsMatchTheDirectLoop() throws {
  let (height, width) = (480, 1000)
  let pixels = (0..<(height * width)).map { Float($0 % 7) - 3 }
  let taps: [Float] = [1, -2, 0, 3, 1, -1, 2, 0, -3]
  #expect(ConvolutionPlan.blockElements < height * width * taps.count)
  for op in ["Conv2D", "Conv2DBackpropInput"] {
    var attrs = convolution
    var results: [[Double]] = []
    for dtype in [DataType.float, .double] {
      attrs["T"] = .type(dtype)
      let image =
        dtype == .float
        ? DenseTensor(pixels, shape: [1, height, width, 1])
        : DenseTensor(pixels.map(Double.init), shape: [1, height, width, 1])
      let filter =
        dtype == .float
        ? DenseTensor(taps, shape: [3, 3, 1, 1]) : DenseTensor(taps.map(Double.init), shape: [3, 3, 1, 1])
      let inputs =
        op == "Conv2D"
        ? [image, filter] : [DenseTensor([Int32(1), Int32(height), Int32(width), 1], shape: [4]), filter, image]
      let output = try Evaluator().evaluate(node(op, attrs), inputs: inputs)[0]
      results.append(output.values(as: Float.self)?.map(Double.init) ?? output.values(as: Double.self) ?? [])
    }
    #expect(results[0].count == height * width)
    #expect(results[0] == results[1], "\(op)")
  }
}

@Test func blasBackendNamesItsCore() {
  #expect(!BLASBackend.coreName.isEmpty)
}
