// SPDX-License-Identifier: Apache-2.0

/// "Did you mean …?" hints for mistyped transform and node names.
public enum NameSuggestion {
  /// The candidate closest to `name` by edit distance, when it is close enough to be a
  /// likely typo (at most 2 edits, or a quarter of the name's length). Ties go to the
  /// alphabetically first candidate, so the hint is deterministic.
  public static func closest(to name: String, among candidates: some Sequence<String>) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates where abs(candidate.utf8.count - name.utf8.count) <= max(2, name.utf8.count / 4) {
      let distance = editDistance(candidate, name)
      if let current = best, (current.distance, current.name) <= (distance, candidate) { continue }
      best = (candidate, distance)
    }
    guard let best, best.distance <= max(2, name.utf8.count / 4) else { return nil }
    return best.name
  }

  /// Levenshtein distance over UTF-8 bytes.
  public static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
