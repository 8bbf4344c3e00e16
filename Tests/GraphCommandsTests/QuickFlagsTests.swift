// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
@testable import GraphCommands
import Testing

/// `transform_graph` reads plain command lines itself (`QuickFlags`) and leaves the rest
/// to ArgumentParser; both readings must give the same command.
@Suite struct QuickFlagsTests {
  /// Every field of the command, wrappers included, as text: a flag the quick reading
  /// forgot to set shows up as an unset wrapper and so as a difference.
  func fields(_ command: TransformGraphCommand) -> String {
    var text = ""
    dump(command, to: &text)
    return text
  }

  /// ArgumentParser's reading, through the same normalisation `main` applies.
  func fullParse(_ arguments: [String]) throws -> TransformGraphCommand {
    try TransformGraphCommand.parse(
      LegacyArguments.normalized(arguments, booleanFlags: TransformGraphCommand.booleanFlags))
  }

  static let plain: [[String]] = [
    [
      "--in_graph=in.pb", "--out_graph=out.pb", "--inputs=input", "--outputs=Identity",
      "--transforms=strip_unused_nodes(type=float, shape=\"1,224,224,3\") quantize_weights", "--quiet",
    ],
    ["--in_graph=~/m.pb", "--out_graph=o.pbtxt", "--output_as_text", "--transforms=remove_device"],
    ["--in_graph=a", "--out_graph=b", "--output_as_text=false", "--output_as_memmapped=true", "--transforms=x"],
    ["--in_graph=a", "--out_graph=b", "--transforms_file=recipe.transforms", "--gzip_size", "--report=r.json"],
    [
      "--in_graph=a", "--out_graph=b", "--transforms=x", "--verify", "--verify_tolerance=0.05",
      "--verify_runs=3", "--verify_seed=7", "--input_shapes=1,2:3", "--input_values=v.pb", "--inputs=p,q",
    ],
    ["--transforms=a=b(c=d)", "--outputs=x:0,^y"],
    [],
  ]

  @Test(arguments: plain) func plainCommandLinesAreReadQuicklyAndAlike(_ arguments: [String]) throws {
    let quick = try #require(TransformGraphCommand.quickParse(arguments), "\(arguments) took the slow path")
    #expect(fields(quick) == fields(try fullParse(arguments)))
  }

  @Test func theQuickReadingSetsEachFlag() throws {
    let quick = try #require(TransformGraphCommand.quickParse(Self.plain[4]))
    #expect(quick.verify)
    #expect(quick.verification.tolerance == 0.05)
    #expect(quick.verification.runs == 3)
    #expect(quick.verification.seed == 7)
    #expect(quick.verification.inputShapes == "1,2:3")
    #expect(quick.inputs == "p,q")
    let defaults = try #require(TransformGraphCommand.quickParse([]))
    #expect(defaults.verification.tolerance == 1e-4 && defaults.verification.runs == 1)
    #expect(!defaults.quiet && !defaults.gzipSize && defaults.transforms.isEmpty)
  }

  static let unusual: [[String]] = [
    ["--help"], ["-h"], ["--version"],
    ["--in_graph", "a.pb"],  // the separate-value form
    ["--in_graph=a", "--in_graph=b"],  // repeated
    ["--in-graph=a"],  // unknown
    ["--inputs="],  // empty value
    ["--quiet=true"],  // a flag that takes no value
    ["--output_as_text=yes"],  // not a boolean
    ["--verify_runs=0"],  // fails validation
    ["--verify_runs=many"],
    ["--verify_tolerance=nan"],
    ["in.pb"],  // positional
    ["--", "--quiet"],
  ]

  @Test(arguments: unusual) func unusualCommandLinesGoToArgumentParser(_ arguments: [String]) {
    #expect(TransformGraphCommand.quickParse(arguments) == nil)
  }
}
