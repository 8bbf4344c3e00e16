// SPDX-License-Identifier: Apache-2.0

import GraphIR

// The data-movement primitives behind the shape kernels. Every shape op only moves
// elements, never computes with them, so each primitive is written once for any element
// type and the kernels differ only in how they describe the movement: as per-axis index
// maps (AxisMapGather), as side-by-side blocks (ConcatBlocks, SplitBlocks) or as an axis
// permutation (Permute).

extension TensorStorage {
  /// Calls `visitor` with the Swift element type this storage holds.
  ///
  /// Data movement dispatches on the storage rather than on the dtype: the quantized
  /// types share the storage of their integer width, so they move too, and every result
  /// keeps its input's dtype.
  func visitElementType<V: AnyElementVisitor>(_ visitor: V) throws(EvalError) -> V.Result {
    switch self {
    case .float: return try visitor.visit(Float.self)
    case .double: return try visitor.visit(Double.self)
    case .int8: return try visitor.visit(Int8.self)
    case .int16: return try visitor.visit(Int16.self)
    case .int32: return try visitor.visit(Int32.self)
    case .int64: return try visitor.visit(Int64.self)
    case .uint8: return try visitor.visit(UInt8.self)
    case .uint16: return try visitor.visit(UInt16.self)
    case .uint32: return try visitor.visit(UInt32.self)
    case .uint64: return try visitor.visit(UInt64.self)
    case .bool: return try visitor.visit(Bool.self)
    case .string: return try visitor.visit([UInt8].self)
    }
  }
}

extension DenseTensor {
  /// A tensor of `values` with this tensor's dtype.
  ///
  /// - Throws: `EvalError.invalidArgument` instead of trapping when the count does not
  ///   match `shape`, so a kernel bug cannot take the process down with it.
  func withValues<T: TensorElement>(_ values: [T], shape: [Int]) throws(EvalError) -> DenseTensor {
    try DenseTensor.requireShape(shape, holds: values.count)
    return try DenseTensor(values, shape: shape, dtype: dtype)
  }

  /// The same elements under another shape with the same element count.
  func reshaped(_ shape: [Int]) throws(EvalError) -> DenseTensor {
    if shape == self.shape { return self }
    return try storage.visitElementType(Reshaped(tensor: self, shape: shape))
  }

  /// A one-line form for messages: `[2,3]`, as TensorFlow prints shapes.
  var shapeText: String { "[" + shape.map(String.init).joined(separator: ",") + "]" }
}

/// The body of `DenseTensor.reshaped`.
private struct Reshaped: AnyElementVisitor {
  /// The tensor to reshape.
  let tensor: DenseTensor
  /// Its new shape.
  let shape: [Int]

  /// The elements as `[T]` under `shape`; arrays are copy-on-write, so nothing is copied.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    try tensor.withValues(try tensor.require(T.self, "input"), shape: shape)
  }
}

/// Shared arithmetic on shapes and axes for the `Shape*.swift` kernel files.
enum ShapeMath {
  /// The product of `dims`, or nil when it overflows `Int` or a dim is negative.
  static func elementCount<C: Collection<Int>>(_ dims: C) -> Int? {
    var count = 1
    for dim in dims {
      guard dim >= 0 else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// The product of `dims`, which come from a tensor already in memory and so cannot
  /// overflow.
  static func product<C: Collection<Int>>(_ dims: C) -> Int { dims.reduce(1, &*) }

  /// `axis` counted from the end when negative, or nil outside `-rank..<rank`.
  static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
    let resolved = axis < 0 ? axis + rank : axis
    return resolved >= 0 && resolved < rank ? resolved : nil
  }

  /// The value of a scalar or one-element int32/int64 tensor, the form axis inputs take.
  ///
  /// TF parity: like TensorFlow, a one-element vector is accepted where a scalar is meant.
  static func scalarOrSingleton(_ tensor: DenseTensor, _ role: String) throws(EvalError) -> Int {
    guard tensor.rank == 0 || (tensor.rank == 1 && tensor.count == 1) else {
      throw .invalidArgument("\(role) must be a scalar, got shape \(tensor.shapeText)")
    }
    return try tensor.scalarIndex(role)
  }

  /// The `[rank, 2]` paddings matrix of Pad, PadV2 and MirrorPad as (before, after) pairs.
  static func paddings(_ tensor: DenseTensor, rank: Int) throws(EvalError) -> [(before: Int, after: Int)] {
    guard tensor.rank == 2, tensor.shape[1] == 2 else {
      throw .invalidArgument("paddings must be a matrix with 2 columns: \(tensor.shapeText)")
    }
    guard tensor.shape[0] == rank else {
      throw .invalidArgument("The first dimension of paddings must be the rank of inputs \(tensor.shapeText)")
    }
    let flat = try tensor.indices("paddings")
    return (0..<rank).map { (flat[2 * $0], flat[2 * $0 + 1]) }
  }
}

/// The input element each output element reads, axis by axis: the element at output
/// coordinates (o₀, …, oₙ) is the input element at (maps[0][o₀], …, maps[n][oₙ]), or the
/// fill value when any of those entries is -1.
///
/// Slice, StridedSlice, Tile, Pad and MirrorPad are all this one gather with different
/// maps. Trailing axes whose maps are the identity merge into one contiguous block, and
/// the innermost remaining axis becomes a list of runs computed once, so the common cases
/// copy whole blocks rather than single elements.
struct AxisMapGather: AnyElementVisitor {
  /// The tensor read from.
  let input: DenseTensor
  /// One map per input axis; entries lie in `-1..<input.shape[axis]`.
  let maps: [[Int]]
  /// The result's shape; its element count is the product of the maps' lengths (it
  /// differs from those lengths only by axes of size 1, as with StridedSlice).
  let shape: [Int]
  /// A scalar of the input's storage type read where a map says -1; zero when nil.
  var fill: DenseTensor? = nil

