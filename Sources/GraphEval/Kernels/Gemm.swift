// SPDX-License-Identifier: Apache-2.0

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Single-precision matrix products, through OpenBLAS when it is installed.
///
/// A naive triple loop runs ResNet-50's 4 G multiply-adds in many seconds; OpenBLAS picks
/// AVX2/AVX-512 kernels and uses both cores, which is what lets `--verify` run two whole
/// graphs in a Makefile step. Kernels pass row-major buffers; every dimension has already
/// been bounded by `KernelInvocation.checkSize`, so it fits in `Int32`.
///
/// OpenBLAS is loaded with `dlopen` on the first product, not linked:
/// - linked, its constructor starts a worker thread per core in every process, and those
///   threads spin in `sched_yield` while they wait, taking a core from `transform_graph`
///   runs that never multiply a matrix (12% of a `quantize_weights` profile);
/// - its CPU detection happens in that constructor, and Debian's 0.3.21 does not know
///   recent Xeons and falls back to SSE3 kernels, 3× slower; loading it ourselves lets us
///   name the kernel set first (`OPENBLAS_CORETYPE`, unless the user set it);
/// - without OpenBLAS the tool still runs, with a plain loop (`BLASBackend.coreName`
///   says which).
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
    let lda = lda ?? (transposeA ? m : k)
    let ldb = ldb ?? (transposeB ? k : n)
    guard k > 0 else {
      if !accumulate {
        for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
      }
      return
    }
    guard let sgemm = BLASLibrary.shared.sgemm else {
      fallback(
        a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, accumulate: accumulate,
        lda: lda, ldb: ldb, ldc: ldc)
      return
    }
    // CBLAS's enum values: row-major 101, no transpose 111, transpose 112.
    sgemm(
      101, transposeA ? 112 : 111, transposeB ? 112 : 111, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b,
      Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
  }

  /// The same product without a BLAS: row by row, the inner loop over contiguous `n`.
  static func fallback(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool, lda: Int, ldb: Int, ldc: Int
  ) {
    for i in 0..<m {
      let row = c + i * ldc
      if !accumulate { row.update(repeating: 0, count: n) }
      for p in 0..<k {
        let factor = transposeA ? a[p * lda + i] : a[i * lda + p]
        if transposeB {
          for j in 0..<n { row[j] += factor * b[j * ldb + p] }
        } else {
          let source = b + p * ldb
          for j in 0..<n { row[j] += factor * source[j] }
        }
      }
    }
  }
}

/// The BLAS library behind the float32 convolutions and products, for diagnostics.
public enum BLASBackend {
  /// The kernel set OpenBLAS uses ("Haswell", "SkylakeX", …), or "none (plain loops)"
  /// when no OpenBLAS could be loaded. Loads the library if it is not loaded yet.
  public static var coreName: String { BLASLibrary.shared.coreName }
}

/// OpenBLAS, loaded on first use.
private struct BLASLibrary: @unchecked Sendable {
  typealias Sgemm =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
      Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
  typealias CoreName = @convention(c) () -> UnsafeMutablePointer<CChar>?

  let sgemm: Sgemm?
  let coreName: String

  static let shared = BLASLibrary()

  private init() {
    #if os(Linux)
      Self.chooseKernels()
      let candidates = ["libopenblas.so.0", "libopenblas.so"]
    #else
      let candidates = ["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib"]
    #endif
    for name in candidates {
      guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(handle, "cblas_sgemm") else {
        continue
      }
      sgemm = unsafeBitCast(symbol, to: Sgemm.self)
      if let symbol = dlsym(handle, "openblas_get_corename"),
        let name = unsafeBitCast(symbol, to: CoreName.self)()
      {
        coreName = String(cString: name)
      } else {
        coreName = "unknown"
      }
      return
    }
    sgemm = nil
    coreName = "none (plain loops)"
  }

  #if os(Linux)
    /// Names OpenBLAS's kernel set from the CPU's features, before OpenBLAS detects it
    /// (wrongly, on CPUs newer than its release); a user's own `OPENBLAS_CORETYPE` wins.
    private static func chooseKernels() {
      guard getenv("OPENBLAS_CORETYPE") == nil, let flags = cpuFlags() else { return }
      let skylakeX: Set<Substring> = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
      if skylakeX.isSubset(of: flags) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
      } else if flags.contains("avx2") && flags.contains("fma") {
        setenv("OPENBLAS_CORETYPE", "Haswell", 0)
      }
    }

    /// The first processor's feature flags from /proc/cpuinfo.
    private static func cpuFlags() -> Set<Substring>? {
      guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
      defer { fclose(file) }
      var line: UnsafeMutablePointer<CChar>?
      var capacity = 0
      defer { free(line) }
      while getline(&line, &capacity, file) > 0 {
        guard let line else { break }
        let text = String(cString: line)
        guard text.hasPrefix("flags") else { continue }
        return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }))
      }
      return nil
    }
  #endif
}
