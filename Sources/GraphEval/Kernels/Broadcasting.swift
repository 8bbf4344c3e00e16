// SPDX-License-Identifier: Apache-2.0

// NumPy-style broadcasting, shared by the elementwise kernels, Select, BroadcastTo and
// BatchMatMulV2.

/// The row-major strides of `shape`, in elements.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var stride = 1
  for axis in shape.indices.reversed() {
    strides[axis] = stride
    stride &*= shape[axis]
  }
  return strides
}

/// The shape two shapes broadcast to, as TensorFlow's BCast computes it.
///
/// - Throws: `EvalError.invalidArgument` with TensorFlow's "Incompatible shapes" wording.
func broadcastShape(_ a: [Int], _ b: [Int]) throws(EvalError) -> [Int] {
  let rank = max(a.count, b.count)
  var result = [Int](repeating: 1, count: rank)
  for axis in 0..<rank {
    let x = axis - (rank - a.count) >= 0 ? a[axis - (rank - a.count)] : 1
    let y = axis - (rank - b.count) >= 0 ? b[axis - (rank - b.count)] : 1
    if x == y || y == 1 {
      result[axis] = x
    } else if x == 1 {
      result[axis] = y
    } else {
      throw .invalidArgument("Incompatible shapes: \(a) vs. \(b)")
    }
  }
  return result
}

/// For each element of `target` in row-major order, the flat index of the element of a
/// tensor of `source` shape that broadcasts to it. `source` must broadcast to `target`.
func broadcastIndexMap(from source: [Int], to target: [Int]) -> [Int] {
  let count = target.reduce(1, *)
  let offset = target.count - source.count
  precondition(offset >= 0, "source rank exceeds target rank")
  if source.reduce(1, *) == count { return Array(0..<count) }
  let sourceStrides = rowMajorStrides(source)
  // Stride 0 along the axes where the source has size 1.
  let strides = target.indices.map { axis -> Int in
    let sourceAxis = axis - offset
    return sourceAxis >= 0 && source[sourceAxis] != 1 ? sourceStrides[sourceAxis] : 0
  }
  var map = [Int](repeating: 0, count: count)
  var position = [Int](repeating: 0, count: target.count)
  var flat = 0
  for index in 0..<count {
    map[index] = flat
    var axis = target.count - 1
    while axis >= 0 {
      position[axis] += 1
      flat += strides[axis]
      if position[axis] < target[axis] { break }
      flat -= strides[axis] * position[axis]
      position[axis] = 0
      axis -= 1
    }
  }
  return map
}

/// `values` (of `source` shape) broadcast to `target`.
func broadcast<T>(_ values: [T], from source: [Int], to target: [Int]) -> [T] {
  if source == target { return values }
  return broadcastIndexMap(from: source, to: target).map { values[$0] }
}
