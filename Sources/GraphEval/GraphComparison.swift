// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// One graph input to feed: a node name, the dtype and the full shape of its value.
public struct FeedSpec: Sendable, Equatable, CustomStringConvertible {
  /// The node whose output 0 is replaced.
  public var name: String
  /// The value's element type.
  public var dtype: DataType
  /// The value's dimensions, all known.
  public var shape: [Int]

  /// A feed of `name` with the given dtype and shape.
  public init(name: String, dtype: DataType, shape: [Int]) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
  }

  /// `name: dtype[d0,d1,…]`.
  public var description: String { "\(name): \(dtype)[\(shape.map(String.init).joined(separator: ","))]" }

  /// The feed for input `name`, with its dtype and shape read from the graphs.
  ///
  /// The shape is `override` when given; otherwise the first fully known `shape` (or
  /// `_output_shapes`) attribute among `graphs`, so a Placeholder that
  /// `strip_unused_nodes(shape=…)` rewrote in the transformed graph wins over the
  /// original's partial one; otherwise the first partial shape with unknown dimensions set
  /// to 1, as TensorFlow's own comparison script does.
  ///
  /// - Throws: `VerificationError.input` when no graph tells the dtype or the rank.
  public static func resolve(name: String, in graphs: [Graph], override: [Int]?) throws(VerificationError) -> FeedSpec {
    let nodes = graphs.compactMap { $0.node(named: name) }
    guard !nodes.isEmpty else { throw .input(name, "no node of that name") }
    guard let dtype = nodes.lazy.compactMap(Self.dtype(of:)).first else {
      throw .input(name, "cannot tell its dtype (\(nodes[0].op) has no dtype attribute)")
    }
    if let override {
      guard override.allSatisfy({ $0 >= 0 }) else { throw .input(name, "--input_shapes gives a negative dimension") }
      return FeedSpec(name: name, dtype: dtype, shape: override)
    }
    let shapes = nodes.compactMap(Self.shape(of:))
    if let known = shapes.first(where: { $0.allSatisfy { $0 >= 0 } }) {
      return FeedSpec(name: name, dtype: dtype, shape: known)
    }
    guard let partial = shapes.first else {
      throw .input(name, "its shape is unknown; give it with --input_shapes")
    }
    return FeedSpec(name: name, dtype: dtype, shape: partial.map { max($0, 1) })
  }

  private static func dtype(of node: Node) -> DataType? {
    for key in ["dtype", "T"] {
      if case .type(let type)? = node.attrs[key] { return type }
    }
    return nil
  }

  /// Dimensions with -1 for unknown ones; nil when even the rank is unknown.
  private static func shape(of node: Node) -> [Int]? {
    if case .shape(let shape)? = node.attrs["shape"], !shape.unknownRank {
      return shape.dims.map { Int(truncatingIfNeeded: $0.size) }
    }
    if case .list(let list)? = node.attrs["_output_shapes"], let first = list.shape.first, !first.unknownRank {
      return first.dims.map { Int(truncatingIfNeeded: $0.size) }
    }
    return nil
  }
}

/// Seeded pseudo-random input values: the same seed gives the same tensors on every
/// machine (SplitMix64, no platform generator). Floats are uniform in [-1, 1), integers in
/// [0, 100), bools fair, as TensorFlow's comparison script (`tf_reference.py`) feeds them.
public struct RandomFeeds: Sendable {
  private var state: UInt64

  /// A generator starting from `seed`.
  public init(seed: UInt64) { state = seed }

  private mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [-1, 1) with 53 random bits.
  private mutating func unit() -> Double { Double(next() >> 11) * 0x1p-52 - 1 }

  /// A value for `spec`.
  ///
  /// - Throws: `VerificationError.input` for a dtype with no random form (strings,
  ///   quantized and resource types) or a value above `maxElements`.
  public mutating func tensor(for spec: FeedSpec, maxElements: Int = Evaluator.defaultMaxElements)
    throws(VerificationError) -> DenseTensor
  {
    var count = 1
    for dim in spec.shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow, product <= maxElements else {
        throw .input(spec.name, "shape \(spec.shape) is too large to feed")
      }
      count = product
    }
    switch spec.dtype {
    case .float: return DenseTensor((0..<count).map { _ in Float(unit()) }, shape: spec.shape)
    case .double: return DenseTensor((0..<count).map { _ in unit() }, shape: spec.shape)
    case .int32: return DenseTensor((0..<count).map { _ in Int32(next() % 100) }, shape: spec.shape)
    case .int64: return DenseTensor((0..<count).map { _ in Int64(next() % 100) }, shape: spec.shape)
    case .int16: return DenseTensor((0..<count).map { _ in Int16(next() % 100) }, shape: spec.shape)
    case .int8: return DenseTensor((0..<count).map { _ in Int8(next() % 100) }, shape: spec.shape)
    case .uint8: return DenseTensor((0..<count).map { _ in UInt8(next() % 100) }, shape: spec.shape)
    case .uint16: return DenseTensor((0..<count).map { _ in UInt16(next() % 100) }, shape: spec.shape)
    case .bool: return DenseTensor((0..<count).map { _ in next() & 1 == 1 }, shape: spec.shape)
    default: throw .input(spec.name, "cannot make random values of dtype \(spec.dtype)")
    }
  }
}

