// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC
import Dispatch
import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Decodes binary GraphDefs with protobuf-c and converts them to the Swift IR.
///
/// Tensor bytes are not copied: protobuf-c `malloc`s each `tensor_content` while
/// unpacking, and the IR adopts that block (the C field is cleared so that
/// `free_unpacked` leaves it alone). Peak memory is then the input plus one copy of the
/// weights, not two.
enum BinaryDecoder {
  /// Decodes `bytes` as a binary GraphDef.
  ///
  /// - Throws: `GraphDecodingError` with the byte offset and field path of the first
  ///   malformed field when protobuf-c rejects the input.
  static func decode(_ bytes: UnsafeRawBufferPointer) throws(GraphDecodingError) -> Graph {
    try decode(bytes, borrowingFrom: nil)
  }

  /// Decodes `bytes`; when `owner` keeps them alive and unchanged, large tensors borrow
  /// their content from `bytes` instead of copying it (see `TensorSplicer`).
  static func decode(_ bytes: UnsafeRawBufferPointer, borrowingFrom owner: AnyObject?) throws(GraphDecodingError)
    -> Graph
  {
    // protobuf-c unpacks nested messages recursively without a depth limit, so a small
    // hostile file of deeply nested attr values would overflow the stack. The scanner
    // checks structure and depth first (it skips over tensor payloads, so it costs a few
    // milliseconds even on large graphs) and reports the exact spot of any problem.
    if let error = WireScanner.locateError(in: bytes) { throw error }
    if let owner, let base = bytes.baseAddress, let splicer = TensorSplicer.extract(from: bytes),
      let graph = decodeSpliced(splicer, bytes, borrowing: Borrow(base: base, payloads: splicer.payloads, owner: owner))
    {
      return graph
    }
    // On any failure, decode the original bytes: that path reports the exact error.
    let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    guard
      let message = graph_transforms__wire__graph_def__unpack(nil, bytes.count, base)
    else {
      throw WireScanner.locateError(in: bytes)
        ?? GraphDecodingError(reason: "not a valid binary GraphDef")
    }
    defer { graph_transforms__wire__graph_def__free_unpacked(message, nil) }
    return try convertGraph(message)
  }

