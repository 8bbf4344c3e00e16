// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// One op's implementation: the node (for its attributes) and its data inputs' values
/// in, one tensor per output port out.
public typealias Kernel = @Sendable (KernelInvocation) throws(EvalError) -> [DenseTensor]

/// What a kernel receives.
public struct KernelInvocation: Sendable {
  /// The node being evaluated; kernels read attributes from it.
  public let node: Node
  /// The values of the node's data inputs, in order.
  public let inputs: [DenseTensor]
  /// The most elements any output may have; kernels that can grow their input (Tile,
  /// BroadcastTo, Fill, Range, Pad, MatMul…) check their result size against it before
  /// allocating, so a hostile graph cannot ask for terabytes.
  public let maxElements: Int

  /// An invocation of `node` on `inputs`.
  public init(node: Node, inputs: [DenseTensor], maxElements: Int = Evaluator.defaultMaxElements) {
    self.node = node
    self.inputs = inputs
    self.maxElements = maxElements
  }

  /// Input `index`, or an error naming the op when the node has too few inputs.
  public func input(_ index: Int) throws(EvalError) -> DenseTensor {
    guard index < inputs.count else {
      throw .invalidArgument("\(node.op) expects at least \(index + 1) inputs, got \(inputs.count)")
    }
    return inputs[index]
  }

  /// Checks the number of data inputs.
  public func expectInputs(_ count: Int) throws(EvalError) {
    guard inputs.count == count else {
      throw .invalidArgument("\(node.op) expects \(count) inputs, got \(inputs.count)")
    }
  }

  /// Checks that a result of `shape` stays within `maxElements`; returns its count.
  public func checkSize(_ shape: [Int]) throws(EvalError) -> Int {
    for dim in shape where dim < 0 {
      throw .invalidArgument("\(node.op): negative dimension in shape \(shape)")
    }
    // An empty result is fine however large its other dimensions.
    if shape.contains(0) { return 0 }
    var count = 1
    for dim in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow, product <= maxElements else {
        throw .tooLarge("\(node.op): a result of shape \(shape) exceeds \(maxElements) elements")
      }
      count = product
    }
    return count
  }

  // MARK: Attributes

  /// A type attribute such as `T` or `DstT`; `defaultValue` when absent.
  public func type(_ name: String, default defaultValue: DataType? = nil) throws(EvalError) -> DataType {
    switch node.attrs[name] {
    case .type(let value)?: return value
    case nil:
      guard let defaultValue else { throw missing(name, "a type") }
      return defaultValue
    default: throw missing(name, "a type")
    }
  }

  /// An int attribute; `defaultValue` when absent.
  public func int(_ name: String, default defaultValue: Int? = nil) throws(EvalError) -> Int {
    switch node.attrs[name] {
    case .i(let value)?: return Int(truncatingIfNeeded: value)
    case nil:
      guard let defaultValue else { throw missing(name, "an int") }
      return defaultValue
    default: throw missing(name, "an int")
    }
  }

  /// A bool attribute; `defaultValue` when absent.
  public func bool(_ name: String, default defaultValue: Bool? = nil) throws(EvalError) -> Bool {
    switch node.attrs[name] {
    case .b(let value)?: return value
    case nil:
      guard let defaultValue else { throw missing(name, "a bool") }
      return defaultValue
    default: throw missing(name, "a bool")
    }
  }

  /// A float attribute; `defaultValue` when absent.
  public func float(_ name: String, default defaultValue: Float? = nil) throws(EvalError) -> Float {
    switch node.attrs[name] {
    case .f(let value)?: return value
    case nil:
      guard let defaultValue else { throw missing(name, "a float") }
      return defaultValue
    default: throw missing(name, "a float")
    }
  }

  /// A string attribute; `defaultValue` when absent.
  public func string(_ name: String, default defaultValue: String? = nil) throws(EvalError) -> String {
    switch node.attrs[name] {
    case .s(let bytes)?: return String(decoding: bytes, as: UTF8.self)
    case nil:
      guard let defaultValue else { throw missing(name, "a string") }
      return defaultValue
    default: throw missing(name, "a string")
    }
  }

  /// A list(int) attribute; `defaultValue` when absent.
  public func ints(_ name: String, default defaultValue: [Int]? = nil) throws(EvalError) -> [Int] {
    switch node.attrs[name] {
    case .list(let list)?: return list.i.map { Int(truncatingIfNeeded: $0) }
    case nil:
      guard let defaultValue else { throw missing(name, "a list of ints") }
      return defaultValue
    default: throw missing(name, "a list of ints")
    }
  }

  private func missing(_ name: String, _ kind: String) -> EvalError {
    .invalidArgument("\(node.op): attribute '\(name)' is missing or is not \(kind)")
  }
}
