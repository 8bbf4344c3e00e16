// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The reduction kernels: Sum, Prod, Mean, Max, Min, All, Any over a set of axes, and
/// ArgMax, ArgMin along one.
let reductionKernels: [String: Kernel] = [
  "Sum": sumKernel,
  "Prod": arithmeticReductionKernel(ProductReducer.self),
  "Max": arithmeticReductionKernel(MaxReducer.self),
  "Min": arithmeticReductionKernel(MinReducer.self),
  "Mean": meanKernel,
  "All": logicalReductionKernel(identity: true) { $0 && $1 },
  "Any": logicalReductionKernel(identity: false) { $0 || $1 },
  "ArgMax": argReductionKernel(ArgMaxOperation.self),
  "ArgMin": argReductionKernel(ArgMinOperation.self),
]

// MARK: Axes

/// Which elements of an input fold into which output element, for a reduction over a
/// set of axes.
struct ReductionPlan {
  /// The result shape: the input shape without the reduced axes, or with them as 1 under
  /// `keep_dims`.
  let outputShape: [Int]
  /// The number of result elements.
  let outputCount: Int
  /// The number of input elements that fold into each result element.
  let reducedCount: Int
  /// The input shape with size-1 axes dropped and neighbouring axes of the same kind
  /// merged: the reduction walks these runs instead of single axes, so the innermost
  /// loop covers as many contiguous elements as possible.
  private let runs: [(size: Int, reduced: Bool)]

  /// The plan for `invocation`'s inputs: the tensor and its `reduction_indices`.
  ///
  /// - Throws: TensorFlow's errors for an out-of-range or duplicate axis.
  init(_ invocation: KernelInvocation) throws(EvalError) {
    let input = invocation.inputs[0]
    let rank = input.rank
    var reduced = [Bool](repeating: false, count: rank)
    // TF parity: the axes may have any shape (a [1, 1] tensor works); they are read flat.
    for axis in try invocation.inputs[1].indices("reduction_indices") {
      guard axis >= -rank && axis < rank else {
        throw .invalidArgument("Invalid reduction dimension (\(axis) for input with \(rank) dimension(s)")
      }
      let normalized = axis < 0 ? axis + rank : axis
      guard !reduced[normalized] else {
        throw .invalidArgument("Invalid reduction arguments: Axes contains duplicate dimension: \(normalized)")
      }
      reduced[normalized] = true
    }
    let keepDims = try invocation.bool("keep_dims", default: false)
    var outputShape: [Int] = []
    var reducedCount = 1
    var runs: [(size: Int, reduced: Bool)] = []
    for (size, isReduced) in zip(input.shape, reduced) {
      // Wrapping products: an empty input's other axes may multiply past Int.max, but then
      // a zero factor makes the true count 0, which the wrapping product reaches as well,
      // and the runs are not walked at all.
      if isReduced {
        reducedCount &*= size
        if keepDims { outputShape.append(1) }
      } else {
        outputShape.append(size)
      }
      guard size != 1 else { continue }
      if let last = runs.last, last.reduced == isReduced {
        runs[runs.count - 1].size = last.size &* size
      } else {
        runs.append((size, isReduced))
      }
    }
    // An empty input can still have a large result ([0, n] reduced over axis 0).
    self.outputCount = try invocation.checkSize(outputShape)
    self.outputShape = outputShape
    self.reducedCount = reducedCount
    self.runs = runs
  }

  /// Folds each element of `values` (the input, row-major) into its result element,
  /// starting every result from `initial`.
  func reduce<T, Accumulator>(
    _ values: [T], initial: Accumulator, _ combine: (inout Accumulator, T) -> Void
  ) -> [Accumulator] {
    var results = [Accumulator](repeating: initial, count: outputCount)
    guard !values.isEmpty, let inner = runs.last else {
      // No runs: every axis has size 1, so the single element is its own result.
      if let value = values.first, !results.isEmpty { combine(&results[0], value) }
      return results
    }
    // The result stride of each run: 0 for reduced runs, which all fold into one element.
    var strides = [Int](repeating: 0, count: runs.count)
    var stride = 1
    for run in runs.indices.reversed() where !runs[run].reduced {
      strides[run] = stride
      stride *= runs[run].size
    }
    var position = [Int](repeating: 0, count: runs.count - 1)
    var base = 0
    results.withUnsafeMutableBufferPointer { results in
      values.withUnsafeBufferPointer { values in
        var offset = 0
        while offset < values.count {
          if inner.reduced {
            var accumulator = results[base]
            for index in offset..<(offset + inner.size) { combine(&accumulator, values[index]) }
            results[base] = accumulator
          } else {
            for index in 0..<inner.size { combine(&results[base + index], values[offset + index]) }
          }
          offset += inner.size
          // Step the outer runs like an odometer, moving `base` with them.
          var run = runs.count - 2
          while run >= 0 {
            position[run] += 1
            base += strides[run]
            if position[run] < runs[run].size { break }
            base -= strides[run] * runs[run].size
            position[run] = 0
            run -= 1
          }
        }
      }
    }
    return results
  }
}

