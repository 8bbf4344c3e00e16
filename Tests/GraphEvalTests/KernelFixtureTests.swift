// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphEval
import GraphIO
import GraphIR
import Testing

/// Every kernel case TensorFlow computed (Scripts/kernel_fixtures/generate.py) gives the
/// same outputs here: same dtypes and shapes, integers and bools exactly, floats within a
/// few ulps, and an error wherever TensorFlow's kernel raised one.
@Test(arguments: ["elementwise", "elementwise_more", "shape", "reduction", "linear_algebra"])
func kernelsMatchTensorFlow(family: String) throws {
  let cases = try KernelFixture.load(family: family)
  for fixture in cases {
    fixture.check()
  }
}

/// One op call recorded by the generator.
struct KernelFixture {
  var node: Node
  var inputs: [DenseTensor]
  var expected: [DenseTensor]
  var expectedError: String?

  static func load(family: String) throws -> [KernelFixture] {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(family)", withExtension: "pb") else {
      Issue.record("fixture \(family).pb is missing; run Scripts/kernel_fixtures/generate.py")
      return []
    }
    let graph = try GraphFile.decode(Array(try Data(contentsOf: url)))
    let byName = Dictionary(graph.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    func constant(_ name: String) throws -> DenseTensor? {
      guard let node = byName[name], node.op == "Const" else { return nil }
      return try Evaluator().evaluate(node, inputs: [])[0]
    }
    var fixtures: [KernelFixture] = []
    for node in graph.nodes where !node.name.contains("/") {
      let inputs = try node.dataInputs.map { input -> DenseTensor in
        guard let value = try constant(input.node + "/value") else {
          throw FixtureError("case '\(node.name)': no value for input '\(input.node)'")
        }
        return value
      }
      var expected: [DenseTensor] = []
      while let value = try constant("\(node.name)/expected_\(expected.count)") { expected.append(value) }
      let error = try constant("\(node.name)/expected_error")?.values(as: [UInt8].self)?.first
      fixtures.append(
        KernelFixture(
          node: node, inputs: inputs, expected: expected,
          expectedError: error.map { String(decoding: $0, as: UTF8.self) }))
    }
    #expect(!fixtures.isEmpty || family != "elementwise", "no cases in \(family).pb")
    return fixtures
  }

  func check() {
    let name = "\(node.name) (\(node.op))"
    let outputs: [DenseTensor]
    do {
      outputs = try Evaluator().evaluate(node, inputs: inputs)
    } catch {
      if expectedError == nil {
        Issue.record("\(name): evaluator failed: \(error)")
      } else if error.isLimitation {
        Issue.record("\(name): TensorFlow fails with '\(expectedError!)', evaluator says it cannot evaluate: \(error)")
      }
      return
    }
    if let expectedError {
      Issue.record("\(name): TensorFlow fails with '\(expectedError)', evaluator returned \(outputs)")
      return
    }
    guard outputs.count == expected.count else {
      Issue.record("\(name): \(outputs.count) outputs, TensorFlow has \(expected.count)")
      return
    }
    for (port, (actual, wanted)) in zip(outputs, expected).enumerated() {
      if let problem = Self.difference(actual, wanted) {
        Issue.record("\(name) output \(port): \(problem)")
      }
    }
  }

  /// nil when `actual` matches `wanted`; otherwise what differs first.
  static func difference(_ actual: DenseTensor, _ wanted: DenseTensor) -> String? {
    guard actual.dtype == wanted.dtype else { return "dtype \(actual.dtype), expected \(wanted.dtype)" }
    guard actual.shape == wanted.shape else { return "shape \(actual.shape), expected \(wanted.shape)" }
    switch (actual.storage, wanted.storage) {
    case (.float(let a), .float(let b)):
      return firstMismatch(a, b) { x, y in close(Double(x), Double(y), relative: 2e-6, absolute: 1e-30) }
    case (.double(let a), .double(let b)):
      return firstMismatch(a, b) { x, y in close(x, y, relative: 1e-13, absolute: 1e-300) }
    default:
      return actual.storage == wanted.storage ? nil : "values \(actual.storage), expected \(wanted.storage)"
    }
  }

  static func close(_ x: Double, _ y: Double, relative: Double, absolute: Double) -> Bool {
    if x.isNaN || y.isNaN { return x.isNaN && y.isNaN }
    if x.isInfinite || y.isInfinite { return x == y }
    return abs(x - y) <= absolute + relative * max(abs(x), abs(y))
  }

  static func firstMismatch<T>(_ a: [T], _ b: [T], _ same: (T, T) -> Bool) -> String? {
    for index in a.indices where !same(a[index], b[index]) {
      return "element \(index) is \(a[index]), expected \(b[index])"
    }
    return nil
  }
}

struct FixtureError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
