// SPDX-License-Identifier: Apache-2.0

import GraphIR

// Joining, cutting, slicing, gathering and permuting: the shape kernels that pick
// elements out of their inputs.

extension ShapeKernels {
  // MARK: Joining and cutting

  /// `ConcatV2`: N tensors joined along `axis`, the last input.
  static func concatV2(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    guard invocation.inputs.count >= 2 else {
      throw .invalidArgument("ConcatV2 expects values and an axis, got \(invocation.inputs.count) inputs")
    }
    let values = Array(invocation.inputs.dropLast())
    return [try concatenate(values, axis: invocation.inputs[values.count], invocation)]
  }

  /// `Concat`: the original form of ConcatV2, with the axis (`concat_dim`) first.
  static func concat(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    guard invocation.inputs.count >= 2 else {
      throw .invalidArgument("Concat expects an axis and values, got \(invocation.inputs.count) inputs")
    }
    return [try concatenate(Array(invocation.inputs.dropFirst()), axis: invocation.inputs[0], invocation)]
  }

  /// The shared body of Concat and ConcatV2.
  private static func concatenate(
    _ values: [DenseTensor], axis axisTensor: DenseTensor, _ invocation: KernelInvocation
  ) throws(EvalError) -> DenseTensor {
    let axisValue = try ShapeMath.scalarOrSingleton(axisTensor, "axis")
    let first = values[0]
    let rank = first.rank
    guard rank > 0 else { throw .invalidArgument("ConcatOp : Can't concatenate scalars (use tf.stack instead)") }
    guard let axis = ShapeMath.normalizedAxis(axisValue, rank: rank) else {
      throw .invalidArgument(
        "ConcatOp : Expected concatenating dimensions in the range [\(-rank), \(rank)), but got \(axisValue)")
    }
    var shape = first.shape
    shape[axis] = 0
    for (index, value) in values.enumerated() {
      guard value.dtype == first.dtype else {
        throw .typeMismatch("values[\(index)] has dtype \(value.dtype), expected \(first.dtype)")
      }
      guard value.rank == rank else {
        throw .invalidArgument(
          "ConcatOp : Ranks of all input tensors should match: shape[0] = \(first.shapeText) vs. "
            + "shape[\(index)] = \(value.shapeText)")
      }
      for dim in 0..<rank where dim != axis && value.shape[dim] != first.shape[dim] {
        throw .invalidArgument(
          "ConcatOp : Dimension \(dim) in both shapes must be equal: shape[0] = \(first.shapeText) vs. "
            + "shape[\(index)] = \(value.shapeText)")
      }
      shape[axis] += value.shape[axis]
    }
    let outer = ShapeMath.product(first.shape[..<axis])
    return try first.storage.visitElementType(ConcatBlocks(inputs: values, outer: outer, shape: shape))
  }

  /// `Pack`: N tensors of one shape stacked along a new axis `axis`.
  static func pack(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let values = invocation.inputs
    guard let first = values.first else { throw .invalidArgument("Pack expects at least 1 input") }
    let axisAttribute = try invocation.int("axis", default: 0)
    let expandedRank = first.rank + 1
    let axis = axisAttribute < 0 ? axisAttribute + expandedRank : axisAttribute
    guard axis >= 0, axis < expandedRank else {
      throw .invalidArgument("axis = \(axisAttribute) not in [\(-expandedRank), \(expandedRank))")
    }
    var shape = first.shape
    shape.insert(values.count, at: axis)
    if values.count == 1 { return [try first.reshaped(shape)] }
    for (index, value) in values.enumerated() {
      guard value.dtype == first.dtype else {
        throw .typeMismatch("values[\(index)] has dtype \(value.dtype), expected \(first.dtype)")
      }
      guard value.shape == first.shape else {
        throw .invalidArgument(
          "Shapes of all inputs must match: values[0].shape = \(first.shapeText) != "
            + "values[\(index)].shape = \(value.shapeText)")
      }
    }
    let outer = ShapeMath.product(first.shape[..<axis])
    return [try first.storage.visitElementType(ConcatBlocks(inputs: values, outer: outer, shape: shape))]
  }

