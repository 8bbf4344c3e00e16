// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

struct DataTypeTests {
  @Test(
    arguments: [
      ("float", 1), ("float32", 1), ("double", 2), ("float64", 2), ("int32", 3), ("uint8", 4),
      ("int16", 5), ("int8", 6), ("string", 7), ("complex64", 8), ("int64", 9), ("bool", 10),
      ("qint8", 11), ("quint8", 12), ("qint32", 13), ("bfloat16", 14), ("qint16", 15),
      ("quint16", 16), ("uint16", 17), ("complex128", 18), ("half", 19), ("float16", 19),
      ("resource", 20), ("variant", 21), ("uint32", 22), ("uint64", 23), ("float8_e5m2", 24),
      ("float8_e4m3fn", 25), ("int4", 29), ("float4_e2m1fn", 33), ("float_ref", 101),
      ("float32_ref", 101), ("int32_ref", 103), ("quint8_ref", 112),
    ] as [(String, Int32)])
  func parsesTensorFlowNames(_ name: String, _ raw: Int32) throws {
    let type = try #require(DataType(name: name))
    #expect(type.rawValue == raw)
  }

  @Test(arguments: [
    "DT_FLOAT", "DT_FLOAT_REF", "Float", "FLOAT", "float_REF", "invalid", "invalid_ref", "", "_ref",
    "float32x", " float", "unknown(99)", "tf.float32",
  ])
  func rejectsOtherNames(_ name: String) {
    #expect(DataType(name: name) == nil)
  }

  @Test(
    arguments: [
      ("DT_FLOAT", 1), ("DT_FLOAT_REF", 101), ("DT_INVALID", 0), ("DT_BFLOAT16", 14),
      ("DT_HALF", 19), ("DT_QUINT8", 12), ("DT_FLOAT8_E4M3FN", 25), ("DT_FLOAT4_E2M1FN", 33),
      ("DT_INT32_REF", 103),
    ] as [(String, Int32)])
  func parsesProtoEnumNames(_ name: String, _ raw: Int32) throws {
    let type = try #require(DataType(enumName: name))
    #expect(type.rawValue == raw)
  }

  @Test(arguments: ["float", "DT_FLOAT32", "dt_float", "DT_INVALID_REF", "DT_", "", "DT_FLOAT_ref"])
  func rejectsOtherEnumNames(_ name: String) {
    #expect(DataType(enumName: name) == nil)
  }

  @Test(
    arguments: [
      (0, "invalid", "DT_INVALID"), (1, "float", "DT_FLOAT"), (14, "bfloat16", "DT_BFLOAT16"),
      (101, "float_ref", "DT_FLOAT_REF"), (133, "float4_e2m1fn_ref", "DT_FLOAT4_E2M1FN_REF"),
      (34, "unknown(34)", nil), (99, "unknown(99)", nil), (100, "unknown(100)", nil),
      (134, "unknown(134)", nil), (-1, "unknown(-1)", nil),
    ] as [(Int32, String, String?)])
  func namesAndEnumNames(_ raw: Int32, _ name: String, _ enumName: String?) {
    let type = DataType(rawValue: raw)
    #expect(type.name == name)
    #expect(type.description == name)
    #expect(type.enumName == enumName)
  }

  @Test func everyKnownTypeRoundTripsThroughBothNames() throws {
    for raw in Array(Int32(1)...33) + Array(Int32(101)...133) {
      let type = DataType(rawValue: raw)
      #expect(DataType(name: type.name) == type, "\(raw)")
      let enumName = try #require(type.enumName)
      #expect(DataType(enumName: enumName) == type, "\(raw)")
    }
  }

  @Test func referenceTypes() {
    #expect(DataType(rawValue: 101).isReference)
    #expect(DataType(rawValue: 101).base == .float)
    #expect(!DataType.float.isReference)
    #expect(DataType.float.base == .float)
    #expect(!DataType(rawValue: 100).isReference)
    #expect(!DataType(rawValue: 134).isReference)
  }

  @Test(
    arguments: [
      (DataType.float, 4), (.double, 8), (.int32, 4), (.uint8, 1), (.int16, 2), (.int8, 1),
      (.complex64, 8), (.int64, 8), (.bool, 1), (.qint8, 1), (.quint8, 1), (.qint32, 4),
      (.bfloat16, 2), (.qint16, 2), (.quint16, 2), (.uint16, 2), (.complex128, 16), (.half, 2),
      (.uint32, 4), (.uint64, 8), (DataType(rawValue: 24), 1), (DataType(rawValue: 28), 1),
      (DataType(rawValue: 101), 4), (.string, nil), (.resource, nil), (.variant, nil),
      (.invalid, nil), (DataType(rawValue: 29), nil), (DataType(rawValue: 33), nil),
      (DataType(rawValue: 99), nil),
    ] as [(DataType, Int?)])
  func byteSize(_ type: DataType, _ size: Int?) {
    #expect(type.byteSize == size)
  }
}
