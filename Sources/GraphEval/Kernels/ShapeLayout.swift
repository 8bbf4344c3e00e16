// SPDX-License-Identifier: Apache-2.0

import GraphIR

// Tiling, broadcasting and padding: the shape kernels whose result can be larger than
// their input, so each checks the result's size before building it.

extension ShapeKernels {
  /// `Tile`: the input repeated `multiples[i]` times along each axis `i`.
  static func tile(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (input, multiplesTensor) = (invocation.inputs[0], invocation.inputs[1])
    guard multiplesTensor.rank == 1, multiplesTensor.count == input.rank else {
      throw .invalidArgument(
        "Expected multiples argument to be a vector of length \(input.rank) but got length "
          + "\(multiplesTensor.shape.first ?? 0)")
    }
    let multiples = try multiplesTensor.indices("multiples")
    if input.rank == 0 { return [input] }
    var shape: [Int] = []
    for (axis, multiple) in multiples.enumerated() {
      guard multiple >= 0 else {
        throw .invalidArgument("Expected multiples[\(axis)] >= 0, but got \(multiple)")
      }
      let (dim, overflow) = input.shape[axis].multipliedReportingOverflow(by: multiple)
      guard !overflow else { throw .invalidArgument("Tile result dimension \(axis) overflows") }
      shape.append(dim)
    }
    guard ShapeMath.elementCount(shape) != nil else {
      throw .invalidArgument("Shape \(shape) would have more than 2**63 - 1 elements")
    }
    if shape == input.shape { return [input] }
    if try invocation.checkSize(shape) == 0 {
      return [try input.storage.visitElementType(RepeatedElement(like: input, shape: shape, value: nil))]
    }
    // TF parity: TensorFlow's CPU Tile has no uint16 case ("TileOp : The input data type
    // is not supported"), so the node fails there; leave it unfolded.
    guard input.dtype != .uint16 else { throw .unsupportedType(.uint16) }
    let maps = input.shape.indices.map { axis in
      (0..<shape[axis]).map { $0 % input.shape[axis] }
    }
    return [try input.storage.visitElementType(AxisMapGather(input: input, maps: maps, shape: shape))]
  }

  /// `BroadcastTo`: the input broadcast NumPy-style to `shape`.
  static func broadcastTo(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let (input, shapeTensor) = (invocation.inputs[0], invocation.inputs[1])
    guard shapeTensor.rank == 1 else {
      throw .invalidArgument("shape must be a vector of {int32,int64}, got shape \(shapeTensor.shapeText)")
    }
    let shape = try shapeTensor.indices("shape")
    for dim in shape where dim < 0 {
      throw .invalidArgument("Dimension \(dim) must be >= 0")
    }
    guard ShapeMath.elementCount(shape) != nil else {
      throw .invalidArgument("Shape \(shape) would have more than 2**63 - 1 elements")
    }
    if shape == input.shape { return [input] }
    guard input.rank <= shape.count else {
      throw .invalidArgument(
        "Rank of input (\(input.rank)) must be no greater than rank of output shape (\(shape.count)).")
    }
    let count = try invocation.checkSize(shape)
    if input.rank > 0 {
      guard try broadcastShape(input.shape, shape) == shape else {
        throw .invalidArgument("Unable to broadcast tensor of shape \(input.shapeText) to tensor of shape \(shape)")
      }
    }
    if count == 0 {
      return [try input.storage.visitElementType(RepeatedElement(like: input, shape: shape, value: nil))]
    }
    return [try input.storage.visitElementType(Broadcast(input: input, shape: shape))]
  }

  /// `Pad` and `PadV2`: the input with `paddings[i] = (before, after)` elements added on
  /// each side of axis `i`, filled with zero or with PadV2's `constant_values`.
  static func pad(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let hasValue = invocation.node.op == "PadV2"
    try invocation.expectInputs(hasValue ? 3 : 2)
    let input = invocation.inputs[0]
    // TF parity: TensorFlow's Pad is Unimplemented past rank 8.
    guard input.rank <= 8 else { throw .unsupported("Pad of a rank-\(input.rank) tensor") }
    let paddings = try ShapeMath.paddings(invocation.inputs[1], rank: input.rank)
    var fill: DenseTensor?
    if hasValue {
      let value = invocation.inputs[2]
      guard value.rank == 0 else {
        throw .invalidArgument("constant_values must be a scalar. Found: \(value.shapeText)")
      }
      guard value.dtype == input.dtype else {
        throw .typeMismatch("constant_values has dtype \(value.dtype), expected \(input.dtype)")
      }
      fill = value
    }
    var shape: [Int] = []
    for (axis, padding) in paddings.enumerated() {
      guard padding.before >= 0, padding.after >= 0 else {
        throw .invalidArgument("Paddings must be non-negative: \(padding.before) \(padding.after)")
      }
      shape.append(try paddedDim(input.shape[axis], padding))
    }
    return [try padded(input, paddings: paddings, shape: shape, fill: fill, invocation) { _, _ in -1 }]
  }

