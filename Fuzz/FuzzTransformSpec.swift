// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the transform-string and spec-file parser, and building the pipeline
// (argument parsing of every transform) from what it accepts.
import GraphIR
import GraphTransforms

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTransformSpec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  for comments in [false, true] {
    do {
      let pipeline = try TransformPipeline(parsing: text, origin: "fuzz", allowComments: comments)
      _ = pipeline.steps.map { $0.call.description }
    } catch {
      _ = error.description
    }
  }
  _ = TensorShape(parsing: text)
  _ = InputRef(parsing: text).description
  return 0
}
