// SPDX-License-Identifier: Apache-2.0

/// A possibly partial tensor shape (`TensorShapeProto`).
public struct TensorShape: Sendable, Hashable, CustomStringConvertible {
  /// One dimension: a size (-1 when unknown) and an optional name.
  public struct Dim: Sendable, Hashable {
    /// The number of elements along this dimension, or -1 when unknown (such as a batch size
    /// left open in a `Placeholder`).
    public var size: Int64
    /// An optional label for the dimension (`TensorShapeProto.Dim.name`); usually empty.
    public var name: String

    /// A dimension of `size` elements (-1 when unknown) with an optional `name`.
    public init(size: Int64, name: String = "") {
      self.size = size
      self.name = name
    }
  }

  /// The dimensions, outermost first; empty for a scalar or when the rank is unknown.
  public var dims: [Dim]
  /// The rank itself is unknown; `dims` is then empty.
  public var unknownRank: Bool

  /// A shape with the given dimensions, or of unknown rank when `unknownRank` is set (then
  /// `dims` should be empty).
  public init(dims: [Dim], unknownRank: Bool = false) {
    self.dims = dims
    self.unknownRank = unknownRank
  }

  /// A fully or partially known shape from sizes (-1 = unknown).
  public init(_ sizes: [Int64]) {
    self.init(dims: sizes.map { Dim(size: $0) })
  }

  /// The shape of a scalar.
  public static let scalar = TensorShape([])
  /// A shape of unknown rank.
  public static let unknown = TensorShape(dims: [], unknownRank: true)

  /// The sizes of the dims.
  public var sizes: [Int64] { dims.map(\.size) }

  /// The number of dims.
  public var rank: Int { dims.count }

  /// Whether every dim is known and the rank is known.
  public var isFullyDefined: Bool { !unknownRank && dims.allSatisfy { $0.size >= 0 } }

  /// The element count of a fully defined shape; nil when partial, negative, or when the
  /// product overflows `Int64`.
  public var elementCount: Int64? {
    guard isFullyDefined else { return nil }
    var total: Int64 = 1
    for dim in dims {
      let (product, overflow) = total.multipliedReportingOverflow(by: dim.size)
      if overflow { return nil }
      total = product
    }
    return total
  }

  /// TensorFlow's debug form: `[1,224,224,3]`, `[?,3]`, `<unknown>`.
  public var description: String {
    if unknownRank { return "<unknown>" }
    return "[" + dims.map { $0.size < 0 ? "?" : String($0.size) }.joined(separator: ",") + "]"
  }

  /// Parses a comma-separated shape string as TensorFlow's transforms do
  /// (`"1,224,224,3"`; spaces around numbers allowed). Returns nil on any bad piece.
  public init?(parsing text: String) {
    guard !text.isEmpty else { return nil }
    var sizes: [Int64] = []
    for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
      let trimmed = piece.trimmingASCIIWhitespace()
      guard let size = Int64(trimmed) else { return nil }
      sizes.append(size)
    }
    self.init(sizes)
  }
}

extension Substring {
  // Public for the transform-argument parsers, which share TensorFlow's whitespace rule.
  /// The substring without leading and trailing ASCII whitespace.
  public func trimmingASCIIWhitespace() -> Substring {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    var result = self
    while let first = result.first, isSpace(first) { result = result.dropFirst() }
    while let last = result.last, isSpace(last) { result = result.dropLast() }
    return result
  }
}
