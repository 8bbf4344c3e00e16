// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC

/// protobuf-c's message descriptors, reshaped for the text format: field names as bytes
/// (so the parser compares them against the input without building strings), enum names
/// in dictionaries, and the presence rules that decide which values reach the wire.
///
/// Built lazily, once per descriptor and per print or parse call, so nothing global and
/// mutable is shared between threads.
final class TextSchemas {
  private var messages: [UnsafeRawPointer: TextMessage] = [:]
  private var enums: [UnsafeRawPointer: TextEnum] = [:]

  /// The full `tensorflow.GraphDef`, which the text format walks (not the fast-path
  /// `wire` GraphDef, whose library and debug info are opaque bytes).
  func graphDef() -> TextMessage { message(CGraphProtos_graphDef()) }

  /// The schema of the message type `descriptor` describes.
  func message(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> TextMessage {
    let key = UnsafeRawPointer(descriptor)
    if let known = messages[key] { return known }
    let built = TextMessage(descriptor, schemas: self)
    messages[key] = built
    return built
  }

  /// The schema of the enum type `descriptor` describes.
  func enumeration(_ descriptor: UnsafePointer<ProtobufCEnumDescriptor>) -> TextEnum {
    let key = UnsafeRawPointer(descriptor)
    if let known = enums[key] { return known }
    let built = TextEnum(descriptor)
    enums[key] = built
    return built
  }
}

/// One message type: its fields in field-number order.
final class TextMessage {
  let descriptor: UnsafePointer<ProtobufCMessageDescriptor>
  /// The qualified name, e.g. `tensorflow.NodeDef`, for error messages.
  let fullName: String
  let fields: [TextField]
  /// Whether this is the synthetic entry type of a `map<K, V>` field. protobuf-c has no
  /// flag for it, so it is recognised by shape: protoc names entries `<Field>Entry`, with
  /// exactly `key = 1` and `value = 2`. Entries matter because protobuf writes their key
  /// and value even when they hold default values.
  let isMapEntry: Bool

  init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, schemas: TextSchemas) {
    self.descriptor = descriptor
    let d = descriptor.pointee
    fullName = d.name.map { String(cString: $0) } ?? "?"
    var fields: [TextField] = []
    if let table = d.fields {
      for index in 0..<Int(d.n_fields) {
        fields.append(TextField(FieldInfo(pointer: table + index), index: index, schemas: schemas))
      }
    }
    // protoc-c emits fields sorted by number; sort anyway, `field(number:)` relies on it.
    fields.sort { $0.number < $1.number }
    for index in fields.indices { fields[index].index = index }
    self.fields = fields
    let shortName = d.short_name.map { String(cString: $0) } ?? ""
    isMapEntry =
      shortName.hasSuffix("Entry") && fields.count == 2
      && fields[0].number == 1 && fields[0].displayName == "key"
      && fields[1].number == 2 && fields[1].displayName == "value"
  }

  /// The field whose name equals `bytes` (a slice of the input), if any.
  func field(named bytes: UnsafeRawBufferPointer.SubSequence) -> TextField? {
    fields.first { $0.name.count == bytes.count && $0.name.elementsEqual(bytes) }
  }

  /// The field with wire number `number`, if the schema has one.
  func field(number: UInt32) -> TextField? {
    var low = 0
    var high = fields.count
    while low < high {
      let middle = (low + high) / 2
      let candidate = fields[middle].number
      if candidate == number { return fields[middle] }
      if candidate < number { low = middle + 1 } else { high = middle }
    }
    return nil
  }
}

/// One field of a message type.
struct TextField {
  let info: FieldInfo
  /// The name as ASCII bytes, for matching and printing.
  let name: [UInt8]
  let displayName: String
  let number: UInt32
  let type: ProtobufCType
  let isRepeated: Bool
  /// Repeated scalars that protobuf writes as one length-delimited run (proto3's default).
  let isPacked: Bool
  /// The protobuf-c quantifier offset shared by the members of one `oneof`; nil outside one.
  let oneof: UInt32?
  /// Whether an explicitly written default value still reaches the wire: true for
  /// members of a `oneof` (AttrValue's `i: 0` must survive) and for `optional` fields;
  /// false for plain proto3 scalars, which protobuf never writes when they are 0, "" or
  /// false.
  let tracksPresence: Bool
  /// The position of the field in `TextMessage.fields`.
  var index: Int
  /// Set for message-typed fields.
  let message: UnsafePointer<ProtobufCMessageDescriptor>?
  /// Set for enum-typed fields.
  let enumeration: TextEnum?

