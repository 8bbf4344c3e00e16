// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The batch-normalization kernels, in inference mode: `FusedBatchNorm`, `…V2` and `…V3`
/// with `is_training=false` (training mode, which normalizes by the batch's own
/// statistics, is a limitation), and TF1's `BatchNormWithGlobalNormalization`.
let normalizationKernels: [String: Kernel] = [
  "FusedBatchNorm": NormalizationKernels.fusedBatchNorm,
  "FusedBatchNormV2": NormalizationKernels.fusedBatchNorm,
  "FusedBatchNormV3": NormalizationKernels.fusedBatchNorm,
  "BatchNormWithGlobalNormalization": NormalizationKernels.batchNormWithGlobalNormalization,
]

/// The batch-normalization kernels' bodies.
enum NormalizationKernels {
  /// `FusedBatchNorm*(x, scale, offset, mean, variance)` with `is_training=false`:
  /// `y = (x - mean) · scale / √(variance + epsilon) + offset` per channel, then the
  /// statistics passed through as TensorFlow's inference kernels return them.
  static func fusedBatchNorm(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    let op = invocation.node.op
    try invocation.expectInputs(5)
    guard try !invocation.bool("is_training", default: true) else {
      throw .unsupported("\(op) with is_training=true (normalizing by the batch's own statistics)")
    }
    let epsilon = try invocation.float("epsilon", default: 0.0001)
    let x = invocation.inputs[0]
    try DTypeDomain(dtypes: [.float]).check(x.dtype, op: op)
    let channelAxis: Int
    switch try invocation.string("data_format", default: "NHWC") {
    case "NHWC", "NDHWC": channelAxis = x.rank - 1
    case "NCHW", "NCDHW": channelAxis = 1
    case let other: throw .unsupported("\(op) with data_format '\(other)'")
    }
    let expectedRank = op == "FusedBatchNormV3" ? [4, 5] : [4]
    guard expectedRank.contains(x.rank) else { throw .invalidArgument("input must be 4-dimensional\(x.shapeText)") }
    let channels = x.shape[channelAxis]
    var parameters: [[Float]] = []
    for (index, role) in ["scale", "offset", "mean", "variance"].enumerated() {
      let tensor = invocation.inputs[index + 1]
      let values = try tensor.require(Float.self, role)
      guard tensor.rank == 1 else { throw .invalidArgument("\(role) must be 1-dimensional\(tensor.shapeText)") }
      guard values.count == channels else {
        throw .invalidArgument(
          "\(role) must have the same number of elements as the channels of x, got \(values.count) and \(channels)")
      }
      parameters.append(values)
    }
    let (scale, offset, mean, variance) = (parameters[0], parameters[1], parameters[2], parameters[3])
    let values = try x.require(Float.self, "x")
    let y: [Float]
    if x.rank == 4 && channelAxis == 3 && channels % 4 == 0 {
      // TF parity: TensorFlow 2.21 runs 4-D float32 through oneDNN. Its vectorized NHWC
      // kernel (whole groups of 4 channels) computes `fma((x - mean) · (1 / √(v + ε)),
      // scale, offset)`; other channel counts and NCHW take `(x - mean) · (scale /
      // √(v + ε)) + offset`; the reference kernel behind 5-D `(x - mean) · ((1 /
      // √(v + ε)) · scale) + offset`. They differ in the last bit, so each is kept.
      let inverses = variance.map { 1 / ($0 + epsilon).squareRoot() }
      y = fusedChannelsLast(values, mean: mean, inverses: inverses, scale: scale, offset: offset)
    } else {
      let factors = (0..<channels).map { channel in
        let root = (variance[channel] + epsilon).squareRoot()
        return x.rank == 4 ? scale[channel] / root : 1 / root * scale[channel]
      }
      y = scaledChannels(values, x.shape, channelAxis: channelAxis, mean: mean, factors: factors, offset: offset)
    }
    var outputs = [
      DenseTensor(y, shape: x.shape), invocation.inputs[3], invocation.inputs[4], invocation.inputs[3],
      invocation.inputs[4],
    ]
    if op == "FusedBatchNormV3" {
      // TF parity: reserve_space_3 is unused in inference; oneDNN returns it empty, the
      // reference kernel as a zero scalar.
      outputs.append(x.rank == 4 ? DenseTensor([Float](), shape: [0]) : DenseTensor(scalar: Float(0)))
    }
    return outputs
  }

  /// `BatchNormWithGlobalNormalization(t, m, v, beta, gamma)`: TF1's batch norm,
  /// `(t - m) · γ / √(v + ε) + β` per channel of a 4-D input (without γ when
  /// `scale_after_normalization` is false).
  static func batchNormWithGlobalNormalization(_ invocation: KernelInvocation) throws(EvalError) -> [DenseTensor] {
    try invocation.expectInputs(5)
    let x = invocation.inputs[0]
    try DTypeDomain.floats.check(x.dtype, op: invocation.node.op)
    guard x.rank == 4 else { throw .invalidArgument("input must be 4-dimensional\(x.shapeText)") }
    for (index, role) in ["mean", "variance", "beta", "gamma"].enumerated() {
      let tensor = invocation.inputs[index + 1]
      guard tensor.dtype == x.dtype else {
        throw .typeMismatch("\(role) has dtype \(tensor.dtype), expected \(x.dtype)")
      }
      guard tensor.rank == 1 else { throw .invalidArgument("\(role) must be 1-dimensional\(tensor.shapeText)") }
      guard tensor.count == x.shape[3] else {
        throw .invalidArgument("\(role) must have \(x.shape[3]) elements, the depth of t, got \(tensor.count)")
      }
    }
    let body = GlobalNormalization(
      inputs: invocation.inputs, epsilon: Double(try invocation.float("variance_epsilon")),
      scales: try invocation.bool("scale_after_normalization"))
    return [try x.dtype.visit(body)]
  }
}

