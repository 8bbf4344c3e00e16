// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// `SpaceToBatchND` and `BatchToSpaceND` (and their rank-4 forerunners `SpaceToBatch`
/// and `BatchToSpace`): the data movement TensorFlow wraps around a convolution to make
/// it atrous (dilated). They only move elements, so they take every dtype.
let spaceBatchKernels: [String: Kernel] = [
  "SpaceToBatchND": SpaceBatchKernels.spaceToBatchND,
  "BatchToSpaceND": SpaceBatchKernels.batchToSpaceND,
  "SpaceToBatch": SpaceBatchKernels.spaceToBatch,
  "BatchToSpace": SpaceBatchKernels.batchToSpace,
]

/// The space/batch kernels' bodies.
enum SpaceBatchKernels {
  /// `SpaceToBatchND(input, block_shape, paddings)`.
  static func spaceToBatchND(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let (blockShape, pairs) = try blocks(invocation.inputs[1], invocation.inputs[2], "paddings")
    return [try spaceToBatch(invocation.inputs[0], blockShape, pairs, invocation)]
  }

  /// `BatchToSpaceND(input, block_shape, crops)`.
  static func batchToSpaceND(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let (blockShape, pairs) = try blocks(invocation.inputs[1], invocation.inputs[2], "crops")
    return [try batchToSpace(invocation.inputs[0], blockShape, pairs, invocation)]
  }

  /// `SpaceToBatch(input, paddings)` with a square `block_size`, on 4-D inputs.
  static func spaceToBatch(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let (blockShape, pairs) = try squareBlocks(invocation)
    return [try spaceToBatch(invocation.inputs[0], blockShape, pairs, invocation)]
  }

  /// `BatchToSpace(input, crops)` with a square `block_size`, on 4-D inputs.
  static func batchToSpace(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let (blockShape, pairs) = try squareBlocks(invocation)
    return [try batchToSpace(invocation.inputs[0], blockShape, pairs, invocation)]
  }

  /// The rank-4 forms' `block_size` as a 2-D block shape, and their paddings or crops.
  private static func squareBlocks(_ invocation: KernelInvocation) throws(EvalError) -> (
    [Int], [(before: Int, after: Int)]
  ) {
    try invocation.expectInputs(2)
    let blockSize = try invocation.int("block_size")
    guard blockSize > 1 else { throw .invalidArgument("Block size should be > 1: \(blockSize)") }
    guard invocation.inputs[0].rank == 4 else {
      throw .invalidArgument("input rank should be 4 instead of \(invocation.inputs[0].rank)")
    }
    return ([blockSize, blockSize], try ShapeMath.paddings(invocation.inputs[1], rank: 2))
  }

  /// The block shape and the `[M, 2]` paddings or crops, checked.
  private static func blocks(
    _ blockTensor: DenseTensor, _ pairTensor: DenseTensor, _ role: String
  ) throws(EvalError) -> ([Int], [(before: Int, after: Int)]) {
    guard blockTensor.rank == 1 else {
      throw .invalidArgument("block_shape rank should be 1 instead of \(blockTensor.rank)")
    }
    let blockShape = try blockTensor.indices("block_shape")
    guard pairTensor.rank == 2, pairTensor.shape[0] == blockShape.count, pairTensor.shape[1] == 2 else {
      throw .invalidArgument("\(role) should have shape [\(blockShape.count), 2] instead of \(pairTensor.shapeText)")
    }
    let values = try pairTensor.indices(role)
    let pairs = (0..<blockShape.count).map { (values[2 * $0], values[2 * $0 + 1]) }
    return (blockShape, pairs)
  }

  /// Checks the input against `blockShape` and returns the block count.
  private static func checkBlocks(_ input: DenseTensor, _ blockShape: [Int]) throws(EvalError) -> Int {
    guard input.rank >= 1 + blockShape.count else {
      throw .invalidArgument("input rank should be >= \(1 + blockShape.count) instead of \(input.rank)")
    }
    for (index, size) in blockShape.enumerated() where size < 1 {
      throw .invalidArgument("All values in block_shape must be positive, got value, \(size) for dimension \(index)")
    }
    return try Checked.product(blockShape)
  }

