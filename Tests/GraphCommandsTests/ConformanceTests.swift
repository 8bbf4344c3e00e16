// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import GraphTestSupport
import GraphTransforms
import Testing

// Conformance with TensorFlow's own Graph Transform Tool.
//
// `Scripts/make_conformance_fixtures.py` ran TensorFlow's engine (TransformGraph) on every
// case in `Conformance/cases.json` and committed its output under `Conformance/references/`.
// Here the tool's own pipeline runs the same case, the way `transform_graph` does
// (GraphFile.read → TransformPipeline(parsing:) → run), and the two graphs are compared node
// by node: same names in the same order, same op, same inputs (as written), same device, same
// attributes (as decoded values). TensorFlow is not needed to run this.
//
// The only differences allowed are the ones in `KnownDifference.all`, each with its reason.
// To add a case: add a row to CASES in the script, rerun it with the TensorFlow venv
// (`~/.venvs/tf/bin/python Scripts/make_conformance_fixtures.py`), and commit the fixtures.

// MARK: - Known, deliberate differences

/// A deliberate difference from TensorFlow. This is the one place they are listed; each
/// transform's doc comment says the same under "TF parity".
struct KnownDifference: Sendable {
  enum Kind: Sendable {
    /// In every case: TensorFlow drops `GraphDef.versions`; this tool keeps the input's.
    case keepsVersions
    /// The tool does what TensorFlow does for another case: compare with its reference.
    case behavesLike(String)
    /// The tool keeps these nodes, which TensorFlow drops; the rest must match.
    case keepsNodes([String])
    /// The tool rejects the case; TensorFlow ran it.
    case failsWhereTensorFlowSucceeds
    /// The tool runs the case, with a warning; TensorFlow failed.
    case succeedsWhereTensorFlowFails
    /// round_weights: rounded `Const`s may differ from TensorFlow's only as RoundWeights'
    /// doc comment lists (see `RoundedWeights.excuse`); everything else must match.
    case roundsWeights
  }

  /// The case ids it applies to; empty for `keepsVersions` (every case).
  var cases: [String]
  var kind: Kind
  var reason: String

  static let all: [KnownDifference] = [
    KnownDifference(
      cases: [], kind: .keepsVersions,
      reason: """
        TensorFlow rebuilds the GraphDef from its nodes in most transforms and so loses \
        `versions` (the producer version TensorFlow needs to load old ops such as \
        BatchNormWithGlobalNormalization); this tool keeps the input's versions.
        """),
    KnownDifference(
      cases: ["obfuscate_output_port"], kind: .behavesLike("obfuscate_small"),
      reason: """
        obfuscate_names: TensorFlow protects only names equal to the raw --inputs/--outputs \
        strings, so --outputs=probabilities:0 let it rename the output node and the graph \
        lost its output; this tool protects the node behind `name:port` (and `^name`), \
        exactly as for --outputs=probabilities.
        """),
    KnownDifference(
      cases: ["remove_add_protected_input"], kind: .keepsNodes(["bias_input"]),
      reason: """
        remove_nodes: TensorFlow drops every input of a removed node but the first, even an \
        --inputs/--outputs node or one something else still uses; this tool keeps such an \
        input (here the --inputs node bias_input, the second input of preprocess/add).
        """),
    KnownDifference(
      cases: ["remove_split_port1_used"], kind: .succeedsWhereTensorFlowFails,
      reason: """
        remove_nodes: a node whose output other than 0 is consumed (split:1) cannot be \
        replaced by its first input; TensorFlow removed it anyway and failed on the dangling \
        `split:1`; this tool keeps the node and warns.
        """),
    KnownDifference(
      cases: ["remove_max_inputs_zero"], kind: .failsWhereTensorFlowSucceeds,
      reason: """
        remove_nodes: max_inputs below 1 can never match; TensorFlow silently removed \
        nothing, this tool reports the mistake.
        """),
    KnownDifference(
      cases: ["strip_bad_type_unused"], kind: .failsWhereTensorFlowSucceeds,
      reason: """
        strip_unused_nodes: arguments are checked before any graph is read; TensorFlow \
        checked `type`/`shape` only when it had to create a Placeholder, so a typo \
        (type=float33) went unnoticed until a graph needed it.
        """),
    KnownDifference(
      cases: ["strip_training_branch"], kind: .succeedsWhereTensorFlowFails,
      reason: """
        strip_unused_nodes: a kept Placeholder input (labels) keeps TensorFlow's copy of its \
        control input from a stripped node (^logits/add), which then fails validation; this \
        tool drops that input and warns.
        """),
    KnownDifference(
      cases: ["round_small", "round_deploy"], kind: .roundsWeights,
      reason: """
        round_weights: zeros stay exactly zero (TensorFlow moves them to the centre of their \
        level); an all-negative tensor is rounded over its own range (TensorFlow: \
        min…0); and only `value` changes, where TensorFlow rebuilds the Const with just \
        `dtype` and `value`, dropping its device, control inputs and other attributes. Every \
        other value must be TensorFlow's, bit for bit.
        """),
  ]

