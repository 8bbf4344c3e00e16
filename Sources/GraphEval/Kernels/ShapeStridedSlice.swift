// SPDX-License-Identifier: Apache-2.0

import GraphIR

extension ShapeKernels {
  /// `StridedSlice`: NumPy-style basic indexing — `begin:end:stride` per axis, with the
  /// begin/end masks (open ends), one ellipsis, new axes and shrunk (indexed) axes.
  static func stridedSlice(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(4)
    let input = invocation.inputs[0]
    func mask(_ name: String) throws(EvalError) -> Int32 {
      Int32(truncatingIfNeeded: try invocation.int(name, default: 0))
    }
    let plan = try StridedSlicePlan(
      inputShape: input.shape, begin: invocation.inputs[1], end: invocation.inputs[2],
      strides: invocation.inputs[3], beginMask: try mask("begin_mask"), endMask: try mask("end_mask"),
      ellipsisMask: try mask("ellipsis_mask"), newAxisMask: try mask("new_axis_mask"),
      shrinkAxisMask: try mask("shrink_axis_mask"))
    if plan.isIdentity { return [try input.reshaped(plan.finalShape)] }
    if ShapeMath.product(plan.counts) == 0 {
      return [try input.storage.visitElementType(RepeatedElement(like: input, shape: plan.finalShape, value: nil))]
    }
    // TF parity: TensorFlow's general strided path stops at rank 8 ("Unhandled input
    // dimensions"); declining leaves such a node as TensorFlow would run it.
    if input.rank > 8 { throw .unsupported("StridedSlice of a rank-\(input.rank) tensor") }
    let maps = input.shape.indices.map { axis in
      (0..<plan.counts[axis]).map { plan.starts[axis] + $0 * plan.strides[axis] }
    }
    return [try input.storage.visitElementType(AxisMapGather(input: input, maps: maps, shape: plan.finalShape))]
  }
}

/// What a StridedSlice call reads, worked out as TensorFlow's `ValidateStridedSliceOp`
/// does: the sparse spec (one entry per begin/end/strides element, with the ellipsis and
/// new axes) is expanded into a dense spec with one entry per input axis, each entry is
/// made explicit and clamped, and the result's shape is gathered from the per-axis
/// counts, adding new axes and dropping shrunk ones.
struct StridedSlicePlan {
  /// Per input axis: the first index read.
  var starts: [Int] = []
  /// Per input axis: the step between indices read.
  var strides: [Int] = []
  /// Per input axis: how many indices are read (TensorFlow's processing shape).
  var counts: [Int] = []
  /// The result's shape.
  var finalShape: [Int] = []
  /// Whether every axis is read whole, in order: the result is the input reshaped.
  var isIdentity = true

  /// The dense-spec entry of one input axis.
  private struct DenseAxis {
    var begin = 0
    var end = 0
    // TF parity: an axis the sparse spec never reaches keeps TensorFlow's zero stride and
    // so fails the non-zero check, as there.
    var stride = 0
    var beginMasked = false
    var endMasked = false
    var shrink = false
  }

  /// Where each result axis comes from: an input axis, a new axis, or nowhere (shrunk).
  private enum FinalAxis {
    case input(Int)
    case newAxis
    case shrunk
  }

