// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC
import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Encodes the IR as a binary GraphDef through protobuf-c.
///
/// The IR is mirrored into C structs whose `bytes` fields point straight at the IR's
/// shared tensor storage (no copy), one node at a time, and packed into a `ByteSink`.
///
/// The GraphDef's repeated `node` field is framed here (tag, length, packed NodeDef, as
/// protobuf-c would frame it) so that each node is built in the same few arena blocks and
/// packed by one `protobuf_c_message_pack` straight into the sink's buffer. Packing the
/// whole GraphDef through protobuf-c's callback interface instead cost a callback per
/// field piece and a C allocation per string: three quarters of a `quantize_weights` run
/// on a 2,000-node graph went into encoding (once for the size report, once to write).
/// The remaining GraphDef fields all have higher numbers than `node`, so packing them
/// after the nodes gives protobuf-c's own byte order.
enum BinaryEncoder {
  /// Packs `graph` into `sink`.
  static func encode(_ graph: Graph, into sink: ByteSink) {
    let arena = Arena()
    defer { sink.pending = [:] }
    // Nodes are read in place: binding each to a variable copied it, a retain of each of
    // its fields, a cache miss on most; a millisecond of writing DenseNet-121.
    graph.nodes.withUnsafeBufferPointer { nodes in
      guard let first = nodes.baseAddress else { return }
      for index in nodes.indices {
        let node = first + index
        // A node unchanged since it was read is written as it was read. (`graph` keeps
        // the bytes alive.)
        if let bytes = node.pointee.unchangedSourceBytes {
          sink.appendFieldHeader(number: 1, length: bytes.count)
          sink.append(bytes)
          continue
        }
        arena.reset()
        let message = arena.node(node.pointee)
        message.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { message in
          let size = protobuf_c_message_get_packed_size(message)
          sink.appendFieldHeader(number: 1, length: size)
          if sink.countsOnly || (arena.pending.isEmpty && sink.canPackInPlace(size)) {
            sink.packInPlace(size) { protobuf_c_message_pack(message, $0) }
          } else {
            sink.pending = arena.pending
            pack(message, into: sink)
            sink.pending = [:]
          }
        }
      }
      arena.reset()
      let rest = arena.graphFields(graph)
      sink.pending = arena.pending
      rest.withMemoryRebound(to: ProtobufCMessage.self, capacity: 1) { pack($0, into: sink) }
      arena.reset()
    }
  }

  /// Packs `message` through protobuf-c's append callback: pending tensors (recognised by
  /// their token address) are produced into the sink, and large pieces written from where
  /// they are.
  private static func pack(_ message: UnsafePointer<ProtobufCMessage>, into sink: ByteSink) {
    let context = Unmanaged.passUnretained(sink).toOpaque()
    // A ProtobufCBuffer followed by the sink pointer; the callback finds one from the other.
    let size = MemoryLayout<ProtobufCBuffer>.stride + MemoryLayout<UnsafeMutableRawPointer>.size
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { raw.deallocate() }
    let buffer = raw.bindMemory(to: ProtobufCBuffer.self, capacity: 1)
    buffer.pointee.append = { buffer, length, data in
      guard let buffer, let data else { return }
      let slot = UnsafeMutableRawPointer(buffer) + MemoryLayout<ProtobufCBuffer>.stride
      let sink = Unmanaged<ByteSink>.fromOpaque(slot.load(as: UnsafeMutableRawPointer.self))
        .takeUnretainedValue()
      // A pending tensor's token address stands for its bytes, produced now.
      if let pending = sink.pending[UnsafeRawPointer(data)], pending.count == length {
        sink.append(pending)
      } else {
        sink.append(UnsafeRawBufferPointer(start: data, count: length))
      }
    }
    (raw + MemoryLayout<ProtobufCBuffer>.stride).storeBytes(of: context, as: UnsafeMutableRawPointer.self)
    _ = protobuf_c_message_pack_to_buffer(message, buffer)
  }

  /// The encoded bytes of `graph`, in memory.
  static func encode(_ graph: Graph) -> [UInt8] {
    let sink = ByteSink(fd: nil, keepInMemory: true)
    encode(graph, into: sink)
    return sink.bytes
  }
}