/// How far one output of a transformed graph is from the original's, over all runs.
public struct OutputDifference: Sendable, Equatable {
  /// The output, as given in `--outputs`.
  public var name: String
  /// The largest |original − transformed| over finite pairs.
  public var maxAbsoluteError: Double = 0
  /// The largest absolute error divided by the largest |original| value of its run (at
  /// least 1e-6): the measure TensorFlow's comparison script (`tf_reference.py`) uses.
  public var maxRelativeError: Double = 0
  /// Elements that are NaN or ±Inf in the original's outputs.
  public var originalNonFinite = 0
  /// Elements that are NaN or ±Inf in the transformed graph's outputs.
  public var transformedNonFinite = 0
  /// Elements finite in the original but NaN or ±Inf after the transform.
  public var newlyNonFinite = 0
  /// Why the outputs cannot be compared at all (dtype or shape differs), or nil.
  public var mismatch: String?

  /// An output with no difference measured yet.
  public init(name: String) { self.name = name }

  /// Whether this output passes at `tolerance` (on the relative error).
  public func passes(tolerance: Double) -> Bool {
    mismatch == nil && newlyNonFinite == 0 && !(maxRelativeError > tolerance)
  }

  /// Folds one run's pair of values into the totals.
  mutating func record(original: DenseTensor, transformed: DenseTensor) {
    guard original.dtype == transformed.dtype, original.shape == transformed.shape else {
      mismatch =
        "original is \(original.dtype)\(original.shape), transformed is \(transformed.dtype)\(transformed.shape)"
      return
    }
    guard let a = original.numericValues, let b = transformed.numericValues else {
      if original.storage != transformed.storage { mismatch = "values differ (dtype \(original.dtype))" }
      return
    }
    var largest = 0.0
    var worst = 0.0
    for (x, y) in zip(a, b) {
      let xFinite = x.isFinite
      let yFinite = y.isFinite
      if !xFinite { originalNonFinite += 1 }
      if !yFinite { transformedNonFinite += 1 }
      if xFinite && !yFinite { newlyNonFinite += 1 }
      guard xFinite && yFinite else { continue }
      largest = max(largest, abs(x))
      worst = max(worst, abs(x - y))
    }
    maxAbsoluteError = max(maxAbsoluteError, worst)
    maxRelativeError = max(maxRelativeError, worst / max(largest, 1e-6))
  }
}

extension DenseTensor {
  /// The elements as doubles, for the numeric types; nil for strings.
  var numericValues: [Double]? {
    switch storage {
    case .float(let v): return v.map(Double.init)
    case .double(let v): return v
    case .int8(let v): return v.map(Double.init)
    case .int16(let v): return v.map(Double.init)
    case .int32(let v): return v.map(Double.init)
    case .int64(let v): return v.map(Double.init)
    case .uint8(let v): return v.map(Double.init)
    case .uint16(let v): return v.map(Double.init)
    case .uint32(let v): return v.map(Double.init)
    case .uint64(let v): return v.map(Double.init)
    case .bool(let v): return v.map { $0 ? 1 : 0 }
    case .string: return nil
    }
  }
}

/// What running two graphs on the same inputs found.
public struct GraphComparison: Sendable {
  /// The inputs fed, with their shapes.
  public var feeds: [FeedSpec]
  /// How many seeded input sets were run.
  public var runs: Int
  /// The seed of the first run; run k uses seed + k.
  public var seed: UInt64
  /// One entry per compared output, in `--outputs` order.
  public var outputs: [OutputDifference]
  /// Seconds spent interpreting each graph, over all runs.
  public var originalSeconds: Double
  /// See `originalSeconds`.
  public var transformedSeconds: Double

  /// Whether every output passes at `tolerance`.
  public func passes(tolerance: Double) -> Bool { outputs.allSatisfy { $0.passes(tolerance: tolerance) } }