  /// One contiguous piece of an innermost row: `length` elements from `start` (relative
  /// to the row's base offset), or fill values when `start` is nil.
  private struct Run {
    /// The first element's offset from the row's base, or nil for fill values.
    var start: Int?
    /// The number of elements.
    var length: Int
  }

  /// Gathers `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "input")
    let rank = input.rank
    guard maps.count == rank else { throw .invalidArgument("gather maps do not match rank \(rank)") }
    for axis in 0..<rank {
      for entry in maps[axis] where entry < -1 || entry >= input.shape[axis] {
        throw .invalidArgument("index \(entry) is out of range for axis \(axis) of \(input.shapeText)")
      }
    }
    var fillValue = T.zero
    if let fill {
      guard let value = try fill.require(T.self, "fill value").first else {
        throw .invalidArgument("fill value is empty")
      }
      fillValue = value
    }
    let total = ShapeMath.product(maps.lazy.map(\.count))
    if total == 0 { return try input.withValues([T](), shape: shape) }

    // Merge the trailing identity axes into blocks of `block` elements.
    var split = rank
    var block = 1
    while split > 0, maps[split - 1].count == input.shape[split - 1],
      maps[split - 1].enumerated().allSatisfy({ $0.offset == $0.element })
    {
      split -= 1
      block *= input.shape[split]
    }
    if split == 0 { return try input.withValues(values, shape: shape) }

    let inner = split - 1
    var runs: [Run] = []
    for entry in maps[inner] {
      let start = entry < 0 ? nil : entry * block
      if let last = runs.last,
        (start == nil && last.start == nil) || (start != nil && last.start.map { $0 + last.length } == start)
      {
        runs[runs.count - 1].length += block
      } else {
        runs.append(Run(start: start, length: block))
      }
    }
    let rowLength = maps[inner].count * block
    let strides = rowMajorStrides(input.shape)

    var result: [T] = []
    result.reserveCapacity(total)
    var position = [Int](repeating: 0, count: inner)
    for _ in 0..<(total / rowLength) {
      var base = 0
      var padding = false
      for axis in 0..<inner {
        let entry = maps[axis][position[axis]]
        padding = padding || entry < 0
        base += entry * strides[axis]
      }
      if !padding {
        for run in runs {
          if let start = run.start {
            // Strided axes make runs of one element, for which a slice costs more than it saves.
            if run.length == 1 {
              result.append(values[base + start])
            } else {
              result.append(contentsOf: values[(base + start)..<(base + start + run.length)])
            }
          } else {
            result.append(contentsOf: repeatElement(fillValue, count: run.length))
          }
        }
      } else {
        result.append(contentsOf: repeatElement(fillValue, count: rowLength))
      }
      var axis = inner - 1
      while axis >= 0 {
        position[axis] += 1
        if position[axis] < maps[axis].count { break }
        position[axis] = 0
        axis -= 1
      }
    }
    return try input.withValues(result, shape: shape)
  }
}

/// Concatenation of blocks: each input is viewed as `[outer, width]` and the result
/// takes, for each outer index in turn, that row of every input (ConcatV2, Pack).
struct ConcatBlocks: AnyElementVisitor {
  /// The tensors joined, all of one storage type.
  let inputs: [DenseTensor]
  /// The number of rows every input is split into (the product of the dims before the
  /// axis).
  let outer: Int
  /// The result's shape.
  let shape: [Int]

  /// Joins `[T]`s.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    var parts: [[T]] = []
    for (index, input) in inputs.enumerated() {
      parts.append(try input.require(T.self, "values[\(index)]"))
    }
    let total = parts.reduce(0) { $0 + $1.count }
    var result: [T] = []
    result.reserveCapacity(total)
    if outer > 0 {
      let widths = parts.map { $0.count / outer }
      for row in 0..<outer {
        for (part, width) in zip(parts, widths) where width > 0 {
          result.append(contentsOf: part[(row * width)..<((row + 1) * width)])
        }
      }
    }
    return try inputs[0].withValues(result, shape: shape)
  }
}

