// SPDX-License-Identifier: Apache-2.0

import GraphIO
import GraphIR
import Testing

struct OpDefinitionTableTests {
  static let registry = TensorFlowOpDefinitions.registry

  @Test func theEmbeddedRegistryIsTensorFlow221s() {
    #expect(TensorFlowOpDefinitions.tensorFlowVersion == "2.21.0")
    #expect(Self.registry.count == 1908)
    #expect(Self.registry.names.prefix(2) == ["A", "Abort"])
  }

  @Test func attributesKeepTheirTypesAndDefaults() throws {
    let lrn = try #require(Self.registry["LRN"])
    #expect(lrn.attributes.map(\.name) == ["depth_radius", "bias", "alpha", "beta", "T"])
    #expect(lrn.attribute(named: "depth_radius") == .init(name: "depth_radius", type: "int", defaultValue: .i(5)))
    #expect(lrn.attribute(named: "bias")?.defaultValue == .f(1))
    #expect(lrn.attribute(named: "alpha")?.defaultValue == .f(1))
    #expect(lrn.attribute(named: "beta")?.defaultValue == .f(0.5))
    #expect(lrn.attribute(named: "T") == .init(name: "T", type: "type", defaultValue: .type(.float)))
    let conv = try #require(Self.registry["Conv2D"])
    #expect(conv.attribute(named: "data_format")?.defaultValue == .string("NHWC"))
    #expect(conv.attribute(named: "dilations")?.defaultValue == .list(AttrList(i: [1, 1, 1, 1])))
    #expect(conv.attribute(named: "strides")?.defaultValue == nil)
  }

  @Test func argumentsKeepTheirTypeFields() throws {
    let concat = try #require(Self.registry["ConcatV2"])
    #expect(
      concat.inputs == [
        .init(name: "values", typeAttr: "T", numberAttr: "N"), .init(name: "axis", typeAttr: "Tidx"),
      ])
    #expect(concat.outputs == [.init(name: "output", typeAttr: "T")])
    let shape = try #require(Self.registry["Shape"])
    #expect(shape.outputs == [.init(name: "output", typeAttr: "out_type")])
    let identityN = try #require(Self.registry["IdentityN"])
    #expect(identityN.outputs == [.init(name: "output", typeListAttr: "T")])
    let assign = try #require(Self.registry["Assign"])
    #expect(assign.inputs.first?.isRef == true)
    let rank = try #require(Self.registry["Rank"])
    #expect(rank.outputs == [.init(name: "output", type: .int32)])
  }

  @Test func statefulnessComesFromTheRegistryAndUnknownOpsAreStateful() {
    #expect(!Self.registry.isStateful("Const"))
    #expect(!Self.registry.isStateful("MatMul"))
    #expect(Self.registry.isStateful("RandomUniform"))
    #expect(Self.registry.isStateful("VarHandleOp"))
    #expect(Self.registry.isStateful("Print"))
    #expect(Self.registry["NoSuchOp"] == nil)
    #expect(Self.registry.isStateful("NoSuchOp"))
  }

  @Test func outputTypesResolveThroughAttributesAndDefaults() throws {
    let split = try #require(Self.registry["Split"])
    let node = Node(name: "s", op: "Split", attrs: ["T": .type(.half), "num_split": .i(3)])
    #expect(split.outputTypes(of: node) == [.half, .half, .half])
    #expect(split.outputTypes(of: Node(name: "s", op: "Split", attrs: ["num_split": .i(3)])) == nil)
    // Shape's out_type defaults to int32.
    let shape = try #require(Self.registry["Shape"])
    #expect(shape.outputTypes(of: Node(name: "s", op: "Shape", attrs: ["T": .type(.float)])) == [.int32])
    let identityN = try #require(Self.registry["IdentityN"])
    let list = Node(name: "i", op: "IdentityN", attrs: ["T": .list(AttrList(type: [.float, .int64]))])
    #expect(identityN.outputTypes(of: list) == [.float, .int64])
  }

  static let libraryGraph = """
    node { name: "c" op: "MyScale" }
    library {
      function {
        signature {
          name: "MyScale"
          input_arg { name: "x" type_attr: "T" }
          output_arg { name: "y" type_attr: "T" }
          attr { name: "T" type: "type" default_value { type: DT_HALF } }
          attr { name: "scale" type: "float" default_value { f: 2 } }
          is_stateful: true
        }
        node_def { name: "m" op: "Mul" input: "x" input: "x" attr { key: "T" value { placeholder: "T" } } }
        ret { key: "y" value: "m:z:0" }
      }
      function { signature { name: "Plain" output_arg { name: "o" type: DT_INT64 } } }
    }
    """

  @Test func aGraphsFunctionsJoinTheRegistry() throws {
    let graph = try GraphFile.decode(Array(Self.libraryGraph.utf8))
    let table = TensorFlowOpDefinitions().table(for: graph)
    #expect(table.count == Self.registry.count + 2)
    let scale = try #require(table["MyScale"])
    #expect(scale.isStateful)
    #expect(scale.inputs == [.init(name: "x", typeAttr: "T")])
    #expect(scale.attribute(named: "T")?.defaultValue == .type(.half))
    #expect(scale.attribute(named: "scale")?.defaultValue == .f(2))
    #expect(table["Plain"]?.outputs == [.init(name: "o", type: .int64)])
    #expect(table["Plain"]?.isStateful == false)
    #expect(table["MatMul"] != nil)
    #expect(TensorFlowOpDefinitions().table(for: Graph()).count == Self.registry.count)
  }

  @Test func malformedLibrarySignaturesAreSkipped() {
    func field(_ number: UInt8, _ body: [UInt8]) -> [UInt8] { [number << 3 | 2, UInt8(body.count)] + body }
    // function { signature { <truncated field> } } function { signature { name: "Ok" } }
    let broken = field(1, field(1, [0x0a, 0x10, 0x41]))
    let good = field(1, field(1, field(1, Array("Ok".utf8))))
    let signatures = FunctionLibrary.signatures(in: SharedBytes(broken + good))
    #expect(signatures.map(\.name) == ["Ok"])
    #expect(FunctionLibrary.signatures(in: SharedBytes([0xff])) == [])
  }

  @Test func deeplyNestedDefaultsAreRefusedBeforeUnpacking() {
    // AttrValue { list { func { attr { value { list { func … } } } } } } nested far past the
    // scanner's limit would overflow protobuf-c's recursion; the signature is skipped.
    func field(_ number: UInt8, _ body: [UInt8]) -> [UInt8] {
      var length = UInt(body.count)
      var varint: [UInt8] = []
      repeat {
        varint.append(UInt8(length & 0x7f) | (length >= 0x80 ? 0x80 : 0))
        length >>= 7
      } while length > 0
      return [number << 3 | 2] + varint + body
    }
    var value: [UInt8] = []
    for _ in 0..<200 {
      // AttrValue.list(1) → ListValue.func(9) → NameAttrList.attr(2) → entry.value(2)
      value = field(1, field(9, field(2, field(2, value))))
    }
    let attr = field(4, field(1, Array("a".utf8)) + field(3, value))
    let library = field(1, field(1, field(1, Array("Deep".utf8)) + attr))
    #expect(FunctionLibrary.signatures(in: SharedBytes(library)) == [])
  }
}