/// `(x - mean[c]) · factor[c] + offset[c]` for every element of `x` and its channel `c`,
/// the axis `channelAxis` of `shape`.
private func scaledChannels<T: FloatElement>(
  _ x: [T], _ shape: [Int], channelAxis: Int, mean: [T], factors: [T], offset: [T]
) -> [T] {
  let channels = shape[channelAxis]
  let count = x.count
  if count == 0 { return x }
  // Non-empty, so the trailing sizes multiply without overflow.
  let inner = shape[(channelAxis + 1)...].reduce(1, *)
  return [T](unsafeUninitializedCapacity: count) { out, initialized in
    x.withUnsafeBufferPointer { input in
      mean.withUnsafeBufferPointer { mean in
        factors.withUnsafeBufferPointer { factors in
          offset.withUnsafeBufferPointer { offset in
            var index = 0
            while index < count {
              if inner == 1 {
                for channel in 0..<channels {
                  out[index + channel] = (input[index + channel] - mean[channel]) * factors[channel] + offset[channel]
                }
                index += channels
                continue
              }
              for channel in 0..<channels {
                let (m, f, o) = (mean[channel], factors[channel], offset[channel])
                for element in index..<(index + inner) { out[element] = (input[element] - m) * f + o }
                index += inner
              }
            }
          }
        }
      }
    }
    initialized = count
  }
}

/// oneDNN's vectorized NHWC form: `fma((x - mean[c]) · inverse[c], scale[c], offset[c])`
/// over the last axis.
private func fusedChannelsLast(
  _ x: [Float], mean: [Float], inverses: [Float], scale: [Float], offset: [Float]
) -> [Float] {
  let channels = mean.count
  let count = x.count
  if count == 0 || channels == 0 { return x }
  return [Float](unsafeUninitializedCapacity: count) { out, initialized in
    x.withUnsafeBufferPointer { input in
      mean.withUnsafeBufferPointer { mean in
        inverses.withUnsafeBufferPointer { inverses in
          scale.withUnsafeBufferPointer { scale in
            offset.withUnsafeBufferPointer { offset in
              for start in stride(from: 0, to: count, by: channels) {
                for channel in 0..<channels {
                  let centered = (input[start + channel] - mean[channel]) * inverses[channel]
                  out[start + channel] = fusedMultiplyAdd(centered, scale[channel], offset[channel])
                }
              }
            }
          }
        }
      }
    }
    initialized = count
  }
}

/// `a · b + c` rounded once, as an FMA instruction computes it.
///
/// `Float.addingProduct` becomes a call to libm's `fmaf` when the build does not target
/// FMA hardware, which is most of the batch norm's time. The product of two floats is
/// exact in Double; the sum is made exact-or-odd by TwoSum and rounding to odd, and a
/// value rounded to odd with 53 bits rounds to the same 24-bit float as the exact one.
@inline(__always) func fusedMultiplyAdd(_ a: Float, _ b: Float, _ c: Float) -> Float {
  let product = Double(a) * Double(b)
  let addend = Double(c)
  let sum = product + addend
  guard sum.isFinite else { return Float(sum) }
  let addendPart = sum - product
  let error = (product - (sum - addendPart)) + (addend - addendPart)
  var bits = sum.bitPattern
  if error != 0 && bits & 1 == 0 {
    // One ulp toward the exact value: up in magnitude when the error has the sum's sign.
    bits = (error > 0) == (sum > 0) ? bits + 1 : bits - 1
  }
  return Float(Double(bitPattern: bits))
}

/// The body of `BatchNormWithGlobalNormalization` in one float type.
private struct GlobalNormalization: FloatVisitor {
  /// `t, m, v, beta, gamma`.
  let inputs: [DenseTensor]
  /// `variance_epsilon`.
  let epsilon: Double
  /// `scale_after_normalization`: whether γ multiplies.
  let scales: Bool

  /// Normalizes `[T]` as TensorFlow's reference kernel does: the factor is
  /// `(1 / √(v + ε)) · γ`, rounded in `T` at each step.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let x = try inputs[0].require(T.self, "t")
    let mean = try inputs[1].require(T.self, "m")
    let variance = try inputs[2].require(T.self, "v")
    let beta = try inputs[3].require(T.self, "beta")
    let gamma = try inputs[4].require(T.self, "gamma")
    let epsilon = T(epsilon)
    let factors = (0..<mean.count).map { channel in
      let reciprocal = 1 / (variance[channel] + epsilon).squareRoot()
      return scales ? reciprocal * gamma[channel] : reciprocal
    }
    let y = scaledChannels(x, inputs[0].shape, channelAxis: 3, mean: mean, factors: factors, offset: beta)
    return DenseTensor(y, shape: inputs[0].shape)
  }
}
