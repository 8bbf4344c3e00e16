// SPDX-License-Identifier: Apache-2.0

/// A graph file could not be read: what went wrong, and where.
public struct GraphDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was wrong.
  public var reason: String
  /// The byte offset in the file where the problem was found, if known.
  public var byteOffset: Int?
  /// The field path to the problem, e.g. `node[412].attr["value"].tensor`, if known.
  public var fieldPath: String?
  /// The file, when the error came from one.
  public var file: String?

  /// An error with a lowercase `reason` and whatever location is known: the byte offset,
  /// the field path, and the file (usually filled in by `GraphFile.read`).
  public init(reason: String, byteOffset: Int? = nil, fieldPath: String? = nil, file: String? = nil) {
    self.reason = reason
    self.byteOffset = byteOffset
    self.fieldPath = fieldPath
    self.file = file
  }

  /// The message shown to the user: the location parts that are known, then the reason,
  /// e.g. `'model.pb', in node[3].name: string is not valid UTF-8`.
  public var description: String {
    var location: [String] = []
    if let file { location.append("'\(file)'") }
    if let byteOffset { location.append("byte \(byteOffset)") }
    if let fieldPath, !fieldPath.isEmpty {
      // Hostile nesting can make paths thousands of characters long; keep both ends.
      let shown = fieldPath.count > 160 ? fieldPath.prefix(70) + " … " + fieldPath.suffix(70) : Substring(fieldPath)
      location.append("in \(shown)")
    }
    return location.isEmpty ? reason : location.joined(separator: ", ") + ": " + reason
  }
}
