// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// The elements of a float32 tensor as raw little-endian bytes, for the SIMD kernels.
///
/// For `tensor_content` (the form of every large tensor) these are the tensor's own bytes,
/// often borrowed from the memory-mapped input file and not 4-byte aligned, so they are
/// read with unaligned loads. A `float_val` list is expanded once into owned bytes.
struct FloatElements: @unchecked Sendable {
  /// The first byte; valid, and the bytes unchanged, while `storage` is alive.
  let base: UnsafeRawPointer
  /// The number of floats.
  let count: Int
  /// Keeps `base` alive. `@unchecked Sendable` is sound because nothing writes through it.
  let storage: SharedBytes

  /// The element at `index`.
  subscript(index: Int) -> Float {
    base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
  }
}

extension Tensor {
  /// The elements of a float tensor without copying `tensor_content`; nil when it has none.
  ///
  /// - Throws: `TensorError` when the dtype is not float, the shape is partial, or the
  ///   stored bytes disagree with the shape.
  func floatElements() throws(TensorError) -> FloatElements? {
    guard dtype == .float else { throw .wrongType(expected: .float, found: dtype) }
    let count = try checkedElementCount()
    guard count > 0 else { return nil }
    if !content.isEmpty {
      guard content.count == count * 4 else { throw .contentSize(expected: count * 4, found: content.count) }
      guard let base = content.unsafeBaseAddress else { return nil }
      return FloatElements(base: base, count: count, storage: content)
    }
    let bytes = try floatValues().withUnsafeBytes { SharedBytes($0) }
    guard let base = bytes.unsafeBaseAddress else { return nil }
    return FloatElements(base: base, count: count, storage: bytes)
  }
}

extension Node {
  /// The `value` of a `Const` whose `dtype` is float and which holds at least `minimumSize`
  /// elements; nil for any other node or Const.
  ///
  /// TF parity: the errors are TensorFlow's checks in `round_weights` and
  /// `quantize_weights`, which it makes for every `Const`. A `value` whose dtype disagrees
  /// with `dtype: float` is an error here, however small; TensorFlow leaves one below the
  /// size threshold alone and aborts the process on a larger one.
  ///
  /// - Throws: `TransformError` naming the node when `dtype` or `value` is missing or the
  ///   tensor cannot be read.
  func floatConstantElements(minimumSize: Int) throws -> FloatElements? {
    guard op == "Const" else { return nil }
    guard case .type(let dtype)? = attrs["dtype"] else {
      throw TransformError("Const node has no 'dtype' attribute", node: name)
    }
    guard case .tensor(let tensor)? = attrs["value"] else {
      throw TransformError("Const node has no 'value' tensor attribute", node: name)
    }
    guard dtype == .float else { return nil }
    do {
      // Checked before the size, so that a malformed small Const is an error too.
      guard tensor.dtype == .float else { throw TensorError.wrongType(expected: .float, found: tensor.dtype) }
      guard try tensor.checkedElementCount() >= minimumSize else { return nil }
      return try tensor.floatElements()
    } catch {
      throw TransformError("cannot read its 'value' tensor: \(error)", node: name)
    }
  }
}

extension Graph {
  /// Each float `Const` of at least `minimumSize` elements, with its position, in node
  /// order (`floatConstantElements`; its errors are thrown for the first bad `Const`).
  ///
  /// The nodes are read in place: taking each as a value copied it, a retain per field and
  /// a cache miss on most, and only Consts need more than a look at `op`.
  func floatConstants(minimumSize: Int) throws -> [(position: Int, elements: FloatElements)] {
    try nodes.withUnsafeBufferPointer { nodes in
      var found: [(position: Int, elements: FloatElements)] = []
      guard let first = nodes.baseAddress else { return found }
      for position in nodes.indices {
        let node = first + position
        guard node.pointee.op == "Const",
          let elements = try node.pointee.floatConstantElements(minimumSize: minimumSize)
        else { continue }
        found.append((position, elements))
      }
      return found
    }
  }
}

/// The new bytes of one tensor, computed only when the graph is written (or something reads
/// them): `kernel(range, output)` writes elements `range` at `output + index × elementSize`.
///
/// Round and quantize outputs are a pure function of input bytes that stay mapped, so
/// nothing needs them in memory before the encoder asks. The encoder then has them
/// computed a piece at a time straight into its write buffer, which saves allocating and
/// page-faulting a second copy of the weights (100 MB for ResNet-50's `round_weights`,
/// the largest cost of that run). Each piece is split over the cores.
func deferredOutput(
  count: Int, elementSize: Int,
  _ kernel: @escaping @Sendable (_ range: Range<Int>, _ output: UnsafeMutableRawPointer) -> Void
) -> SharedBytes {
  SharedBytes(count: count * elementSize) { offset, buffer in
    guard let base = buffer.baseAddress else { return }
    let first = offset / elementSize
    let elements = buffer.count / elementSize
    // Index 0 of the tensor, so the kernel can address elements by their own index; as an
    // address, because pointers are not Sendable (each part writes only its own range).
    let origin = Int(bitPattern: base - offset)
    // Below ~64 K elements a second thread costs more than it saves.
    let parts = elements >= 1 << 16 ? Parallel.coreCount : 1
    let share = (elements / parts + 63) & ~63
    Parallel.forEach(parts) { part in
      let start = first + part * share
      let end = Swift.min(first + elements, start + share)
      if start < end, let output = UnsafeMutableRawPointer(bitPattern: origin) { kernel(start..<end, output) }
    }
  }
}

/// The output bytes of one weight transform: one anonymous memory mapping cut into a
/// slice per tensor, filled by the parallel kernels and then handed to the tensors, which
/// keep the arena alive.
///
/// One mapping rather than a `malloc` per tensor: one system call instead of hundreds, and
/// the first-touch page faults (about 4 ms per 10 MB on the 2-core VM, the largest cost
/// after the arithmetic) are taken by the kernels on both cores as they write. Pre-faulting
/// with `MAP_POPULATE` or asking for transparent huge pages measured no faster there.
/// Slices are written by one piece of work each and never after they are handed out, which
/// is what makes sharing the arena across threads sound.
final class OutputArena: @unchecked Sendable {
  private let mapping: UnsafeMutableRawPointer
  private let mappedSize: Int
  private let offsets: [Int]
  private let sizes: [Int]

  /// Room for slices of the given sizes, each 64-byte aligned.
  /// - Throws: `TransformError` when the memory cannot be mapped.
  init(sizes: [Int]) throws {
    var offsets: [Int] = []
    var total = 0
    for size in sizes {
      offsets.append(total)
      total += (size + 63) & ~63
    }
    let mappedSize = Swift.max(total, 1)
    guard let mapping = mmap(nil, mappedSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      mapping != MAP_FAILED
    else {
      throw TransformError("out of memory mapping \(total) bytes for the new tensors")
    }
    self.mapping = mapping
    self.mappedSize = mappedSize
    self.offsets = offsets
    self.sizes = sizes
  }

  deinit { munmap(mapping, mappedSize) }

  /// Where slice `index` starts.
  func base(_ index: Int) -> UnsafeMutableRawPointer { mapping + offsets[index] }

  /// Slice `index`, once filled, as tensor bytes that keep the arena alive.
  func bytes(_ index: Int) -> SharedBytes {
    SharedBytes(borrowing: UnsafeRawPointer(base(index)), count: sizes[index], owner: self)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
