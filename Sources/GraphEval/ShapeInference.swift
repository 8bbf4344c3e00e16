// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// What is known statically about a tensor whose value is not: its dtype and its fully
/// defined shape, either of which may be unknown.
public struct StaticTensorInfo: Sendable, Equatable {
  /// The element type, when known.
  public var dtype: DataType?
  /// The dimensions, when all are known.
  public var shape: [Int]?

  /// Info with the given parts.
  public init(dtype: DataType?, shape: [Int]?) {
    self.dtype = dtype
    self.shape = shape
  }

  /// Nothing known.
  public static let unknown = StaticTensorInfo(dtype: nil, shape: nil)
}

/// One data input as shape inference sees it.
public enum InferenceInput {
  /// A constant: its dtype and shape, and its value on demand (decoding may be costly, so
  /// only inputs whose value decides the output shape are read).
  case constant(StaticTensorInfo, value: () -> DenseTensor?)
  /// A tensor computed at run time.
  case variable(StaticTensorInfo)

  /// The dtype and shape, whichever the input is.
  public var info: StaticTensorInfo {
    switch self {
    case .constant(let info, _), .variable(let info): return info
    }
  }
}

/// Static shapes of the outputs of nodes whose inputs are not all constant, so that
/// `fold_constants` can fold `Shape`, `Size` and `Rank` of tensors whose shape is fixed
/// once the inputs' shapes are (TensorFlow's folding does the same with its shape
/// inference).
///
/// Common ops have formulas; other ops with a kernel are probed: the kernel runs on zeros
/// of the known shapes (real values only where the value decides the shape, such as a
/// `Reshape`'s target), when that stays small.
public enum ShapeInference {
  /// The most elements one probe may allocate.
  static let probeLimit = 1 << 20

  /// The output infos of `node`, or nil when nothing is known.
  public static func infer(_ node: Node, inputs: [InferenceInput]) -> [StaticTensorInfo]? {
    let infos = inputs.map(\.info)
    let op = node.op
    func typeAttr(_ name: String) -> DataType? {
      if case .type(let type)? = node.attrs[name] { return type }
      return nil
    }
    switch op {
    case "Placeholder", "PlaceholderWithDefault":
      var shape: [Int]? = nil
      if case .shape(let declared)? = node.attrs["shape"], declared.isFullyDefined {
        shape = declared.sizes.map { Int($0) }
      }
      return [StaticTensorInfo(dtype: typeAttr("dtype"), shape: shape)]
    default:
      break
    }
    if sameShapeOps.contains(op), let first = infos.first {
      let dtype = op == "Cast" ? typeAttr("DstT") : (first.dtype ?? typeAttr("T"))
      return [StaticTensorInfo(dtype: dtype, shape: first.shape)]
    }
    if broadcastOps.contains(op) || op == "SelectV2" {
      let operands = op == "SelectV2" ? infos : Array(infos.prefix(2))
      var shape: [Int]? = []
      for info in operands {
        guard let current = shape, let next = info.shape, let joined = try? broadcastShape(current, next) else {
          shape = nil
          break
        }
        shape = joined
      }
      let dtype: DataType? =
        comparisonOps.contains(op) ? .bool : (op == "SelectV2" ? infos.dropFirst().first?.dtype : infos.first?.dtype)
      return [StaticTensorInfo(dtype: dtype ?? typeAttr("T"), shape: shape)]
    }
    switch op {
    case "Select", "AddN":
      let source = op == "Select" ? infos.dropFirst().first : infos.first
      return [StaticTensorInfo(dtype: source?.dtype, shape: source?.shape)]
    case "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3":
      return [StaticTensorInfo(dtype: infos.first?.dtype ?? typeAttr("T"), shape: matMulShape(node, infos))]
    case "Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool":
      return [StaticTensorInfo(dtype: infos.first?.dtype ?? typeAttr("T"), shape: windowShape(node, infos))]
    case "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3":
      let channels = infos.count > 1 ? infos[1].shape : nil
      let side = StaticTensorInfo(dtype: typeAttr("U") ?? infos.first?.dtype, shape: channels)
      return [StaticTensorInfo(dtype: infos.first?.dtype, shape: infos.first?.shape)] + Array(repeating: side, count: 5)
    case "Einsum":
      return [StaticTensorInfo(dtype: infos.first?.dtype ?? typeAttr("T"), shape: einsumShape(node, infos))]
    default:
      return probe(node, inputs: inputs)
    }
  }

  // MARK: Formulas