/// Checks a reduction's inputs (the tensor, with a dtype from `domain`, and its axes)
/// and resolves the axes.
private func reductionPlan(
  _ invocation: KernelInvocation, _ domain: DTypeDomain
) throws(EvalError) -> (DenseTensor, ReductionPlan) {
  try invocation.expectInputs(2)
  try domain.check(invocation.inputs[0].dtype, op: invocation.node.op)
  return (invocation.inputs[0], try ReductionPlan(invocation))
}

// MARK: Prod, Max, Min, integer Sum

/// A reduction that folds elements with an associative operation.
protocol ArithmeticReducer: Sendable {
  /// The result of reducing nothing.
  static func identity<T: ArithmeticElement>(_ type: T.Type) -> T
  /// Folds one element into the running result.
  static func combine<T: ArithmeticElement>(_ accumulator: T, _ value: T) -> T
}

/// `Sum` of integers, which wrap as TensorFlow's do; float sums are `FloatSumVisitor`'s.
enum SumReducer: ArithmeticReducer {
  /// Zero.
  static func identity<T: ArithmeticElement>(_ type: T.Type) -> T { .zero }
  /// `accumulator + value`.
  static func combine<T: ArithmeticElement>(_ accumulator: T, _ value: T) -> T { T.adding(accumulator, value) }
}

/// `Prod`; integers wrap.
enum ProductReducer: ArithmeticReducer {
  /// One.
  static func identity<T: ArithmeticElement>(_ type: T.Type) -> T { .one }
  /// `accumulator * value`.
  static func combine<T: ArithmeticElement>(_ accumulator: T, _ value: T) -> T {
    T.multiplying(accumulator, value)
  }
}

/// `Max`: -inf (or the integer minimum) for nothing; NaN if any element is NaN.
enum MaxReducer: ArithmeticReducer {
  /// The lowest value.
  static func identity<T: ArithmeticElement>(_ type: T.Type) -> T { .lowest }
  /// The larger of the two.
  static func combine<T: ArithmeticElement>(_ accumulator: T, _ value: T) -> T { T.maximum(accumulator, value) }
}

/// `Min`: inf (or the integer maximum) for nothing; NaN if any element is NaN.
enum MinReducer: ArithmeticReducer {
  /// The highest value.
  static func identity<T: ArithmeticElement>(_ type: T.Type) -> T { .highest }
  /// The smaller of the two.
  static func combine<T: ArithmeticElement>(_ accumulator: T, _ value: T) -> T { T.minimum(accumulator, value) }
}

/// Computes a `Reducer` reduction.
private struct ArithmeticReductionVisitor<Reducer: ArithmeticReducer>: ArithmeticVisitor {
  /// The input.
  let input: DenseTensor
  /// Its resolved axes.
  let plan: ReductionPlan

  /// The result tensor.
  func visit<T: ArithmeticElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "input")
    let results = plan.reduce(values, initial: Reducer.identity(T.self)) { $0 = Reducer.combine($0, $1) }
    return DenseTensor(results, shape: plan.outputShape)
  }
}

/// The kernel of a `Reducer` reduction.
private func arithmeticReductionKernel<Reducer: ArithmeticReducer>(_ reducer: Reducer.Type) -> Kernel {
  { invocation throws(EvalError) in
    let (input, plan) = try reductionPlan(invocation, .real)
    return [try input.dtype.visitArithmetic(ArithmeticReductionVisitor<Reducer>(input: input, plan: plan))]
  }
}

// MARK: Sum and Mean