  static var keepsVersions: Bool {
    all.contains { if case .keepsVersions = $0.kind { return true } else { return false } }
  }

  /// The difference listed for case `id`, if any.
  static func forCase(_ id: String) -> KnownDifference? {
    all.first { $0.cases.contains(id) }
  }
}

// MARK: - The cases

struct ConformanceCase: Decodable, Sendable, CustomTestStringConvertible {
  var id: String
  var graph: String
  var inputs: String
  var outputs: String
  var transforms: String
  /// The reference output, relative to the fixture directory; nil when TensorFlow failed.
  var reference: String?
  /// TensorFlow's error message, when it failed.
  var error: String?

  var testDescription: String { id }

  /// The command line this case stands for.
  var commandLine: String {
    "transform_graph --in_graph=\(graph).pb --inputs=\(inputs) --outputs=\(outputs) --transforms='\(transforms)'"
  }
}

enum ConformanceFixtures {
  struct Table: Decodable {
    var tensorflow: String
    var cases: [ConformanceCase]
  }

  static var directory: URL? { Bundle.module.url(forResource: "Conformance", withExtension: nil) }

  static let table: Result<Table, any Error> = Result {
    guard let directory else { throw HarnessFailure("the Conformance resource directory is missing") }
    let data = try Data(contentsOf: directory.appendingPathComponent("cases.json"))
    return try JSONDecoder().decode(Table.self, from: data)
  }

  static var cases: [ConformanceCase] { (try? table.get().cases) ?? [] }

  static func path(_ relative: String) -> String {
    directory?.appendingPathComponent(relative).path ?? relative
  }

  /// Splits `--inputs`/`--outputs` as TensorFlow does: empty text gives no names.
  static func names(_ text: String) -> [String] {
    text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }
}

struct HarnessFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

// MARK: - Tests

@Suite("Conformance with TensorFlow's Graph Transform Tool")
struct ConformanceTests {
  @Test func fixturesLoad() throws {
    let table = try ConformanceFixtures.table.get()
    #expect(!table.cases.isEmpty)
    #expect(Set(table.cases.map { $0.id }).count == table.cases.count, "case ids must be unique")
  }

