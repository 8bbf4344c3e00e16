// SPDX-License-Identifier: Apache-2.0

/// Every transform the tool knows, sorted by name.
///
/// To add a transform: create `Transforms/<Name>.swift`, add its type here, and add
/// `Tests/GraphTransformsTests/Transforms/<Name>Tests.swift`. `TransformRegistryTests`
/// checks order, uniqueness, name format, and that every file in Transforms/ is listed.
public enum TransformRegistry {
  public static let all: [any GraphTransform.Type] = [
    ObfuscateNames.self,
    RemoveAttribute.self,
    RemoveControlDependencies.self,
    RemoveDevice.self,
    RemoveNodes.self,
    RenameAttribute.self,
    RenameNode.self,
    RenameOp.self,
    SetDevice.self,
    SortByExecutionOrder.self,
    StripUnusedNodes.self,
  ]

  /// The transform registered under `name`.
  public static func transform(named name: String) -> (any GraphTransform.Type)? {
    all.first { $0.name == name }
  }

  /// The registered name closest to `name`, when it is close enough to be a likely typo.
  public static func suggestion(for name: String) -> String? {
    let scored = all.map { ($0.name, editDistance($0.name, name)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 4) else {
      return nil
    }
    return best.0
  }

  /// Levenshtein distance over UTF-8 bytes.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }

  /// Help text: every transform with its summary and parameters.
  public static var helpText: String {
    var lines = ["Transforms (--transforms='name(param=value, …) name …'):"]
    for transform in all {
      lines.append("  \(transform.name)")
      lines.append("      \(transform.summary)")
      for parameter in transform.parameters {
        lines.append("      \(parameter.usage): \(parameter.help)")
      }
    }
    lines.append("  Every transform also takes ignore_errors=true|false (default false).")
    return lines.joined(separator: "\n")
  }
}
