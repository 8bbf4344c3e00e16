// SPDX-License-Identifier: Apache-2.0

/// Collects the wire encoding of one message while its text is parsed, and hands back
/// the bytes protobuf's own serializer would write for the same message.
///
/// Text may list fields in any order and spread a repeated field's values around, but
/// protobuf writes fields in ascending number order, with each packed field as one run.
/// Fields are therefore appended as they come, remembered as segments, and reordered
/// only when the text was out of order or held packed values. Sorting is stable, so
/// the values of a repeated field (and map entries) keep their text order.
struct WireBuilder {
  /// Encoded fields in text order; packed values wait in `packedRuns`.
  private var bytes: [UInt8] = []
  private var segments: [Segment] = []
  private var packedRuns: [PackedRun] = []
  private var lastNumber: UInt32 = 0
  private var isOrdered = true

  /// One field occurrence: its bytes in `bytes`, or the packed run it stands for.
  private struct Segment {
    var number: UInt32
    var range: Range<Int>
    var packedRun: Int?
  }

  /// The payload of one packed field, gathered across the message.
  private struct PackedRun {
    var number: UInt32
    var payload: [UInt8]
  }

  /// The numbers of the fields written so far (packed ones included), for map entries,
  /// which must always carry their key and value.
  func contains(number: UInt32) -> Bool {
    segments.contains { $0.number == number }
  }

  /// Appends a varint-typed field.
  mutating func appendVarint(number: UInt32, _ value: UInt64) {
    let start = begin(number: number, wireType: 0)
    WireWriter.appendVarint(value, to: &bytes)
    end(number: number, start: start)
  }

  /// Appends a fixed32-typed field (`float`, `fixed32`, `sfixed32`).
  mutating func appendFixed32(number: UInt32, _ bits: UInt32) {
    let start = begin(number: number, wireType: 5)
    Self.appendFixed(UInt64(bits), size: 4, to: &bytes)
    end(number: number, start: start)
  }

  /// Appends a fixed64-typed field (`double`, `fixed64`, `sfixed64`).
  mutating func appendFixed64(number: UInt32, _ bits: UInt64) {
    let start = begin(number: number, wireType: 1)
    Self.appendFixed(bits, size: 8, to: &bytes)
    end(number: number, start: start)
  }

  /// Appends a length-delimited field: a string, bytes, or an encoded sub-message.
  mutating func appendLengthDelimited(number: UInt32, _ value: [UInt8]) {
    let start = begin(number: number, wireType: 2)
    WireWriter.appendVarint(UInt64(value.count), to: &bytes)
    bytes.append(contentsOf: value)
    end(number: number, start: start)
  }

  /// Adds one element to the packed run of field `number`; `size` is 0 for varints, else
  /// 4 or 8 for fixed-width values.
  mutating func appendPacked(number: UInt32, _ value: UInt64, size: Int) {
    let run: Int
    if let existing = packedRuns.lastIndex(where: { $0.number == number }) {
      run = existing
    } else {
      run = packedRuns.count
      packedRuns.append(PackedRun(number: number, payload: []))
      note(number)
      segments.append(Segment(number: number, range: 0..<0, packedRun: run))
    }
    if size == 0 {
      WireWriter.appendVarint(value, to: &packedRuns[run].payload)
    } else {
      Self.appendFixed(value, size: size, to: &packedRuns[run].payload)
    }
  }

  /// The message's wire bytes, fields in ascending number order.
  consuming func finish() -> [UInt8] {
    if isOrdered && packedRuns.isEmpty { return bytes }
    let packedSize = packedRuns.reduce(0) { $0 + $1.payload.count + 16 }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count + packedSize)
    let order = segments.indices.sorted {
      (segments[$0].number, $0) < (segments[$1].number, $1)
    }
    for index in order {
      let segment = segments[index]
      if let run = segment.packedRun {
        let payload = packedRuns[run].payload
        WireWriter.appendFieldHeader(number: segment.number, length: payload.count, to: &output)
        output.append(contentsOf: payload)
      } else {
        output.append(contentsOf: bytes[segment.range])
      }
    }
    return output
  }

  private mutating func begin(number: UInt32, wireType: UInt8) -> Int {
    note(number)
    let start = bytes.count
    WireWriter.appendVarint(UInt64(number) << 3 | UInt64(wireType), to: &bytes)
    return start
  }

  private mutating func end(number: UInt32, start: Int) {
    segments.append(Segment(number: number, range: start..<bytes.count, packedRun: nil))
  }

  private mutating func note(_ number: UInt32) {
    if number < lastNumber { isOrdered = false }
    lastNumber = number
  }

  /// Appends the low `size` bytes of `bits`, little-endian.
  static func appendFixed(_ bits: UInt64, size: Int, to output: inout [UInt8]) {
    for shift in 0..<size { output.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(shift)))) }
  }
}
