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
  ///
  /// `lda`, `ldb` and `ldc` are the row pitches of the stored matrices when they are
  /// column blocks of wider ones (a grouped convolution's filter and output); nil means
  /// densely packed.
  static func multiply(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
    accumulate: Bool = false, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
  ) {
    guard m > 0, n > 0 else { return }
    let ldc = ldc ?? n
    guard k > 0 else {
      if !accumulate {
        for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
      }
      return
    }
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), 1, a, Int32(lda ?? (transposeA ? m : k)), b, Int32(ldb ?? (transposeB ? k : n)),
      accumulate ? 1 : 0, c, Int32(ldc))
  }
}

/// The BLAS library behind the float32 convolutions, for diagnostics.
public enum BLASBackend {
  /// The kernel set OpenBLAS picked for this CPU: "Haswell", "SkylakeX", ….
  ///
  /// Debian's OpenBLAS 0.3.21 does not recognise Sapphire Rapids and falls back to
  /// "Prescott" (SSE3), which runs Conv2D about 3× slower there. Setting
  /// `OPENBLAS_CORETYPE=SkylakeX` (or `Haswell` without AVX-512) in the environment before
  /// the process starts selects the fast kernels; a tool can show this name to explain a
  /// slow run.
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }
}
