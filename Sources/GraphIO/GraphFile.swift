// SPDX-License-Identifier: Apache-2.0

import Dispatch
public import GraphIR
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How a graph is stored in a file.
public enum GraphFormat: Sendable, Hashable {
  /// Binary protobuf (`.pb`).
  case binary
  /// Protobuf text format (`.pbtxt`).
  case text
  /// TensorFlow's memory-mapped package (`.pbmm`): large constants in aligned regions, read
  /// by `ImmutableConst` nodes (see `MemmappedPackage`). Reading turns those back into
  /// `Const` nodes; writing converts constants of at least 10,000 bytes.
  case memmapped
}

/// A graph read from a file, with what was learned while reading it.
public struct LoadedGraph: Sendable {
  /// The decoded graph. Large tensors may borrow their bytes from the file's memory map,
  /// which stays mapped for as long as they are alive.
  public var graph: Graph
  /// Whether the file held a binary or a text GraphDef or a memmapped package; writers use
  /// it to keep the format.
  public var format: GraphFormat
  /// The file's size in bytes.
  public var byteCount: Int
}

/// What writing a graph produced.
public struct WrittenGraph: Sendable, Hashable {
  /// Bytes written.
  public var byteCount: Int
  /// The size the file would have gzip-compressed (level 6), when it was asked for.
  public var gzipByteCount: Int?
}

/// A graph could not be written.
public struct GraphWriteError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The output path that was to be written; it is left as it was.
  public var path: String
  /// What went wrong, usually the system's `strerror` text such as `No space left on device`.
  public var reason: String
  /// The message shown to the user: `cannot write '<path>': <reason>`.
  public var description: String { "cannot write '\(path)': \(reason)" }
}

/// Reading and writing GraphDef files.
public enum GraphFile {
  /// Reads a GraphDef: binary first, then text, as TensorFlow does. A memmapped package
  /// (recognised by its trailer and directory) is read too, its `ImmutableConst` nodes
  /// restored to `Const` nodes that borrow their bytes from the mapped file.
  ///
  /// - Throws: `GraphDecodingError` naming the file and, where it applies, the byte offset
  ///   (binary) or line and column (text) of the problem.
  public static func read(path: String) throws(GraphDecodingError) -> LoadedGraph {
    // libdispatch starts its worker threads on first use, and the first one took 3 ms to
    // join the parallel decoding below; asked now, it starts while the file is mapped.
    DispatchQueue.global().async {}
    let file = try MappedFile(path: path)
    do {
      let (graph, format) = try decode(file.bytes, owner: file)
      return LoadedGraph(graph: graph, format: format, byteCount: file.bytes.count)
    } catch {
      var located = error
      located.file = path
      throw located
    }
  }

  /// Decodes bytes holding a binary or text GraphDef. The bytes are copied as needed;
  /// nothing refers to them afterwards.
  public static func decode(_ bytes: UnsafeRawBufferPointer) throws(GraphDecodingError) -> (
    Graph, GraphFormat
  ) {
    try decode(bytes, owner: nil)
  }