/// Owner of the C structs built for one node (or the GraphDef's other fields): a bump
/// allocator whose blocks are kept from one node to the next, so building a node costs
/// no `malloc` once the first few nodes have sized the blocks.
private final class Arena {
  // The arena is used by one thread, and none of its methods re-enter another, so the
  // runtime's exclusivity checks (one per allocation, 5% of encoding) guard nothing here.

  /// Blocks of `blockSize` bytes; `current` indexes the one being filled.
  @exclusivity(unchecked) private var blocks: [UnsafeMutableRawPointer] = []
  @exclusivity(unchecked) private var current = 0
  @exclusivity(unchecked) private var used = 0
  private let blockSize = 1 << 16
  /// Allocations too large for a block, freed on `reset`.
  @exclusivity(unchecked) private var large: [UnsafeMutableRawPointer] = []

  deinit {
    reset()
    for block in blocks { free(block) }
  }

  /// Forgets everything handed out since the last reset; the blocks are reused.
  func reset() {
    for block in large { free(block) }
    large.removeAll(keepingCapacity: true)
    for message in unpackedMessages { protobuf_c_message_free_unpacked(message, nil) }
    unpackedMessages.removeAll(keepingCapacity: true)
    pending.removeAll(keepingCapacity: true)
    current = 0
    used = 0
  }

  /// `byteCount` zeroed bytes aligned to 16, valid until `reset`.
  private func raw(_ byteCount: Int) -> UnsafeMutableRawPointer {
    let size = (max(byteCount, 1) + 15) & ~15
    if size > blockSize / 4 {
      // Sizes come from arrays already in memory, so only exhausted memory makes calloc
      // fail; trap then, as Swift's own allocator does.
      guard let block = calloc(size, 1) else {
        preconditionFailure("out of memory: cannot allocate \(size) bytes for encoding")
      }
      large.append(block)
      return block
    }
    if used + size > blockSize {
      current += 1
      used = 0
    }
    if current == blocks.count {
      guard let block = malloc(blockSize) else {
        preconditionFailure("out of memory: cannot allocate \(blockSize) bytes for encoding")
      }
      blocks.append(block)
    }
    let pointer = blocks[current] + used
    used += size
    pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    return pointer
  }

  /// Zeroed memory for `count` values of `T` (at least one), valid until `reset`.
  func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
    precondition(MemoryLayout<T>.alignment <= 16)
    return raw(max(count, 1) * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy, or nil for the empty string (proto3 omits it either way).
  func string(_ text: String) -> UnsafeMutablePointer<CChar>? {
    text.isEmpty ? nil : requiredString(text)
  }

  /// A NUL-terminated copy, even of the empty string: repeated elements, map keys and oneof
  /// members must be present, so protobuf-c cannot take NULL for them.
  func requiredString(_ text: String) -> UnsafeMutablePointer<CChar> {
    var text = text
    return text.withUTF8 { utf8 in
      // Zeroed, so the byte after the copy is the terminator.
      let copy = allocate(CChar.self, count: utf8.count + 1)
      if let base = utf8.baseAddress {
        UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: utf8.count)
      }
      return copy
    }
  }

  /// `input.description` as a C string, built in place: making the Swift string first
  /// cost an allocation per input.
  func inputString(_ input: InputRef) -> UnsafeMutablePointer<CChar> {
    var node = input.node
    return node.withUTF8 { utf8 in
      let control = input.port == nil ? 1 : 0
      let port = input.spelledPort
      var digits = 0
      if let port {
        var rest = port
        repeat {
          digits += 1
          rest /= 10
        } while rest > 0
      }
      let length = control + utf8.count + (port == nil ? 0 : 1 + digits)
      // Zeroed, so the byte after the text is the terminator.
      let copy = UnsafeMutableRawPointer(allocate(CChar.self, count: length + 1))
      if control == 1 { copy.storeBytes(of: UInt8(ascii: "^"), as: UInt8.self) }
      if let base = utf8.baseAddress { (copy + control).copyMemory(from: base, byteCount: utf8.count) }
      if var port = port {
        copy.storeBytes(of: UInt8(ascii: ":"), toByteOffset: length - digits - 1, as: UInt8.self)
        for offset in stride(from: length - 1, through: length - digits, by: -1) {
          copy.storeBytes(of: UInt8(ascii: "0") + UInt8(port % 10), toByteOffset: offset, as: UInt8.self)
          port /= 10
        }
      }
      return copy.assumingMemoryBound(to: CChar.self)
    }
  }

