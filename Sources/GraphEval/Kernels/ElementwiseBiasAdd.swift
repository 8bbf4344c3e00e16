// SPDX-License-Identifier: Apache-2.0

import GraphIR

/// `BiasAdd(value, bias)`: adds the rank-1 `bias` along the channel axis, the last one
/// for NHWC and axis 1 for NCHW; the addition itself is `AddV2`'s.
let biasAddKernel: Kernel = { invocation throws(EvalError) in
  try invocation.expectInputs(2)
  let value = invocation.inputs[0]
  let bias = invocation.inputs[1]
  let nchw = try invocation.string("data_format", default: "NHWC") == "NCHW"
  guard value.rank >= 2, bias.rank == 1 else {
    throw .invalidArgument("BiasAdd needs a value of rank 2 or more and a rank-1 bias, got \(value) and \(bias)")
  }
  let channelAxis = nchw ? 1 : value.rank - 1
  guard !nchw || value.rank >= 3 else { throw .invalidArgument("BiasAdd: NCHW needs a value of rank 3 or more") }
  guard value.shape[channelAxis] == bias.count else {
    throw .invalidArgument(
      "Must provide as many biases as the last dimension of the input tensor: \(bias.shape) vs. \(value.shape)")
  }
  // As a broadcast: the bias with size-1 axes after the channel axis.
  let trailing = value.rank - 1 - channelAxis
  let reshaped = try bias.reshaped([bias.count] + Array(repeating: 1, count: trailing))
  guard let add = KernelRegistry.kernels["AddV2"] else { throw .unsupportedOp("AddV2") }
  var node = invocation.node
  node.op = "AddV2"
  return try add(KernelInvocation(node: node, inputs: [value, reshaped], maxElements: invocation.maxElements))
}
