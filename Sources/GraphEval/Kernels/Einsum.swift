// SPDX-License-Identifier: Apache-2.0

/// `Einsum` with one or two float operands: what Keras attention and dense layers on
/// sequences freeze into (`abc,cde->abde`, `aecd,abcd->acbe`).
///
/// Every equation becomes one batched product: labels in the output and in both operands
/// are the batch, labels in the output and one operand are that operand's free rows or
/// columns, and every label missing from the output is contracted. An operand that lacks
/// a contracted or batch label is read with stride 0 there, which is the same as summing
/// it out first; that also covers a single operand (multiplied by a virtual scalar one)
/// and ellipsis dimensions of size 1 broadcasting against larger ones.
let einsumKernel: Kernel = { invocation throws(EvalError) in
  guard (1...2).contains(invocation.inputs.count) else {
    throw .unsupported("Einsum with \(invocation.inputs.count) operands")
  }
  let plan = try EinsumPlan(
    equation: try invocation.string("equation"), shapes: invocation.inputs.map(\.shape), op: "Einsum")
  _ = try invocation.checkSize(plan.outputShape)
  return [try invocation.inputs[0].dtype.visit(EinsumVisitor(invocation: invocation, plan: plan))]
}

/// The equation, resolved against the operands' shapes.
struct EinsumPlan {
  /// Sizes of the batch, free-left (M), free-right (N) and contracted (K) label groups.
  var batch: [Int] = []
  var rows: [Int] = []
  var columns: [Int] = []
  var contracted: [Int] = []
  /// Strides of each operand over the labels batch ++ rows ++ columns ++ contracted (0
  /// where the operand lacks the label or has size 1 against a larger one).
  var strides: [[Int]] = []
  /// The result's shape, in the equation's output order.
  var outputShape: [Int] = []
  /// For each output dimension, its position in batch ++ rows ++ columns.
  var outputOrder: [Int] = []

  init(equation: String, shapes: [[Int]], op: String) throws(EvalError) {
    let sides = equation.filter { $0 != " " }.split(separator: "-", omittingEmptySubsequences: false)
    guard sides.count == 2, sides[1].first == ">" else {
      throw .unsupported("\(op) equation '\(equation)' without an explicit '->' output")
    }
    let operandTexts = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let outputText = String(sides[1].dropFirst())
    guard operandTexts.count == shapes.count else {
      throw .invalidArgument(
        "\(op): equation '\(equation)' names \(operandTexts.count) operands, got \(shapes.count) inputs")
    }
    // Ellipsis dimensions get private labels "0", "1", … aligned right, so a shorter
    // ellipsis broadcasts against a longer one.
    let ellipsisRank =
      try zip(operandTexts, shapes).map { text, shape throws(EvalError) -> Int in
        let explicit = Self.labels(text).filter { $0 != "..." }.count
        guard Self.labels(text).contains("...") else {
          guard explicit == shape.count else {
            throw .invalidArgument("\(op): operand '\(text)' has \(explicit) labels but rank \(shape.count)")
          }
          return 0
        }
        guard shape.count >= explicit else {
          throw .invalidArgument("\(op): operand '\(text)' has more labels than its rank \(shape.count)")
        }
        return shape.count - explicit
      }.max() ?? 0
    func expand(_ text: String, rank: Int) -> [String] {
      Self.labels(text).flatMap { label -> [String] in
        guard label == "..." else { return [label] }
        return ((ellipsisRank - rank)..<ellipsisRank).map { "\($0)" }
      }
    }
    let operands = zip(operandTexts, shapes).map { text, shape in
      expand(text, rank: shape.count - Self.labels(text).filter { $0 != "..." }.count)
    }
    let output = expand(outputText, rank: ellipsisRank)
    guard Set(output).count == output.count else {
      throw .invalidArgument("\(op): output '\(outputText)' repeats a label")
    }

    var sizes: [String: Int] = [:]
    for (labels, shape) in zip(operands, shapes) {
      guard Set(labels).count == labels.count else {
        throw .unsupported("\(op) with a repeated label in one operand (a diagonal)")
      }
      for (label, size) in zip(labels, shape) {
        guard let known = sizes[label], known != size else {
          sizes[label] = size
          continue
        }
        guard known == 1 || size == 1, label.first?.isNumber == true else {
          throw .invalidArgument("\(op): label '\(label)' has sizes \(known) and \(size)")
        }
        sizes[label] = max(known, size)
      }
    }
    for label in output where sizes[label] == nil {
      throw .invalidArgument("\(op): output label '\(label)' appears in no operand")
    }

    let left = operands[0]
    let right = operands.count > 1 ? operands[1] : []
    let batchLabels = output.filter { left.contains($0) && right.contains($0) }
    let rowLabels = output.filter { left.contains($0) && !right.contains($0) }
    let columnLabels = output.filter { !left.contains($0) && right.contains($0) }
    var contractedLabels: [String] = []
    for label in left + right where !output.contains(label) && !contractedLabels.contains(label) {
      contractedLabels.append(label)
    }
    let size = { (label: String) in sizes[label] ?? 1 }
    batch = batchLabels.map(size)
    rows = rowLabels.map(size)
    columns = columnLabels.map(size)
    contracted = contractedLabels.map(size)
    let ordered = batchLabels + rowLabels + columnLabels + contractedLabels
    strides = zip(operands, shapes).map { labels, shape in
      var own: [String: Int] = [:]
      var stride = 1
      for (label, dim) in zip(labels, shape).reversed() {
        own[label] = dim == 1 ? 0 : stride
        stride *= dim
      }
      return ordered.map { own[$0] ?? 0 }
    }
    if strides.count == 1 { strides.append([Int](repeating: 0, count: ordered.count)) }
    outputShape = output.map(size)
    let resultLabels = batchLabels + rowLabels + columnLabels
    outputOrder = output.compactMap { resultLabels.firstIndex(of: $0) }
  }

