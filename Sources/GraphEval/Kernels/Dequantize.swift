// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// `Dequantize(input, min_range, max_range)`: quantized integers (quint8, qint8,
/// quint16, qint16, qint32) back to float32, in the modes MIN_COMBINED, MIN_FIRST and
/// SCALED, per tensor or per slice along `axis` (not MIN_FIRST, as in TensorFlow).
///
/// Every step is float32 arithmetic in TensorFlow's order, so the results agree to the
/// bit; `quantize_weights` emits quint8 + MIN_FIRST and relies on it.
let dequantizeKernels: [String: Kernel] = ["Dequantize": dequantizeKernel]

/// The body of `Dequantize`.
private let dequantizeKernel: Kernel = { invocation throws(EvalError) in
  try invocation.expectInputs(3)
  let (input, minTensor, maxTensor) = (invocation.inputs[0], invocation.inputs[1], invocation.inputs[2])
  guard let type = QuantizedType(input.dtype) else {
    throw input.dtype.isNumericForEvaluation
      ? .typeMismatch("Dequantize has no kernel for dtype \(input.dtype)") : .unsupportedType(input.dtype)
  }
  // TensorFlow's op definition defaults `dtype` to float, and GraphDefs written by
  // TensorFlow's own quantize_weights (and ours) leave it out.
  switch try invocation.type("dtype", default: .float) {
  case .float: break
  case .bfloat16: throw .unsupportedType(.bfloat16)
  case let other: throw .invalidArgument("Output type must be bfloat16 or float, is '\(other)'")
  }
  let mode: DequantizeMode
  switch try invocation.string("mode", default: "MIN_COMBINED") {
  case "MIN_COMBINED": mode = .minCombined
  case "MIN_FIRST": mode = .minFirst
  case "SCALED": mode = .scaled
  case let other: throw .invalidArgument("Mode string must be 'MIN_COMBINED', 'MIN_FIRST', or 'SCALED', is '\(other)'")
  }
  let narrowRange = try invocation.bool("narrow_range", default: false)
  let axis = try invocation.int("axis", default: -1)
  guard axis < input.rank else {
    throw .invalidArgument("Axis must be less than input dimension(\(input.rank)), got \(axis)")
  }
  // TF parity: only axis > -1 selects slices; any other negative axis means the whole tensor.
  let slices = axis > -1 ? input.shape[axis] : 1
  let minimums = try minTensor.require(Float.self, "min_range")
  let maximums = try maxTensor.require(Float.self, "max_range")
  guard minimums.count == slices, maximums.count == slices else {
    throw .invalidArgument(
      "input_min_tensor and input_max_tensor must have as many elements as input on the dequantization axis "
        + "(\(axis)), got \(minimums.count) and \(maximums.count), expected \(slices)")
  }
  if slices > 1 && mode == .minFirst {
    throw .unsupported("MIN_FIRST mode is not implemented for Dequantize with axis != -1.")
  }
  let values = try type.floats(input)
  let count = values.count
  if count == 0 { return [DenseTensor([Float](), shape: input.shape)] }
  // Non-empty, so the trailing sizes multiply without overflow.
  let inner = axis > -1 ? input.shape[(axis + 1)...].reduce(1, *) : count
  let affines = (0..<slices).map { mode.affine(type, minimums[$0], maximums[$0], narrowRange: narrowRange) }
  let result = [Float](unsafeUninitializedCapacity: count) { out, initialized in
    for index in 0..<count {
      out[index] = affines[index / inner % slices].apply(values[index])
    }
    initialized = count
  }
  return [DenseTensor(result, shape: input.shape)]
}

/// The quantized dtypes and their integer ranges.
private struct QuantizedType {
  /// The width in bits.
  let bits: Int
  /// The lowest value.
  let lowest: Int64
  /// The highest value.
  let highest: Int64

  /// The range of `dtype`, or nil when it is not a quantized type.
  init?(_ dtype: DataType) {
    switch dtype {
    case .quint8: (bits, lowest, highest) = (8, 0, 255)
    case .qint8: (bits, lowest, highest) = (8, -128, 127)
    case .quint16: (bits, lowest, highest) = (16, 0, 65535)
    case .qint16: (bits, lowest, highest) = (16, -32768, 32767)
    case .qint32: (bits, lowest, highest) = (32, Int64(Int32.min), Int64(Int32.max))
    default: return nil
    }
  }

  /// The elements as float32, each rounded to nearest as C++'s `static_cast<float>`.
  func floats(_ tensor: DenseTensor) throws(EvalError) -> [Float] {
    switch tensor.storage {
    case .uint8(let values): return values.map { Float($0) }
    case .int8(let values): return values.map { Float($0) }
    case .uint16(let values): return values.map { Float($0) }
    case .int16(let values): return values.map { Float($0) }
    case .int32(let values): return values.map { Float($0) }
    default: throw .typeMismatch("Dequantize input has storage for another dtype than \(tensor.dtype)")
    }
  }
}

/// `Dequantize`'s `mode`.
private enum DequantizeMode {
  case minCombined, minFirst, scaled

  /// The map from quantized value to float for one range, with TensorFlow's constants.
  func affine(_ type: QuantizedType, _ minimum: Float, _ maximum: Float, narrowRange: Bool) -> Affine {
    let (lowest, highest) = (Float(type.lowest), Float(type.highest))
    switch self {
    case .minCombined:
      // ((q + half_range) · scale) + min, with half_range 0 for unsigned types.
      let halfRange: Float = type.lowest < 0 ? (highest - lowest + 1) / 2 : 0
      let scale = (maximum - minimum) / (highest - lowest)
      return Affine(shift: halfRange, scale: scale, offset: minimum, shiftsFirst: true)
    case .minFirst:
      // TensorFlow's QuantizedToFloatStruct: the scale is computed in double and stored
      // as float, the minimum is rounded to a whole number of steps in float, and the
      // offset folds in the lowest quantized value, all before any element is read.
      let steps = Double(sign: .plus, exponent: type.bits, significand: 1)
      let scale = Float(Double(maximum - minimum) / (steps - 1))
      let roundedMinimum =
        maximum == minimum ? minimum : (minimum / scale).rounded(.toNearestOrAwayFromZero) * scale
      return Affine(shift: 0, scale: scale, offset: roundedMinimum - lowest * scale, shiftsFirst: false)
    case .scaled:
      let minOutput = Float(type.lowest + (narrowRange ? 1 : 0))
      let scale: Float
      if type.lowest == 0 {
        scale = maximum / highest
      } else {
        // std::max(a, b) is `a < b ? b : a`.
        let (a, b) = (minimum / minOutput, maximum / highest)
        scale = a < b ? b : a
      }
      return Affine(shift: 0, scale: scale, offset: 0, shiftsFirst: false)
    }
  }
}

/// One slice's map, in TensorFlow's evaluation order.
private struct Affine {
  /// Added to the value first (MIN_COMBINED's half range).
  let shift: Float
  /// The multiplier.
  let scale: Float
  /// Added last.
  let offset: Float
  /// MIN_COMBINED computes `((q + shift) · scale) + offset`; the others `offset + q · scale`.
  let shiftsFirst: Bool

  /// The float for quantized value `value` (already converted to float).
  @inline(__always) func apply(_ value: Float) -> Float {
    shiftsFirst ? (value + shift) * scale + offset : offset + value * scale
  }
}
