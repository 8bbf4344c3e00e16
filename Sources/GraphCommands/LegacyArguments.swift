// SPDX-License-Identifier: Apache-2.0

/// Rewrites TensorFlow-style arguments into forms swift-argument-parser accepts.
///
/// TensorFlow's boolean flags may be bare (`--output_as_text`) or take `=true`/`=false`.
/// ArgumentParser's `@Flag` cannot take a value and `@Option<Bool>` cannot be bare, so a
/// bare boolean flag becomes `--name=true` here. Everything else passes through.
public enum LegacyArguments {
  /// Returns `arguments` with each bare boolean flag in `booleanFlags` given `=true`.
  public static func normalized(_ arguments: [String], booleanFlags: Set<String>) -> [String] {
    var result: [String] = []
    var afterTerminator = false
    for argument in arguments {
      if argument == "--" { afterTerminator = true }
      if !afterTerminator, argument.hasPrefix("--"), booleanFlags.contains(String(argument.dropFirst(2))) {
        result.append(argument + "=true")
      } else {
        result.append(argument)
      }
    }
    return result
  }
}

/// Expands a leading `~` or `~user` as TensorFlow's tools do; other paths are unchanged.
public func expandTilde(_ path: String) -> String {
  guard path.hasPrefix("~") else { return path }
  let slash = path.firstIndex(of: "/") ?? path.endIndex
  let user = path[path.index(after: path.startIndex)..<slash]
  let home: String?
  if user.isEmpty {
    home =
      getenv("HOME").map { String(cString: $0) }
      ?? getpwuid(getuid()).flatMap { $0.pointee.pw_dir }.map { String(cString: $0) }
  } else {
    home = getpwnam(String(user)).flatMap { $0.pointee.pw_dir }.map { String(cString: $0) }
  }
  guard let home, !home.isEmpty else { return path }
  let rest = path[slash...]
  return (home.hasSuffix("/") ? String(home.dropLast()) : home) + rest
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