  /// Registered transforms that have no conformance case yet, each with the reason. Every
  /// other registered transform must appear in at least one case.
  static let notYetCovered: [String: String] = [
    "add_default_attributes":
      "no fixture yet (next session: add cases to Scripts/make_conformance_fixtures.py); "
      + "`make conformance` checks it numerically against TensorFlow on real graphs",
    "backport_concatv2": "no fixture yet: add a ConcatV2 case to Scripts/make_conformance_fixtures.py",
    "backport_tensor_array_v3": "no fixture yet: the fixture graphs hold no TensorArray ops",
    "insert_logging": "no fixture yet: add a case to Scripts/make_conformance_fixtures.py",
    "merge_duplicate_nodes":
      "TensorFlow reorders nodes by hash, so outputs differ by design; "
      + "`make conformance` checks it numerically against TensorFlow on real graphs",
    "obsfucate_names": "not registered by TensorFlow 2.21 (old spelling); obfuscate_names is covered",
    "quantize_nodes":
      "outputs differ by design (range guards, float Mul/Add where TensorFlow's kernels fail); "
      + "`make conformance` runs the eight-bit recipe and TensorFlow's test graphs in TensorFlow's runtime",
    "prune_weights": "not a TensorFlow transform: TensorFlow has no reference output to compare with",
    "freeze_placeholders": "not a TensorFlow transform: TensorFlow has no reference output to compare with",
    "fold_batch_norms":
      "folds the Add half and control-guarded patterns TensorFlow leaves, so outputs differ by design; "
      + "`make conformance` checks it numerically against TensorFlow on real graphs",
    "fold_old_batch_norms":
      "`make conformance` compares it with TensorFlow on tf1_classic, node for node and numerically",
    "flatten_atrous_conv":
      "`make conformance` compares it with TensorFlow on conv_fusions, node for node, in TensorFlow's runtime "
      + "and with --verify",
    "fuse_pad_and_conv":
      "`make conformance` compares it with TensorFlow on conv_fusions, node for node, in TensorFlow's runtime "
      + "and with --verify",
    "fuse_resize_and_conv":
      "`make conformance` compares it with TensorFlow on conv_fusions, node for node, in TensorFlow's runtime "
      + "and with --verify",
    "fuse_resize_pad_and_conv":
      "`make conformance` compares it with TensorFlow on conv_fusions, node for node, in TensorFlow's runtime "
      + "and with --verify",
    "inline_partitionedcall":
      "the fixture graphs have no PartitionedCall; `make conformance` compares it with TensorFlow on "
      + "partitioned_call (a traced TF2 graph), node for node and in TensorFlow's runtime",
    "freeze_requantization_ranges":
      "needs a min/max log from running an eight-bit graph under insert_logging; the unit tests carry "
      + "TensorFlow's cases (log parsing, the frozen Requantize inputs)",
    "sparsify_gather":
      "its output's HashTable must be initialised before the graph runs, which the reference runner "
      + "does not do; the unit tests carry TensorFlow's cases, checkpoint-backed ones included",
    "fold_constants":
      "TensorFlow names folded nodes with a process-wide counter, so outputs differ by design; "
      + "`make conformance` checks it numerically against TensorFlow on real graphs",
  ]

