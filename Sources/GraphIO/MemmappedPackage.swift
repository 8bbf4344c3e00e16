// SPDX-License-Identifier: Apache-2.0

internal import CGraphProtos
internal import CProtobufC
public import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// TensorFlow's memory-mapped graph package (`.pbmm`), as `MemmappedEnv` reads it on phones.
///
///     [region 0][pad][region 1]…[pad][region k-1][GraphDef region][directory][u64 LE directory offset]
///
/// - Each tensor region holds one large `Const`'s raw little-endian bytes and starts at a
///   file offset that is a multiple of 64 (zero padding before it; the first starts at 0).
/// - The serialized GraphDef follows, unaligned, as region `memmapped_package://.`. In it
///   each converted `Const` became an `ImmutableConst` that names its region.
/// - Then a `MemmappedFileSystemDirectory` lists every region (offset, name, length) in
///   file order, and the last 8 bytes give the directory's offset, little-endian.
///
/// Writing streams each region straight from the graph's tensor storage (usually the
/// memory-mapped input) into the atomic output file, so the package is never assembled in
/// memory. Reading borrows the regions from the mapped package and turns the
/// `ImmutableConst` nodes back into `Const` nodes.
///
/// TF parity: a port of `convert_graphdef_memmapped_format_lib.cc` (TensorFlow 1.x
/// `contrib/util`) over `MemmappedFileSystemWriter` as TensorFlow 2.21 ships it, which also
/// stores each region's exact `length` in the directory; TensorFlow 2's reader takes region
/// lengths from that field, so packages without it load an empty graph there.
public enum MemmappedPackage {
  /// The prefix of every region name, which routes a file name to the package.
  public static let regionPrefix = "memmapped_package://"
  /// The region that holds the GraphDef (`kMemmappedPackageDefaultGraphDef`).
  public static let graphRegionName = regionPrefix + "."
  /// Tensor regions start at multiples of this (`Allocator::kAllocatorAlignment`).
  public static let alignment = 64
  /// The converter's default `--min_conversion_tensor_size`, in bytes.
  public static let defaultMinConversionBytes = 10_000

  // MARK: - Converting a graph

  /// A graph prepared for a package: large `Const` nodes rewritten to `ImmutableConst`,
  /// and the tensors that become regions, in write order.
  public struct Conversion: Sendable {
    /// The graph as it goes into the package's GraphDef region.
    public var graph: Graph
    /// The tensor regions, in the order they are written.
    public var regions: [Region]
    /// `Const` nodes that TensorFlow's converter would have refused (it stops with an
    /// error); they stay `Const` nodes here. `convert_graphdef_memmapped_format` reports them
    /// as errors.
    public var unconvertible: [Problem]
  }

  /// One tensor region of a package.
  public struct Region: Sendable, Hashable {
    /// The full region name, `memmapped_package://` + the sanitised node name.
    public var name: String
    /// The node whose value the region holds.
    public var node: String
    /// The region's size: the tensor's element count times its element size.
    public var byteCount: Int
    /// The tensor the bytes come from (raw content, or a typed value list TensorFlow expands).
    let tensor: Tensor
  }

  /// Why a `Const` node could not go into a region.
  public struct Problem: Sendable, Hashable, CustomStringConvertible {
    /// The node's name.
    public var node: String
    /// What is wrong with it.
    public var reason: String
    /// `node 'name': reason`.
    public var description: String { "node '\(node)': \(reason)" }
  }

  /// The element types TensorFlow's converter maps (`TF_CALL_POD_TYPES` in TensorFlow
  /// 2.21); strings, quantized types, resources, variants and the float8 family stay `Const`.
  static let convertibleTypes: Set<DataType> = [
    .float, .double, .int32, .uint8, .int16, .int8, .int64, .bfloat16, .half, .complex64,
    .complex128, .uint16, .bool, .uint32, .uint64,
  ]

  /// The largest region this tool expands from a typed value list (a short `float_val`
  /// repeated over a large shape); raw `tensor_content` is never larger than its input.
  static let maximumExpandedBytes = 1 << 31

