// SPDX-License-Identifier: Apache-2.0

/// A tensor value (`TensorProto`), field for field, so that decoding and re-encoding an
/// untouched tensor reproduces its bytes.
///
/// TensorFlow stores a tensor either as raw little-endian bytes in `content`
/// (`tensor_content`) or as one typed value list (`floatVal`, `intVal`, …), where a list
/// shorter than the element count repeats its last value. The accessors below read
/// either form; transforms that write tensors use `content`, as TensorFlow's do.
public struct Tensor: Sendable, Hashable {
  /// The element type (`dtype`); it decides which typed list holds the values.
  public var dtype: DataType
  /// The `tensor_shape` field; nil when absent on the wire (read as a scalar).
  public var tensorShape: TensorShape?
  /// `version_number`, a serialization version TensorFlow no longer reads; carried through.
  public var versionNumber: Int32 = 0
  /// `tensor_content`: raw little-endian, row-major element bytes.
  public var content: SharedBytes = .empty
  /// 16-bit patterns of half and bfloat16 values.
  public var halfVal: [Int32] = []
  /// `float_val`: the values of a float tensor.
  public var floatVal: [Float] = []
  /// `double_val`: the values of a double tensor.
  public var doubleVal: [Double] = []
  /// int32 and the narrower integer and quantized types.
  public var intVal: [Int32] = []
  /// `string_val`: the elements of a string tensor, as bytes. String tensors have no
  /// `tensor_content` form, so this is their only storage.
  public var stringVal: [[UInt8]] = []
  /// `scomplex_val`: complex64 values as interleaved real and imaginary parts.
  public var scomplexVal: [Float] = []
  /// `int64_val`: the values of an int64 tensor.
  public var int64Val: [Int64] = []
  /// `bool_val`: the values of a bool tensor.
  public var boolVal: [Bool] = []
  /// `dcomplex_val`: complex128 values as interleaved real and imaginary parts.
  public var dcomplexVal: [Double] = []
  /// Each element is one encoded `ResourceHandleProto`, carried through untouched.
  public var resourceHandleVal: [SharedBytes] = []
  /// Each element is one encoded `VariantTensorDataProto`, carried through untouched.
  public var variantVal: [SharedBytes] = []
  /// `uint32_val`: the values of a uint32 tensor.
  public var uint32Val: [UInt32] = []
  /// `uint64_val`: the values of a uint64 tensor.
  public var uint64Val: [UInt64] = []
  /// `float8_val`: the values of the float8 types, one byte per element (a `bytes` field).
  public var float8Val: SharedBytes = .empty

  /// A tensor with no values.
  public init(dtype: DataType, shape: TensorShape?) {
    self.dtype = dtype
    self.tensorShape = shape
  }

  /// A tensor stored as raw bytes, the form TensorFlow's transforms write.
  public init(dtype: DataType, shape: TensorShape, content: SharedBytes) {
    self.dtype = dtype
    self.tensorShape = shape
    self.content = content
  }

  /// A float32 tensor stored as raw bytes.
  public static func floats(_ values: [Float], shape: [Int64]) -> Tensor {
    let bytes = values.withUnsafeBytes { SharedBytes($0) }
    return Tensor(dtype: .float, shape: TensorShape(shape), content: bytes)
  }

  /// An int32 tensor stored as raw bytes.
  public static func int32s(_ values: [Int32], shape: [Int64]) -> Tensor {
    let bytes = values.withUnsafeBytes { SharedBytes($0) }
    return Tensor(dtype: .int32, shape: TensorShape(shape), content: bytes)
  }

  /// The shape, reading an absent field as a scalar.
  public var shape: TensorShape {
    get { tensorShape ?? .scalar }
    set { tensorShape = newValue }
  }

  /// The number of elements, or nil when the shape is partial or overflows.
  public var elementCount: Int64? { shape.elementCount }

  /// The number of values stored in the typed list that `dtype` uses.
  var typedValueCount: Int {
    switch dtype.base {
    case .float: return floatVal.count
    case .double: return doubleVal.count
    case .int64: return int64Val.count
    case .bool: return boolVal.count
    case .string: return stringVal.count
    case .half, .bfloat16: return halfVal.count
    case .complex64: return scomplexVal.count / 2
    case .complex128: return dcomplexVal.count / 2
    case .uint32: return uint32Val.count
    case .uint64: return uint64Val.count
    case .resource: return resourceHandleVal.count
    case .variant: return variantVal.count
    default: return intVal.count
    }
  }