  /// Ops whose output has input 0's shape (and dtype, except `Cast`).
  static let sameShapeOps: Set<String> = [
    "Identity", "StopGradient", "PreventGradient", "Snapshot", "CheckNumerics", "Relu", "Relu6", "Elu", "Selu",
    "Softplus", "Softsign", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Erfc", "Exp", "Expm1", "Log", "Log1p", "Neg",
    "Abs", "Sqrt", "Rsqrt", "Square", "Reciprocal", "Inv", "Sign", "Floor", "Ceil", "Round", "Rint", "Cast",
    "Softmax", "LogSoftmax", "BiasAdd", "ZerosLike", "OnesLike", "LogicalNot", "Sin", "Cos", "ClipByValue",
    "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs", "LRN", "Gelu", "IsNan", "IsFinite", "IsInf",
  ]

  /// Comparisons: broadcast, bool result.
  static let comparisonOps: Set<String> = [
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
  ]

  /// Binary ops with NumPy broadcasting.
  static let broadcastOps: Set<String> = comparisonOps.union([
    "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv", "FloorMod", "TruncateDiv", "Maximum",
    "Minimum", "Pow", "SquaredDifference", "Atan2", "MulNoNan", "Xdivy", "Xlogy",
  ])

  static func matMulShape(_ node: Node, _ infos: [StaticTensorInfo]) -> [Int]? {
    guard infos.count >= 2, let a = infos[0].shape, let b = infos[1].shape, a.count >= 2, b.count >= 2 else {
      return nil
    }
    func flag(_ name: String) -> Bool { if case .b(true)? = node.attrs[name] { true } else { false } }
    let transposeA = flag("transpose_a") || flag("adj_x")
    let transposeB = flag("transpose_b") || flag("adj_y")
    let rows = transposeA ? a[a.count - 1] : a[a.count - 2]
    let columns = transposeB ? b[b.count - 2] : b[b.count - 1]
    if node.op == "MatMul" { return a.count == 2 && b.count == 2 ? [rows, columns] : nil }
    guard let batch = try? broadcastShape(Array(a.dropLast(2)), Array(b.dropLast(2))) else { return nil }
    return batch + [rows, columns]
  }

  /// Convolutions and pooling, NHWC or NCHW, with SAME, VALID or EXPLICIT padding.
  static func windowShape(_ node: Node, _ infos: [StaticTensorInfo]) -> [Int]? {
    guard let input = infos.first?.shape, input.count == 4 else { return nil }
    func ints(_ name: String) -> [Int]? {
      if case .list(let list)? = node.attrs[name] { return list.i.map { Int(truncatingIfNeeded: $0) } }
      return nil
    }
    let nchw: Bool = if case .s(let format)? = node.attrs["data_format"] { format == Array("NCHW".utf8) } else { false }
    let (h, w, c) = nchw ? (2, 3, 1) : (1, 2, 3)
    guard let strides = ints("strides"), strides.count == 4, strides.allSatisfy({ $0 > 0 }) else { return nil }
    let dilations = ints("dilations") ?? [1, 1, 1, 1]
    guard dilations.count == 4 else { return nil }
    var kernel: (Int, Int)
    var channels = input[c]
    switch node.op {
    case "Conv2D", "DepthwiseConv2dNative":
      guard infos.count > 1, let filter = infos[1].shape, filter.count == 4 else { return nil }
      kernel = (filter[0], filter[1])
      channels = node.op == "Conv2D" ? filter[3] : filter[2] * filter[3]
    default:
      guard let size = ints("ksize"), size.count == 4 else { return nil }
      kernel = (size[h], size[w])
    }
    guard case .s(let paddingBytes)? = node.attrs["padding"] else { return nil }
    let padding = String(decoding: paddingBytes, as: UTF8.self)
    let explicit = ints("explicit_paddings") ?? []
    func output(_ axis: Int, _ size: Int) -> Int? {
      let effective = (size - 1) * dilations[axis] + 1
      switch padding {
      case "SAME": return (input[axis] + strides[axis] - 1) / strides[axis]
      case "VALID": return input[axis] >= effective ? (input[axis] - effective) / strides[axis] + 1 : nil
      case "EXPLICIT":
        guard explicit.count == 8 else { return nil }
        let padded = input[axis] + explicit[2 * axis] + explicit[2 * axis + 1]
        return padded >= effective ? (padded - effective) / strides[axis] + 1 : nil
      default: return nil
      }
    }
    guard let height = output(h, kernel.0), let width = output(w, kernel.1) else { return nil }
    return nchw ? [input[0], channels, height, width] : [input[0], height, width, channels]
  }