  /// Zero-pads the spatial axes, then moves each `blockShape` offset into its own batch.
  private static func spaceToBatch(
    _ input: DenseTensor, _ blockShape: [Int], _ paddings: [(before: Int, after: Int)],
    _ invocation: KernelInvocation
  ) throws(EvalError) -> DenseTensor {
    let blocks = try checkBlocks(input, blockShape)
    var shape = input.shape
    shape[0] = try Checked.multiply(input.shape[0], blocks)
    for (axis, (block, padding)) in zip(blockShape, paddings).enumerated() {
      guard padding.before >= 0, padding.after >= 0 else {
        throw .invalidArgument("Negative padding values are not allowed: \(padding.before), \(padding.after)")
      }
      let padded = try Checked.add(try Checked.add(input.shape[axis + 1], padding.before), padding.after)
      guard padded % block == 0 else {
        throw .invalidArgument(
          "padded_shape[\(axis)]=\(padded) is not divisible by block_shape[\(axis)]=\(block)")
      }
      shape[axis + 1] = padded / block
    }
    let move = BlockMove(
      input: input, shape: shape, count: try invocation.checkSize(shape), blockShape: blockShape,
      starts: paddings.map { -$0.before }, toBatch: true)
    return try input.storage.visitElementType(move)
  }

  /// Moves each batch group back to its `blockShape` offset, then crops.
  private static func batchToSpace(
    _ input: DenseTensor, _ blockShape: [Int], _ crops: [(before: Int, after: Int)],
    _ invocation: KernelInvocation
  ) throws(EvalError) -> DenseTensor {
    let blocks = try checkBlocks(input, blockShape)
    guard input.shape[0] % blocks == 0 else {
      throw .invalidArgument(
        "Input batch dimension (\(input.shape[0])) is not divisible by product of block sizes (\(blocks))")
    }
    var shape = input.shape
    shape[0] = input.shape[0] / blocks
    for (axis, (block, crop)) in zip(blockShape, crops).enumerated() {
      guard crop.before >= 0, crop.after >= 0 else {
        throw .invalidArgument("Crops must be non-negative")
      }
      let size = try Checked.multiply(input.shape[axis + 1], block) - crop.before - crop.after
      guard size >= 0 else {
        throw .invalidArgument("Negative output dimension size caused by overly large crop values")
      }
      shape[axis + 1] = size
    }
    let move = BlockMove(
      input: input, shape: shape, count: try invocation.checkSize(shape), blockShape: blockShape,
      starts: crops.map(\.before), toBatch: false)
    return try input.storage.visitElementType(move)
  }
}

/// The gather behind both directions: every output element found in the input (or in
/// the padding, for space-to-batch).
private struct BlockMove: AnyElementVisitor {
  /// The input.
  let input: DenseTensor
  /// The checked output shape.
  let shape: [Int]
  /// The output's element count.
  let count: Int
  /// The block size per spatial axis.
  let blockShape: [Int]
  /// Per spatial axis, where the output's position 0 falls in the blocked space:
  /// minus the padding before (space-to-batch) or the crop before (batch-to-space).
  let starts: [Int]
  /// Whether space moves into the batch.
  let toBatch: Bool

  /// Moves `[T]`, copying each run of the trailing (non-spatial) axes at once.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "input")
    let spatial = blockShape.count
    var result = [T]()
    if count == 0 { return try input.withValues(result, shape: shape) }
    result.reserveCapacity(count)
    // Non-empty output, so its trailing sizes (the input's) multiply without overflow.
    let inner = input.shape[(spatial + 1)...].reduce(1, *)
    let (inputBatch, outputBatch) = (input.shape[0], shape[0])
    let inputStrides = rowMajorStrides(input.shape)
    var position = [Int](repeating: 0, count: spatial)
    for batch in 0..<outputBatch {
      // The block offset of this batch group, row-major over the block axes.
      var group = toBatch ? batch / inputBatch : 0
      var offsets = [Int](repeating: 0, count: spatial)
      for axis in (0..<spatial).reversed() {
        offsets[axis] = group % blockShape[axis]
        group /= blockShape[axis]
      }
      for index in position.indices { position[index] = 0 }
      for _ in 0..<(count / outputBatch / inner) {
        var source = 0
        var inside = true
        var batchGroup = 0
        for axis in 0..<spatial {
          if toBatch {
            let at = position[axis] * blockShape[axis] + offsets[axis] + starts[axis]
            if at < 0 || at >= input.shape[axis + 1] { inside = false }
            source += at * inputStrides[axis + 1]
          } else {
            let at = position[axis] + starts[axis]
            batchGroup = batchGroup * blockShape[axis] + at % blockShape[axis]
            source += at / blockShape[axis] * inputStrides[axis + 1]
          }
        }
        if inside {
          let sourceBatch = toBatch ? batch % inputBatch : batchGroup * outputBatch + batch
          let base = sourceBatch * inputStrides[0] + source
          result.append(contentsOf: values[base..<(base + inner)])
        } else {
          result.append(contentsOf: repeatElement(T.zero, count: inner))
        }
        // Advance the spatial odometer.
        var axis = spatial - 1
        while axis >= 0 {
          position[axis] += 1
          if position[axis] < shape[axis + 1] { break }
          position[axis] = 0
          axis -= 1
        }
      }
    }
    return try input.withValues(result, shape: shape)
  }
}
