// SPDX-License-Identifier: Apache-2.0

public import GraphIR

/// Read-only views into an encoded `FunctionDefLibrary`, which the IR carries as bytes.
public enum FunctionLibrary {
  /// The op of every node of every function body, in file order
  /// (`library.function[].node_def[].op`). Malformed bytes end the walk early.
  public static func nodeOps(in library: SharedBytes) -> [String] {
    library.withUnsafeBytes { bytes in
      var ops: [String] = []
      // FunctionDefLibrary.function = 1, FunctionDef.node_def = 3, NodeDef.op = 2.
      for function in fields(1, in: bytes, range: 0..<bytes.count) {
        for node in fields(3, in: bytes, range: function) {
          for op in fields(2, in: bytes, range: node) {
            ops.append(String(decoding: bytes[op], as: UTF8.self))
          }
        }
      }
      return ops
    }
  }

  /// The value ranges of every length-delimited field `number` in a message.
  static func fields(_ number: UInt32, in bytes: UnsafeRawBufferPointer, range: Range<Int>) -> [Range<Int>] {
    var reader = WireReader(bytes, range: range)
    var result: [Range<Int>] = []
    while !reader.isAtEnd {
      guard let (field, wireType) = try? reader.tag() else { break }
      if field == number && wireType == 2 {
        guard let value = try? reader.lengthDelimited() else { break }
        result.append(value)
      } else if (try? reader.skip(wireType: wireType)) == nil {
        break
      }
    }
    return result
  }
}