  /// The values of a float tensor in row-major order, from either storage form.
  ///
  /// - Throws: `TensorError` when the dtype is not float, the shape is partial, or the
  ///   stored bytes disagree with the shape.
  public func floatValues() throws(TensorError) -> [Float] {
    guard dtype == .float else { throw .wrongType(expected: .float, found: dtype) }
    let count = try checkedElementCount()
    if !content.isEmpty {
      guard content.count == count * 4 else {
        throw .contentSize(expected: count * 4, found: content.count)
      }
      return content.withUnsafeBytes { raw in
        (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
      }
    }
    return try Self.filled(floatVal, count: count, zero: 0)
  }

  /// The values of an int32 tensor in row-major order, from either storage form.
  public func int32Values() throws(TensorError) -> [Int32] {
    guard dtype == .int32 else { throw .wrongType(expected: .int32, found: dtype) }
    let count = try checkedElementCount()
    if !content.isEmpty {
      guard content.count == count * 4 else {
        throw .contentSize(expected: count * 4, found: content.count)
      }
      return content.withUnsafeBytes { raw in
        (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
      }
    }
    return try Self.filled(intVal, count: count, zero: 0)
  }

  /// The element count as an `Int`, rejecting partial shapes and absurd sizes.
  public func checkedElementCount() throws(TensorError) -> Int {
    guard let count = elementCount, count <= Int64(Int32.max) * 16 else {
      throw .badShape(shape)
    }
    return Int(count)
  }

  /// The most elements a typed value list is expanded to (TensorFlow's fill rule): 2^28,
  /// a gigabyte of floats. A tensor stored as `tensor_content` is bounded by the file's
  /// own size instead; a short value list is not, so a few bytes could otherwise ask for
  /// terabytes.
  public static let maximumExpandedElements = 1 << 28

  /// Checks what the file declares against itself, as TensorFlow's `Tensor::FromProto`
  /// does before any kernel reads a tensor: the shape is fully defined, its element count
  /// does not overflow, a dtype that has data is known, `tensor_content` has exactly
  /// count × element-size bytes, and the values sit in the list the dtype reads. Decoders call it on every tensor, so transforms
  /// never see a tensor whose parts disagree.
  public func validate() throws(TensorError) {
    let shape = self.shape
    if shape.unknownRank { throw .badShape(shape) }
    for (index, dim) in shape.dims.enumerated() where dim.size < 0 {
      throw .negativeDim(index: index, size: dim.size)
    }
    guard let count = shape.elementCount else { throw .elementCountOverflow(shape) }
    // Checked field by field first: naming the lists costs string matching, and most
    // tensors (all with `tensor_content`) have none filled.
    let anyList =
      !(halfVal.isEmpty && floatVal.isEmpty && doubleVal.isEmpty && intVal.isEmpty && stringVal.isEmpty
      && scomplexVal.isEmpty && int64Val.isEmpty && boolVal.isEmpty && dcomplexVal.isEmpty
      && resourceHandleVal.isEmpty && variantVal.isEmpty && uint32Val.isEmpty && uint64Val.isEmpty
      && float8Val.isEmpty)
    let filledLists = anyList ? Self.listNames.filter { listCount($0) > 0 } : []
    let hasData = !content.isEmpty || anyList
    guard hasData else { return }
    guard dtype != .invalid, dtype.enumName != nil, !dtype.isReference else { throw .unknownType(dtype) }
    if !content.isEmpty {
      guard let size = dtype.byteSize else { return }  // strings and sub-byte types pack differently
      let (needed, overflow) = count.multipliedReportingOverflow(by: Int64(size))
      guard !overflow, needed == Int64(content.count) else {
        throw .contentSize(expected: overflow ? Int.max : Int(needed), found: content.count)
      }
      return
    }
    guard let own = Self.listName(for: dtype) else { return }
    if let stray = filledLists.first(where: { $0 != own }) {
      throw .valuesInWrongField(dtype: dtype, field: stray)
    }
    // TF parity: a list longer than the shape is not an error; TensorFlow reads its first
    // `count` values.
  }

  /// The proto names of the typed value lists.
  static let listNames = [
    "half_val", "float_val", "double_val", "int_val", "string_val", "scomplex_val", "int64_val", "bool_val",
    "dcomplex_val", "resource_handle_val", "variant_val", "uint32_val", "uint64_val", "float8_val",
  ]

  /// How many entries the typed list `name` holds.
  func listCount(_ name: String) -> Int {
    switch name {
    case "half_val": return halfVal.count
    case "float_val": return floatVal.count
    case "double_val": return doubleVal.count
    case "int_val": return intVal.count
    case "string_val": return stringVal.count
    case "scomplex_val": return scomplexVal.count
    case "int64_val": return int64Val.count
    case "bool_val": return boolVal.count
    case "dcomplex_val": return dcomplexVal.count
    case "resource_handle_val": return resourceHandleVal.count
    case "variant_val": return variantVal.count
    case "uint32_val": return uint32Val.count
    case "uint64_val": return uint64Val.count
    case "float8_val": return float8Val.count
    default: return 0
    }
  }

  /// The typed list TensorFlow reads for `dtype`, for the types where that is certain.
  static func listName(for dtype: DataType) -> String? {
    switch dtype.base {
    case .float: return "float_val"
    case .double: return "double_val"
    case .int32, .uint8, .int16, .int8, .qint8, .quint8, .qint32, .qint16, .quint16, .uint16: return "int_val"
    case .string: return "string_val"
    case .complex64: return "scomplex_val"
    case .int64: return "int64_val"
    case .bool: return "bool_val"
    case .half, .bfloat16: return "half_val"
    case .complex128: return "dcomplex_val"
    case .resource: return "resource_handle_val"
    case .variant: return "variant_val"
    case .uint32: return "uint32_val"
    case .uint64: return "uint64_val"
    default: return nil
    }
  }

  /// TensorFlow's fill rule for typed lists: an empty list means zeros, and a shorter list
  /// repeats its last value.
  public static func filled<T>(_ values: [T], count: Int, zero: T) throws(TensorError) -> [T] {
    if values.count == count { return values }
    guard values.count < count else {
      throw .tooManyValues(expected: count, found: values.count)
    }
    guard count <= maximumExpandedElements else {
      throw .tooLargeToExpand(count: count, limit: maximumExpandedElements)
    }
    guard let last = values.last else { return Array(repeating: zero, count: count) }
    return values + Array(repeating: last, count: count - values.count)
  }
}

/// Why a tensor's values could not be read.
public enum TensorError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The tensor's dtype is `found`, but the reader needs `expected`.
  case wrongType(expected: DataType, found: DataType)
  /// The shape is partial, or its element count is too large to materialise.
  case badShape(TensorShape)
  /// `tensor_content` holds `found` bytes where the shape and dtype need `expected`.
  case contentSize(expected: Int, found: Int)
  /// The typed value list holds `found` values, more than the shape's `expected` elements.
  case tooManyValues(expected: Int, found: Int)
  /// Dimension `index` of the shape is negative, which only a partial shape may be.
  case negativeDim(index: Int, size: Int64)
  /// The product of the dimensions does not fit in 64 bits.
  case elementCountOverflow(TensorShape)
  /// The dtype is not one this tool knows (or is invalid), yet the tensor holds data.
  case unknownType(DataType)
  /// The values sit in `field`, which `dtype` does not read (TensorFlow would read zeros).
  case valuesInWrongField(dtype: DataType, field: String)
  /// A short value list would expand to `count` elements, more than `limit`.
  case tooLargeToExpand(count: Int, limit: Int)

  /// A one-line message for the user, with the sizes or types that disagree.
  public var description: String {
    switch self {
    case .wrongType(let expected, let found):
      return "tensor has dtype '\(found)', expected '\(expected)'"
    case .badShape(let shape):
      return "tensor shape \(shape) is not a fully defined, reasonably sized shape"
    case .contentSize(let expected, let found):
      return "tensor_content holds \(found) bytes, but the shape needs \(expected)"
    case .tooManyValues(let expected, let found):
      return "tensor holds \(found) values, but the shape has \(expected) elements"
    case .negativeDim(let index, let size):
      return "tensor shape has dimension \(index) of size \(size); tensor sizes must be 0 or more"
    case .elementCountOverflow(let shape):
      return "tensor shape \(shape) has more elements than fit in 64 bits"
    case .unknownType(let dtype):
      return "tensor has unknown dtype \(dtype.rawValue) ('\(dtype)') but holds data"
    case .valuesInWrongField(let dtype, let field):
      return "tensor of dtype '\(dtype)' stores its values in '\(field)', which that dtype does not read"
    case .tooLargeToExpand(let count, let limit):
      return "tensor's value list would expand to \(count) elements; this tool expands at most \(limit)"
    }
  }
}
