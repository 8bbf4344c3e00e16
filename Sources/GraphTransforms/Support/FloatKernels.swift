// SPDX-License-Identifier: Apache-2.0

internal import CWeightKernels
import Dispatch

/// The inner loops of the weight transforms (`round_weights`, `quantize_weights`,
/// `prune_weights`), written over raw, possibly unaligned little-endian float32 bytes.
///
/// They touch every weight of a graph (about 100 MB for ResNet-50), so they work eight or
/// four lanes at a time with SIMD types, and avoid float-to-integer conversions: on the
/// baseline x86-64 target SwiftPM builds for, those compile to a generic per-lane call.
/// Floors and roundings are done with the add-and-subtract-2^23 (or 2^52) trick instead,
/// and results that are small integers are read off the float's bit pattern.
///
/// Every kernel works on an element range, so callers can split one tensor across cores.
/// None of them can trap on any input bytes: NaN, infinities and denormals only ever reach
/// comparisons and arithmetic.
///
/// On CPUs with AVX2, `scan`, `quantizeFinite` and `round` hand their full eight-value
/// blocks to `CWeightKernels`, which does the same lane arithmetic twice as wide per
/// instruction (the baseline target cannot use AVX, and Swift cannot pick a target per
/// function). Lane reductions, tails and redos stay here, so the results are the same bits;
/// `allowingAVX2: false` runs the Swift loops alone, the reference the tests compare with.
enum FloatKernels {
  /// Whether the C kernels may be used: the CPU and the operating system support AVX2.
  static let hasAVX2 = CWeightKernels_hasAVX2() != 0

  /// What one pass over a float tensor found.
  struct Scan: Sendable, Hashable {
    /// The smallest and largest finite values; `minimum > maximum` when there are none.
    var minimum: Float = .infinity
    var maximum: Float = -.infinity
    /// NaN and ±infinity values.
    var nonFinite = 0
    /// Values equal to zero (either sign).
    var zeros = 0

    /// Whether any value is finite.
    var hasFiniteValues: Bool { minimum <= maximum }

    /// Combines the scans of two parts of a tensor.
    mutating func merge(_ other: Scan) {
      minimum = Swift.min(minimum, other.minimum)
      maximum = Swift.max(maximum, other.maximum)
      nonFinite += other.nonFinite
      zeros += other.zeros
    }
  }

  /// Scans `range` of the floats at `base`: finite minimum and maximum, and counts of
  /// non-finite values and zeros.
  static func scan(_ base: UnsafeRawPointer, _ range: Range<Int>, allowingAVX2: Bool = true) -> Scan {
    var lowest = SIMD8<Float>(repeating: .infinity)
    var highest = SIMD8<Float>(repeating: -.infinity)
    var nonFinite = SIMD8<UInt32>(repeating: 0)
    var zeros = SIMD8<UInt32>(repeating: 0)
    let magnitudeMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
    let infinityStep = SIMD8<UInt32>(repeating: 0x0080_0000)
    var index = range.lowerBound
    var result = Scan()
    if allowingAVX2 && hasAVX2 {
      var counts: (nonFinite: UInt64, zeros: UInt64) = (0, 0)
      index += withUnsafeMutableBytes(of: &lowest) { low in
        withUnsafeMutableBytes(of: &highest) { high in
          CWeightKernels_scanBlocks(
            base, index, range.upperBound, low.baseAddress?.assumingMemoryBound(to: Float.self),
            high.baseAddress?.assumingMemoryBound(to: Float.self), &counts.nonFinite, &counts.zeros)
        }
      }
      result.nonFinite = Int(counts.nonFinite)
      result.zeros = Int(counts.zeros)
    }
    // Lane counters are 32-bit; flush them well before they could overflow.
    while index &+ 8 <= range.upperBound {
      let blockEnd = Swift.min(range.upperBound, index &+ (1 << 28))
      while index &+ 8 <= blockEnd {
        let values = base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
        // Comparisons with NaN are false, so NaN never becomes the minimum or maximum.
        lowest.replace(with: values, where: values .< lowest)
        highest.replace(with: values, where: values .> highest)
        // Counted with shifts rather than masks, which compile to a per-lane loop: a
        // magnitude of at least 0x7F800000 (infinity or NaN) carries into bit 31 when
        // 0x00800000 is added, and only a magnitude of 0 borrows into it when 1 is taken.
        let magnitude = unsafeBitCast(values, to: SIMD8<UInt32>.self) & magnitudeMask
        nonFinite &+= (magnitude &+ infinityStep) &>> 31
        zeros &+= (magnitude &- 1) &>> 31
        index &+= 8
      }
      result.nonFinite += Int(nonFinite.wrappedSum())
      result.zeros += Int(zeros.wrappedSum())
      nonFinite = .zero
      zeros = .zero
    }
    result.minimum = lowest.min()
    result.maximum = highest.max()
    while index < range.upperBound {
      let value = base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
      if value.isFinite {
        result.minimum = Swift.min(result.minimum, value)
        result.maximum = Swift.max(result.maximum, value)
      } else {
        result.nonFinite += 1
      }
      if value == 0 { result.zeros += 1 }
      index &+= 1
    }
    if result.nonFinite > 0 && !(result.minimum.isFinite && result.maximum.isFinite) {
      // The vector loop let infinities into the extremes; rare enough to redo plainly.
      result.minimum = .infinity
      result.maximum = -.infinity
      for index in range {
        let value = base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
        if value.isFinite {
          result.minimum = Swift.min(result.minimum, value)
          result.maximum = Swift.max(result.maximum, value)
        }
      }
    }
    return result
  }