  /// `Unpack`: the `num` slices of the input along `axis`, that axis removed.
  static func unpack(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    let input = invocation.inputs[0]
    let num = try invocation.int("num")
    // TF parity: with no outputs TensorFlow's eager runtime returns before the kernel
    // validates anything.
    if num == 0 { return [] }
    let axisAttribute = try invocation.int("axis", default: 0)
    let rank = input.rank
    let axis = axisAttribute < 0 ? axisAttribute + rank : axisAttribute
    guard axis >= 0, axis < rank else {
      throw .invalidArgument("axis = \(axisAttribute) not in [\(-rank), \(rank))")
    }
    guard input.shape[axis] == num else {
      throw .invalidArgument("Input shape axis \(axis) must equal \(num), got shape \(input.shapeText)")
    }
    // An empty input can have a huge axis; keep it from allocating billions of outputs.
    _ = try invocation.checkSize([num])
    var pieceShape = input.shape
    pieceShape.remove(at: axis)
    return try cut(input, axis: axis, sizes: [Int](repeating: 1, count: num), shapes: { _ in pieceShape })
  }

  /// `Split`: `num_split` equal pieces along `split_dim`, the first input.
  static func split(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (splitDim, input) = (invocation.inputs[0], invocation.inputs[1])
    let numSplit = try invocation.int("num_split")
    guard splitDim.rank == 0 else {
      throw .invalidArgument("split_dim must be a scalar but has rank \(splitDim.rank)")
    }
    let axis = try splitAxis(splitDim, input)
    guard numSplit > 0 else {
      throw .invalidArgument("Number of ways to split should be > 0, but got \(numSplit)")
    }
    guard input.shape[axis] % numSplit == 0 else {
      throw .invalidArgument(
        "Number of ways to split should evenly divide the split dimension, but got split_dim \(axis) "
          + "(size = \(input.shape[axis])) and num_split \(numSplit)")
    }
    // The count of outputs comes from an attribute: keep a hostile one from allocating
    // billions of (empty) tensors.
    _ = try invocation.checkSize([numSplit])
    let size = input.shape[axis] / numSplit
    return try cut(input, axis: axis, sizes: [Int](repeating: size, count: numSplit)) { size in
      var shape = input.shape
      shape[axis] = size
      return shape
    }
  }

  /// `SplitV`: pieces of the given sizes along `split_dim`; one size may be -1.
  static func splitV(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let (input, sizesTensor, splitDim) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
    let numSplit = try invocation.int("num_split")
    guard splitDim.count == 1 else { throw .invalidArgument("split_dim_tensor must have exactly one element.") }
    guard sizesTensor.rank == 1, sizesTensor.count == numSplit else {
      throw .invalidArgument(
        "size of the split_tensor must be 1-D and have the same elements as outputs got "
          + "\(sizesTensor.rank) -D and \(sizesTensor.count) elements")
    }
    var sizes = try sizesTensor.indices("size_splits")
    guard numSplit > 0 else {
      throw .invalidArgument("Number of ways to split should be > 0, but got \(numSplit)")
    }
    let axis = try splitAxis(splitDim, input)
    let available = input.shape[axis]
    if numSplit == 1 {
      // TF parity: a lone size must equal the axis length; even -1 is rejected here.
      guard sizes[0] == available else {
        throw .invalidArgument(
          "If there is only one output, it must have the same size as the input. Input size: "
            + "\(available) output size: \(sizes[0])")
      }
      return [input]
    }
    var inferred: Int?
    var determined = 0
    for (index, size) in sizes.enumerated() {
      if size == -1 {
        guard inferred == nil else { throw .invalidArgument("There can only be one -1 in the input.") }
        inferred = index
      } else {
        let (sum, overflow) = determined.addingReportingOverflow(size)
        guard !overflow else { throw .invalidArgument("split sizes \(sizes) overflow") }
        determined = sum
      }
    }
    guard (inferred == nil && determined == available) || (inferred != nil && determined <= available) else {
      throw .invalidArgument(
        "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
          + "less than the size of the input along split_dim if not fully specified.  Got: \(determined)")
    }
    if let inferred { sizes[inferred] = available - determined }
    for (index, size) in sizes.enumerated() where size < 0 {
      throw .invalidArgument("Split size at index \(index) must be >= 0. Got: \(size)")
    }
    return try cut(input, axis: axis, sizes: sizes) { size in
      var shape = input.shape
      shape[axis] = size
      return shape
    }
  }

  /// The axis of Split and SplitV, in `-rank..<rank`.
  private static func splitAxis(_ splitDim: DenseTensor, _ input: DenseTensor) throws(EvalError) -> Int {
    let value = try splitDim.scalarIndex("split_dim")
    guard let axis = ShapeMath.normalizedAxis(value, rank: input.rank) else {
      throw .invalidArgument(
        "-input rank(-\(input.rank)) <= split_dim < input rank (\(input.rank)), but got \(value)")
    }
    return axis
  }