  /// Analyses a call on an input of `inputShape`.
  ///
  /// - Throws: `EvalError.invalidArgument` wherever TensorFlow's kernel fails.
  init(
    inputShape: [Int], begin beginTensor: DenseTensor, end endTensor: DenseTensor, strides stridesTensor: DenseTensor,
    beginMask: Int32, endMask: Int32, ellipsisMask: Int32, newAxisMask: Int32, shrinkAxisMask: Int32
  ) throws(EvalError) {
    let sparseCount = stridesTensor.count
    guard beginTensor.rank == 1, endTensor.rank == 1, stridesTensor.rank == 1,
      beginTensor.count == sparseCount, endTensor.count == sparseCount, sparseCount < 32
    else {
      throw .invalidArgument(
        "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
          + "\(beginTensor.shapeText), \(endTensor.shapeText), and \(stridesTensor.shapeText) instead.")
    }
    // The power-of-two test is on the raw 32-bit mask, bits past the spec included.
    guard ellipsisMask & (ellipsisMask &- 1) == 0 else {
      throw .invalidArgument("Multiple ellipses in slice spec not allowed")
    }
    let begin = try beginTensor.indices("begin")
    let end = try endTensor.indices("end")
    let strides = try stridesTensor.indices("strides")
    func bit(_ mask: Int32, _ index: Int) -> Bool { index < 32 && (mask >> Int32(index)) & 1 != 0 }

    // Step 1: count the new axes after the ellipsis; without an ellipsis, imply one at
    // the end of the spec.
    var sparseDims = sparseCount
    var ellipsis = ellipsisMask
    var newAxesAfterEllipsis = 0
    var ellipsisSeen = false
    for index in 0..<sparseCount {
      if ellipsisSeen && bit(newAxisMask, index) { newAxesAfterEllipsis += 1 }
      if bit(ellipsisMask, index) { ellipsisSeen = true }
    }
    if !ellipsisSeen {
      ellipsis |= Int32(truncatingIfNeeded: 1 << sparseDims)
      sparseDims += 1
    }

    // Step 2: one dense entry per input axis. Priority per spec entry: ellipsis, then new
    // axis, then an ordinary (possibly shrinking) entry.
    let rank = inputShape.count
    var dense = [DenseAxis](repeating: DenseAxis(), count: rank)
    var finalAxes: [FinalAxis] = []
    var full = 0
    for index in 0..<sparseDims {
      if bit(ellipsis, index) {
        let next = min(rank - (sparseDims - index) + 1 + newAxesAfterEllipsis, rank)
        while full < next {
          dense[full] = DenseAxis(begin: 0, end: 0, stride: 1, beginMasked: true, endMasked: true)
          finalAxes.append(.input(full))
          full += 1
        }
      } else if bit(newAxisMask, index) {
        finalAxes.append(.newAxis)
      } else {
        guard full < rank else {
          if rank == 0 { throw .invalidArgument("Attempting to slice scalar input.") }
          throw .invalidArgument("Index out of range using input dim \(full); input has only \(rank) dims")
        }
        let shrink = bit(shrinkAxisMask, index)
        dense[full] = DenseAxis(
          begin: begin[index], end: end[index], stride: strides[index],
          beginMasked: bit(beginMask, index), endMasked: bit(endMask, index), shrink: shrink)
        finalAxes.append(shrink ? .shrunk : .input(full))
        full += 1
      }
    }

    // Step 3: explicit, clamped ranges and the count each reads.
    for (axis, entry) in dense.enumerated() {
      let dim = inputShape[axis]
      let stride = entry.stride
      guard stride != 0 else { throw .invalidArgument("strides[\(axis)] must be non-zero") }
      guard !entry.shrink || stride > 0 else {
        throw .invalidArgument("only stride 1 allowed on non-range indexing.")
      }
      let start: Int
      let stop: Int
      if entry.shrink {
        // An index, not a range: the masks do not apply, and it must be in bounds.
        let index = entry.begin < 0 ? dim + entry.begin : entry.begin
        guard index >= 0, index < dim else {
          throw .invalidArgument("slice index \(index) of dimension \(axis) out of bounds.")
        }
        start = index
        stop = index + 1
      } else {
        // Positive strides clamp to [0, dim], negative ones to [-1, dim - 1]; a masked
        // end is the far end of that range in the stride's direction.
        let low = stride > 0 ? 0 : -1
        let high = stride > 0 ? dim : dim - 1
        func canonical(_ value: Int, masked: Bool, isBegin: Bool) -> Int {
          if masked { return (stride > 0) == isBegin ? low : high }
          let forward = value < 0 ? dim + value : value
          return Swift.min(Swift.max(forward, low), high)
        }
        start = canonical(entry.begin, masked: entry.beginMasked, isBegin: true)
        stop = canonical(entry.end, masked: entry.endMasked, isBegin: false)
      }
      isIdentity = isIdentity && stride == 1 && start == 0 && stop == dim
      let interval = stop - start
      let count: Int
      if interval == 0 || (interval < 0) != (stride < 0) {
        count = 0
      } else {
        count = interval / stride + (interval % stride != 0 ? 1 : 0)
      }
      starts.append(start)
      self.strides.append(stride)
      counts.append(count)
    }

    // Step 4: the result's shape.
    for axis in finalAxes {
      switch axis {
      case .input(let index): finalShape.append(counts[index])
      case .newAxis: finalShape.append(1)
      case .shrunk: break
      }
    }
  }
}