  // MARK: quantize_weights

  /// TensorFlow's `FloatToQuantized<quint8>` for `range`, written to `output`:
  /// `clamp(round(Double(v) · rangeScale) − zeroOffset, 0, 255)`, rounding half away from
  /// zero, in double precision as TensorFlow computes it.
  ///
  /// - Parameters:
  ///   - rangeScale: `256 / ((max − min) · 256/255)`, as TensorFlow computes it.
  ///   - zeroOffset: `round(min · rangeScale)`, an integer.
  ///   - nanCode: the code NaN becomes (TensorFlow's own result for NaN is undefined
  ///     behaviour in C++; it happens to give 0). Infinities clamp like other out-of-range
  ///     values.
  static func quantize(
    _ base: UnsafeRawPointer, _ range: Range<Int>, into output: UnsafeMutablePointer<UInt8>,
    rangeScale: Double, zeroOffset: Double, nanCode: UInt8
  ) {
    // floor(|x| + 0.5⁻) is round-half-away-from-zero of |x| for every double below 2^51;
    // 0.5⁻ (the double just below 0.5) keeps 0.49999999999999994 from rounding up.
    let half = SIMD4<Double>(repeating: 0.5.nextDown)
    let magic = SIMD4<Double>(repeating: 0x1p52)
    let one = SIMD4<Double>(repeating: 1)
    let zero = SIMD4<Double>(repeating: 0)
    let top = SIMD4<Double>(repeating: 255)
    let limit = SIMD4<Double>(repeating: 0x1p40)
    let signMask = SIMD4<UInt64>(repeating: 0x7FFF_FFFF_FFFF_FFFF)
    let scale = SIMD4<Double>(repeating: rangeScale)
    let offset = SIMD4<Double>(repeating: zeroOffset)
    let nanValue = SIMD4<Double>(repeating: Double(nanCode))
    var index = range.lowerBound
    while index &+ 4 <= range.upperBound {
      let values = SIMD4<Double>(base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD4<Float>.self))
      let scaled = values * scale
      let isNaN = scaled .!= scaled
      // Keep the magic-number floor exact: huge and infinite values saturate anyway.
      var magnitude = unsafeBitCast(unsafeBitCast(scaled, to: SIMD4<UInt64>.self) & signMask, to: SIMD4<Double>.self)
      magnitude.replace(with: limit, where: .!(magnitude .< limit))
      let shifted = magnitude + half
      var floor = (shifted + magic) - magic
      floor.replace(with: floor - one, where: floor .> shifted)
      let rounded = floor.replacing(with: -floor, where: scaled .< zero)
      var code = rounded - offset
      code.replace(with: zero, where: code .< zero)
      code.replace(with: top, where: code .> top)
      code.replace(with: nanValue, where: isNaN)
      // code is an integer in 0...255, so it sits in the low bits of code + 2^52.
      let bits = unsafeBitCast(code + magic, to: SIMD4<UInt64>.self)
      let bytes = SIMD4<UInt8>(truncatingIfNeeded: bits)
      UnsafeMutableRawPointer(output + index).storeBytes(of: bytes, as: SIMD4<UInt8>.self)
      index &+= 4
    }
    while index < range.upperBound {
      let value = base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
      output[index] = quantizeOne(value, rangeScale: rangeScale, zeroOffset: zeroOffset, nanCode: nanCode)
      index &+= 1
    }
  }

  /// `quantize` for finite values only, eight lanes at a time in float where that gives
  /// TensorFlow's double-precision result, and in double where it might not.
  ///
  /// In float, `v · rangeScale − zeroOffset` (at most about 256 in magnitude) is within
  /// about 5e-5 of the double-precision value, so rounding it gives TensorFlow's code
  /// unless the value lies within that distance of a half-integer; then, and only then,
  /// the way ties round matters too. Blocks with a lane within 2^-12 of a half-integer are
  /// redone by `quantize`. The caller guarantees that no value is NaN or infinite.
  static func quantizeFinite(
    _ base: UnsafeRawPointer, _ range: Range<Int>, into output: UnsafeMutablePointer<UInt8>,
    rangeScale: Double, zeroOffset: Double, allowingAVX2: Bool = true
  ) {
    var index = range.lowerBound
    if allowingAVX2 && hasAVX2 {
      // The C loop stores every block and lists those near a tie, to be redone here.
      withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { redo in
        guard let redoBase = redo.baseAddress else { return }
        while range.upperBound &- index >= 8 {
          var redoCount = 0
          index += CWeightKernels_quantizeFiniteBlocks(
            base, index, range.upperBound, output, Float(rangeScale), Float(zeroOffset), redoBase, redo.count,
            &redoCount)
          for start in redo[0..<redoCount] {
            quantize(
              base, start..<(start &+ 8), into: output, rangeScale: rangeScale, zeroOffset: zeroOffset, nanCode: 0)
          }
        }
      }
    }
    let scale = SIMD8<Float>(repeating: Float(rangeScale))
    let offset = SIMD8<Float>(repeating: Float(zeroOffset))
    let magic = SIMD8<Float>(repeating: 0x1p23)
    let zero = SIMD8<Float>(repeating: 0)
    let top = SIMD8<Float>(repeating: 255)
    let safe = SIMD8<Float>(repeating: 0.5 - 0x1p-12)
    let magnitudeMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
    while index &+ 8 <= range.upperBound {
      let values = base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
      var code = values * scale - offset
      // Distance to the nearest integer (ties to even, which is fine away from ties).
      let distance = code - ((code + magic) - magic)
      let magnitude = unsafeBitCast(
        unsafeBitCast(distance, to: SIMD8<UInt32>.self) & magnitudeMask, to: SIMD8<Float>.self)
      // A lane near a half-integer has `safe − magnitude` negative. Tested through OR-ed
      // sign bits: a mask comparison or a lane sum compiles to per-lane code.
      let margin = unsafeBitCast(safe - magnitude, to: SIMD8<UInt32>.self)
      let halves = margin.lowHalf | margin.highHalf
      if (halves[0] | halves[1] | halves[2] | halves[3]) >> 31 != 0 {
        quantize(
          base, index..<(index &+ 8), into: output, rangeScale: rangeScale, zeroOffset: zeroOffset, nanCode: 0)
        index &+= 8
        continue
      }
      code.replace(with: zero, where: code .< zero)
      code.replace(with: top, where: code .> top)
      // Adding 2^23 rounds to an integer, which then sits in the low bits.
      let codeBits = unsafeBitCast(code + magic, to: SIMD8<UInt32>.self)
      UnsafeMutableRawPointer(output + index).storeBytes(
        of: SIMD8<UInt8>(truncatingIfNeeded: codeBits), as: SIMD8<UInt8>.self)
      index &+= 8
    }
    quantize(
      base, index..<range.upperBound, into: output, rangeScale: rangeScale, zeroOffset: zeroOffset, nanCode: 0)
  }

  /// One value of `quantize`, the plain way; the reference the SIMD loop is tested against.
  static func quantizeOne(_ value: Float, rangeScale: Double, zeroOffset: Double, nanCode: UInt8) -> UInt8 {
    let scaled = Double(value) * rangeScale
    if scaled.isNaN { return nanCode }
    let code = scaled.rounded(.toNearestOrAwayFromZero) - zeroOffset
    if !(code > 0) { return 0 }
    if code >= 255 { return 255 }
    return UInt8(code)
  }

  // MARK: round_weights

  /// TensorFlow's `round_weights` arithmetic for `range`, written to `output` (which may be
  /// unaligned): each value becomes the centre of its bucket,
  /// `minimum + width · (floor((v − minimum) / width) + 0.5)`, all in float as TensorFlow
  /// computes it, with the bucket clamped to `0...steps`. The maximum lands in bucket
  /// `steps`, half a width above the range, as in TensorFlow.
  ///
  /// Zeros (either sign), NaN and infinities are copied unchanged.
  static func round(
    _ base: UnsafeRawPointer, _ range: Range<Int>, into output: UnsafeMutableRawPointer,
    minimum: Float, width: Float, steps: Int, allowingAVX2: Bool = true
  ) {
    let lastBucket = Float(steps)
    var index = range.lowerBound
    if allowingAVX2 && hasAVX2 {
      index += CWeightKernels_roundBlocks(base, index, range.upperBound, output, minimum, width, lastBucket)
    }
    let low = SIMD8<Float>(repeating: minimum)
    let step = SIMD8<Float>(repeating: width)
    let last = SIMD8<Float>(repeating: lastBucket)
    let magic = SIMD8<Float>(repeating: 0x1p23)
    let one = SIMD8<Float>(repeating: 1)
    let half = SIMD8<Float>(repeating: 0.5)
    let zero = SIMD8<Float>(repeating: 0)
    let magnitudeMask = SIMD8<UInt32>(repeating: 0x7FFF_FFFF)
    let infinityStep = SIMD8<UInt32>(repeating: 0x0080_0000)
    while index &+ 8 <= range.upperBound {
      let values = base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
      var position = (values - low) / step
      // Values below the range (none, for finite values) go to bucket 0, and none goes past
      // the maximum's bucket (float rounding cannot take it further). NaN positions (from
      // non-finite values) pass through harmlessly and are replaced below.
      position.replace(with: zero, where: position .< zero)
      position.replace(with: last, where: position .> last)
      var bucket = (position + magic) - magic
      bucket.replace(with: bucket - one, where: bucket .> position)
      let rounded = low + step * (bucket + half)
      // Keep zeros, NaN and infinities: an all-ones lane mask from the same carry and
      // borrow tricks as `scan`, blended with bit operations (mask operations compile to a
      // per-lane loop here).
      let bits = unsafeBitCast(values, to: SIMD8<UInt32>.self)
      let magnitude = bits & magnitudeMask
      let keep = SIMD8<UInt32>.zero &- (((magnitude &+ infinityStep) | (magnitude &- 1)) &>> 31)
      let blended = (unsafeBitCast(rounded, to: SIMD8<UInt32>.self) & ~keep) | (bits & keep)
      output.storeBytes(of: blended, toByteOffset: index &* 4, as: SIMD8<UInt32>.self)
      index &+= 8
    }
    while index < range.upperBound {
      let value = base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
      let rounded = roundOne(value, minimum: minimum, width: width, lastBucket: lastBucket)
      output.storeBytes(of: rounded, toByteOffset: index &* 4, as: Float.self)
      index &+= 1
    }
  }

  /// One value of `round`, the plain way; the reference the SIMD loop is tested against.
  static func roundOne(_ value: Float, minimum: Float, width: Float, lastBucket: Float) -> Float {
    if value == 0 || !value.isFinite { return value }
    var position = (value - minimum) / width
    if !(position >= 0) { position = 0 }
    if position > lastBucket { position = lastBucket }
    return minimum + width * (position.rounded(.down) + 0.5)
  }

  // MARK: prune_weights

  /// Adds the magnitude bit patterns of `range` to a histogram: with `shift` 16, by their
  /// top 16 bits; with `shift` 0, by their low 16 bits, counting only values whose top 16
  /// bits equal `prefix`. For non-negative floats, bit-pattern order is value order, and
  /// NaN sorts above infinity.
  static func histogram(
    _ base: UnsafeRawPointer, _ range: Range<Int>, shift: UInt32, prefix: UInt32,
    into counts: UnsafeMutablePointer<Int>
  ) {
    for index in range {
      let bits = base.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self) & 0x7FFF_FFFF
      if shift == 16 {
        counts[Int(bits >> 16)] &+= 1
      } else if bits >> 16 == prefix {
        counts[Int(bits & 0xFFFF)] &+= 1
      }
    }
  }

  /// Copies `range` to `output` (which may be unaligned), replacing with +0.0 every value
  /// whose magnitude bit pattern is below `threshold`, and the first `tiesToZero` values
  /// whose magnitude bit pattern equals it. Returns how many tied values it zeroed.
  static func zeroSmall(
    _ base: UnsafeRawPointer, _ range: Range<Int>, into output: UnsafeMutableRawPointer,
    threshold: UInt32, tiesToZero: Int
  ) -> Int {
    var ties = tiesToZero
    for index in range {
      let bits = base.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)
      let magnitude = bits & 0x7FFF_FFFF
      var out = bits
      if magnitude < threshold {
        out = 0
      } else if magnitude == threshold && ties > 0 {
        out = 0
        ties -= 1
      }
      output.storeBytes(of: out, toByteOffset: index &* 4, as: UInt32.self)
    }
    return tiesToZero - ties
  }
}