  /// Rewrites every `Const` whose value takes at least `minConversionBytes` bytes into an
  /// `ImmutableConst` that reads the value from a region:
  ///
  ///     w = Const {dtype: float, value: <float [4000,100]>}
  ///       ⟶ w = ImmutableConst {dtype: float, shape: [4000,100],
  ///                             memory_region_name: "memmapped_package://w"}
  ///
  /// Name, inputs and device are kept; every other attribute is dropped, as in
  /// TensorFlow. The region name is the node name with each byte outside
  /// `[A-Za-z0-9_.]` replaced by `_`, with `_` appended until it is unused.
  ///
  /// TF parity: nodes are visited in graph order; only the tensor's byte size counts
  /// against the threshold (despite the flag's name); only top-level nodes are converted,
  /// never those in the function library. Deviation: the name `.` is reserved for the
  /// GraphDef region, so a node named `.` gets region `._`; TensorFlow's converter writes
  /// two regions named `memmapped_package://.`, and its reader then rejects the package.
  public static func convert(_ graph: Graph, minConversionBytes: Int = defaultMinConversionBytes) -> Conversion {
    var result = Conversion(graph: graph, regions: [], unconvertible: [])
    var usedNames: Set<String> = ["."]
    for index in graph.nodes.indices where graph.nodes[index].op == "Const" {
      let node = graph.nodes[index]
      guard let value = node.attrs["value"] else {
        // TF parity: TensorFlow's converter aborts the process here (`attr().at("value")`).
        result.unconvertible.append(Problem(node: node.name, reason: "Const has no 'value' attribute"))
        continue
      }
      // An attribute that is not a tensor reads as an empty TensorProto (DT_INVALID), which
      // TensorFlow skips like any other unsupported type.
      guard case .tensor(let tensor) = value, convertibleTypes.contains(tensor.dtype) else { continue }
      let byteCount: Int
      switch regionByteCount(of: tensor) {
      case .success(let count): byteCount = count
      case .failure(let problem):
        result.unconvertible.append(Problem(node: node.name, reason: "cannot parse tensor from proto: \(problem.text)"))
        continue
      }
      // Zero bytes also stay: TensorFlow's writer refuses empty regions.
      guard byteCount >= minConversionBytes, byteCount > 0 else { continue }
      let name = regionPrefix + uniqueName(sanitized(node.name), used: &usedNames)
      result.regions.append(Region(name: name, node: node.name, byteCount: byteCount, tensor: tensor))
      var rewritten = node
      rewritten.op = "ImmutableConst"
      rewritten.attrs = AttrMap([
        ("dtype", .type(tensor.dtype)),
        // An absent tensor_shape is copied as an empty (scalar) shape, as TensorFlow does.
        ("shape", .shape(tensor.tensorShape ?? TensorShape(dims: []))),
        ("memory_region_name", .string(name)),
      ])
      result.graph.nodes[index] = rewritten
    }
    return result
  }

  /// `name` with every byte outside `[A-Za-z0-9_.]` replaced by `_` (so a two-byte UTF-8
  /// character becomes `__`), as TensorFlow's `SanitizeVariableName` does.
  static func sanitized(_ name: String) -> String {
    String(
      decoding: name.utf8.map { byte in
        isRegionNameByte(byte) ? byte : UInt8(ascii: "_")
      }, as: UTF8.self)
  }