  /// A C array holding a copy of `values`, or nil when empty (protobuf-c's empty repeated field).
  func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
    guard !values.isEmpty else { return nil }
    let pointer = allocate(T.self, count: values.count)
    pointer.initialize(from: values, count: values.count)
    return pointer
  }

  /// Bytes computed on demand, by the token address that stands for them in the message.
  @exclusivity(unchecked) private(set) var pending: [UnsafeRawPointer: SharedBytes] = [:]

  /// Points at the shared storage without copying; the caller keeps the graph alive.
  /// Pending bytes get a unique token address instead, which the sink's append callback
  /// recognises and streams, so they are produced straight into the output.
  func binary(_ bytes: SharedBytes) -> ProtobufCBinaryData {
    if bytes.isPending {
      let token = allocate(UInt8.self)
      pending[UnsafeRawPointer(token)] = bytes
      return ProtobufCBinaryData(len: bytes.count, data: token)
    }
    return ProtobufCBinaryData(
      len: bytes.count,
      data: UnsafeMutablePointer(mutating: bytes.unsafeBaseAddress?.assumingMemoryBound(to: UInt8.self)))
  }

  func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
    guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
    return ProtobufCBinaryData(len: bytes.count, data: array(bytes))
  }

  /// The GraphDef without its nodes, which the encoder packs one by one before these.
  func graphFields(_ graph: Graph) -> UnsafeMutablePointer<GraphTransforms__Wire__GraphDef> {
    let message = allocate(GraphTransforms__Wire__GraphDef.self)
    graph_transforms__wire__graph_def__init(message)
    if let library = graph.library {
      message.pointee.has_library = 1
      message.pointee.library = binary(library)
    }
    if let version = graph.deprecatedVersion {
      message.pointee.has_version = 1
      message.pointee.version = version
    }
    if let versions = graph.versions {
      let v = allocate(Tensorflow__VersionDef.self)
      tensorflow__version_def__init(v)
      v.pointee.producer = versions.producer
      v.pointee.min_consumer = versions.minConsumer
      v.pointee.n_bad_consumers = versions.badConsumers.count
      v.pointee.bad_consumers = array(versions.badConsumers)
      message.pointee.versions = v
    }
    if let debugInfo = graph.debugInfo {
      message.pointee.has_debug_info = 1
      message.pointee.debug_info = binary(debugInfo)
    }
    setUnknownFields(graph.unknownFields, on: &message.pointee.base)
    return message
  }

  func node(_ node: Node) -> UnsafeMutablePointer<GraphTransforms__Wire__NodeDef> {
    let message = allocate(GraphTransforms__Wire__NodeDef.self)
    graph_transforms__wire__node_def__init(message)
    message.pointee.name = string(node.name)
    message.pointee.op = string(node.op)
    message.pointee.device = string(node.device)
    if !node.inputs.isEmpty {
      let inputs = allocate(UnsafeMutablePointer<CChar>?.self, count: node.inputs.count)
      for (index, input) in node.inputs.enumerated() { inputs[index] = inputString(input) }
      message.pointee.n_input = node.inputs.count
      message.pointee.input = inputs
    }
    if !node.attrs.isEmpty {
      let entries = allocate(
        UnsafeMutablePointer<GraphTransforms__Wire__NodeDef__AttrEntry>?.self, count: node.attrs.count)
      for (index, attr) in node.attrs.enumerated() {
        let entry = allocate(GraphTransforms__Wire__NodeDef__AttrEntry.self)
        graph_transforms__wire__node_def__attr_entry__init(entry)
        entry.pointee.key = requiredString(attr.key)
        entry.pointee.value = value(attr.value)
        entries[index] = entry
      }
      message.pointee.n_attr = node.attrs.count
      message.pointee.attr = entries
    }
    if let info = node.experimentalDebugInfo {
      message.pointee.has_experimental_debug_info = 1
      message.pointee.experimental_debug_info = binary(info)
    }
    if let type = node.experimentalType {
      message.pointee.has_experimental_type = 1
      message.pointee.experimental_type = binary(type)
    }
    setUnknownFields(node.unknownFields, on: &message.pointee.base)
    return message
  }

  func value(_ attr: AttrValue) -> UnsafeMutablePointer<Tensorflow__AttrValue> {
    let message = allocate(Tensorflow__AttrValue.self)
    tensorflow__attr_value__init(message)
    switch attr {
    case .unset:
      break
    case .s(let bytes):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_S
      message.pointee.s = binary(bytes)
    case .i(let value):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_I
      message.pointee.i = value
    case .f(let value):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_F
      message.pointee.f = value
    case .b(let value):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_B
      message.pointee.b = value ? 1 : 0
    case .type(let type):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE
      message.pointee.type = dataType(type)
    case .shape(let shape):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE
      message.pointee.shape = self.shape(shape)
    case .tensor(let tensor):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR
      message.pointee.tensor = self.tensor(tensor)
    case .list(let list):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST
      message.pointee.list = self.list(list)
    case .function(let function):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_FUNC
      message.pointee.func = nameAttrList(function)
    case .placeholder(let name):
      message.pointee.value_case = TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER
      // A oneof member is written even when empty, so it needs a real (empty) string.
      message.pointee.placeholder = requiredString(name)
    }
    return message
  }

  func list(_ list: AttrList) -> UnsafeMutablePointer<Tensorflow__AttrValue__ListValue> {
    let message = allocate(Tensorflow__AttrValue__ListValue.self)
    tensorflow__attr_value__list_value__init(message)
    message.pointee.n_s = list.s.count
    message.pointee.s = array(list.s.map { binary($0) })
    message.pointee.n_i = list.i.count
    message.pointee.i = array(list.i)
    message.pointee.n_f = list.f.count
    message.pointee.f = array(list.f)
    message.pointee.n_b = list.b.count
    message.pointee.b = array(list.b.map { $0 ? 1 : 0 })
    message.pointee.n_type = list.type.count
    message.pointee.type = array(list.type.map { dataType($0) })
    message.pointee.n_shape = list.shape.count
    message.pointee.shape = array(list.shape.map { Optional(shape($0)) })
    message.pointee.n_tensor = list.tensor.count
    message.pointee.tensor = array(list.tensor.map { Optional(tensor($0)) })
    message.pointee.n_func = list.function.count
    message.pointee.func = array(list.function.map { Optional(nameAttrList($0)) })
    return message
  }

  func nameAttrList(_ function: NameAttrList) -> UnsafeMutablePointer<Tensorflow__NameAttrList> {
    let message = allocate(Tensorflow__NameAttrList.self)
    tensorflow__name_attr_list__init(message)
    message.pointee.name = string(function.name)
    let entries: [UnsafeMutablePointer<Tensorflow__NameAttrList__AttrEntry>?] = function.attrs.map {
      let entry = allocate(Tensorflow__NameAttrList__AttrEntry.self)
      tensorflow__name_attr_list__attr_entry__init(entry)
      entry.pointee.key = requiredString($0.key)
      entry.pointee.value = value($0.value)
      return entry
    }
    message.pointee.n_attr = entries.count
    message.pointee.attr = array(entries)
    return message
  }

  func shape(_ shape: TensorShape) -> UnsafeMutablePointer<Tensorflow__TensorShapeProto> {
    let message = allocate(Tensorflow__TensorShapeProto.self)
    tensorflow__tensor_shape_proto__init(message)
    let dims: [UnsafeMutablePointer<Tensorflow__TensorShapeProto__Dim>?] = shape.dims.map {
      let dim = allocate(Tensorflow__TensorShapeProto__Dim.self)
      tensorflow__tensor_shape_proto__dim__init(dim)
      dim.pointee.size = $0.size
      dim.pointee.name = string($0.name)
      return dim
    }
    message.pointee.n_dim = dims.count
    message.pointee.dim = array(dims)
    message.pointee.unknown_rank = shape.unknownRank ? 1 : 0
    return message
  }

  func tensor(_ tensor: Tensor) -> UnsafeMutablePointer<Tensorflow__TensorProto> {
    let message = allocate(Tensorflow__TensorProto.self)
    tensorflow__tensor_proto__init(message)
    message.pointee.dtype = dataType(tensor.dtype)
    if let shape = tensor.tensorShape { message.pointee.tensor_shape = self.shape(shape) }
    message.pointee.version_number = tensor.versionNumber
    message.pointee.tensor_content = binary(tensor.content)
    message.pointee.n_half_val = tensor.halfVal.count
    message.pointee.half_val = array(tensor.halfVal)
    message.pointee.n_float_val = tensor.floatVal.count
    message.pointee.float_val = array(tensor.floatVal)
    message.pointee.n_double_val = tensor.doubleVal.count
    message.pointee.double_val = array(tensor.doubleVal)
    message.pointee.n_int_val = tensor.intVal.count
    message.pointee.int_val = array(tensor.intVal)
    message.pointee.n_string_val = tensor.stringVal.count
    message.pointee.string_val = array(tensor.stringVal.map { binary($0) })
    message.pointee.n_scomplex_val = tensor.scomplexVal.count
    message.pointee.scomplex_val = array(tensor.scomplexVal)
    message.pointee.n_int64_val = tensor.int64Val.count
    message.pointee.int64_val = array(tensor.int64Val)
    message.pointee.n_bool_val = tensor.boolVal.count
    message.pointee.bool_val = array(tensor.boolVal.map { $0 ? 1 : 0 })
    message.pointee.n_dcomplex_val = tensor.dcomplexVal.count
    message.pointee.dcomplex_val = array(tensor.dcomplexVal)
    let handles = tensor.resourceHandleVal.map {
      unpacked($0, CGraphProtos_resourceHandle(), as: Tensorflow__ResourceHandleProto.self)
    }
    message.pointee.n_resource_handle_val = handles.count
    message.pointee.resource_handle_val = array(handles)
    let variants = tensor.variantVal.map {
      unpacked($0, CGraphProtos_variantTensorData(), as: Tensorflow__VariantTensorDataProto.self)
    }
    message.pointee.n_variant_val = variants.count
    message.pointee.variant_val = array(variants)
    message.pointee.n_uint32_val = tensor.uint32Val.count
    message.pointee.uint32_val = array(tensor.uint32Val)
    message.pointee.n_uint64_val = tensor.uint64Val.count
    message.pointee.uint64_val = array(tensor.uint64Val)
    message.pointee.float8_val = binary(tensor.float8Val)
    return message
  }

  /// Decodes a sub-message the IR carries as bytes so protobuf-c can pack it again. The
  /// bytes came from protobuf-c's own packer, so they decode; freed with the arena.
  func unpacked<T>(
    _ bytes: SharedBytes, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, as: T.Type
  ) -> UnsafeMutablePointer<T>? {
    let message = bytes.withUnsafeBytes {
      protobuf_c_message_unpack(descriptor, nil, $0.count, $0.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }
    guard let message else { return nil }
    unpackedMessages.append(message)
    return UnsafeMutableRawPointer(message).assumingMemoryBound(to: T.self)
  }

  /// Freed on `reset`.
  @exclusivity(unchecked) private var unpackedMessages: [UnsafeMutablePointer<ProtobufCMessage>] = []

  func setUnknownFields(_ fields: [UnknownField], on base: inout ProtobufCMessage) {
    guard !fields.isEmpty else { return }
    let array = allocate(ProtobufCMessageUnknownField.self, count: fields.count)
    for (index, field) in fields.enumerated() {
      array[index].tag = field.number
      array[index].wire_type = ProtobufCWireType(rawValue: numericCast(field.wireType))
      array[index].len = field.data.count
      array[index].data = UnsafeMutablePointer(
        mutating: field.data.unsafeBaseAddress?.assumingMemoryBound(to: UInt8.self))
    }
    base.n_unknown_fields = UInt32(fields.count)
    base.unknown_fields = array
  }

  /// proto3 enums are open: any int32 the decoder read (a negative one too, which
  /// protobuf-c holds in the unsigned C enum) is written back as it was.
  func dataType(_ type: DataType) -> Tensorflow__DataType {
    Tensorflow__DataType(rawValue: UInt32(bitPattern: type.rawValue))
  }
}
