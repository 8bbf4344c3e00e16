// SPDX-License-Identifier: Apache-2.0

/// Lifts large `tensor_content` payloads out of a binary GraphDef before protobuf-c sees it.
///
/// protobuf-c copies every `bytes` field while unpacking; for a 100 MB graph that is a
/// second copy of all weights, plus a page fault per 4 KB. Here one pass over the wire
/// bytes finds each large `node[i].attr[j].value.tensor.tensor_content`, and rebuilds the
/// NodeDefs holding one without those fields (only the enclosing NodeDef, map entry,
/// AttrValue and TensorProto are rebuilt, with new length prefixes). It also notes where
/// every NodeDef is, so that protobuf-c can decode them one by one, on several cores;
/// the decoder then points each tensor's content at its bytes in the original buffer,
/// which must stay alive (a `MappedFile` owned by the tensors).
///
/// Any surprise in the wire bytes (a malformed field, an unexpected wire type) makes
/// `extract` return nil, and the caller decodes the original bytes the ordinary way,
/// which also produces the precise error.
struct TensorSplicer {
  /// Payloads smaller than this stay inline; lifting them would not pay.
  static let threshold = 4096

  /// Where one lifted payload lives in the original bytes.
  struct Key: Hashable {
    var node: Int
    var attr: Int
  }

  /// Where a NodeDef's bytes (without its tag and length) are: in the original bytes,
  /// or, when payloads were lifted out of it, in `rebuilt` (and, as read, at `original`).
  enum NodeBytes {
    case original(Range<Int>)
    case rebuilt(Range<Int>, original: Range<Int>)

    /// Where the NodeDef is in the original bytes, payloads included.
    var original: Range<Int> {
      switch self {
      case .original(let range), .rebuilt(_, let range): range
      }
    }
  }

  /// Every `node` of the GraphDef, in order.
  var nodes: [NodeBytes] = []
  /// The bodies of the NodeDefs that lost payloads.
  var rebuilt: [UInt8] = []
  /// The GraphDef's other fields, in order: a GraphDef without nodes.
  var graphFields: [UInt8] = []
  /// Lifted payloads by node index and raw attr-entry index.
  var payloads: [Key: Range<Int>] = [:]

  /// Splices `bytes`; nil when the bytes are unusual.
  static func extract(from bytes: UnsafeRawBufferPointer) -> TensorSplicer? {
    var splicer = TensorSplicer()
    guard (try? splicer.graphDef(bytes)) != nil else { return nil }
    return splicer
  }

  private struct Surprise: Error {}

  /// GraphDef: notes where each `node` (1) is, rebuilding those that hold payloads, and
  /// copies every other field.
  private mutating func graphDef(_ bytes: UnsafeRawBufferPointer) throws {
    var reader = WireReader(bytes)
    while !reader.isAtEnd {
      let start = reader.offset
      let (number, wireType) = try reader.tag()
      if number == 1 && wireType == 2 {
        let value = try reader.lengthDelimited()
        try nodeDef(bytes, value, index: nodes.count)
      } else {
        try reader.skip(wireType: wireType)
        graphFields += bytes[start..<reader.offset]
      }
    }
  }

  private mutating func nodeDef(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, index: Int) throws {
    // Most nodes lift nothing: find that out without building anything, and leave them
    // where they are. Rebuilding every attr entry on speculation was a quarter of reading
    // a graph. A node smaller than a liftable payload cannot hold one, and is not walked
    // at all (the wire check has already vouched for its structure).
    guard range.count >= Self.threshold, try Self.holdsPayload(bytes, range) else {
      nodes.append(.original(range))
      return
    }
    var reader = WireReader(bytes, range: range)
    var body: [UInt8] = []
    var attrIndex = 0
    while !reader.isAtEnd {
      let start = reader.offset
      let (number, wireType) = try reader.tag()
      if number == 5 && wireType == 2 {
        let value = try reader.lengthDelimited()
        if let (rebuilt, payload) = try attrEntry(bytes, value) {
          payloads[Key(node: index, attr: attrIndex)] = payload
          body += Self.field(5, rebuilt)
          attrIndex += 1
          continue
        }
        attrIndex += 1
      } else {
        try reader.skip(wireType: wireType)
      }
      body += bytes[start..<reader.offset]
    }
    nodes.append(.rebuilt(rebuilt.count..<(rebuilt.count + body.count), original: range))
    rebuilt += body
  }

