// SPDX-License-Identifier: Apache-2.0

public import GraphIR

// Sizes close to, but not exactly, the encoded ones: enough to compare a folded constant
// with the nodes it replaces without encoding either (the transforms do not link GraphIO).

extension Node {
  /// About how many bytes this node takes in a GraphDef.
  public var estimatedBytes: Int {
    var bytes = 4 + name.utf8.count + op.utf8.count + device.utf8.count
    for input in inputs { bytes += 2 + input.node.utf8.count + (input.port == nil ? 1 : 3) }
    for (key, value) in attrs { bytes += 4 + key.utf8.count + value.estimatedBytes }
    return bytes
  }
}

extension AttrValue {
  /// About how many bytes this value takes in an `AttrValue` message.
  var estimatedBytes: Int {
    switch self {
    case .tensor(let tensor): return tensor.estimatedBytes
    case .s(let bytes): return 2 + bytes.count
    case .list(let list):
      return 2 + list.s.reduce(0) { $0 + 2 + $1.count } + 4 * (list.i.count + list.f.count + list.b.count)
        + 2 * list.type.count + list.shape.reduce(0) { $0 + 2 + 3 * $1.rank }
        + list.tensor.reduce(0) { $0 + $1.estimatedBytes }
    case .shape(let shape): return 2 + 3 * shape.rank
    default: return 6
    }
  }
}

extension Tensor {
  /// About how many bytes this tensor takes in a `TensorProto`.
  public var estimatedBytes: Int {
    var bytes = 6 + 3 * shape.rank + content.count
    bytes += 4 * (floatVal.count + intVal.count + halfVal.count + uint32Val.count + scomplexVal.count)
    bytes += 8 * (doubleVal.count + int64Val.count + uint64Val.count + dcomplexVal.count)
    bytes += boolVal.count + float8Val.count + stringVal.reduce(0) { $0 + 2 + $1.count }
    bytes += resourceHandleVal.reduce(0) { $0 + 2 + $1.count } + variantVal.reduce(0) { $0 + 2 + $1.count }
    return bytes
  }
}