  /// The labels of one operand's subscripts, "..." as one label.
  static func labels(_ text: String) -> [String] {
    var labels: [String] = []
    var rest = Substring(text)
    while let first = rest.first {
      if rest.hasPrefix("...") {
        labels.append("...")
        rest = rest.dropFirst(3)
      } else {
        labels.append(String(first))
        rest = rest.dropFirst()
      }
    }
    return labels
  }
}

private struct EinsumVisitor: FloatVisitor {
  let invocation: KernelInvocation
  let plan: EinsumPlan

  func visit<T: FloatElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let left = try invocation.inputs[0].require(T.self, "Einsum operand 0")
    let right = invocation.inputs.count > 1 ? try invocation.inputs[1].require(T.self, "Einsum operand 1") : [T(1)]
    let batchCount = plan.batch.reduce(1, *)
    let m = plan.rows.reduce(1, *)
    let n = plan.columns.reduce(1, *)
    let k = plan.contracted.reduce(1, *)
    let groups = [plan.batch, plan.rows, plan.columns, plan.contracted]
    // Gather each operand into a dense [batch][m][k] / [batch][k][n] block: the layout a
    // plain matrix product (OpenBLAS for float) wants.
    let a = gather(left, strides: plan.strides[0], order: [0, 1, 3], groups: groups)
    let b = gather(right, strides: plan.strides[1], order: [0, 3, 2], groups: groups)
    var product = [T](repeating: 0, count: batchCount * m * n)
    for batch in 0..<batchCount {
      if T.self == Float.self {
        a.withUnsafeBufferPointer { aBuffer in
          b.withUnsafeBufferPointer { bBuffer in
            product.withUnsafeMutableBufferPointer { cBuffer in
              guard let aBase = aBuffer.baseAddress, let bBase = bBuffer.baseAddress, let cBase = cBuffer.baseAddress
              else { return }
              Gemm.multiply(
                UnsafeRawPointer(aBase + batch * m * k).assumingMemoryBound(to: Float.self),
                UnsafeRawPointer(bBase + batch * k * n).assumingMemoryBound(to: Float.self),
                into: UnsafeMutableRawPointer(cBase + batch * m * n).assumingMemoryBound(to: Float.self),
                m: m, n: n, k: k)
            }
          }
        }
      } else {
        for i in 0..<m {
          for p in 0..<k {
            let scale = a[(batch * m + i) * k + p]
            for j in 0..<n { product[(batch * m + i) * n + j] += scale * b[(batch * k + p) * n + j] }
          }
        }
      }
    }
    // The product is laid out batch ++ rows ++ columns; the output may order them otherwise.
    let resultSizes = plan.batch + plan.rows + plan.columns
    var resultStrides = [Int](repeating: 0, count: resultSizes.count)
    var stride = 1
    for axis in resultSizes.indices.reversed() {
      resultStrides[axis] = stride
      stride *= resultSizes[axis]
    }
    let output = permute(
      product, sizes: plan.outputOrder.map { resultSizes[$0] }, strides: plan.outputOrder.map { resultStrides[$0] })
    return DenseTensor(output, shape: plan.outputShape)
  }

  /// The operand's elements in the order of the label groups `order` (indices into
  /// `groups`), read through `strides`.
  private func gather<T>(_ values: [T], strides: [Int], order: [Int], groups: [[Int]]) -> [T] {
    var offsets: [Int] = []
    var start = 0
    for group in groups {
      offsets.append(start)
      start += group.count
    }
    let sizes = order.flatMap { groups[$0] }
    let chosen = order.flatMap { index in (0..<groups[index].count).map { strides[offsets[index] + $0] } }
    return permute(values, sizes: sizes, strides: chosen)
  }

  /// Reads `values` at every index of `sizes`, row-major, with the given source strides.
  private func permute<T>(_ values: [T], sizes: [Int], strides: [Int]) -> [T] {
    let count = sizes.reduce(1, *)
    guard count > 0 else { return [] }
    var result: [T] = []
    result.reserveCapacity(count)
    var index = [Int](repeating: 0, count: sizes.count)
    var offset = 0
    for _ in 0..<count {
      result.append(values[offset])
      var axis = sizes.count - 1
      while axis >= 0 {
        index[axis] += 1
        offset += strides[axis]
        if index[axis] < sizes[axis] { break }
        offset -= strides[axis] * sizes[axis]
        index[axis] = 0
        axis -= 1
      }
    }
    return result
  }
}