/// `Sum`.
private let sumKernel: Kernel = { invocation throws(EvalError) in
  let (input, plan) = try reductionPlan(invocation, .real)
  if input.dtype == .float || input.dtype == .double {
    return [try input.dtype.visit(FloatSumVisitor(input: input, plan: plan, mean: false))]
  }
  return [try input.dtype.visitArithmetic(ArithmeticReductionVisitor<SumReducer>(input: input, plan: plan))]
}

/// `Mean`: the sum divided by the number of elements reduced.
private let meanKernel: Kernel = { invocation throws(EvalError) in
  let (input, plan) = try reductionPlan(invocation, .real)
  if input.dtype == .float || input.dtype == .double {
    return [try input.dtype.visit(FloatSumVisitor(input: input, plan: plan, mean: true))]
  }
  return [try input.dtype.visit(IntegerMeanVisitor(input: input, plan: plan))]
}

/// `Sum` or `Mean` of floats, accumulated in Double and rounded once.
///
/// TensorFlow sums float32 in float32, but in a tree of vectorized partial sums whose
/// shape depends on the CPU and thread count, so its rounding cannot be reproduced; the
/// Double sum is within TensorFlow's own error of any order it uses, where an in-order
/// float32 sum drifts (n · ulp) on large reductions. The one visible difference is a
/// float32 partial sum that overflows to infinity in TensorFlow and not here.
private struct FloatSumVisitor: FloatVisitor {
  /// The input.
  let input: DenseTensor
  /// Its resolved axes.
  let plan: ReductionPlan
  /// Whether to divide by the number of elements reduced (NaN, 0 / 0, when there are none).
  let mean: Bool

  /// The result tensor.
  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let sums = plan.reduce(try input.require(T.self, "input"), initial: 0.0) { $0 += Double($1) }
    let count = Double(plan.reducedCount)
    return DenseTensor(sums.map { T(mean ? $0 / count : $0) }, shape: plan.outputShape)
  }
}

/// `Mean` of integers, truncated toward zero.
///
/// TF parity: TensorFlow sums the narrower integer types in 64 bits (so the mean of
/// int8 [100, 100, 100] is 100, where `Sum` wraps), and int64 and uint64 in themselves,
/// wrapping; the mean of nothing is 0.
private struct IntegerMeanVisitor: IntegerVisitor {
  /// The input.
  let input: DenseTensor
  /// Its resolved axes.
  let plan: ReductionPlan

  /// The result tensor.
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "input")
    let means: [T]
    if T.isSigned {
      let count = Int64(plan.reducedCount)
      let sums = plan.reduce(values, initial: Int64(0)) { $0 &+= Int64(truncatingIfNeeded: $1) }
      means = sums.map { T(truncatingIfNeeded: count == 0 ? 0 : $0 / count) }
    } else {
      let count = UInt64(truncatingIfNeeded: plan.reducedCount)
      let sums = plan.reduce(values, initial: UInt64(0)) { $0 &+= UInt64(truncatingIfNeeded: $1) }
      means = sums.map { T(truncatingIfNeeded: count == 0 ? 0 : $0 / count) }
    }
    return DenseTensor(means, shape: plan.outputShape)
  }
}

// MARK: All, Any

/// The kernel of `All` or `Any`.
private func logicalReductionKernel(
  identity: Bool, _ combine: @escaping @Sendable (Bool, Bool) -> Bool
) -> Kernel {
  { invocation throws(EvalError) in
    let (input, plan) = try reductionPlan(invocation, .bool)
    let values = try input.require(Bool.self, "input")
    let results = plan.reduce(values, initial: identity) { $0 = combine($0, $1) }
    return [DenseTensor(results, shape: plan.outputShape)]
  }
}

// MARK: ArgMax, ArgMin

/// `ArgMax` or `ArgMin`.
protocol ArgReduction: Sendable {
  /// The `output_type` values TensorFlow accepts.
  static var outputTypes: [DataType] { get }
  /// The value every search starts from, at index 0.
  static func initial<T: NumericElement>(_ type: T.Type) -> T
  /// Whether `value` replaces `best`.
  static func isBetter<T: NumericElement>(_ value: T, than best: T) -> Bool
}

/// `ArgMax`.
enum ArgMaxOperation: ArgReduction {
  /// Newer TensorFlow added the 16-bit index types, for ArgMax only.
  static var outputTypes: [DataType] { [.int16, .uint16, .int32, .int64] }
  /// The lowest value.
  static func initial<T: NumericElement>(_ type: T.Type) -> T { .lowest }
  /// Strictly greater, so ties keep the first index.
  static func isBetter<T: NumericElement>(_ value: T, than best: T) -> Bool { value > best }
}