/// A tensor of `shape` filled with the first element of `value`, or with zeros when
/// `value` is nil (Fill, ZerosLike, empty results).
struct RepeatedElement: AnyElementVisitor {
  /// The tensor whose dtype the result takes.
  let like: DenseTensor
  /// The result's shape; the caller has checked its size.
  let shape: [Int]
  /// The tensor whose first element fills the result.
  let value: DenseTensor?

  /// Fills `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    var element = T.zero
    if let value {
      guard let first = try value.require(T.self, "value").first else { throw .invalidArgument("value is empty") }
      element = first
    }
    return try like.withValues([T](repeating: element, count: ShapeMath.product(shape)), shape: shape)
  }
}

/// The inverse of `ConcatBlocks`: the input viewed as `[outer, Σ widths]` is cut into
/// column groups of the given widths (Split, SplitV, Unpack).
struct SplitBlocks: AnyElementVisitor {
  /// The tensor cut up.
  let input: DenseTensor
  /// The number of rows.
  let outer: Int
  /// The width of each piece's rows, in elements.
  let widths: [Int]
  /// Each piece's shape.
  let shapes: [[Int]]

  /// Cuts `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> [DenseTensor] {
    let values = try input.require(T.self, "value")
    let rowLength = widths.reduce(0, +)
    guard outer * rowLength == values.count else {
      throw .invalidArgument("split widths \(widths) do not cover \(input.shapeText)")
    }
    var pieces = widths.map { width -> [T] in
      var piece: [T] = []
      piece.reserveCapacity(width * outer)
      return piece
    }
    for row in 0..<outer {
      var offset = row * rowLength
      for (index, width) in widths.enumerated() {
        pieces[index].append(contentsOf: values[offset..<(offset + width)])
        offset += width
      }
    }
    var result: [DenseTensor] = []
    for (piece, shape) in zip(pieces, shapes) {
      result.append(try input.withValues(piece, shape: shape))
    }
    return result
  }
}

/// An axis permutation: output axis `i` is input axis `perm[i]` (Transpose).
struct Permute: AnyElementVisitor {
  /// The tensor permuted.
  let input: DenseTensor
  /// A permutation of `0..<input.rank`, already validated.
  let perm: [Int]

  /// Permutes `[T]`.
  func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
    let values = try input.require(T.self, "x")
    let outputShape = perm.map { input.shape[$0] }
    // Axes of size 1 move nothing, and input axes that stay adjacent and in order move
    // as one; dropping and merging them leaves the smallest equivalent permutation.
    let keptAxes = input.shape.indices.filter { input.shape[$0] != 1 }
    var keptIndex = [Int](repeating: -1, count: input.rank)
    for (index, axis) in keptAxes.enumerated() { keptIndex[axis] = index }
    let order = perm.filter { input.shape[$0] != 1 }.map { keptIndex[$0] }
    var dims: [Int] = []  // merged axis sizes, in output order
    var firsts: [Int] = []  // each merged axis's first kept input axis
    for (index, kept) in order.enumerated() {
      if index > 0, order[index - 1] + 1 == kept {
        dims[dims.count - 1] *= input.shape[keptAxes[kept]]
      } else {
        dims.append(input.shape[keptAxes[kept]])
        firsts.append(kept)
      }
    }
    if values.isEmpty || firsts == firsts.sorted() {
      return try input.withValues(values, shape: outputShape)
    }
    // Each merged axis's input stride: the product of the merged axes after it in input order.
    let byInput = firsts.indices.sorted { firsts[$0] < firsts[$1] }
    var strides = [Int](repeating: 0, count: dims.count)
    var stride = 1
    for index in byInput.reversed() {
      strides[index] = stride
      stride *= dims[index]
    }
    let rank = dims.count
    let innerCount = dims[rank - 1]
    let innerStride = strides[rank - 1]
    var result: [T] = []
    result.reserveCapacity(values.count)
    var position = [Int](repeating: 0, count: rank - 1)
    var offset = 0
    for _ in 0..<(values.count / innerCount) {
      if innerStride == 1 {
        result.append(contentsOf: values[offset..<(offset + innerCount)])
      } else {
        var source = offset
        for _ in 0..<innerCount {
          result.append(values[source])
          source += innerStride
        }
      }
      var axis = rank - 2
      while axis >= 0 {
        position[axis] += 1
        offset += strides[axis]
        if position[axis] < dims[axis] { break }
        offset -= strides[axis] * dims[axis]
        position[axis] = 0
        axis -= 1
      }
    }
    return try input.withValues(result, shape: outputShape)
  }
}
