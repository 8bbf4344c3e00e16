// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The Shape kernels: ops that read shapes, change them, or move elements without
/// computing with them. Each matches TensorFlow's CPU kernel, error cases included; the
/// data movement lives in `ShapeSupport.swift`, joining, slicing and gathering in
/// `ShapeSlicing.swift`, StridedSlice in `ShapeStridedSlice.swift`, and tiling and
/// padding in `ShapeLayout.swift`.
let shapeKernels: [String: Kernel] = [
  "Shape": ShapeKernels.shape,
  "ShapeN": ShapeKernels.shapeN,
  "Size": ShapeKernels.size,
  "Rank": ShapeKernels.rank,
  "Reshape": ShapeKernels.reshape,
  "ExpandDims": ShapeKernels.expandDims,
  "Squeeze": ShapeKernels.squeeze,
  "Identity": ShapeKernels.identity,
  "StopGradient": ShapeKernels.identity,
  "PreventGradient": ShapeKernels.identity,
  "Snapshot": ShapeKernels.snapshot,
  "IdentityN": ShapeKernels.identityN,
  "ZerosLike": ShapeKernels.zerosLike,
  "OnesLike": ShapeKernels.onesLike,
  "Fill": ShapeKernels.fill,
  "Range": ShapeKernels.range,
  "Transpose": ShapeKernels.transpose,
  "Pack": ShapeKernels.pack,
  "Unpack": ShapeKernels.unpack,
  "ConcatV2": ShapeKernels.concatV2,
  "Concat": ShapeKernels.concat,
  "Split": ShapeKernels.split,
  "SplitV": ShapeKernels.splitV,
  "Slice": ShapeKernels.slice,
  "StridedSlice": ShapeKernels.stridedSlice,
  "Gather": ShapeKernels.gather,
  "GatherV2": ShapeKernels.gatherV2,
  "Tile": ShapeKernels.tile,
  "BroadcastTo": ShapeKernels.broadcastTo,
  "Pad": ShapeKernels.pad,
  "PadV2": ShapeKernels.pad,
  "MirrorPad": ShapeKernels.mirrorPad,
]

/// The shape kernels, one static function per op (or family of identical ops).
enum ShapeKernels {
  // MARK: Reading shapes

  /// `Shape`: the input's dimensions as an `out_type` vector.
  static func shape(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    return [try shapeVector(invocation.inputs[0].shape, invocation)]
  }

  /// `ShapeN`: `Shape` of each of N inputs.
  static func shapeN(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    guard !invocation.inputs.isEmpty else { throw .invalidArgument("ShapeN expects at least 1 input") }
    var outputs: [DenseTensor] = []
    for input in invocation.inputs { outputs.append(try shapeVector(input.shape, invocation)) }
    return outputs
  }

  /// `Size`: the input's element count as an `out_type` scalar.
  static func size(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    let count = invocation.inputs[0].count
    switch try outType(invocation) {
    case .int64: return [DenseTensor(scalar: Int64(count))]
    default:
      guard let narrow = Int32(exactly: count) else {
        throw .invalidArgument("Number of elements was larger than representable by 32-bit output type")
      }
      return [DenseTensor(scalar: narrow)]
    }
  }

  /// `Rank`: the number of dimensions, always int32.
  static func rank(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    return [DenseTensor(scalar: Int32(invocation.inputs[0].rank))]
  }

  /// The `out_type` attribute of Shape, ShapeN and Size: int32 (the default) or int64.
  private static func outType(_ invocation: KernelInvocation) throws(EvalError) -> DataType {
    let type = invocation.node.attrs["out_type"] == nil ? DataType.int32 : try invocation.type("out_type")
    guard type == .int32 || type == .int64 else { throw .unsupportedType(type) }
    return type
  }

  /// `dims` as a vector of the invocation's `out_type`.
  private static func shapeVector(_ dims: [Int], _ invocation: KernelInvocation) throws(EvalError) -> DenseTensor {
    if try outType(invocation) == .int64 { return DenseTensor(dims.map { Int64($0) }, shape: [dims.count]) }
    var narrow: [Int32] = []
    for (axis, dim) in dims.enumerated() {
      guard let value = Int32(exactly: dim) else {
        throw .invalidArgument("Shape output type is 32-bit but dim \(axis) is \(dim)")
      }
      narrow.append(value)
    }
    return DenseTensor(narrow, shape: [dims.count])
  }

  // MARK: Changing shapes