  /// `MirrorPad`: the input padded with its own reflection, REFLECT excluding the edge
  /// element and SYMMETRIC repeating it.
  static func mirrorPad(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(2)
    let input = invocation.inputs[0]
    let mode = try invocation.string("mode")
    guard mode == "REFLECT" || mode == "SYMMETRIC" else { throw .unsupported("MirrorPad mode '\(mode)'") }
    // REFLECT mirrors about the edge element, SYMMETRIC about the edge itself.
    let offset = mode == "REFLECT" ? 1 : 0
    // TF parity: TensorFlow's MirrorPad is Unimplemented past rank 5.
    guard input.rank <= 5 else { throw .unsupported("MirrorPad of a rank-\(input.rank) tensor") }
    let paddings = try ShapeMath.paddings(invocation.inputs[1], rank: input.rank)
    var shape: [Int] = []
    for (axis, padding) in paddings.enumerated() {
      let dim = input.shape[axis]
      guard padding.before >= 0, padding.after >= 0 else {
        throw .invalidArgument("paddings must be non-negative: \(padding.before) \(padding.after)")
      }
      if offset == 0 {
        guard padding.before <= dim, padding.after <= dim else {
          throw .invalidArgument(
            "paddings must be no greater than the dimension size: \(padding.before), \(padding.after) "
              + "greater than \(dim)")
        }
      } else {
        guard padding.before < dim, padding.after < dim else {
          throw .invalidArgument(
            "paddings must be less than the dimension size: \(padding.before), \(padding.after) not less than \(dim)")
        }
      }
      shape.append(try paddedDim(dim, padding))
    }
    return [
      try padded(input, paddings: paddings, shape: shape, fill: nil, invocation) { axis, index in
        let dim = input.shape[axis]
        return index < 0 ? -index - 1 + offset : 2 * dim - 1 - offset - index
      }
    ]
  }

  /// `before + dim + after`, or an error when it overflows.
  private static func paddedDim(_ dim: Int, _ padding: (before: Int, after: Int)) throws(EvalError) -> Int {
    let (partial, overflow1) = dim.addingReportingOverflow(padding.before)
    let (total, overflow2) = partial.addingReportingOverflow(padding.after)
    guard !overflow1, !overflow2 else { throw .invalidArgument("padded dimension overflows") }
    return total
  }

  /// The shared body of Pad and MirrorPad: `outside(axis, index)` gives the input index
  /// read for a padding position (`index` < 0 before the input, ≥ dim after it), or -1
  /// for the fill value.
  private static func padded(
    _ input: DenseTensor, paddings: [(before: Int, after: Int)], shape: [Int], fill: DenseTensor?,
    _ invocation: KernelInvocation, outside: (Int, Int) -> Int
  ) throws(EvalError) -> DenseTensor {
    guard ShapeMath.elementCount(shape) != nil else {
      throw .invalidArgument("Shape \(shape) would have more than 2**63 - 1 elements")
    }
    // TF parity: no padding to do (counts equal, which covers empty results whose shape
    // still changes) forwards the input under the new shape.
    if ShapeMath.product(shape) == input.count { return try input.reshaped(shape) }
    _ = try invocation.checkSize(shape)
    let maps = input.shape.indices.map { axis in
      let dim = input.shape[axis]
      return (-paddings[axis].before..<(dim + paddings[axis].after)).map { index in
        index >= 0 && index < dim ? index : outside(axis, index)
      }
    }
    return try input.storage.visitElementType(AxisMapGather(input: input, maps: maps, shape: shape, fill: fill))
  }
}

/// The body of BroadcastTo: `broadcast(_:from:to:)` on `[T]`.
private struct Broadcast: AnyElementVisitor {
  /// The tensor broadcast; its shape broadcasts to `shape`.
  let input: DenseTensor
  /// The result's shape.
  let shape: [Int]

  /// Broadcasts `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "input")
    return try input.withValues(broadcast(values, from: input.shape, to: shape), shape: shape)
  }
}
