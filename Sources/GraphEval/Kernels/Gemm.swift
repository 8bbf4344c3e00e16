// SPDX-License-Identifier: Apache-2.0

internal import COpenBLAS

/// Single-precision matrix products through OpenBLAS, the one place GraphEval calls it.
///
/// A naive triple loop runs ResNet-50's 4 G multiply-adds in tens of seconds; OpenBLAS picks
/// AVX2/AVX-512 kernels at run time and uses both cores, which is what lets `--verify` run
/// two whole graphs in a Makefile step. Kernels pass row-major buffers; every dimension
/// has already been bounded by `KernelInvocation.checkSize`, so it fits in `Int32`.
enum Gemm {
  /// `c[m×n] = op(a) · op(b)`, or `c += op(a) · op(b)` when `accumulate`, where `op(a)`
  /// is `m×k` (stored `k×m` when `transposeA`) and `op(b)` is `k×n` (stored `n×k` when
  /// `transposeB`).
  static func multiply(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
    accumulate: Bool = false
  ) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {
      if !accumulate { c.update(repeating: 0, count: m * n) }
      return
    }
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
      accumulate ? 1 : 0, c, Int32(n))
  }
}