  /// `Reshape`: the same elements under `shape`, where one entry may be -1 (inferred).
  static func reshape(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let input = invocation.inputs[0]
    let sizesTensor = invocation.inputs[1]
    // TF parity: a scalar is still accepted as a one-entry shape (legacy form).
    guard sizesTensor.rank <= 1 else {
      throw .invalidArgument("sizes input must be 1-D, not \(sizesTensor.shapeText)")
    }
    let sizes = try sizesTensor.indices("shape")
    var shape: [Int] = []
    var unknown: Int?
    var product = 1
    var hasZero = false
    for (axis, size) in sizes.enumerated() {
      if size == -1 {
        if let unknown {
          throw .invalidArgument("Only one input size may be -1, not both \(unknown) and \(axis)")
        }
        unknown = axis
        shape.append(1)
      } else if size < 0 {
        throw .invalidArgument("Size \(axis) must be non-negative, not \(size)")
      } else {
        // Zero sizes stay out of the product so the -1 can still be inferred from the rest.
        if size == 0 {
          hasZero = true
        } else {
          let (next, overflow) = product.multipliedReportingOverflow(by: size)
          guard !overflow else { throw .invalidArgument("Shape \(sizes) has too many elements") }
          product = next
        }
        shape.append(size)
      }
    }
    if let unknown {
      // Input axes of size 0 are skipped too when the requested shape has a zero, so
      // [0, 3] → [0, -1] infers 3; only then is the divisibility check waived.
      var inputCount = 1
      var inputHasZero = false
      for dim in input.shape {
        if dim > 0 || !hasZero { inputCount *= dim } else { inputHasZero = true }
      }
      let missing = inputCount / product
      guard inputHasZero || product * missing == inputCount else {
        throw .invalidArgument(
          "Input to reshape is a tensor with \(inputCount) values, but the requested shape requires a multiple "
            + "of \(product)")
      }
      shape[unknown] = missing
    }
    guard ShapeMath.elementCount(shape) == input.count else {
      let requested = ShapeMath.elementCount(shape).map(String.init) ?? "too many"
      throw .invalidArgument(
        "Input to reshape is a tensor with \(input.count) values, but the requested shape has \(requested)")
    }
    return [try input.reshaped(shape)]
  }

  /// `ExpandDims`: a size-1 axis inserted at `dim` (in `-rank-1...rank`).
  static func expandDims(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let input = invocation.inputs[0]
    let dimTensor = invocation.inputs[1]
    guard dimTensor.count == 1 else {
      throw .invalidArgument("'dim' must be a tensor with a single value")
    }
    let dim = try dimTensor.scalarIndex("dim")
    guard dim >= -1 - input.rank, dim <= input.rank else {
      throw .invalidArgument("Tried to expand dim index \(dim) for tensor with \(input.rank) dimensions.")
    }
    var shape = input.shape
    shape.insert(1, at: dim < 0 ? dim + input.rank + 1 : dim)
    return [try input.reshaped(shape)]
  }

  /// `Squeeze`: size-1 axes removed — those in `squeeze_dims`, or all when it is empty.
  static func squeeze(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    let input = invocation.inputs[0]
    let requested = try invocation.ints("squeeze_dims", default: [])
    var squeezed = Set<Int>()
    for dim in requested {
      guard let axis = ShapeMath.normalizedAxis(dim, rank: input.rank) else {
        throw .invalidArgument(
          "Tried to squeeze dim index \(dim) for tensor with \(input.rank) dimensions.")
      }
      guard input.shape[axis] == 1 else {
        throw .invalidArgument("Can not squeeze dim[\(axis)], expected a dimension of 1, got \(input.shape[axis])")
      }
      squeezed.insert(axis)
    }
    let shape = input.shape.indices
      .filter { requested.isEmpty ? input.shape[$0] != 1 : !squeezed.contains($0) }
      .map { input.shape[$0] }
    return [try input.reshaped(shape)]
  }

  // MARK: Identities

  /// `Identity`, `StopGradient`, `PreventGradient`: the input unchanged.
  static func identity(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    return invocation.inputs
  }

  /// `Snapshot`: the input unchanged.
  static func snapshot(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    // TF parity: TensorFlow registers no CPU Snapshot kernel for strings, so such a node
    // fails at run time; folding it would make the graph succeed instead.
    guard invocation.inputs[0].dtype != .string else { throw .unsupportedType(.string) }
    return invocation.inputs
  }

  /// `IdentityN`: every input unchanged.
  static func identityN(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    invocation.inputs
  }

  // MARK: Creating tensors

  /// `ZerosLike`: zeros (false, empty strings) of the input's shape and dtype.
  static func zerosLike(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    let input = invocation.inputs[0]
    return [try input.storage.visitElementType(RepeatedElement(like: input, shape: input.shape, value: nil))]
  }

  /// `OnesLike`: ones (true for bool) of the input's shape and dtype; not for strings.
  static func onesLike(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(1)
    let input = invocation.inputs[0]
    if input.dtype == .bool { return [DenseTensor([Bool](repeating: true, count: input.count), shape: input.shape)] }
    guard input.dtype.isNumericForEvaluation else { throw .unsupportedType(input.dtype) }
    return [try input.dtype.visit(Ones(like: input))]
  }

