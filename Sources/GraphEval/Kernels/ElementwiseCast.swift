// SPDX-License-Identifier: Apache-2.0

import GraphIR

// Cast between the real number types and bool. The element conversions live on
// ArithmeticElement (`cast(to:truncate:)`); bool is handled here: as a source it is the
// integer 0 or 1, and as a destination it is `x != 0` for every source (NaN included).

/// `Cast`: `x` converted to the `DstT` attribute's dtype, with the `Truncate` attribute.
let castKernel: Kernel = { invocation throws(EvalError) in
  try invocation.expectInputs(1)
  let x = invocation.inputs[0]
  let destination = try invocation.type("DstT")
  let truncate = try invocation.bool("Truncate", default: false)
  if invocation.node.attrs["SrcT"] != nil, case let source = try invocation.type("SrcT"), source != x.dtype {
    throw .typeMismatch("Cast: input has dtype \(x.dtype), but SrcT is \(source)")
  }
  // TF parity: casting to the same type returns the input, whatever it is.
  if destination == x.dtype { return [x] }
  try DTypeDomain.all.check(x.dtype, op: "Cast")
  try DTypeDomain.all.check(destination, op: "Cast")
  guard x.dtype != .string && destination != .string else {
    throw .invalidArgument("Cast \(x.dtype) to \(destination) is not supported")
  }
  if x.dtype == .bool {
    let bytes = try x.require(Bool.self, "x").map { UInt8($0 ? 1 : 0) }
    return [try castArithmetic(DenseTensor(bytes, shape: x.shape), to: destination, truncate: truncate)]
  }
  return [try castArithmetic(x, to: destination, truncate: truncate)]
}

/// `x`, of a real number type, converted to `destination` (a real number type or bool).
private func castArithmetic(
  _ x: DenseTensor, to destination: DataType, truncate: Bool
) throws(EvalError) -> DenseTensor {
  try x.dtype.visitArithmetic(CastSourceVisitor(x: x, destination: destination, truncate: truncate))
}

/// Reads the source elements, then dispatches on the destination type.
private struct CastSourceVisitor: ArithmeticVisitor {
  /// The tensor to convert.
  let x: DenseTensor
  /// The dtype to convert to.
  let destination: DataType
  /// `Cast`'s `Truncate` attribute.
  let truncate: Bool

  /// The converted tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try x.require(T.self, "x")
    if destination == .bool {
      return DenseTensor(values.map { $0 != .zero }, shape: x.shape)
    }
    return try destination.visitArithmetic(CastVisitor(values: values, shape: x.shape, truncate: truncate))
  }
}

/// Converts elements of type `Source` to the destination type it is called with.
private struct CastVisitor<Source: ArithmeticElement>: ArithmeticVisitor {
  /// The source elements.
  let values: [Source]
  /// Their shape.
  let shape: [Int]
  /// `Cast`'s `Truncate` attribute.
  let truncate: Bool

  /// The converted tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    DenseTensor(values.map { $0.cast(to: T.self, truncate: truncate) }, shape: shape)
  }
}
