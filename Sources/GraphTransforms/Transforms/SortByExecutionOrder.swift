// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Placeholder until implemented.
public struct SortByExecutionOrder: GraphTransform {
  public static let name = "sort_by_execution_order"
  public static let summary = "Not implemented yet."
  public static let parameters: [ParameterSpec] = []

  public init(arguments: TransformArguments) throws(TransformArgumentError) {}

  public func apply(to graph: Graph, in context: TransformContext) throws -> Graph {
    throw TransformError("not implemented yet")
  }
}