/// Spreads independent pieces of work over the machine's cores.
enum Parallel {
  /// The number of cores to use.
  static let coreCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  /// Calls `body` once for every index in `0..<count`, on as many cores as there are,
  /// and returns when all calls have finished. Small jobs run on the calling thread.
  static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 1 || coreCount == 1 {
      for index in 0..<count { body(index) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
  }

  /// Elements per piece of work: 1 MB of floats, small enough to balance two cores over a
  /// graph's tensors, large enough that scheduling costs nothing.
  static let chunkSize = 1 << 18

  /// Calls `body(tensor, range)` for consecutive element ranges covering `0..<counts[tensor]`
  /// for every tensor, spread over the cores.
  static func forEachChunk(of counts: [Int], _ body: @Sendable (_ tensor: Int, _ range: Range<Int>) -> Void) {
    var pieces: [(tensor: Int, range: Range<Int>)] = []
    for (tensor, count) in counts.enumerated() {
      for start in stride(from: 0, to: count, by: chunkSize) {
        pieces.append((tensor, start..<min(count, start + chunkSize)))
      }
    }
    let work = pieces
    forEach(work.count) { body(work[$0].tensor, work[$0].range) }
  }

  /// Scans every tensor (see `FloatKernels.scan`), in parallel pieces.
  static func scan(_ tensors: [FloatElements]) -> [FloatKernels.Scan] {
    var pieces: [(tensor: Int, range: Range<Int>)] = []
    for (tensor, elements) in tensors.enumerated() {
      for start in stride(from: 0, to: elements.count, by: chunkSize) {
        pieces.append((tensor, start..<min(elements.count, start + chunkSize)))
      }
    }
    let results = Slots(count: pieces.count, initial: FloatKernels.Scan())
    defer { results.deallocate() }
    let work = pieces
    forEach(work.count) { index in
      let piece = work[index]
      results[index] = FloatKernels.scan(tensors[piece.tensor].base, piece.range)
    }
    var merged = [FloatKernels.Scan](repeating: FloatKernels.Scan(), count: tensors.count)
    for (index, piece) in pieces.enumerated() { merged[piece.tensor].merge(results[index]) }
    return merged
  }
}

/// Memory that parallel work writes at distinct indices, one writer per index, and that is
/// read only after the work has finished; that discipline makes it sound to share.
struct Slots<Element>: @unchecked Sendable {
  private let buffer: UnsafeMutableBufferPointer<Element>

  /// `count` slots holding `initial`.
  init(count: Int, initial: Element) {
    buffer = .allocate(capacity: Swift.max(count, 1))
    buffer.initialize(repeating: initial)
  }

  subscript(index: Int) -> Element {
    get { buffer[index] }
    nonmutating set { buffer[index] = newValue }
  }

  /// Frees the slots; call once, when done.
  func deallocate() {
    buffer.deinitialize()
    buffer.deallocate()
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