  /// `Fill`: a tensor of shape `dims` whose every element is the scalar `value`.
  static func fill(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let dimsTensor = invocation.inputs[0]
    let value = invocation.inputs[1]
    // TF parity: a scalar dims and a one-element value vector are accepted (legacy forms).
    guard dimsTensor.rank <= 1 else {
      throw .invalidArgument("dims must represent a vector, got shape \(dimsTensor.shapeText)")
    }
    guard value.rank == 0 || (value.rank == 1 && value.count == 1) else {
      throw .invalidArgument("value must represent a scalar, got shape \(value.shapeText)")
    }
    let shape = try dimsTensor.indices("dims")
    for dim in shape where dim < 0 {
      throw .invalidArgument("Dimension \(dim) must be >= 0")
    }
    guard ShapeMath.elementCount(shape) != nil else {
      throw .invalidArgument("Shape \(shape) would have more than 2**63 - 1 elements")
    }
    _ = try invocation.checkSize(shape)
    return [try value.storage.visitElementType(RepeatedElement(like: value, shape: shape, value: value))]
  }

  /// `Range`: `start, start + delta, …` up to but excluding `limit`, for float, double,
  /// int32 and int64 (TensorFlow's CPU kernels).
  static func range(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(3)
    for (input, role) in zip(invocation.inputs, ["start", "limit", "delta"]) {
      guard input.rank == 0 || (input.rank == 1 && input.count == 1) else {
        throw .invalidArgument("\(role) must be a scalar, not shape \(input.shapeText)")
      }
    }
    let dtype = invocation.inputs[0].dtype
    switch dtype {
    case .float, .double: return [try dtype.visit(FloatRange(invocation: invocation))]
    case .int32, .int64: return [try dtype.visit(IntegerRange(invocation: invocation))]
    default: throw .unsupportedType(dtype)
    }
  }
}

/// Ones of a numeric tensor's shape and dtype (OnesLike).
private struct Ones: NumericVisitor {
  /// The input.
  let like: DenseTensor

  /// Fills `[T]` with one.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    try like.withValues([T](repeating: T.one, count: like.count), shape: like.shape)
  }
}

/// The three scalars of a Range call, read as `T`.
private func rangeOperands<T: NumericElement>(
  _ invocation: KernelInvocation, as type: T.Type
) throws(EvalError) -> (start: T, limit: T, delta: T) {
  var scalars: [T] = []
  for (input, role) in zip(invocation.inputs, ["start", "limit", "delta"]) {
    guard let value = try input.require(T.self, role).first else { throw .invalidArgument("\(role) is empty") }
    scalars.append(value)
  }
  let (start, limit, delta) = (scalars[0], scalars[1], scalars[2])
  guard delta != 0 else { throw .invalidArgument("Requires delta != 0: \(delta)") }
  if delta > 0 {
    guard start <= limit else {
      throw .invalidArgument("Requires start <= limit when delta > 0: \(start)/\(limit)")
    }
  } else {
    // A NaN anywhere fails this comparison too, as in TensorFlow.
    guard start >= limit else {
      throw .invalidArgument("Requires start >= limit when delta < 0: \(start)/\(limit)")
    }
  }
  return (start, limit, delta)
}

/// Range for float and double.
private struct FloatRange: FloatVisitor {
  /// The Range call.
  let invocation: KernelInvocation

  /// `ceil(|(limit - start) / delta|)` values, the quotient computed in `T` as TensorFlow
  /// does.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let (start, limit, delta) = try rangeOperands(invocation, as: T.self)
    let size = ((limit - start) / delta).magnitude.rounded(.up)
    guard size <= T(Int64.max), let count = Int(exactly: size) else {
      throw .invalidArgument("Requires ((limit - start) / delta) <= \(Int64.max)")
    }
    _ = try invocation.checkSize([count])
    // TF parity: each value is `start + i * delta` in `T`, not a running sum, so float
    // rounding does not accumulate.
    return DenseTensor((0..<count).map { start + T($0) * delta }, shape: [count])
  }
}

/// Range for int32 and int64.
private struct IntegerRange: IntegerVisitor {
  /// The Range call.
  let invocation: KernelInvocation

  /// `⌈|limit - start| / |delta|⌉` values, the distance taken as a magnitude so that it
  /// cannot overflow.
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let (start, limit, delta) = try rangeOperands(invocation, as: T.self)
    let low = Int64(truncatingIfNeeded: min(start, limit))
    let high = Int64(truncatingIfNeeded: max(start, limit))
    let distance = UInt64(bitPattern: high &- low)
    let stride = Int64(truncatingIfNeeded: delta).magnitude
    let size = distance / stride + (distance % stride == 0 ? 0 : 1)
    guard let count = Int(exactly: size) else {
      throw .tooLarge("Range: a result of \(size) elements exceeds \(invocation.maxElements) elements")
    }
    _ = try invocation.checkSize([count])
    // `start + i * delta` in int64 as TensorFlow computes it; wrapping arithmetic keeps the
    // intermediate product of an extreme range from trapping, and every value it yields
    // lies between start and limit, so the narrowing is exact.
    let (first, step) = (Int64(truncatingIfNeeded: start), Int64(truncatingIfNeeded: delta))
    let values = (0..<count).map { T(truncatingIfNeeded: first &+ Int64($0) &* step) }
    return DenseTensor(values, shape: [count])
  }
}