  /// Decodes the GraphDef's other fields, then its nodes one by one, in parallel parts;
  /// nil on any failure.
  ///
  /// Each NodeDef decodes on its own as it would inside the GraphDef (repeated message
  /// fields never merge), so the result is the one `convertGraph` gives for the whole.
  /// Reading is a fixed cost of every run; split over two cores it takes 40% less time.
  static func decodeSpliced(_ splicer: TensorSplicer, _ bytes: UnsafeRawBufferPointer, borrowing borrow: Borrow)
    -> Graph?
  {
    guard
      var graph = splicer.graphFields.withUnsafeBufferPointer({ fields -> Graph? in
        guard let message = graph_transforms__wire__graph_def__unpack(nil, fields.count, fields.baseAddress)
        else { return nil }
        defer { graph_transforms__wire__graph_def__free_unpacked(message, nil) }
        return try? convertGraph(message)
      }), graph.nodes.isEmpty
    else { return nil }
    let count = splicer.nodes.count
    let nodes = UnsafeMutableBufferPointer<Node?>.allocate(capacity: count)
    nodes.initialize(repeating: nil)
    defer {
      nodes.deinitialize()
      nodes.deallocate()
    }
    let parts = count >= 512 ? min(coreCount, 8) : 1
    let context = SplicedContext(splicer: splicer, bytes: bytes, borrow: borrow, nodes: nodes, parts: parts)
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      let range = (count * part / parts)..<(count * (part + 1) / parts)
      context.succeeded[part] = context.decodeNodes(range)
    }
    guard context.succeeded.allSatisfy({ $0 }), let first = nodes.baseAddress else { return nil }
    graph.nodes.reserveCapacity(count)
    for slot in first..<(first + count) {
      // Moved, not copied: a copy retains each of the node's fields (and the slot's
      // release undoes it), a millisecond of reading DenseNet-121.
      guard let node = slot.move() else { preconditionFailure("every part succeeded") }
      slot.initialize(to: nil)
      graph.nodes.append(node)
    }
    return graph
  }

  /// What the parts of `decodeSpliced` share. Each part writes only its own slots of
  /// `nodes`, and reads the rest, which nothing changes meanwhile.
  private final class SplicedContext: @unchecked Sendable {
    let splicer: TensorSplicer
    let bytes: UnsafeRawBufferPointer
    let borrow: Borrow
    let nodes: UnsafeMutableBufferPointer<Node?>
    /// Whether each part decoded all its nodes; set by that part.
    let succeeded: UnsafeMutableBufferPointer<Bool>

    init(
      splicer: TensorSplicer, bytes: UnsafeRawBufferPointer, borrow: Borrow, nodes: UnsafeMutableBufferPointer<Node?>,
      parts: Int
    ) {
      self.splicer = splicer
      self.bytes = bytes
      self.borrow = borrow
      self.nodes = nodes
      succeeded = .allocate(capacity: parts)
      succeeded.initialize(repeating: false)
    }

    deinit { succeeded.deallocate() }

    /// Decodes the nodes in `range`; false, with the failing node's slot left nil, when
    /// one fails to decode.
    func decodeNodes(_ range: Range<Int>) -> Bool {
      splicer.rebuilt.withUnsafeBytes { rebuilt in
        for index in range {
          let source: UnsafeRawBufferPointer
          switch splicer.nodes[index] {
          case .original(let bytesRange): source = UnsafeRawBufferPointer(rebasing: bytes[bytesRange])
          case .rebuilt(let rebuiltRange, _): source = UnsafeRawBufferPointer(rebasing: rebuilt[rebuiltRange])
          }
          guard
            let message = graph_transforms__wire__node_def__unpack(
              nil, source.count, source.baseAddress?.assumingMemoryBound(to: UInt8.self))
          else { return false }
          defer { graph_transforms__wire__node_def__free_unpacked(message, nil) }
          guard var node = try? convertNode(message, index: index, borrowing: borrow) else { return false }
          let original = splicer.nodes[index].original
          node.source = NodeSource(
            borrowing: borrow.base + original.lowerBound, count: original.count, owner: borrow.owner)
          nodes[index] = node
        }
        return true
      }
    }
  }

  /// Tensor payloads that stay in the input buffer.
  struct Borrow {
    let base: UnsafeRawPointer
    let payloads: [TensorSplicer.Key: Range<Int>]
    let owner: AnyObject
  }

  static func convertGraph(
    _ message: UnsafeMutablePointer<GraphTransforms__Wire__GraphDef>
  ) throws(GraphDecodingError) -> Graph {
    var graph = Graph()
    let count = message.pointee.n_node
    graph.nodes.reserveCapacity(count)
    for index in 0..<count {
      guard let node = message.pointee.node[index] else { continue }
      graph.nodes.append(try convertNode(node, index: index, borrowing: nil))
    }
    if let versions = message.pointee.versions {
      graph.versions = VersionDef(
        producer: versions.pointee.producer, minConsumer: versions.pointee.min_consumer,
        badConsumers: array(versions.pointee.bad_consumers, versions.pointee.n_bad_consumers))
    }
    if message.pointee.has_version != 0 { graph.deprecatedVersion = message.pointee.version }
    if message.pointee.has_library != 0 { graph.library = adopt(&message.pointee.library) }
    if message.pointee.has_debug_info != 0 {
      graph.debugInfo = adopt(&message.pointee.debug_info)
    }
    graph.unknownFields = unknownFields(of: &message.pointee.base)
    return graph
  }

  static func convertNode(
    _ message: UnsafeMutablePointer<GraphTransforms__Wire__NodeDef>, index: Int, borrowing borrow: Borrow?
  ) throws(GraphDecodingError) -> Node {
    // Error paths are spelled out only when something is wrong: building them for every
    // field took a fifth of the time spent reading a graph.
    func path() -> String { "node[\(index)]" }
    let name = try string(message.pointee.name, path: path() + ".name")
    let op = try string(message.pointee.op, path: path() + ".op")
    var inputs: [InputRef] = []
    inputs.reserveCapacity(message.pointee.n_input)
    for i in 0..<message.pointee.n_input {
      inputs.append(InputRef(parsing: try string(message.pointee.input[i], path: "\(path()).input[\(i)]")))
    }
    let device = try string(message.pointee.device, path: path() + ".device")
    var attrs: [(String, AttrValue)] = []
    attrs.reserveCapacity(message.pointee.n_attr)
    for i in 0..<message.pointee.n_attr {
      guard let entry = message.pointee.attr[i] else { continue }
      let key = try string(entry.pointee.key, path: "\(path()).attr[\(i)].key")
      func attrPath() -> String { "\(path()) ('\(name)').attr[\"\(key)\"]" }
      var value = try convertAttr(entry.pointee.value, path: attrPath())
      if let borrow, let payload = borrow.payloads[TensorSplicer.Key(node: index, attr: i)],
        case .tensor(var tensor) = value
      {
        tensor.content = SharedBytes(
          borrowing: borrow.base + payload.lowerBound, count: payload.count, owner: borrow.owner)
        try check(tensor, path: attrPath() + ".tensor")
        value = .tensor(tensor)
      }
      attrs.append((key, value))
    }
    var node = Node(name: name, op: op, inputs: inputs, device: device, attrs: AttrMap(attrs))
    if message.pointee.has_experimental_debug_info != 0 {
      node.experimentalDebugInfo = adopt(&message.pointee.experimental_debug_info)
    }
    if message.pointee.has_experimental_type != 0 {
      node.experimentalType = adopt(&message.pointee.experimental_type)
    }
    node.unknownFields = unknownFields(of: &message.pointee.base)
    return node
  }

  static func convertAttr(
    _ message: UnsafeMutablePointer<Tensorflow__AttrValue>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> AttrValue {
    guard let message else { return .unset }
    let value = message.pointee
    switch value.value_case {
    case TENSORFLOW__ATTR_VALUE__VALUE_S: return .s(bytes(value.s))
    case TENSORFLOW__ATTR_VALUE__VALUE_I: return .i(value.i)
    case TENSORFLOW__ATTR_VALUE__VALUE_F: return .f(value.f)
    case TENSORFLOW__ATTR_VALUE__VALUE_B: return .b(value.b != 0)
    case TENSORFLOW__ATTR_VALUE__VALUE_TYPE: return .type(dataType(value.type))
    case TENSORFLOW__ATTR_VALUE__VALUE_SHAPE:
      return .shape(try checkedPartialShape(value.shape, path: path() + ".shape"))
    case TENSORFLOW__ATTR_VALUE__VALUE_TENSOR:
      return .tensor(try convertTensor(value.tensor, path: path() + ".tensor"))
    case TENSORFLOW__ATTR_VALUE__VALUE_LIST:
      return .list(try convertList(value.list, path: path() + ".list"))
    case TENSORFLOW__ATTR_VALUE__VALUE_FUNC:
      return .function(try convertNameAttrList(value.func, path: path() + ".func"))
    case TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER:
      return .placeholder(try string(value.placeholder, path: path() + ".placeholder"))
    default: return .unset
    }
  }

  static func convertList(
    _ message: UnsafeMutablePointer<Tensorflow__AttrValue__ListValue>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> AttrList {
    guard let list = message?.pointee else { return AttrList() }
    var result = AttrList()
    result.s = (0..<list.n_s).map { bytes(list.s[$0]) }
    result.i = array(list.i, list.n_i)
    result.f = array(list.f, list.n_f)
    result.b = (0..<list.n_b).map { list.b[$0] != 0 }
    result.type = (0..<list.n_type).map { dataType(list.type[$0]) }
    for i in 0..<list.n_shape {
      result.shape.append(try checkedPartialShape(list.shape[i], path: "\(path()).shape[\(i)]"))
    }
    for i in 0..<list.n_tensor {
      result.tensor.append(try convertTensor(list.tensor[i], path: "\(path()).tensor[\(i)]"))
    }
    for i in 0..<list.n_func {
      result.function.append(try convertNameAttrList(list.func[i], path: "\(path()).func[\(i)]"))
    }
    return result
  }

  static func convertNameAttrList(
    _ message: UnsafeMutablePointer<Tensorflow__NameAttrList>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> NameAttrList {
    guard let message else { return NameAttrList(name: "") }
    var attrs: [(String, AttrValue)] = []
    for i in 0..<message.pointee.n_attr {
      guard let entry = message.pointee.attr[i] else { continue }
      let key = try string(entry.pointee.key, path: "\(path()).attr[\(i)].key")
      attrs.append((key, try convertAttr(entry.pointee.value, path: "\(path()).attr[\"\(key)\"]")))
    }
    return NameAttrList(
      name: try string(message.pointee.name, path: path() + ".name"), attrs: AttrMap(attrs))
  }

  static func convertShape(
    _ message: UnsafeMutablePointer<Tensorflow__TensorShapeProto>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> TensorShape? {
    guard let shape = message?.pointee else { return nil }
    var dims: [TensorShape.Dim] = []
    dims.reserveCapacity(shape.n_dim)
    for i in 0..<shape.n_dim {
      guard let dim = shape.dim[i]?.pointee else { continue }
      dims.append(
        TensorShape.Dim(size: dim.size, name: try string(dim.name, path: "\(path()).dim[\(i)].name")))
    }
    return TensorShape(dims: dims, unknownRank: shape.unknown_rank != 0)
  }

  static func convertTensor(
    _ message: UnsafeMutablePointer<Tensorflow__TensorProto>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> Tensor {
    guard let message else { return Tensor(dtype: .invalid, shape: nil) }
    var tensor = Tensor(
      dtype: dataType(message.pointee.dtype),
      shape: try convertShape(message.pointee.tensor_shape, path: path() + ".tensor_shape"))
    let t = message.pointee
    tensor.versionNumber = t.version_number
    tensor.content = adopt(&message.pointee.tensor_content)
    tensor.halfVal = array(t.half_val, t.n_half_val)
    tensor.floatVal = array(t.float_val, t.n_float_val)
    tensor.doubleVal = array(t.double_val, t.n_double_val)
    tensor.intVal = array(t.int_val, t.n_int_val)
    tensor.stringVal = (0..<t.n_string_val).map { bytes(t.string_val[$0]) }
    tensor.scomplexVal = array(t.scomplex_val, t.n_scomplex_val)
    tensor.int64Val = array(t.int64_val, t.n_int64_val)
    tensor.boolVal = (0..<t.n_bool_val).map { t.bool_val[$0] != 0 }
    tensor.dcomplexVal = array(t.dcomplex_val, t.n_dcomplex_val)
    tensor.resourceHandleVal = (0..<t.n_resource_handle_val).map {
      packed(UnsafeRawPointer(t.resource_handle_val[$0]))
    }
    tensor.variantVal = (0..<t.n_variant_val).map { packed(UnsafeRawPointer(t.variant_val[$0])) }
    tensor.uint32Val = array(t.uint32_val, t.n_uint32_val)
    tensor.uint64Val = array(t.uint64_val, t.n_uint64_val)
    tensor.float8Val = adopt(&message.pointee.float8_val)
    try check(tensor, path: path())
    return tensor
  }

  /// Rejects a tensor whose shape, dtype and stored values disagree (`Tensor.validate`).
  static func check(_ tensor: Tensor, path: @autoclosure () -> String) throws(GraphDecodingError) {
    do {
      try tensor.validate()
    } catch {
      throw GraphDecodingError(reason: error.description, fieldPath: path())
    }
  }

  /// A shape attribute: partial shapes are allowed, so a size may be -1 (unknown) but no
  /// smaller, as in TensorFlow's `PartialTensorShape::IsValid`.
  static func checkedPartialShape(
    _ message: UnsafeMutablePointer<Tensorflow__TensorShapeProto>?, path: @autoclosure () -> String
  ) throws(GraphDecodingError) -> TensorShape {
    let shape = try convertShape(message, path: path()) ?? .scalar
    if let (index, dim) = shape.dims.enumerated().first(where: { $0.element.size < -1 }) {
      throw GraphDecodingError(
        reason: "shape has dimension \(index) of size \(dim.size); sizes must be 0 or more, or -1 for unknown",
        fieldPath: path())
    }
    if shape.unknownRank && !shape.dims.isEmpty {
      throw GraphDecodingError(
        reason: "shape has unknown rank but lists \(shape.dims.count) dimensions", fieldPath: path())
    }
    return shape
  }

  // MARK: - Leaves

  /// Takes over a `bytes` field's allocation; the C field is emptied so that
  /// `free_unpacked` does not free it too.
  static func adopt(_ field: inout ProtobufCBinaryData) -> SharedBytes {
    guard field.len > 0, let data = field.data else { return .empty }
    let result = SharedBytes(adoptingMallocBlock: UnsafeMutableRawPointer(data), count: field.len)
    field.data = nil
    field.len = 0
    return result
  }

  static func bytes(_ field: ProtobufCBinaryData) -> [UInt8] {
    guard field.len > 0, let data = field.data else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: field.len))
  }

  static func array<T>(_ pointer: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
    guard let pointer, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: count))
  }

  static func string(_ pointer: UnsafeMutablePointer<CChar>?, path: @autoclosure () -> String)
    throws(GraphDecodingError)
    -> String
  {
    guard let pointer else { return "" }
    guard let text = String(validatingCString: pointer) else {
      throw GraphDecodingError(reason: "string is not valid UTF-8", fieldPath: path())
    }
    return text
  }

  static func dataType<E: RawRepresentable>(_ value: E) -> DataType where E.RawValue: BinaryInteger {
    DataType(rawValue: Int32(truncatingIfNeeded: value.rawValue))
  }

  /// Re-encodes a decoded sub-message the IR carries as bytes.
  static func packed(_ message: UnsafeRawPointer?) -> SharedBytes {
    guard let message else { return .empty }
    let pointer = message.assumingMemoryBound(to: ProtobufCMessage.self)
    let size = protobuf_c_message_get_packed_size(pointer)
    return SharedBytes(count: size) { buffer in
      _ = protobuf_c_message_pack(pointer, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }
  }

  static func unknownFields(of message: inout ProtobufCMessage) -> [UnknownField] {
    guard message.n_unknown_fields > 0, let fields = message.unknown_fields else { return [] }
    return (0..<Int(message.n_unknown_fields)).map { i in
      let field = fields[i]
      let data = field.len > 0 ? SharedBytes(UnsafeBufferPointer(start: field.data, count: field.len)) : .empty
      return UnknownField(
        number: field.tag, wireType: UInt8(truncatingIfNeeded: field.wire_type.rawValue), data: data)
    }
  }
}
