// SPDX-License-Identifier: Apache-2.0

/// TensorFlow's eight-bit `MIN_FIRST` arithmetic, as `quantize_weights` writes codes and
/// as TensorFlow's CPU `Dequantize` kernel reads them back, plus the choice of a range that
/// the pair reproduces well.
///
/// The two sides round the range's minimum differently: the quantizer (in double) takes
/// `round(min · 255/(max − min))` as the code of 0.0, the dequantizer (in float) takes
/// `round(min / ((max − min)/255))`. Near a tie they disagree, and then every value,
/// 0.0 included, comes back one step off. `range(for:)` nudges such ranges by a few ulps.
///
/// Both models were checked against TensorFlow 2.21's engine and runtime on x86-64
/// (`Tests/GraphTransformsTests/Fixtures/make_quantize_fixtures.py` records the evidence):
/// the quantizer is `FloatToQuantized<quint8>`, the dequantizer the Eigen path of
/// `Dequantize` (no fused multiply-add, denormals flushed to zero).
struct MinFirstRange: Sendable, Hashable {
  /// The range written to the `_quantized_min` and `_quantized_max` nodes.
  var min: Float
  var max: Float

  /// The quantizer's `range_scale`: `256 / ((max − min) · 256/255)`, the subtraction in float.
  var rangeScale: Double {
    256.0 / (Double(max - min) * (256.0 / 255.0))
  }

  /// The quantizer's offset `round(min · rangeScale)`: minus the code of 0.0.
  var zeroOffset: Double {
    (Double(min) * rangeScale).rounded(.toNearestOrAwayFromZero)
  }

  /// The code TensorFlow's quantizer gives `value` (NaN: 0, as TensorFlow's happens to).
  func code(for value: Float) -> UInt8 {
    FloatKernels.quantizeOne(value, rangeScale: rangeScale, zeroOffset: zeroOffset, nanCode: 0)
  }

  /// The value TensorFlow's CPU `Dequantize` (mode `MIN_FIRST`) gives `code`, or nil when the
  /// range is unusable there: a step that is not a normal float (TensorFlow flushes a
  /// subnormal step to zero and then divides by it: the NaN of issue 3), or an infinite one.
  func dequantized(_ code: UInt8) -> Float? {
    guard let step else { return nil }
    let minRounded = (min / step).rounded(.toNearestOrAwayFromZero) * step
    // Written as two statements so that the compiler cannot fuse them; TensorFlow's kernel
    // rounds the product before adding.
    let offset = Float(code) * step
    return minRounded + offset
  }

  /// The dequantizer's step `(max − min)/255`, when it is a normal float.
  var step: Float? {
    let step = Float(Double(max - min) / 255.0)
    guard step.isFinite, step >= Float.leastNormalMagnitude else { return nil }
    return step
  }

  /// Whether 0.0 survives the round trip exactly.
  var keepsZeroExact: Bool { dequantized(code(for: 0)) == 0 }

  /// Whether `value` survives the round trip exactly.
  func reproduces(_ value: Float) -> Bool { dequantized(code(for: value)) == value }

  /// TensorFlow's own choice for finite values spanning `lowest...highest`: the span
  /// widened to include 0.0; for an all-zero span, `0...1` (TensorFlow's rule for a
  /// degenerate range, which its own code never reaches: see `range(for:)`).
  static func tensorFlowRange(lowest: Float, highest: Float) -> MinFirstRange {
    let min = Swift.min(lowest, 0)
    var max = Swift.max(highest, 0)
    if min == max { max = min + 1 }
    return MinFirstRange(min: min, max: max)
  }

