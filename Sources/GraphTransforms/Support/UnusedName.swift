// SPDX-License-Identifier: Apache-2.0

/// `base`, or `base_1`, `base_2`…: the first of these that `isTaken` says is free.
/// Transforms that add nodes use it so that a new node never takes a name already in the
/// graph (TensorFlow reuses the name, and its own importer then rejects the graph).
func unusedName(_ base: String, isTaken: (String) -> Bool) -> String {
  var candidate = base
  var suffix = 0
  while isTaken(candidate) {
    suffix += 1
    candidate = "\(base)_\(suffix)"
  }
  return candidate
}

/// `unusedName` for a set of names in use, which the result then joins.
func reserveUnusedName(_ base: String, in names: inout Set<String>) -> String {
  let name = unusedName(base, isTaken: names.contains)
  names.insert(name)
  return name
}