/// `ArgMin`.
enum ArgMinOperation: ArgReduction {
  /// int32 or int64.
  static var outputTypes: [DataType] { [.int32, .int64] }
  /// The highest value.
  static func initial<T: NumericElement>(_ type: T.Type) -> T { .highest }
  /// Strictly less, so ties keep the first index.
  static func isBetter<T: NumericElement>(_ value: T, than best: T) -> Bool { value < best }
}

/// The kernel of `ArgMax` or `ArgMin`: the index along `dimension` of the extreme
/// element, as the `output_type` attribute's dtype (int64 unless told otherwise).
private func argReductionKernel<Operation: ArgReduction>(_ operation: Operation.Type) -> Kernel {
  { invocation throws(EvalError) in
    try invocation.expectInputs(2)
    var input = invocation.inputs[0]
    try (DTypeDomain.real + .bool).check(input.dtype, op: invocation.node.op)
    let dimension = invocation.inputs[1]
    guard dimension.rank == 0 else {
      throw .invalidArgument("dim must be a scalar, but received tensor of shape: \(dimension.shape)")
    }
    let rank = input.rank
    let axis = try dimension.scalarIndex("dimension")
    guard axis >= -rank && axis < rank else {
      throw .invalidArgument("Expected dimension in the range [\(-rank), \(rank)), but got \(axis)")
    }
    let normalized = axis < 0 ? axis + rank : axis
    guard input.shape[normalized] > 0 else {
      throw .invalidArgument("Reduction axis \(normalized) is empty in shape \(input.shape)")
    }
    let outputType = invocation.node.attrs["output_type"] == nil ? .int64 : try invocation.type("output_type")
    guard Operation.outputTypes.contains(outputType) else {
      throw .typeMismatch("\(invocation.node.op): output_type \(outputType) is not an index type")
    }
    if input.dtype == .bool {
      // false < true, as for the integers 0 and 1.
      input = DenseTensor(try input.require(Bool.self, "input").map { UInt8($0 ? 1 : 0) }, shape: input.shape)
    }
    let indices = try input.dtype.visit(ArgReductionVisitor<Operation>(input: input, axis: normalized))
    var outputShape = input.shape
    outputShape.remove(at: normalized)
    return [try outputType.visit(IndexTensorVisitor(indices: indices, shape: outputShape))]
  }
}

/// Finds the extreme element along one axis for every position of the others.
private struct ArgReductionVisitor<Operation: ArgReduction>: NumericVisitor {
  /// The input, with a non-empty `axis`.
  let input: DenseTensor
  /// The axis searched.
  let axis: Int

  /// The indices, row-major over the input shape without `axis`.
  func visit<T: NumericElement>(_ type: T.Type) throws(EvalError) -> [Int] {
    let values = try input.require(T.self, "input")
    // Empty, and the product of the other axes may not even fit in an Int.
    guard !values.isEmpty else { return [] }
    let size = input.shape[axis]
    let inner = input.shape[(axis + 1)...].reduce(1, *)
    let outer = input.shape[..<axis].reduce(1, *)
    var indices = [Int](repeating: 0, count: outer * inner)
    // Row by row along the axis, so memory is read in order; each of the `inner` searches
    // still sees its elements in index order.
    var best = [T](repeating: Operation.initial(T.self), count: inner)
    for outerIndex in 0..<outer {
      for innerIndex in 0..<inner { best[innerIndex] = Operation.initial(T.self) }
      let firstIndex = outerIndex * inner
      for index in 0..<size {
        let row = (outerIndex * size + index) * inner
        for innerIndex in 0..<inner where Operation.isBetter(values[row + innerIndex], than: best[innerIndex]) {
          // TF parity: Eigen's search starts from (0, lowest) and takes only strictly better
          // elements, so NaN is never chosen (unless every element is NaN: index 0).
          best[innerIndex] = values[row + innerIndex]
          indices[firstIndex + innerIndex] = index
        }
      }
    }
    return indices
  }
}

/// Writes indices as an integer tensor of the visited type.
private struct IndexTensorVisitor: IntegerVisitor {
  /// The indices.
  let indices: [Int]
  /// The result shape.
  let shape: [Int]

  /// The result tensor.
  func visit<T: IntegerElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    DenseTensor(indices.map { T(truncatingIfNeeded: $0) }, shape: shape)
  }
}
