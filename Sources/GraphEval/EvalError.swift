// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Why a node could not be evaluated.
///
/// The first three cases mean "this evaluator cannot do it" and make `fold_constants`
/// leave the node alone; `invalidArgument` is an error TensorFlow's kernel would raise
/// too, which the caller reports.
public enum EvalError: Error, Sendable, Hashable, CustomStringConvertible {
  /// No kernel for the op.
  case unsupportedOp(String)
  /// The kernel exists but not for this dtype.
  case unsupportedType(DataType)
  /// The kernel exists but not for this attribute value or form (e.g. NCHW).
  case unsupported(String)
  /// An input had a dtype the op does not accept.
  case typeMismatch(String)
  /// The inputs or attributes are invalid, as TensorFlow's kernel would say.
  case invalidArgument(String)
  /// The result would exceed the evaluator's size limit.
  case tooLarge(String)

  /// Whether the failure is the evaluator's limitation rather than a fault in the graph.
  public var isLimitation: Bool {
    switch self {
    case .unsupportedOp, .unsupportedType, .unsupported, .tooLarge: return true
    case .typeMismatch, .invalidArgument: return false
    }
  }

  /// A one-line message.
  public var description: String {
    switch self {
    case .unsupportedOp(let op): return "no kernel for op '\(op)'"
    case .unsupportedType(let dtype): return "dtype '\(dtype)' is not supported here"
    case .unsupported(let what): return "not supported: \(what)"
    case .typeMismatch(let what): return what
    case .invalidArgument(let what): return what
    case .tooLarge(let what): return what
    }
  }
}