  /// Runs `original` and `transformed` on `runs` seeded input sets and compares `outputs`.
  /// Inputs in `given` take that value in every run instead of a random one.
  ///
  /// Both graphs are checked for ops the interpreter lacks before anything runs, so an
  /// unsupported graph fails fast with every missing op named. `clock` returns seconds
  /// (GraphEval has no clock of its own).
  ///
  /// - Throws: `VerificationError`.
  public static func run(
    original: Graph, transformed: Graph, feeds: [FeedSpec], outputs: [InputRef], runs: Int = 1, seed: UInt64 = 0,
    given: [String: DenseTensor] = [:],
    evaluator: Evaluator = Evaluator(), clock: () -> Double = { 0 }
  ) throws(VerificationError) -> GraphComparison {
    let graphs = [
      ("original", Interpreter(graph: original, evaluator: evaluator)),
      ("transformed", Interpreter(graph: transformed, evaluator: evaluator)),
    ]
    var missing: [VerificationError.MissingOp] = []
    for (label, interpreter) in graphs {
      let fed = Set(feeds.map(\.name).filter { interpreter.graph.node(named: $0) != nil })
      do {
        for entry in try interpreter.unsupportedOps(outputs: outputs, fed: fed) {
          missing.append(.init(op: entry.op, graph: label, nodes: entry.nodes))
        }
      } catch {
        throw .graph(label, error)
      }
    }
    // Missing kernels on an untaken Switch branch (dropout behind `is_training`) do not
    // matter, so the graphs still run; the first live one stops the run, and then every
    // missing op is named at once.

    var comparison = GraphComparison(
      feeds: feeds, runs: runs, seed: seed, outputs: outputs.map { OutputDifference(name: $0.description) },
      originalSeconds: 0, transformedSeconds: 0)
    for run in 0..<max(runs, 1) {
      var random = RandomFeeds(seed: seed &+ UInt64(run))
      var values: [String: DenseTensor] = [:]
      for spec in feeds {
        if let value = given[spec.name] {
          values[spec.name] = value
        } else {
          values[spec.name] = try random.tensor(for: spec, maxElements: evaluator.maxElements)
        }
      }
      var results: [[DenseTensor]] = []
      for (label, interpreter) in graphs {
        let start = clock()
        let own = values.filter { interpreter.graph.node(named: $0.key) != nil }
        do {
          results.append(try interpreter.run(feeds: own, outputs: outputs))
        } catch {
          if error.isLimitation, !missing.isEmpty { throw .unsupportedOps(missing) }
          throw .graph(label, error)
        }
        if label == "original" {
          comparison.originalSeconds += clock() - start
        } else {
          comparison.transformedSeconds += clock() - start
        }
      }
      for index in outputs.indices {
        comparison.outputs[index].record(original: results[0][index], transformed: results[1][index])
      }
    }
    return comparison
  }
}

/// Why two graphs could not be compared.
public enum VerificationError: Error, Sendable, CustomStringConvertible {
  /// An op the interpreter lacks, in one of the graphs, with the nodes that use it.
  public struct MissingOp: Sendable, Equatable {
    /// The op name.
    public var op: String
    /// `original` or `transformed`.
    public var graph: String
    /// The nodes of that op the outputs need.
    public var nodes: [String]
  }

  /// An input cannot be fed.
  case input(String, String)
  /// The interpreter lacks ops the outputs need.
  case unsupportedOps([MissingOp])
  /// Interpreting one of the graphs failed.
  case graph(String, InterpreterError)

  /// Whether the failure is the interpreter's limitation (an op, dtype or form it lacks)
  /// rather than a fault in a graph or its inputs.
  public var isLimitation: Bool {
    switch self {
    case .unsupportedOps: return true
    case .graph(_, let error): return error.isLimitation
    case .input: return false
    }
  }

  /// A one-line message.
  public var description: String {
    switch self {
    case .input(let name, let problem): return "cannot feed input '\(name)': \(problem)"
    case .unsupportedOps(let missing):
      // One entry per op over both graphs: the transformed graph mostly repeats the
      // original's nodes.
      var nodesByOp: [(op: String, nodes: [String])] = []
      for entry in missing {
        if let at = nodesByOp.firstIndex(where: { $0.op == entry.op }) {
          nodesByOp[at].nodes += entry.nodes.filter { !nodesByOp[at].nodes.contains($0) }
        } else {
          nodesByOp.append((entry.op, entry.nodes))
        }
      }
      let listed = nodesByOp.map { entry in
        let shown = entry.nodes.prefix(2).map { "'\($0)'" }.joined(separator: ", ")
        return "\(entry.op) (\(entry.nodes.count) node\(entry.nodes.count == 1 ? "" : "s"): \(shown)"
          + (entry.nodes.count > 2 ? ", …" : "") + ")"
      }
      return "the interpreter has no kernel for " + listed.joined(separator: ", ")
    case .graph(let label, let error): return "running the \(label) graph: \(error)"
    }
  }
}
