// SPDX-License-Identifier: Apache-2.0

public import GraphIR

extension DenseTensor {
  /// Expands a wire-form tensor: either storage form, TensorFlow's fill rule for short
  /// lists, and the narrow integer types widened in `int_val`.
  ///
  /// - Throws: `EvalError.unsupportedType` for dtypes the evaluator does not hold, and
  ///   `EvalError.invalidArgument` when the tensor's parts disagree.
  public init(_ tensor: Tensor) throws(EvalError) {
    do {
      try tensor.validate()
    } catch {
      throw .invalidArgument(error.description)
    }
    guard TensorStorage.elementType(for: tensor.dtype) != nil else { throw .unsupportedType(tensor.dtype) }
    let count: Int
    do {
      count = try tensor.checkedElementCount()
    } catch {
      throw .invalidArgument(error.description)
    }
    let shape = tensor.shape.sizes.map { Int($0) }
    let dtype = tensor.dtype.base
    let raw = tensor.content.isEmpty ? nil : tensor.content
    func make<T: TensorElement>(_ values: [T]) throws(EvalError) -> DenseTensor {
      try DenseTensor(values, shape: shape, dtype: dtype)
    }
    func narrow<T: FixedWidthInteger & TensorElement>(_ type: T.Type) throws(EvalError) -> DenseTensor {
      if let raw { return try make(Self.load(raw, count: count, as: T.self)) }
      return try make(try Self.filled(tensor.intVal, count: count).map { T(truncatingIfNeeded: $0) })
    }
    func stored<T: TensorElement>(_ list: [T]) throws(EvalError) -> DenseTensor {
      if let raw { return try make(Self.load(raw, count: count, as: T.self)) }
      return try make(try Self.filled(list, count: count))
    }
    switch dtype {
    case .string: self = try make(try Self.filled(tensor.stringVal, count: count))
    case .bool:
      if let raw {
        self = try make(raw.withUnsafeBytes { bytes in (0..<count).map { bytes[$0] != 0 } })
      } else {
        self = try make(try Self.filled(tensor.boolVal, count: count))
      }
    case .float: self = try stored(tensor.floatVal)
    case .double:
      self = try stored(tensor.doubleVal)
    case .int64: self = try stored(tensor.int64Val)
    case .uint32:
      self = try stored(tensor.uint32Val)
    case .uint64:
      self = try stored(tensor.uint64Val)
    case .int32, .qint32: self = try narrow(Int32.self)
    case .int8, .qint8: self = try narrow(Int8.self)
    case .int16, .qint16: self = try narrow(Int16.self)
    case .uint8, .quint8: self = try narrow(UInt8.self)
    case .uint16, .quint16: self = try narrow(UInt16.self)
    default: throw .unsupportedType(tensor.dtype)
    }
  }

  /// Little-endian element bytes; `validate()` has checked the byte count.
  private static func load<T: TensorElement>(_ bytes: SharedBytes, count: Int, as type: T.Type = T.self) -> [T] {
    bytes.withUnsafeBytes { raw -> [T] in
      [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: raw[0..<(count * MemoryLayout<T>.stride)]))
        initialized = count
      }
    }
  }

  /// TensorFlow reads the first `count` values of a longer list.
  private static func filled<T: TensorElement>(_ values: [T], count: Int) throws(EvalError) -> [T] {
    if values.count >= count { return values.count == count ? values : Array(values.prefix(count)) }
    do {
      return try Tensor.filled(values, count: count, zero: T.zero)
    } catch {
      throw .tooLarge(error.description)
    }
  }

  /// The wire form TensorFlow's folding writes: `tensor_content` for every type that has
  /// one, `string_val` for strings.
  public var tensor: Tensor {
    let shape = TensorShape(self.shape.map(Int64.init))
    switch storage {
    case .string(let values):
      var tensor = Tensor(dtype: dtype, shape: shape)
      tensor.stringVal = values
      return tensor
    case .bool(let values):
      return Tensor(dtype: dtype, shape: shape, content: SharedBytes(values.map { $0 ? 1 : 0 }))
    case .float(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .double(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .int8(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .int16(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .int32(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .int64(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .uint8(let v): return Tensor(dtype: dtype, shape: shape, content: SharedBytes(v))
    case .uint16(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .uint32(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    case .uint64(let v): return Tensor(dtype: dtype, shape: shape, content: v.withUnsafeBytes { SharedBytes($0) })
    }
  }
}