  /// `input` cut along `axis` into consecutive pieces of `sizes`, the piece of size `s`
  /// getting shape `shapes(s)`.
  private static func cut(
    _ input: DenseTensor, axis: Int, sizes: [Int], shapes: (Int) -> [Int]
  ) throws(EvalError) -> [DenseTensor] {
    let outer = ShapeMath.product(input.shape[..<axis])
    let inner = ShapeMath.product(input.shape[(axis + 1)...])
    let plan = SplitBlocks(
      input: input, outer: outer, widths: sizes.map { $0 * inner }, shapes: sizes.map(shapes))
    return try input.storage.visitElementType(plan)
  }

  // MARK: Slicing

  /// `Slice`: the block of `size` elements from `begin` on each axis; a size of -1 means
  /// "to the end".
  static func slice(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let (input, beginTensor, sizeTensor) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
    let rank = input.rank
    guard beginTensor.rank == 1, sizeTensor.rank == 1, beginTensor.count == rank, sizeTensor.count == rank else {
      throw .invalidArgument(
        "Expected begin and size arguments to be 1-D tensors of size \(rank), but got shapes "
          + "\(beginTensor.shapeText) and \(sizeTensor.shapeText) instead.")
    }
    let begin = try beginTensor.indices("begin")
    var size = try sizeTensor.indices("size")
    for axis in 0..<rank where size[axis] == -1 {
      size[axis] = input.shape[axis] &- begin[axis]
    }
    var isIdentity = true
    for axis in 0..<rank {
      let (dim, start, count) = (input.shape[axis], begin[axis], size[axis])
      if dim == 0 {
        guard start == 0, count == 0 else {
          throw .invalidArgument(
            "Expected begin[\(axis)] == 0 (got \(start)) and size[\(axis)] == 0 (got \(count)) when "
              + "input.dim_size(\(axis)) == 0")
        }
      } else {
        guard start >= 0, start <= dim else {
          throw .invalidArgument("Expected begin[\(axis)] in [0, \(dim)], but got \(start)")
        }
        guard count >= 0, count <= dim - start else {
          throw .invalidArgument("Expected size[\(axis)] in [0, \(dim - start)], but got \(count)")
        }
      }
      isIdentity = isIdentity && start == 0 && count == dim
    }
    if isIdentity { return [input] }
    // TF parity: TensorFlow's general slice path stops at rank 8 ("Unhandled input
    // dimensions"); declining leaves such a node as TensorFlow would run it.
    if rank > 8 && !size.contains(0) { throw .unsupported("Slice of a rank-\(rank) tensor") }
    let maps = (0..<rank).map { Array(begin[$0]..<(begin[$0] + size[$0])) }
    return [try input.storage.visitElementType(AxisMapGather(input: input, maps: maps, shape: size))]
  }

  // MARK: Gathering

  /// `Gather`: the original GatherV2, always along axis 0.
  static func gather(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let params = invocation.inputs[0]
    guard params.rank >= 1 else { throw .invalidArgument("params must be at least 1 dimensional") }
    return [try gatherRows(params, invocation.inputs[1], axis: 0, batchDims: 0, invocation)]
  }

  /// `GatherV2`: slices of `params` along `axis` picked by `indices`, with `batch_dims`
  /// leading axes shared by params and indices.
  static func gatherV2(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    let (params, indices, axisTensor) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
    guard params.rank >= 1 else { throw .invalidArgument("params must be at least 1 dimensional") }
    guard axisTensor.rank == 0 else { throw .invalidArgument("axis must be scalar") }
    var axis = try axisTensor.scalarIndex("axis")
    let minimumRank = axis < 0 ? -axis : axis + 1
    guard params.rank >= minimumRank else {
      throw .invalidArgument("Shape must be at least rank \(minimumRank) but is rank \(params.rank)")
    }
    if axis < 0 { axis += params.rank }
    var batchDims = try invocation.int("batch_dims", default: 0)
    if batchDims != 0 {
      guard batchDims >= -indices.rank, batchDims <= indices.rank else {
        throw .invalidArgument(
          "Expected batch_dims in the range [\(-indices.rank), \(indices.rank)], but got \(batchDims)")
      }
      if batchDims < 0 { batchDims += indices.rank }
      guard batchDims < params.rank else {
        throw .invalidArgument("batch_dims (\(batchDims)) must be less than rank(params) (\(params.rank)).")
      }
      guard axis >= batchDims else {
        throw .invalidArgument("batch_dims (\(batchDims)) must be less than or equal to axis (\(axis)).")
      }
      for dim in 0..<batchDims where params.shape[dim] != indices.shape[dim] {
        throw .invalidArgument(
          "params.shape[\(dim)]: \(params.shape[dim]) should be equal to indices.shape[\(dim)]: "
            + "\(indices.shape[dim])")
      }
    }
    return [try gatherRows(params, indices, axis: axis, batchDims: batchDims, invocation)]
  }