  @Test func everyTransformIsCovered() throws {
    let used = Set(
      try ConformanceFixtures.table.get().cases.flatMap { testCase in
        (try? TransformPipeline(parsing: testCase.transforms).steps.map { $0.call.name }) ?? []
      })
    // A `\.name` key path over `[any GraphTransform.Type]` crashes the Swift 6.3 compiler.
    let registered = TransformRegistry.all.map { $0.name }
    let missing = registered.filter { !used.contains($0) && Self.notYetCovered[$0] == nil }
    #expect(
      missing.isEmpty,
      """
      no conformance case for: \(missing.joined(separator: ", ")); add cases to \
      Scripts/make_conformance_fixtures.py (or, with a reason, to notYetCovered)
      """)
    let stale = Self.notYetCovered.keys.filter { used.contains($0) }.sorted()
    #expect(stale.isEmpty, "covered now, remove from notYetCovered: \(stale.joined(separator: ", "))")
  }

  /// Every case named in `KnownDifference.all` exists.
  @Test func knownDifferencesNameRealCases() throws {
    let ids = Set(try ConformanceFixtures.table.get().cases.map { $0.id })
    for difference in KnownDifference.all {
      for id in difference.cases { #expect(ids.contains(id), "KnownDifference names unknown case '\(id)'") }
      if case .behavesLike(let other) = difference.kind {
        #expect(ids.contains(other), "KnownDifference names unknown case '\(other)'")
      }
    }
  }

  @Test(arguments: ConformanceFixtures.cases)
  func matchesTensorFlow(_ testCase: ConformanceCase) throws {
    let input = try GraphFile.read(path: ConformanceFixtures.path("graphs/\(testCase.graph).pb")).graph
    let known = KnownDifference.forCase(testCase.id)
    let header = "\(testCase.id): \(testCase.commandLine)"
    let reason = known?.reason ?? ""

    var warnings: [String] = []
    let outcome: Result<Graph, any Error> = Result {
      let pipeline = try TransformPipeline(parsing: testCase.transforms)
      let context = TransformContext(
        inputs: ConformanceFixtures.names(testCase.inputs), outputs: ConformanceFixtures.names(testCase.outputs),
        opDefinitions: tensorFlowOps)
      warnings += pipeline.warnings
      return try pipeline.run(
        on: input, context: context,
        progress: { report in
          warnings += report.diagnostics.filter { $0.severity == .warning }.map { $0.description }
          if let ignored = report.ignoredError { warnings.append("ignored: \(ignored)") }
        })
    }

    switch (outcome, known?.kind) {
    case (.failure, .failsWhereTensorFlowSucceeds?):
      return
    case (.success(let ours), .failsWhereTensorFlowSucceeds?):
      Issue.record(
        """
        \(header)
          known difference no longer holds: the tool now accepts this case (\(ours.nodes.count) nodes); \
        compare with TensorFlow and update KnownDifference.all
          (\(reason))
        """)
    case (.success, .succeedsWhereTensorFlowFails?):
      #expect(!warnings.isEmpty, "\(header)\n  the tool should warn where TensorFlow failed")
    case (.failure(let error), .succeedsWhereTensorFlowFails?):
      Issue.record(
        """
        \(header)
          known difference no longer holds: the tool now fails too: \(error)
          (\(reason))
        """)
    case (.failure(let error), _):
      if testCase.error == nil {
        Issue.record("\(header)\n  the tool failed where TensorFlow succeeded: \(error)")
      }
    case (.success(var ours), _):
      if let tfError = testCase.error {
        Issue.record(
          "\(header)\n  TensorFlow failed but the tool succeeded (\(ours.nodes.count) nodes); TensorFlow: \(tfError)")
        return
      }
      var referenceFile = testCase.reference ?? ""
      var note = ""
      switch known?.kind {
      case .behavesLike(let other)?:
        referenceFile = try #require(
          ConformanceFixtures.cases.first { $0.id == other }?.reference, "case '\(other)' has no reference")
        note = "\n  (known difference, compared with the reference of '\(other)': \(reason))"
      case .roundsWeights?:
        let excused = try RoundedWeights.excuse(
          ours: &ours,
          reference: try GraphFile.read(
            path: ConformanceFixtures.path(referenceFile)
          ).graph, input: input)
        if let problem = excused.problem {
          Issue.record("\(header)\n  differs from TensorFlow beyond the known round_weights deviations:\n  \(problem)")
          return
        }
        if excused.values == 0 && excused.nodes == 0 {
          Issue.record(
            "\(header)\n  known difference no longer holds: the output matches TensorFlow's exactly; update KnownDifference.all"
          )
        }
        note = "\n  (known difference, \(excused.values) values and \(excused.nodes) nodes' fields excused: \(reason))"
      case .keepsNodes(let names)?:
        let kept = Set(names)
        let missing = names.filter { name in !ours.nodes.contains { $0.name == name } }
        if !missing.isEmpty {
          Issue.record(
            "\(header)\n  known difference no longer holds: the tool no longer keeps \(missing); update KnownDifference.all"
          )
        }
        ours.nodes.removeAll { kept.contains($0.name) }
        note = "\n  (known difference, nodes \(names) set aside: \(reason))"
      default:
        break
      }
      let reference = try GraphFile.read(path: ConformanceFixtures.path(referenceFile)).graph
      if let difference = GraphComparison.firstDifference(ours: ours, reference: reference, input: input) {
        Issue.record("\(header)\n  differs from TensorFlow:\n\(difference)\(note)")
      }
    }
  }

  /// A case compared with another case's reference must really differ from its own
  /// TensorFlow reference; otherwise its entry in `KnownDifference.all` is stale.
  @Test func redirectedCasesStillDiffer() throws {
    for testCase in ConformanceFixtures.cases {
      guard case .behavesLike? = KnownDifference.forCase(testCase.id)?.kind, let file = testCase.reference else {
        continue
      }
      let input = try GraphFile.read(path: ConformanceFixtures.path("graphs/\(testCase.graph).pb")).graph
      let pipeline = try TransformPipeline(parsing: testCase.transforms)
      let context = TransformContext(
        inputs: ConformanceFixtures.names(testCase.inputs), outputs: ConformanceFixtures.names(testCase.outputs),
        opDefinitions: tensorFlowOps)
      guard let ours = try? pipeline.run(on: input, context: context) else { continue }
      let reference = try GraphFile.read(path: ConformanceFixtures.path(file)).graph
      #expect(
        GraphComparison.firstDifference(ours: ours, reference: reference, input: input) != nil,
        "\(testCase.id) now matches TensorFlow exactly; remove it from KnownDifference.all")
    }
  }
}