  /// Whether `byte` may appear in a region name after the prefix.
  static func isRegionNameByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."):
      return true
    default:
      return false
    }
  }

  /// `name`, or `name` with `_` appended until it is not in `used`; records the result.
  static func uniqueName(_ name: String, used: inout Set<String>) -> String {
    var candidate = name
    while !used.insert(candidate).inserted { candidate += "_" }
    return candidate
  }

  /// A reason a tensor cannot be read, in the wording of the messages above.
  struct TensorProblem: Error {
    var text: String
  }

  /// The byte size of `tensor` once TensorFlow's `Tensor::FromProto` has parsed it, or why
  /// it would fail to parse.
  static func regionByteCount(of tensor: Tensor) -> Result<Int, TensorProblem> {
    guard let elementSize = tensor.dtype.byteSize else {
      return .failure(TensorProblem(text: "dtype \(tensor.dtype) has no fixed element size"))
    }
    let shape = tensor.tensorShape ?? .scalar
    guard !shape.unknownRank else { return .failure(TensorProblem(text: "the shape has an unknown rank")) }
    guard shape.rank <= 254 else { return .failure(TensorProblem(text: "the shape has \(shape.rank) dimensions")) }
    var elements: Int64 = 1
    for dim in shape.dims {
      guard dim.size >= 0 else { return .failure(TensorProblem(text: "the shape \(shape) is not fully defined")) }
      let (product, overflow) = elements.multipliedReportingOverflow(by: dim.size)
      guard !overflow else { return .failure(TensorProblem(text: "the shape \(shape) has too many elements")) }
      elements = product
    }
    let (bytes, overflow) = elements.multipliedReportingOverflow(by: Int64(elementSize))
    guard !overflow, bytes <= Int64(Int.max) else {
      return .failure(TensorProblem(text: "the shape \(shape) has too many elements"))
    }
    let byteCount = Int(bytes)
    // TF parity: a tensor without elements is not decoded at all, so its content is never checked.
    guard byteCount > 0 else { return .success(0) }
    if !tensor.content.isEmpty {
      guard tensor.content.count == byteCount else {
        return .failure(
          TensorProblem(
            text: "tensor_content holds \(tensor.content.count) bytes, but dtype \(tensor.dtype) "
              + "and shape \(shape) need \(byteCount)"))
      }
    } else if byteCount > maximumExpandedBytes {
      return .failure(
        TensorProblem(
          text: "its value list would expand to \(byteCount) bytes for shape \(shape); "
            + "this tool expands at most \(maximumExpandedBytes)"))
    }
    return .success(byteCount)
  }

  // MARK: - Writing

  /// Writes `conversion` as a package at `path`, atomically (a temporary file renamed into
  /// place), streaming every region from the tensors' storage.
  public static func write(_ conversion: Conversion, to path: String) throws(GraphWriteError) -> WrittenGraph {
    try AtomicFile.write(to: path) { sink in write(conversion, into: sink) }
  }

  /// The package bytes of `conversion`, in memory (for tests and small graphs).
  public static func encode(_ conversion: Conversion) -> [UInt8] {
    let sink = ByteSink(fd: nil, keepInMemory: true)
    write(conversion, into: sink)
    return sink.bytes
  }

  /// Streams the package into `sink`: aligned tensor regions, the GraphDef, the directory,
  /// and the trailer.
  static func write(_ conversion: Conversion, into sink: ByteSink) {
    var directory: [DirectoryEntry] = []
    directory.reserveCapacity(conversion.regions.count + 1)
    let zeros = [UInt8](repeating: 0, count: alignment)
    for region in conversion.regions {
      let remainder = sink.count % alignment
      if remainder != 0 {
        zeros.withUnsafeBytes { sink.append(UnsafeRawBufferPointer(rebasing: $0[0..<(alignment - remainder)])) }
      }
      let offset = sink.count
      appendElements(of: region.tensor, byteCount: region.byteCount, to: sink)
      directory.append(DirectoryEntry(name: region.name, offset: offset, length: sink.count - offset))
    }
    // TF parity: the GraphDef region is not aligned.
    let graphOffset = sink.count
    BinaryEncoder.encode(conversion.graph, into: sink)
    directory.append(DirectoryEntry(name: graphRegionName, offset: graphOffset, length: sink.count - graphOffset))
    let directoryOffset = UInt64(sink.count)
    packDirectory(directory).withUnsafeBytes { sink.append($0) }
    withUnsafeBytes(of: directoryOffset.littleEndian) { sink.append($0) }
  }

  /// Appends the tensor's `byteCount` bytes of elements: its raw content, or its typed
  /// value list expanded as TensorFlow's `FromProtoField` does (values beyond the element
  /// count are ignored, a short list repeats its last value, an empty one gives zeros).
  static func appendElements(of tensor: Tensor, byteCount: Int, to sink: ByteSink) {
    if !tensor.content.isEmpty {
      tensor.content.withUnsafeBytes { sink.append($0) }
      return
    }
    guard let size = tensor.dtype.byteSize, size > 0 else { return }
    let count = byteCount / size
    switch tensor.dtype {
    case .float: appendFilled(tensor.floatVal, count: count, zero: 0, to: sink)
    case .double: appendFilled(tensor.doubleVal, count: count, zero: 0, to: sink)
    case .int32: appendFilled(tensor.intVal, count: count, zero: 0, to: sink)
    case .uint8: appendFilled(tensor.intVal.map { UInt8(truncatingIfNeeded: $0) }, count: count, zero: 0, to: sink)
    case .int8: appendFilled(tensor.intVal.map { Int8(truncatingIfNeeded: $0) }, count: count, zero: 0, to: sink)
    case .int16: appendFilled(tensor.intVal.map { Int16(truncatingIfNeeded: $0) }, count: count, zero: 0, to: sink)
    case .uint16: appendFilled(tensor.intVal.map { UInt16(truncatingIfNeeded: $0) }, count: count, zero: 0, to: sink)
    case .half, .bfloat16:
      appendFilled(tensor.halfVal.map { UInt16(truncatingIfNeeded: $0) }, count: count, zero: 0, to: sink)
    case .bool: appendFilled(tensor.boolVal.map { $0 ? UInt8(1) : 0 }, count: count, zero: 0, to: sink)
    case .int64: appendFilled(tensor.int64Val, count: count, zero: 0, to: sink)
    case .uint32: appendFilled(tensor.uint32Val, count: count, zero: 0, to: sink)
    case .uint64: appendFilled(tensor.uint64Val, count: count, zero: 0, to: sink)
    case .complex64: appendFilled(pairs(tensor.scomplexVal), count: count, zero: SIMD2(0, 0), to: sink)
    case .complex128: appendFilled(pairs(tensor.dcomplexVal), count: count, zero: SIMD2(0, 0), to: sink)
    default:
      // Not reached: `convert` admits only the types above. Keep the layout consistent anyway.
      appendFilled([UInt8](), count: byteCount, zero: 0, to: sink)
    }
  }

  /// Complex values from interleaved real and imaginary parts; an odd last part is dropped.
  static func pairs<T: SIMDScalar>(_ parts: [T]) -> [SIMD2<T>] {
    stride(from: 0, to: parts.count - 1, by: 2).map { SIMD2(parts[$0], parts[$0 + 1]) }
  }

  /// Appends `count` elements: the first `count` of `values`, then its last value (or
  /// `zero` when it is empty) repeated, in slices so a large fill never sits in memory.
  static func appendFilled<T: BitwiseCopyable>(_ values: [T], count: Int, zero: T, to sink: ByteSink) {
    let stride = MemoryLayout<T>.stride
    let taken = min(values.count, count)
    values.withUnsafeBytes { sink.append(UnsafeRawBufferPointer(rebasing: $0[0..<(taken * stride)])) }
    var remaining = count - taken
    guard remaining > 0 else { return }
    let slice = [T](repeating: values.last ?? zero, count: min(remaining, 1 << 16))
    slice.withUnsafeBytes { raw in
      while remaining > 0 {
        let n = min(remaining, slice.count)
        sink.append(UnsafeRawBufferPointer(rebasing: raw[0..<(n * stride)]))
        remaining -= n
      }
    }
  }

  /// The directory message: one element per region, `offset`, `name` and `length`, packed
  /// by protobuf-c (which, like TensorFlow, leaves zero values out).
  static func packDirectory(_ entries: [DirectoryEntry]) -> [UInt8] {
    let elements = UnsafeMutablePointer<Tensorflow__MemmappedFileSystemDirectoryElement>.allocate(
      capacity: max(entries.count, 1))
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Tensorflow__MemmappedFileSystemDirectoryElement>?>
      .allocate(capacity: max(entries.count, 1))
    var names: [UnsafeMutablePointer<CChar>] = []
    defer {
      for name in names { free(name) }
      elements.deallocate()
      pointers.deallocate()
    }
    for (index, entry) in entries.enumerated() {
      let element = elements + index
      element.initialize(to: Tensorflow__MemmappedFileSystemDirectoryElement())
      tensorflow__memmapped_file_system_directory_element__init(element)
      element.pointee.offset = UInt64(entry.offset)
      element.pointee.length = UInt64(entry.length)
      if let name = strdup(entry.name) {
        names.append(name)
        element.pointee.name = name
      }
      pointers[index] = element
    }
    var directory = Tensorflow__MemmappedFileSystemDirectory()
    tensorflow__memmapped_file_system_directory__init(&directory)
    directory.n_element = entries.count
    directory.element = pointers
    let size = tensorflow__memmapped_file_system_directory__get_packed_size(&directory)
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      initialized = tensorflow__memmapped_file_system_directory__pack(&directory, buffer.baseAddress)
    }
  }

  // MARK: - Reading

  /// One region listed in a package's directory.
  public struct DirectoryEntry: Sendable, Hashable {
    /// The region name, e.g. `memmapped_package://conv1_weights`.
    public var name: String
    /// Where the region starts in the file.
    public var offset: Int
    /// The region's size in bytes.
    ///
    /// For packages from TensorFlow's 1.x writer, which left the `length` field out, this is
    /// the distance to the next region (or the directory), padding included, as that
    /// writer's reader computed it.
    public var length: Int
    /// Whether the directory stored `length` (TensorFlow 2 writers, and this tool, do).
    public var hasStoredLength: Bool = true
  }

  /// Where the parts of a package are.
  public struct Layout: Sendable, Hashable {
    /// The regions, in file order.
    public var entries: [DirectoryEntry]
    /// Where the directory starts; the 8-byte trailer follows it.
    public var directoryOffset: Int
  }

  /// Reads and checks the directory of the package in `bytes`.
  ///
  /// - Throws: `GraphDecodingError` naming the broken part: the trailer, the directory, the
  ///   order, overlap or bounds of the regions, a duplicate name, or a missing graph region.
  public static func layout(of bytes: UnsafeRawBufferPointer) throws(GraphDecodingError) -> Layout {
    switch inspect(bytes) {
    case .package(let layout): return layout
    case .notPackage(let error), .broken(let error): throw error
    }
  }

  /// Whether bytes hold a package, decided from the trailer and directory alone.
  enum Inspection {
    /// A well-formed package.
    case package(Layout)
    /// Not a package; the error says why, for files that meant to be one.
    case notPackage(GraphDecodingError)
    /// The directory parses and names only package regions, so it is a package, but broken.
    case broken(GraphDecodingError)
  }

  /// Checks the trailer and the whole directory.
  ///
  /// A binary GraphDef's last 8 bytes can happen to read as a plausible offset, so the
  /// file counts as a package only when the bytes there also parse as a directory whose
  /// regions are all named `memmapped_package://…`. Further problems are then reported as
  /// a broken package rather than read as a GraphDef.
  static func inspect(_ bytes: UnsafeRawBufferPointer) -> Inspection {
    let size = bytes.count
    func problem(_ reason: String, at offset: Int?, in path: String? = nil) -> GraphDecodingError {
      GraphDecodingError(reason: "memmapped package: " + reason, byteOffset: offset, fieldPath: path)
    }
    guard size > 8 else {
      return .notPackage(problem("bad trailer: the file has \(size) bytes, too few for the 8-byte trailer", at: nil))
    }
    var trailer: UInt64 = 0
    for i in 0..<8 { trailer |= UInt64(bytes[size - 8 + i]) << (8 * UInt64(i)) }
    guard trailer <= UInt64(size - 8) else {
      return .notPackage(
        problem(
          "bad trailer: it puts the directory at offset \(trailer), past the end of the file (\(size) bytes)",
          at: size - 8))
    }
    let directoryOffset = Int(trailer)
    let directoryBytes = UnsafeRawBufferPointer(rebasing: bytes[directoryOffset..<(size - 8)])
    guard
      let directory = tensorflow__memmapped_file_system_directory__unpack(
        nil, directoryBytes.count, directoryBytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
    else {
      let (offset, detail) = locateDirectoryProblem(bytes, directoryOffset..<(size - 8))
      return .notPackage(
        problem(
          "unparsable directory: the \(directoryBytes.count) bytes at offset \(directoryOffset) "
            + "are not a MemmappedFileSystemDirectory" + (detail.map { " (\($0))" } ?? ""),
          at: offset ?? directoryOffset))
    }
    defer { tensorflow__memmapped_file_system_directory__free_unpacked(directory, nil) }
    guard directory.pointee.n_element > 0 else {
      return .notPackage(problem("unparsable directory: it lists no regions", at: directoryOffset))
    }
    var raw: [(name: [UInt8], offset: UInt64, length: UInt64)] = []
    for index in 0..<directory.pointee.n_element {
      guard let element = directory.pointee.element[index]?.pointee else { continue }
      let name = element.name.map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
      guard name.starts(with: regionPrefix.utf8) else {
        return .notPackage(
          problem(
            "unparsable directory: region '\(String(decoding: name, as: UTF8.self))' does not start with "
              + "'\(regionPrefix)'", at: directoryOffset, in: "directory.element[\(index)]"))
      }
      raw.append((name, element.offset, element.length))
    }

    // From here on the file is a package; what is wrong with it is an error.
    var entries: [DirectoryEntry] = []
    var seen: [[UInt8]: Int] = [:]
    for (index, element) in raw.enumerated() {
      let name = String(decoding: element.name, as: UTF8.self)
      let path = "directory.element[\(index)] ('\(name)')"
      let next = index + 1 < raw.count ? raw[index + 1].offset : UInt64(directoryOffset)
      if let previous = entries.last, element.offset <= UInt64(previous.offset) {
        return .broken(
          problem(
            "regions out of order: '\(name)' starts at offset \(element.offset), not after "
              + "'\(previous.name)' at offset \(previous.offset)", at: directoryOffset, in: path))
      }
      if let previous = entries.last, element.offset < UInt64(previous.offset + previous.length) {
        return .broken(
          problem(
            "overlapping regions: '\(previous.name)' (offset \(previous.offset), \(previous.length) bytes) "
              + "runs into '\(name)' at offset \(element.offset)", at: directoryOffset, in: path))
      }
      guard element.offset <= UInt64(directoryOffset) else {
        return .broken(
          problem(
            "region '\(name)' starts at offset \(element.offset), past the directory at offset \(directoryOffset)",
            at: directoryOffset, in: path))
      }
      // Packages from TensorFlow 1.x store no length: the region runs to the next one.
      let stored = element.length != 0
      let length = stored ? element.length : max(next, element.offset) - element.offset
      guard length <= UInt64(directoryOffset) - element.offset else {
        return .broken(
          problem(
            "region '\(name)' (offset \(element.offset), \(length) bytes) runs past the directory at "
              + "offset \(directoryOffset)", at: directoryOffset, in: path))
      }
      if let first = seen[element.name] {
        return .broken(
          problem("duplicate region name '\(name)' (directory entries \(first) and \(index))", at: directoryOffset))
      }
      seen[element.name] = index
      entries.append(
        DirectoryEntry(name: name, offset: Int(element.offset), length: Int(length), hasStoredLength: stored))
    }
    guard seen[Array(graphRegionName.utf8)] != nil else {
      return .broken(
        problem("missing region: the directory has no GraphDef region '\(graphRegionName)'", at: directoryOffset))
    }
    return .package(Layout(entries: entries, directoryOffset: directoryOffset))
  }

  /// Finds the first malformed field of a directory that protobuf-c refused.
  static func locateDirectoryProblem(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (Int?, String?) {
    var reader = WireReader(bytes, range: range)
    var start = range.lowerBound
    do {
      while !reader.isAtEnd {
        start = reader.offset
        let (number, wireType) = try reader.tag()
        guard number == 1 else {
          try reader.skip(wireType: wireType)
          continue
        }
        guard wireType == 2 else { return (start, "field 'element' has wire type \(wireType), expected 2") }
        var element = WireReader(bytes, range: try reader.lengthDelimited())
        while !element.isAtEnd {
          start = element.offset
          let (field, type) = try element.tag()
          let expected: UInt8? = field == 2 ? 2 : (field == 1 || field == 3) ? 0 : nil
          if let expected, type != expected {
            return (start, "element field \(field) has wire type \(type), expected \(expected)")
          }
          try element.skip(wireType: type)
        }
      }
    } catch {
      return (start, error.description)
    }
    return (nil, nil)
  }

  /// Whether `bytes` contain the region prefix anywhere: a file that fails to read as a
  /// GraphDef and has it was most likely meant as a package, so its package error is the
  /// one to show.
  static func mentionsRegionPrefix(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return false }
    let needle = Array(regionPrefix.utf8)
    var offset = 0
    while bytes.count - offset >= needle.count {
      guard let hit = memchr(base + offset, Int32(needle[0]), bytes.count - offset - needle.count + 1) else {
        return false
      }
      if memcmp(hit, needle, needle.count) == 0 { return true }
      offset = UnsafeRawPointer(hit) - base + 1
    }
    return false
  }

  /// Decodes the package in `bytes` (already checked by `inspect`): the GraphDef region,
  /// with each `ImmutableConst` that reads a region of the package turned back into a
  /// `Const` holding the region's bytes as `tensor_content`:
  ///
  ///     w = ImmutableConst {dtype: float, shape: [4000,100], memory_region_name: "memmapped_package://w"}
  ///       ⟶ w = Const {dtype: float, value: <float [4000,100], the region's bytes>}
  ///
  /// When `owner` keeps `bytes` alive, tensors borrow the regions instead of copying them.
  /// An `ImmutableConst` whose region name lacks the package prefix reads an ordinary file
  /// in TensorFlow, and is left as it is.
  static func decode(_ bytes: UnsafeRawBufferPointer, layout: Layout, owner: AnyObject?) throws(GraphDecodingError)
    -> Graph
  {
    guard let base = bytes.baseAddress,
      let root = layout.entries.first(where: { $0.name == graphRegionName })
    else {
      throw GraphDecodingError(reason: "memmapped package: missing region '\(graphRegionName)'")
    }
    var graph: Graph
    do {
      let region = UnsafeRawBufferPointer(start: base + root.offset, count: root.length)
      graph = try BinaryDecoder.decode(region, borrowingFrom: owner)
    } catch {
      var located = error
      located.reason = "memmapped package: the GraphDef region '\(graphRegionName)' does not decode: " + error.reason
      located.byteOffset = root.offset + (error.byteOffset ?? 0)
      throw located
    }
    var regions: [String: DirectoryEntry] = [:]
    for entry in layout.entries { regions[entry.name] = entry }
    for index in graph.nodes.indices where graph.nodes[index].op == "ImmutableConst" {
      let node = graph.nodes[index]
      let path = "node[\(index)] ('\(node.name)')"
      func problem(_ reason: String) -> GraphDecodingError {
        GraphDecodingError(reason: "memmapped package: " + reason, fieldPath: path)
      }
      guard case .s(let nameBytes)? = node.attrs["memory_region_name"] else {
        throw problem("ImmutableConst has no string attribute 'memory_region_name'")
      }
      let name = String(decoding: nameBytes, as: UTF8.self)
      guard nameBytes.starts(with: regionPrefix.utf8) else { continue }
      guard let entry = regions[name] else {
        throw problem("missing region: ImmutableConst reads region '\(name)', which the directory does not list")
      }
      guard case .type(let dtype)? = node.attrs["dtype"] else {
        throw problem("ImmutableConst has no type attribute 'dtype'")
      }
      guard case .shape(let shape)? = node.attrs["shape"] else {
        throw problem("ImmutableConst has no shape attribute 'shape'")
      }
      guard let elementSize = dtype.byteSize, let elements = shape.elementCount else {
        throw problem("ImmutableConst of dtype \(dtype) and shape \(shape) has no fixed byte size")
      }
      let (needed, overflow) = elements.multipliedReportingOverflow(by: Int64(elementSize))
      // Packages without stored lengths count the padding before the next region in.
      let fits =
        !overflow
        && (entry.hasStoredLength
          ? Int64(entry.length) == needed
          : Int64(entry.length) >= needed && Int64(entry.length) - needed < Int64(alignment))
      guard fits else {
        throw problem(
          "region size mismatch: region '\(name)' holds \(entry.length) bytes, but dtype \(dtype) "
            + "and shape \(shape) need \(overflow ? "more than \(Int64.max)" : String(needed))")
      }
      let start = base + entry.offset
      let count = Int(needed)
      let content =
        if let owner {
          SharedBytes(borrowing: start, count: count, owner: owner)
        } else {
          SharedBytes(UnsafeRawBufferPointer(start: start, count: count))
        }
      var restored = node
      restored.op = "Const"
      restored.attrs = AttrMap([
        ("dtype", .type(dtype)),
        ("value", .tensor(Tensor(dtype: dtype, shape: shape, content: content))),
      ])
      graph.nodes[index] = restored
    }
    return graph
  }
}
