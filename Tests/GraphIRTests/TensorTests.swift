// SPDX-License-Identifier: Apache-2.0

import GraphIR
import Testing

struct TensorTests {
  @Test func floatValuesFromContent() throws {
    let tensor = Tensor.floats([1, -2.5, 3, 4e10], shape: [2, 2])
    #expect(tensor.content.count == 16)
    #expect(try tensor.floatValues() == [1, -2.5, 3, 4e10])
  }

  @Test func contentWinsOverTheTypedList() throws {
    var tensor = Tensor.floats([1, 2], shape: [2])
    tensor.floatVal = [9, 9]
    #expect(try tensor.floatValues() == [1, 2])
  }

  // TensorFlow's fill rule: an empty list means zeros, a short list repeats its last value.
  @Test(
    arguments: [
      ([], [0, 0, 0, 0]),
      ([5], [5, 5, 5, 5]),
      ([1, 2], [1, 2, 2, 2]),
      ([1, 2, 3, 4], [1, 2, 3, 4]),
    ] as [([Float], [Float])])
  func floatValuesFromFloatValFillRule(_ stored: [Float], _ expected: [Float]) throws {
    var tensor = Tensor(dtype: .float, shape: TensorShape([2, 2]))
    tensor.floatVal = stored
    #expect(try tensor.floatValues() == expected)
  }

  @Test func tooManyTypedValuesIsAnError() {
    var tensor = Tensor(dtype: .float, shape: TensorShape([4]))
    tensor.floatVal = [1, 2, 3, 4, 5]
    #expect(throws: TensorError.tooManyValues(expected: 4, found: 5)) { try tensor.floatValues() }
    #expect(
      TensorError.tooManyValues(expected: 4, found: 5).description
        == "tensor holds 5 values, but the shape has 4 elements")
  }

  @Test func absentShapeIsAScalar() throws {
    var tensor = Tensor(dtype: .float, shape: nil)
    tensor.floatVal = [3]
    #expect(tensor.shape == .scalar)
    #expect(try tensor.floatValues() == [3])
    tensor.floatVal = []
    #expect(try tensor.floatValues() == [0])
  }

  @Test func contentSizeMismatchIsAnError() {
    let bytes = SharedBytes([UInt8](repeating: 0, count: 12))
    let tensor = Tensor(dtype: .float, shape: TensorShape([4]), content: bytes)
    let expected = TensorError.contentSize(expected: 16, found: 12)
    #expect(throws: expected) { try tensor.floatValues() }
    #expect(expected.description == "tensor_content holds 12 bytes, but the shape needs 16")
  }

  @Test func wrongDtypeIsAnError() {
    let tensor = Tensor.int32s([1, 2], shape: [2])
    #expect(throws: TensorError.wrongType(expected: .float, found: .int32)) {
      try tensor.floatValues()
    }
    #expect(
      TensorError.wrongType(expected: .float, found: .int32).description
        == "tensor has dtype 'int32', expected 'float'")
    #expect(throws: TensorError.wrongType(expected: .int32, found: .float)) {
      try Tensor.floats([1], shape: [1]).int32Values()
    }
  }

  @Test func partialShapeIsAnError() {
    var tensor = Tensor(dtype: .float, shape: TensorShape([-1, 2]))
    tensor.floatVal = [1]
    #expect(throws: TensorError.badShape(TensorShape([-1, 2]))) { try tensor.floatValues() }
    #expect(
      TensorError.badShape(TensorShape([-1, 2])).description
        == "tensor shape [?,2] is not a fully defined, reasonably sized shape")
  }

  @Test func absurdElementCountIsAnErrorNotAnAllocation() {
    let tensor = Tensor(dtype: .float, shape: TensorShape([1 << 20, 1 << 20]))
    #expect(throws: TensorError.badShape(TensorShape([1 << 20, 1 << 20]))) {
      try tensor.floatValues()
    }
  }

  @Test func int32ValuesFromBothForms() throws {
    #expect(try Tensor.int32s([7, -8, 9], shape: [3]).int32Values() == [7, -8, 9])
    var tensor = Tensor(dtype: .int32, shape: TensorShape([3]))
    tensor.intVal = [7]
    #expect(try tensor.int32Values() == [7, 7, 7])
    tensor.intVal = []
    #expect(try tensor.int32Values() == [0, 0, 0])
  }

  @Test func copiesShareTheirBytes() {
    let tensor = Tensor.floats([1, 2, 3], shape: [3])
    let copy = tensor
    #expect(copy.content.unsafeBaseAddress == tensor.content.unsafeBaseAddress)
    #expect(copy == tensor)
  }
}