// MARK: - round_weights

/// The deviations RoundWeights' doc comment lists, checked value by value.
enum RoundedWeights {
  struct Excused {
    /// Rounded values that differ from TensorFlow's for a listed reason.
    var values = 0
    /// Rounded `Const`s whose device, control inputs or other attributes TensorFlow dropped.
    var nodes = 0
    /// The first difference no listed deviation explains.
    var problem: String?
  }

  /// Checks every float `Const` of `ours` that differs from the reference node at the same
  /// position; where each difference is a listed deviation, replaces the node with
  /// TensorFlow's, so that the ordinary comparison then checks everything else.
  static func excuse(ours: inout Graph, reference: Graph, input: Graph) throws -> Excused {
    var excused = Excused()
    let originals = Dictionary(input.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for index in 0..<min(ours.nodes.count, reference.nodes.count) {
      let mine = ours.nodes[index]
      let theirs = reference.nodes[index]
      guard mine != theirs, mine.name == theirs.name, mine.op == "Const", theirs.op == "Const",
        case .tensor(let ourTensor)? = mine.attrs["value"], case .tensor(let theirTensor)? = theirs.attrs["value"],
        ourTensor.dtype == .float, theirTensor.dtype == .float,
        let original = originals[mine.name], case .tensor(let originalTensor)? = original.attrs["value"]
      else { continue }
      let where_ = "node \(mine.name)"
      // Fields TensorFlow drops when it rebuilds the node: ours must keep the input's.
      if mine.device != theirs.device {
        guard theirs.device.isEmpty, mine.device == original.device else {
          excused.problem = "\(where_): device ours '\(mine.device)', TensorFlow '\(theirs.device)'"
          return excused
        }
      }
      if mine.inputs != theirs.inputs {
        guard theirs.inputs.isEmpty, mine.inputs == original.inputs else {
          excused.problem = "\(where_): inputs ours \(mine.inputs), TensorFlow \(theirs.inputs)"
          return excused
        }
      }
      for key in Set(mine.attrs.keys).union(theirs.attrs.keys)
      where key != "value" && mine.attrs[key] != theirs.attrs[key] {
        guard theirs.attrs[key] == nil, mine.attrs[key] == original.attrs[key] else {
          excused.problem = "\(where_): attribute \(key) differs"
          return excused
        }
      }
      if mine.device != theirs.device || mine.inputs != theirs.inputs
        || mine.attrs.keys.count != theirs.attrs.keys.count
      {
        excused.nodes += 1
      }
      // The values.
      let ourValues = try ourTensor.floatValues()
      let theirValues = try theirTensor.floatValues()
      let originalValues = try originalTensor.floatValues()
      guard ourTensor.shape == theirTensor.shape, ourValues.count == theirValues.count,
        ourValues.count == originalValues.count
      else {
        excused.problem = "\(where_): shape ours \(ourTensor.shape), TensorFlow \(theirTensor.shape)"
        return excused
      }
      let finite = originalValues.filter(\.isFinite)
      let highest = finite.max() ?? 0
      let lowest = finite.min() ?? 0
      for (position, (value, tfValue)) in zip(ourValues, theirValues).enumerated()
      where value.bitPattern != tfValue.bitPattern {
        let v = originalValues[position]
        // Zeros stay exactly zero.
        let isZero = v == 0 && value == 0
        // All-negative tensors: rounded over their own range, not min…0 (the maximum half
        // a level above it, at most half the range for one level).
        let allNegative = highest < 0 && value >= lowest && value <= highest + (highest - lowest) / 2
        guard isZero || allNegative else {
          excused.problem = """
            \(where_): value #\(position) (input \(v)) ours \(value), TensorFlow \(tfValue); \
            not a zero or an all-negative tensor
            """
          return excused
        }
        excused.values += 1
      }
      ours.nodes[index] = theirs
    }
    return excused
  }
}

// MARK: - Comparison

enum GraphComparison {
  /// A readable description of the first difference, or nil when the graphs agree.
  static func firstDifference(ours: Graph, reference: Graph, input: Graph) -> String? {
    var problems: [String] = []

    // Graph-level fields.
    if ours.versions != reference.versions {
      let allowed = KnownDifference.keepsVersions && reference.versions == nil && ours.versions == input.versions
      if !allowed {
        problems.append(
          "  versions: ours \(describe(ours.versions)), TensorFlow \(describe(reference.versions))")
      }
    }
    if !sameBytes(ours.library, reference.library) {
      problems.append(
        "  library: ours \(ours.library?.count ?? 0) bytes, TensorFlow \(reference.library?.count ?? 0) bytes")
    }

    // Nodes, in order.
    let count = min(ours.nodes.count, reference.nodes.count)
    for index in 0..<count {
      let mine = ours.nodes[index]
      let theirs = reference.nodes[index]
      let fields = differingFields(mine, theirs)
      if !fields.isEmpty {
        problems.append(
          """
            first differing node: #\(index) (differs in \(fields.joined(separator: ", ")))
              ours:       \(mine.dumpLine)
              TensorFlow: \(theirs.dumpLine)
          """)
        break
      }
    }
    if ours.nodes.count != reference.nodes.count {
      let ourNames = Set(ours.nodes.map { $0.name })
      let theirNames = Set(reference.nodes.map { $0.name })
      var text = "  node count: ours \(ours.nodes.count), TensorFlow \(reference.nodes.count)"
      let extra = ours.nodes.map { $0.name }.filter { !theirNames.contains($0) }
      let missing = reference.nodes.map { $0.name }.filter { !ourNames.contains($0) }
      if !extra.isEmpty { text += "\n    only in ours: " + abbreviated(extra) }
      if !missing.isEmpty { text += "\n    only in TensorFlow's: " + abbreviated(missing) }
      problems.append(text)
    }
    return problems.isEmpty ? nil : problems.joined(separator: "\n")
  }

