// SPDX-License-Identifier: Apache-2.0

import GraphEval
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

struct FreezePlaceholdersTests {
  func value(_ graph: Graph, _ name: String) throws -> DenseTensor {
    let node = try #require(graph[name])
    #expect(node.op == "Const")
    let tensor = try node.tensorAttr("value")
    return try DenseTensor(tensor)
  }

  @Test func placeholdersBecomeConstantsOfTheirDtype() throws {
    let graph = Graph {
      Placeholder("is_training", .bool, shape: [])
      Placeholder("keep_prob", .float)
      Placeholder("sizes", .int64, shape: [3])
      Node(name: "other", op: "NoOp", inputs: [.control("is_training"), .control("keep_prob"), .control("sizes")])
    }
    let result = try runTransforms(
      #"freeze_placeholders(name=is_training, value=False, name=keep_prob, value=0.5, name=sizes, value="1, 2,3")"#,
      on: graph
    ).graph
    #expect(try value(result, "is_training") == DenseTensor([false], shape: []))
    #expect(try value(result, "keep_prob") == DenseTensor([Float(0.5)], shape: []))
    #expect(try value(result, "sizes") == DenseTensor([Int64(1), 2, 3], shape: [3]))
    #expect(result.nodeNames == graph.nodeNames)
  }

  @Test func oneValueFillsAFullyDefinedShape() throws {
    let graph = Graph { Placeholder("scale", .float, shape: [2, 2]) }
    let result = try runTransforms("freeze_placeholders(name=scale, value=2)", on: graph).graph
    #expect(try value(result, "scale") == DenseTensor([Float](repeating: 2, count: 4), shape: [2, 2]))
  }

  @Test func placeholderWithDefaultLosesItsDefaultInput() throws {
    let graph = Graph {
      Const("default", 1)
      Op("PlaceholderWithDefault", "rate", inputs: "default", "^init", attrs: ["dtype": .type(.float)])
      Op("NoOp", "init")
    }
    let result = try runTransforms("freeze_placeholders(name=rate, value=0.25)", on: graph).graph
    #expect(result["rate"]?.inputs.map(\.description) == ["^init"])
    #expect(try value(result, "rate") == DenseTensor([Float(0.25)], shape: []))
  }

  @Test(arguments: [
    (
      "freeze_placeholders(name=is_trainin, value=false)",
      "placeholder 'is_trainin' not found in the graph; did you mean 'is_training'?"
    ),
    ("freeze_placeholders(name=relu, value=1)", "node 'relu': is a Relu, not a Placeholder or PlaceholderWithDefault"),
    (
      "freeze_placeholders(name=is_training, value=maybe)",
      "cannot freeze to 'maybe': 'maybe' is not a valid bool value"
    ),
    ("freeze_placeholders(name=x, value=\"1,2\")", "2 values given for shape [3], which has 3 elements"),
    ("freeze_placeholders(name=fed, value=1)", "node 'fed': is listed in --inputs"),
  ])
  func mistakesAreReported(spec: String, message: String) throws {
    let graph = Graph {
      Placeholder("is_training", .bool, shape: [])
      Placeholder("x", .float, shape: [3])
      Placeholder("fed", .float)
      Op("Relu", "relu", inputs: "x", attrs: ["T": .type(.float)])
    }
    #expect {
      try runTransforms(spec, on: graph, inputs: ["fed"])
    } throws: { "\($0)".contains(message) }
  }

  @Test(arguments: [
    ("freeze_placeholders", "expects a 'name' and a 'value'"),
    ("freeze_placeholders(name=a, value=1, name=b)", "got 2 'name' and 1 'value' arguments"),
    ("freeze_placeholders(name=a, value=1, name=a, value=2)", "placeholder 'a' is named more than once"),
  ])
  func badArgumentsAreRejectedBeforeAnyGraphIsRead(spec: String, message: String) {
    #expect {
      try TransformPipeline(parsing: spec)
    } throws: { "\($0)".contains(message) }
  }
}