  /// Whether some attr entry of the NodeDef in `range` holds a payload `attrEntry` lifts;
  /// throws where `attrEntry` would.
  private static func holdsPayload(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> Bool {
    var reader = WireReader(bytes, range: range)
    var found = false
    while !reader.isAtEnd {
      let (number, wireType) = try reader.tag()
      guard number == 5 && wireType == 2 else {
        try reader.skip(wireType: wireType)
        continue
      }
      let entry = try reader.lengthDelimited()
      let tensor = try find(bytes, entry, field: 2) { value in
        try find(bytes, value, field: 8) { tensor in
          let content = try lastContent(bytes, tensor)
          return content.map { $0.count >= threshold } ?? false
        }
      }
      found = found || tensor
    }
    return found
  }

  /// `rebuild`'s walk without the rebuilding: whether `inner` finds a payload in the one
  /// length-delimited occurrence of `target`; throws where `rebuild` would.
  private static func find(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, field target: UInt32,
    _ inner: (Range<Int>) throws -> Bool
  ) throws -> Bool {
    var reader = WireReader(bytes, range: range)
    var found = false
    while !reader.isAtEnd {
      let (number, wireType) = try reader.tag()
      guard number == target else {
        try reader.skip(wireType: wireType)
        continue
      }
      guard wireType == 2 else { throw Surprise() }
      let value = try reader.lengthDelimited()
      guard !found else { throw Surprise() }
      found = try inner(value)
    }
    return found
  }

  /// Walks a TensorProto: returns its last `tensor_content` (4; protobuf keeps the last of
  /// a repeated singular field) and hands each other field's bytes to `other`.
  private static func lastContent(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, other: (Range<Int>) -> Void = { _ in }
  ) throws -> Range<Int>? {
    var reader = WireReader(bytes, range: range)
    var payload: Range<Int>?
    while !reader.isAtEnd {
      let start = reader.offset
      let (number, wireType) = try reader.tag()
      if number == 4 {
        guard wireType == 2 else { throw Surprise() }
        payload = try reader.lengthDelimited()
      } else {
        try reader.skip(wireType: wireType)
        other(start..<reader.offset)
      }
    }
    return payload
  }

  /// A map entry {1: key, 2: AttrValue}; returns the rebuilt entry and the payload range
  /// when its value holds a liftable tensor.
  private func attrEntry(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> ([UInt8], Range<Int>)? {
    try rebuild(bytes, range, field: 2) { value in
      // AttrValue: field 8 is `tensor`.
      try rebuild(bytes, value, field: 8) { tensor in
        try tensorProto(bytes, tensor)
      }
    }
  }

  /// A TensorProto without its large `tensor_content` (4).
  private func tensorProto(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> ([UInt8], Range<Int>)? {
    var body: [UInt8] = []
    let payload = try Self.lastContent(bytes, range) { body += bytes[$0] }
    guard let payload, payload.count >= Self.threshold else { return nil }
    return (body, payload)
  }

  /// Rebuilds a message whose length-delimited `field` is rebuilt by `inner`; nil when
  /// `inner` lifts nothing. Other occurrences and fields are copied unchanged.
  private func rebuild(
    _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, field target: UInt32,
    _ inner: (Range<Int>) throws -> ([UInt8], Range<Int>)?
  ) throws -> ([UInt8], Range<Int>)? {
    var reader = WireReader(bytes, range: range)
    var body: [UInt8] = []
    var payload: Range<Int>?
    while !reader.isAtEnd {
      let start = reader.offset
      let (number, wireType) = try reader.tag()
      if number == target {
        guard wireType == 2 else { throw Surprise() }
        let value = try reader.lengthDelimited()
        // Only a single occurrence is rebuilt; repeated sub-messages merge in protobuf,
        // which this pass does not attempt.
        guard payload == nil else { throw Surprise() }
        if let (rebuilt, found) = try inner(value) {
          payload = found
          body += Self.field(target, rebuilt)
          continue
        }
      } else {
        try reader.skip(wireType: wireType)
      }
      body += bytes[start..<reader.offset]
    }
    guard let payload else { return nil }
    return (body, payload)
  }

  /// A length-delimited field: tag, varint length, body.
  static func field(_ number: UInt32, _ body: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(body.count + WireWriter.maxFieldHeaderSize)
    WireWriter.appendFieldHeader(number: number, length: body.count, to: &out)
    return out + body
  }
}