  /// Decodes bytes that `owner` keeps alive and unchanged for as long as it lives; large
  /// tensors may then refer to them instead of copying.
  static func decode(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws(GraphDecodingError) -> (
    Graph, GraphFormat
  ) {
    // A memmapped package is recognised by its trailer and a fully valid directory.
    switch MemmappedPackage.inspect(bytes) {
    case .package(let layout):
      return (try MemmappedPackage.decode(bytes, layout: layout, owner: owner), .memmapped)
    case .broken(let error):
      throw error
    case .notPackage(let packageError):
      do {
        return try decodeGraphDef(bytes, owner: owner)
      } catch {
        // Neither a GraphDef nor a valid package: a binary file that names package regions
        // was meant to be a package, and its broken part is the useful message.
        guard !TextFormat.looksLikeText(bytes), MemmappedPackage.mentionsRegionPrefix(bytes) else { throw error }
        var located = packageError
        located.reason += " (and the file is not a GraphDef either)"
        throw located
      }
    }
  }

  /// Decodes a binary GraphDef, or else a text one.
  static func decodeGraphDef(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws(GraphDecodingError) -> (
    Graph, GraphFormat
  ) {
    guard !bytes.isEmpty else {
      throw GraphDecodingError(reason: "the file is empty; expected a binary or text GraphDef")
    }
    let binaryError: GraphDecodingError
    do {
      return (try BinaryDecoder.decode(bytes, borrowingFrom: owner), .binary)
    } catch {
      binaryError = error
    }
    guard TextFormat.looksLikeText(bytes) else { throw binaryError }
    let wire: [UInt8]
    do {
      wire = try TextFormat.parseGraphDef(bytes)
    } catch {
      var textError = error
      textError.reason += " (the file is neither a binary nor a text GraphDef)"
      throw textError
    }
    return (try withBytes(wire) { raw throws(GraphDecodingError) in try BinaryDecoder.decode(raw) }, .text)
  }

  /// Decodes bytes holding a binary or text GraphDef.
  public static func decode(_ bytes: [UInt8]) throws(GraphDecodingError) -> Graph {
    try withBytes(bytes) { raw throws(GraphDecodingError) in try decode(raw).0 }
  }

  /// `withUnsafeBytes` that keeps the error type.
  static func withBytes<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(GraphDecodingError) -> R
  ) throws(GraphDecodingError) -> R {
    let result: Result<R, GraphDecodingError> = bytes.withUnsafeBytes {
      (raw: UnsafeRawBufferPointer) -> Result<R, GraphDecodingError> in
      do throws(GraphDecodingError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
  }

  /// Encodes a graph.
  public static func encode(_ graph: Graph, format: GraphFormat = .binary) -> [UInt8] {
    switch format {
    case .binary: return BinaryEncoder.encode(graph)
    case .text: return Array(TextFormat.printGraphDef(wire: BinaryEncoder.encode(graph)).utf8)
    case .memmapped: return MemmappedPackage.encode(MemmappedPackage.convert(graph))
    }
  }

  /// The encoded size of a graph in bytes, and optionally its gzip size, without keeping
  /// the encoding.
  public static func measure(_ graph: Graph, gzip: Bool) -> WrittenGraph {
    // Without gzip the sink only counts, and the encoder then sizes each node without
    // packing it.
    let sink = ByteSink(fd: nil, countGzip: gzip)
    BinaryEncoder.encode(graph, into: sink)
    return WrittenGraph(byteCount: sink.count, gzipByteCount: sink.finishGzip())
  }

  /// Writes a graph atomically: to a temporary file in the same directory, renamed over
  /// `path` only when complete. A failed write leaves `path` as it was.
  public static func write(
    _ graph: Graph, to path: String, format: GraphFormat = .binary, countGzip: Bool = false
  ) throws(GraphWriteError) -> WrittenGraph {
    try AtomicFile.write(to: path, countGzip: countGzip) { sink in
      switch format {
      case .binary:
        BinaryEncoder.encode(graph, into: sink)
      case .text:
        let text = TextFormat.printGraphDef(wire: BinaryEncoder.encode(graph))
        var utf8 = text
        utf8.withUTF8 { sink.append(UnsafeRawBufferPointer($0)) }
      case .memmapped:
        // Regions stream from the tensors' storage; constants TensorFlow's converter would
        // refuse stay `Const` nodes (`MemmappedPackage.convert` lists them).
        MemmappedPackage.write(MemmappedPackage.convert(graph), into: sink)
      }
    }
  }
}

/// Writes a file through a temporary sibling and `rename`, so readers never see a partial file.
enum AtomicFile {
  static func write(
    to path: String, countGzip: Bool = false, _ body: (ByteSink) -> Void
  ) throws(GraphWriteError) -> WrittenGraph {
    var info = stat()
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      throw GraphWriteError(path: path, reason: "it is a directory")
    }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = "\(directory).\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw GraphWriteError(path: path, reason: errnoText()) }
    let sink = ByteSink(fd: fd, countGzip: countGzip)
    body(sink)
    sink.flush()
    let closeFailed = close(fd) != 0
    if let error = sink.writeError ?? (closeFailed ? errno : nil) {
      unlink(temporary)
      throw GraphWriteError(path: path, reason: String(cString: strerror(error)))
    }
    guard rename(temporary, path) == 0 else {
      let reason = errnoText()
      unlink(temporary)
      throw GraphWriteError(path: path, reason: reason)
    }
    return WrittenGraph(byteCount: sink.count, gzipByteCount: sink.finishGzip())
  }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// The cores online, for spreading decoding and tensor production over them.
let coreCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

/// A read-only memory map of a whole file, unmapped on deinit.
///
/// Large tensors decoded from the file borrow their bytes from this mapping and keep it
/// alive, so the weights are never copied on the way through the tool. Writing the
/// output over the input is still safe: the output goes to a new file that is renamed
/// into place, and the mapping keeps the old file's data. (Like every reader of mapped
/// files, the tool assumes no other process truncates the input while it runs.)
final class MappedFile {
  let bytes: UnsafeRawBufferPointer
  private let mapped: Bool
  private var populator: BackgroundPopulator? = nil

  init(path: String) throws(GraphDecodingError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw GraphDecodingError(reason: "cannot open: \(errnoText())", file: path)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw GraphDecodingError(reason: "cannot stat: \(errnoText())", file: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw GraphDecodingError(reason: "not a regular file", file: path)
    }
    let size = Int(info.st_size)
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      mapped = false
      return
    }
    // The whole file is mapped in up front, in bulk rather than a fault per page: by the
    // kernel before returning for a small file, and for a large one on another core, while
    // this one reads the graph's structure.
    let inBackground = size >= BackgroundPopulator.minimumSize && coreCount > 1
    let flags = MAP_PRIVATE | (inBackground ? 0 : MAP_POPULATE)
    guard let address = mmap(nil, size, PROT_READ, flags, fd, 0), address != MAP_FAILED
    else {
      throw GraphDecodingError(reason: "cannot map: \(errnoText())", file: path)
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
    mapped = true
    populator = inBackground ? BackgroundPopulator(address, count: size) : nil
  }

  deinit {
    populator?.stop()
    if mapped, let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }
}

/// Maps a mapping's pages in, last to first, on a thread of its own.
///
/// Mapping DenseNet-121's 33 MB in took 3 ms of one core before reading could start;
/// reading the structure touches few of those pages, so both now run at once. Reading
/// starts at the front, so the two rarely meet on one page table. A page that reading
/// reaches first is simply faulted in there.
private final class BackgroundPopulator: @unchecked Sendable {
  // @unchecked: `stopped` is atomic; the rest is set before the thread starts.
  /// Below this, mapping in is quicker than handing it over.
  static let minimumSize = 8 << 20
  private static let chunk = 2 << 20

  private let base: UnsafeMutableRawPointer
  private let count: Int
  private let stopped = Atomic<Bool>(false)
  private let finished = DispatchSemaphore(value: 0)

  init(_ base: UnsafeMutableRawPointer, count: Int) {
    self.base = base
    self.count = count
    DispatchQueue.global(qos: .userInitiated).async { self.run() }
  }

  private func run() {
    defer { finished.signal() }
    var end = count
    while end > 0, !stopped.load(ordering: .relaxed) {
      let start = (end - 1) / Self.chunk * Self.chunk
      // Errors (a kernel without MADV_POPULATE_READ, say) only mean pages fault in as read.
      guard madvise(base + start, end - start, Self.populateRead) == 0 else { return }
      end = start
    }
  }

  /// Stops at the next chunk and waits, so that nothing touches the mapping once it is gone.
  func stop() {
    stopped.store(true, ordering: .relaxed)
    finished.wait()
  }

  /// `MADV_POPULATE_READ` (Linux 5.14), which Glibc's headers may not name.
  private static let populateRead: Int32 = 22
}