  /// `Einsum` with one or two operands; an ellipsis broadcasts.
  static func einsumShape(_ node: Node, _ infos: [StaticTensorInfo]) -> [Int]? {
    guard case .s(let bytes)? = node.attrs["equation"] else { return nil }
    let equation = String(decoding: bytes, as: UTF8.self).filter { $0 != " " }
    let sides = equation.split(separator: "->", omittingEmptySubsequences: false).map(String.init)
    guard sides.count == 2 else { return nil }
    let operands = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    guard operands.count == infos.count else { return nil }
    var sizes: [Character: Int] = [:]
    var ellipsis: [Int] = []
    for (labels, info) in zip(operands, infos) {
      guard let shape = info.shape else { return nil }
      let parts = labels.split(separator: "...", omittingEmptySubsequences: false).map(String.init)
      guard parts.count <= 2 else { return nil }
      let named = parts.joined().count
      guard shape.count >= named, parts.count == 2 || shape.count == named else { return nil }
      for (offset, label) in parts[0].enumerated() { sizes[label] = max(sizes[label] ?? 1, shape[offset]) }
      if parts.count == 2 {
        let middle = shape.count - named
        let dims = Array(shape[parts[0].count..<(parts[0].count + middle)])
        guard let joined = try? broadcastShape(ellipsis, dims) else { return nil }
        ellipsis = joined
        for (offset, label) in parts[1].enumerated() {
          sizes[label] = max(sizes[label] ?? 1, shape[parts[0].count + middle + offset])
        }
      }
    }
    var result: [Int] = []
    let outputParts = sides[1].split(separator: "...", omittingEmptySubsequences: false).map(String.init)
    for (index, part) in outputParts.enumerated() {
      if index > 0 { result += ellipsis }
      for label in part {
        guard let size = sizes[label] else { return nil }
        result.append(size)
      }
    }
    return result
  }

  // MARK: Probing

  /// For each op with a kernel, the inputs whose value (not only shape) decides the
  /// output shape; those must be constant for a probe. Ops not listed are not probed.
  static let valueInputs: [String: Set<Int>] = [
    "Shape": [], "ShapeN": [], "Size": [], "Rank": [], "Reshape": [1], "ExpandDims": [1], "Squeeze": [],
    "IdentityN": [], "Fill": [0], "Transpose": [1], "Pack": [], "Unpack": [], "ConcatV2": [-1], "Concat": [0],
    "Split": [0], "SplitV": [1, 2], "Slice": [1, 2], "StridedSlice": [1, 2, 3], "Gather": [], "GatherV2": [2],
    "Tile": [1], "BroadcastTo": [1], "Pad": [1], "PadV2": [1], "MirrorPad": [1], "Sum": [1], "Prod": [1],
    "Mean": [1], "Max": [1], "Min": [1], "All": [1], "Any": [1], "ArgMax": [1], "ArgMin": [1],
  ]

  /// Runs the kernel on zeros of the known shapes and reads its outputs' shapes.
  static func probe(_ node: Node, inputs: [InferenceInput]) -> [StaticTensorInfo]? {
    guard let valuePositions = valueInputs[node.op] else { return nil }
    let needsValue = Set(valuePositions.map { $0 < 0 ? inputs.count + $0 : $0 })
    var arguments: [DenseTensor] = []
    var budget = probeLimit
    for (position, input) in inputs.enumerated() {
      if needsValue.contains(position) {
        guard case .constant(_, let value) = input, let tensor = value() else { return nil }
        arguments.append(tensor)
        continue
      }
      let info = input.info
      guard let dtype = info.dtype, let shape = info.shape else { return nil }
      let count = shape.reduce(1, *)
      guard count <= budget, let zeros = try? zeros(dtype: dtype, shape: shape) else { return nil }
      budget -= count
      arguments.append(zeros)
    }
    guard let outputs = try? Evaluator(maxElements: probeLimit).evaluate(node, inputs: arguments) else { return nil }
    return outputs.map { StaticTensorInfo(dtype: $0.dtype, shape: $0.shape) }
  }

  /// A tensor of zeros (or empty strings, or false).
  static func zeros(dtype: DataType, shape: [Int]) throws(EvalError) -> DenseTensor {
    struct Zeros: AnyElementVisitor {
      let dtype: DataType
      let shape: [Int]
      func visit<T: TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
        try DenseTensor([T](repeating: T.zero, count: shape.reduce(1, *)), shape: shape, dtype: dtype)
      }
    }
    let storageType = dtype.isNumericForEvaluation || dtype == .bool || dtype == .string ? dtype : .invalid
    return try storageType.visit(Zeros(dtype: dtype, shape: shape))
  }
}