  init(_ info: FieldInfo, index: Int, schemas: TextSchemas) {
    self.info = info
    let displayName = info.name
    self.displayName = displayName
    name = Array(displayName.utf8)
    number = info.number
    type = info.type
    isRepeated = info.isRepeated
    let flags = info.pointer.pointee.flags
    isPacked = isRepeated && info.isPackable && flags & PROTOBUF_C_FIELD_FLAG_PACKED.rawValue != 0
    let inOneof = flags & PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue != 0
    oneof = inOneof ? UInt32(info.pointer.pointee.quantifier_offset) : nil
    tracksPresence = inOneof || info.pointer.pointee.label != PROTOBUF_C_LABEL_NONE
    self.index = index
    message = info.type == PROTOBUF_C_TYPE_MESSAGE ? info.message : nil
    enumeration =
      info.type == PROTOBUF_C_TYPE_ENUM ? info.enumDescriptor.map { schemas.enumeration($0) } : nil
  }

  /// Whether the field holds a sub-message.
  var isMessage: Bool { type == PROTOBUF_C_TYPE_MESSAGE }

  /// The protobuf type name, for error messages (`int32`, `string`, …).
  var typeName: String {
    switch type {
    case PROTOBUF_C_TYPE_INT32: return "int32"
    case PROTOBUF_C_TYPE_SINT32: return "sint32"
    case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32"
    case PROTOBUF_C_TYPE_INT64: return "int64"
    case PROTOBUF_C_TYPE_SINT64: return "sint64"
    case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64"
    case PROTOBUF_C_TYPE_UINT32: return "uint32"
    case PROTOBUF_C_TYPE_FIXED32: return "fixed32"
    case PROTOBUF_C_TYPE_UINT64: return "uint64"
    case PROTOBUF_C_TYPE_FIXED64: return "fixed64"
    case PROTOBUF_C_TYPE_FLOAT: return "float"
    case PROTOBUF_C_TYPE_DOUBLE: return "double"
    case PROTOBUF_C_TYPE_BOOL: return "bool"
    case PROTOBUF_C_TYPE_ENUM: return "enum " + (enumeration?.fullName ?? "?")
    case PROTOBUF_C_TYPE_STRING: return "string"
    case PROTOBUF_C_TYPE_BYTES: return "bytes"
    default: return "message"
    }
  }
}

/// One enum type: names by number and numbers by name.
final class TextEnum {
  /// The qualified name, e.g. `tensorflow.DataType`.
  let fullName: String
  private let names: [Int32: [UInt8]]
  private let numbers: [String: Int32]

  init(_ descriptor: UnsafePointer<ProtobufCEnumDescriptor>) {
    let d = descriptor.pointee
    fullName = d.name.map { String(cString: $0) } ?? "?"
    var names: [Int32: [UInt8]] = [:]
    var numbers: [String: Int32] = [:]
    if let values = d.values {
      for index in 0..<Int(d.n_values) {
        let value = values[index]
        guard let cName = value.name else { continue }
        let name = String(cString: cName)
        let number = Int32(truncatingIfNeeded: value.value)
        // `values` holds one entry per number; the first name printed wins for aliases.
        if names[number] == nil { names[number] = Array(name.utf8) }
        numbers[name] = number
      }
    }
    if let index = d.values_by_name, let values = d.values {
      // Aliases appear only in `values_by_name`.
      for position in 0..<Int(d.n_value_names) {
        let entry = index[position]
        guard let cName = entry.name, entry.index < d.n_values else { continue }
        numbers[String(cString: cName)] = Int32(truncatingIfNeeded: values[Int(entry.index)].value)
      }
    }
    self.names = names
    self.numbers = numbers
  }

  /// The name of `number`, as ASCII bytes, or nil when the enum has no such value.
  func name(of number: Int32) -> [UInt8]? { names[number] }

  /// The number named `name`, or nil when the enum has no such value.
  func number(named name: String) -> Int32? { numbers[name] }
}