  /// The shared body of Gather and GatherV2, on validated arguments.
  private static func gatherRows(
    _ params: DenseTensor, _ indicesTensor: DenseTensor, axis: Int, batchDims: Int,
    _ invocation: KernelInvocation
  ) throws(EvalError) -> DenseTensor {
    let indices: [Int]
    if case .int16(let narrow) = indicesTensor.storage {
      indices = narrow.map(Int.init)
    } else {
      indices = try indicesTensor.indices("indices")
    }
    let shape =
      Array(params.shape[..<axis]) + indicesTensor.shape[batchDims...] + params.shape[(axis + 1)...]
    guard ShapeMath.elementCount(shape) != nil else {
      throw .invalidArgument("Gather result shape \(shape) has too many elements")
    }
    // TF parity: an empty result is returned before any index is checked.
    if try invocation.checkSize(shape) == 0 {
      return try params.storage.visitElementType(RepeatedElement(like: params, shape: shape, value: nil))
    }
    let limit = params.shape[axis]
    for (position, index) in indices.enumerated() where index < 0 || index >= limit {
      // TensorFlow names the bad index by its coordinates in `indices`: indices[1,0].
      var coordinates: [Int] = []
      var rest = position
      for dim in indicesTensor.shape.reversed() {
        coordinates.append(rest % dim)
        rest /= dim
      }
      let name = coordinates.reversed().map(String.init).joined(separator: ",")
      throw .invalidArgument("indices[\(name)] = \(index) is not in [0, \(limit))")
    }
    let gather = GatherRows(
      params: params, indices: indices, shape: shape, limit: limit,
      batch: ShapeMath.product(params.shape[..<batchDims]),
      outer: ShapeMath.product(params.shape[batchDims..<axis]),
      inner: ShapeMath.product(params.shape[(axis + 1)...]))
    return try params.storage.visitElementType(gather)
  }

  // MARK: Permuting

  /// `Transpose`: output axis `i` is input axis `perm[i]`.
  static func transpose(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (input, permTensor) = (invocation.inputs[0], invocation.inputs[1])
    guard permTensor.rank == 1 else {
      throw .invalidArgument("perm must be a vector, not \(permTensor.shapeText)")
    }
    let perm = try permTensor.indices("perm")
    guard perm.count == input.rank else {
      throw .invalidArgument(
        "transpose expects a vector of size \(input.rank). But input(1) is a vector of size \(perm.count)")
    }
    var seen = [Bool](repeating: false, count: input.rank)
    var resolved: [Int] = []
    for entry in perm {
      // Negative entries count from the end, once; the range check sees the result.
      let axis = entry < 0 ? entry + input.rank : entry
      guard axis >= 0, axis < input.rank else {
        throw .invalidArgument("\(axis) is out of range [0 .. \(input.rank))")
      }
      seen[axis] = true
      resolved.append(axis)
    }
    if let missing = seen.firstIndex(of: false) {
      throw .invalidArgument("\(missing) is missing from {\(resolved.map(String.init).joined(separator: ","))}.")
    }
    return [try input.storage.visitElementType(Permute(input: input, perm: resolved))]
  }
}

/// The row copy behind Gather and GatherV2: params viewed as
/// `[batch, outer, params.shape[axis], inner]`, indices as `[batch, n]`, and the result
/// as `[batch, outer, n, inner]`, copied `inner` elements at a time.
private struct GatherRows: AnyElementVisitor {
  /// The tensor gathered from.
  let params: DenseTensor
  /// The indices, all checked to be in range.
  let indices: [Int]
  /// The result's shape.
  let shape: [Int]
  /// The length of the gather axis.
  let limit: Int
  /// The product of the batch axes.
  let batch: Int
  /// The product of the axes between the batch axes and the gather axis.
  let outer: Int
  /// The product of the axes after the gather axis.
  let inner: Int

  /// Gathers `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try params.require(T.self, "params")
    let perBatch = indices.count / batch
    var result: [T] = []
    result.reserveCapacity(batch * outer * perBatch * inner)
    for b in 0..<batch {
      let batchIndices = indices[(b * perBatch)..<((b + 1) * perBatch)]
      for o in 0..<outer {
        let base = (b * outer + o) * limit
        for index in batchIndices {
          let start = (base + index) * inner
          result.append(contentsOf: values[start..<(start + inner)])
        }
      }
    }
    return try params.withValues(result, shape: shape)
  }
}