  /// The range `quantize_weights` uses for a tensor, given what a scan of it found.
  ///
  /// TensorFlow's range, except:
  /// - non-finite values are left out of it (TensorFlow: an infinity makes every value NaN);
  /// - an all-zero or all-NaN tensor gets `0...1` (TensorFlow: `0...1.2e-38`, whose step
  ///   flushes to zero in `Dequantize`, which then returns NaN);
  /// - an all-negative tensor gets a maximum of 0 (TensorFlow: 1.2e-38, the `FLT_MIN` its
  ///   running maximum starts from; the codes are the same);
  /// - a constant tensor gets a range that reproduces its value exactly, when TensorFlow's
  ///   does not (about 0.4% of values);
  /// - a range whose step would be subnormal is widened until it is normal;
  /// - a range where the quantizer and dequantizer disagree about the code of 0.0 is nudged
  ///   by a few ulps until they agree, so that 0.0 (and with it every value) comes back
  ///   where the quantizer meant it.
  ///
  /// Returns nil when no usable range exists (the finite values span more than the float
  /// range); the caller then leaves the tensor as it is.
  static func range(for scan: FloatKernels.Scan) -> MinFirstRange? {
    guard scan.hasFiniteValues else { return MinFirstRange(min: 0, max: 1) }
    var range = tensorFlowRange(lowest: scan.minimum, highest: scan.maximum)
    if scan.minimum == scan.maximum, scan.minimum != 0,
      let exact = exactRange(forConstant: scan.minimum)
    {
      return exact
    }
    if range.step == nil {
      guard (range.max - range.min).isFinite else { return nil }
      // All values are within about 3e-36 of each other: widen to the smallest normal step.
      range.max = range.min + 256 * Float.leastNormalMagnitude
    }
    if range.keepsZeroExact { return range }
    return nudged(range)
  }

  /// A nearby range that keeps 0.0 exact: the minimum moved down (away from zero), or the
  /// maximum up, by up to 64 ulps (in practice one or two).
  static func nudged(_ range: MinFirstRange) -> MinFirstRange {
    var lower = range
    var upper = range
    for _ in 0..<64 {
      lower.min = lower.min.nextDown
      if lower.keepsZeroExact { return lower }
      upper.max = upper.max.nextUp
      if upper.keepsZeroExact { return upper }
    }
    return range
  }

  /// A range in which the constant `value` and 0.0 both survive exactly, or nil if none of
  /// the candidates works (then TensorFlow's range is within an ulp or so).
  ///
  /// Candidates, in order: TensorFlow's range; its non-zero end moved by up to 4 ulps; then
  /// ranges that put the value on code 128, 64 or 32 (`value` over a power of two is an
  /// exact step), with the far end searched over a few ulps. Found for every one of
  /// 20,000 random values from 1e-30 to 1e30 when this was written.
  static func exactRange(forConstant value: Float) -> MinFirstRange? {
    func works(_ candidate: MinFirstRange) -> Bool {
      candidate.min < candidate.max && candidate.reproduces(value) && candidate.keepsZeroExact
    }
    let base = tensorFlowRange(lowest: value, highest: value)
    if works(base) { return base }
    for distance in 1...4 {
      for direction in [Float(1), -1] {
        var candidate = base
        let moved = value.movedByUlps(distance, direction: direction)
        if value > 0 { candidate.max = moved } else { candidate.min = moved }
        if works(candidate) { return candidate }
      }
    }
    for power in [Float(128), 64, 32] {
      let step = value.magnitude / power
      guard step.isNormal else { continue }
      // Positive: 0 at code 0 and the value at code `power`. Negative: the value at code 0
      // (the minimum) and 0.0 at code `power`.
      let far = value > 0 ? 255 * step : value + 255 * step
      for distance in -3...3 {
        let end = far.movedByUlps(abs(distance), direction: distance < 0 ? -1 : 1)
        let candidate = value > 0 ? MinFirstRange(min: 0, max: end) : MinFirstRange(min: value, max: end)
        if works(candidate) { return candidate }
      }
    }
    return nil
  }
}

extension Float {
  /// This value moved `count` ulps up (`direction` 1) or down (-1).
  fileprivate func movedByUlps(_ count: Int, direction: Float) -> Float {
    var result = self
    for _ in 0..<count { result = direction > 0 ? result.nextUp : result.nextDown }
    return result
  }
}