  static func differingFields(_ a: Node, _ b: Node) -> [String] {
    var fields: [String] = []
    if a.name != b.name { fields.append("name") }
    if a.op != b.op { fields.append("op") }
    if a.inputs.map({ $0.description }) != b.inputs.map({ $0.description }) { fields.append("inputs") }
    if a.device != b.device { fields.append("device") }
    let keys = Set(a.attrs.keys).union(b.attrs.keys).sorted()
    let attrs = keys.filter { a.attrs[$0] != b.attrs[$0] }
    if !attrs.isEmpty { fields.append("attrs " + attrs.joined(separator: ", ")) }
    if !sameBytes(a.experimentalDebugInfo, b.experimentalDebugInfo) { fields.append("experimental_debug_info") }
    if !sameBytes(a.experimentalType, b.experimentalType) { fields.append("experimental_type") }
    return fields
  }

  static func describe(_ versions: VersionDef?) -> String {
    guard let versions else { return "absent" }
    return "{producer \(versions.producer), min_consumer \(versions.minConsumer), bad \(versions.badConsumers)}"
  }

  static func sameBytes(_ a: SharedBytes?, _ b: SharedBytes?) -> Bool {
    (a ?? .empty) == (b ?? .empty)
  }

  static func abbreviated(_ names: [String]) -> String {
    if names.count <= 8 { return names.joined(separator: ", ") }
    return names.prefix(8).joined(separator: ", ") + ", … (\(names.count) in all)"
  }
}
