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

/// TensorFlow-style flags read without swift-argument-parser, for the common command line.
///
/// ArgumentParser builds its model of a command by reflection, and each first protocol
/// conformance lookup scans every conformance record in the binary: about 2.5 ms per run,
/// a sixth of a whole `quantize_weights` run on a 10 MB graph. A command line made only of
/// `--name=value` flags (and bare boolean flags) that the command knows, each given once,
/// is read here instead. Anything else (`--help`, the `--name value` form, an unknown,
/// repeated or empty flag, a value that does not parse) makes the caller use ArgumentParser,
/// which gives its usual messages; tests check that both readings agree.
public struct QuickFlags {
  /// The value of each flag; nil for a bare one.
  private var values: [Substring: Substring?] = [:]
  private var failed = false

  /// Reads `arguments`; nil unless each one is `--name=value` with a non-empty value, or a
  /// bare `--name` for a name in `bare`, each name at most once.
  public init?(_ arguments: [String], bare: Set<String>) {
    for argument in arguments {
      guard argument.hasPrefix("--") else { return nil }
      let flag = argument.dropFirst(2)
      let name: Substring
      let value: Substring?
      if let equals = flag.firstIndex(of: "=") {
        name = flag[..<equals]
        value = flag[flag.index(after: equals)...]
        guard value?.isEmpty == false else { return nil }
      } else {
        guard bare.contains(String(flag)) else { return nil }
        name = flag
        value = nil
      }
      guard !name.isEmpty, values.updateValue(value, forKey: name) == nil else { return nil }
    }
  }

  /// True when every flag was taken and each value parsed.
  public var complete: Bool { !failed && values.isEmpty }

  /// Takes `--name=text`; `default` when absent.
  public mutating func string(_ name: Substring, default: String = "") -> String {
    guard let given = values.removeValue(forKey: name) else { return `default` }
    guard let text = given else {
      failed = true
      return `default`
    }
    return String(text)
  }

  /// Takes a boolean that may stand bare or be `=true`/`=false`, as TensorFlow's are.
  public mutating func bool(_ name: Substring) -> Bool {
    guard let given = values.removeValue(forKey: name) else { return false }
    guard let text = given else { return true }
    guard let value = Bool(String(text)) else {
      failed = true
      return false
    }
    return value
  }

  /// Takes a flag that takes no value (`--quiet`).
  public mutating func flag(_ name: Substring) -> Bool {
    guard let given = values.removeValue(forKey: name) else { return false }
    if given != nil { failed = true }
    return true
  }

  /// Takes `--name=number`; `default` when absent.
  public mutating func number<Number: LosslessStringConvertible>(_ name: Substring, default: Number) -> Number {
    guard let given = values.removeValue(forKey: name) else { return `default` }
    guard let text = given, let value = Number(String(text)) else {
      failed = true
      return `default`
    }
    return value
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
