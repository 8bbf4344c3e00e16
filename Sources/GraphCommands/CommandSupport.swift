// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import GraphIO
import GraphTransforms

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The version `--version` prints.
let toolVersion = "0.1.0"

/// A failure the command reports as one `error:` line.
struct CommandError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Prints an error the way this tool does and returns the exit status for it.
///
/// Usage mistakes (bad or missing flags) print ArgumentParser's message and usage and
/// exit 64; a verification whose outputs differ exits 2, one that cannot run for lack of a
/// kernel exits 3; every other failure prints one `error:` line (plus a caret line for
/// transform strings) and exits 1. `--help` and `--version` exit 0.
func exitStatus(for error: any Error, command: any ParsableCommand.Type) -> Int32 {
  let program = command.configuration.commandName ?? "transform_graph"
  switch error {
  case let error as GraphDecodingError:
    printError("\(program): error: cannot read graph \(error)")
    return 1
  case let failure as VerificationFailure:
    printError("\(program): error: \(failure)")
    return failure.exitStatus
  case is TransformSpecError, is GraphWriteError, is PipelineError, is CommandError:
    printError("\(program): error: \(error)")
    return 1
  default:
    let code = command.exitCode(for: error)
    if code == .success {
      let message = command.fullMessage(for: error)
      // Help (not --version) ends with the command's appendix, such as the transforms.
      let appendix = (command as? any TensorFlowStyleCommand.Type)?.helpAppendix ?? ""
      print(message.contains("USAGE:") && !appendix.isEmpty ? message + "\n\n" + appendix : message)
      return 0
    }
    printError(command.fullMessage(for: error))
    return code == .validationFailure ? 64 : code.rawValue
  }
}

/// A command with TensorFlow-style flags, run from a `main.swift` as
/// `Command.mainThenExit(arguments:)`.
public protocol TensorFlowStyleCommand: ParsableCommand {
  /// Boolean flags that may stand bare, as TensorFlow allows (`--output_as_text`).
  static var booleanFlags: Set<String> { get }
  /// Text `--help` prints after the flags. Not part of `configuration`, which every run
  /// builds: `transform_graph`'s list of transforms took 3 ms to lay out.
  static var helpAppendix: String { get }
  /// The command read from a plain command line without ArgumentParser (see `QuickFlags`);
  /// nil to leave the reading, and any message, to ArgumentParser.
  static func quickParse(_ arguments: [String]) -> Self?
  /// Runs the command as `run()` does, and returns what it would free on the way out (its
  /// graphs), for a caller about to end the process to leave to the exit.
  func runLeavingValues() throws -> Any
}

extension TensorFlowStyleCommand {
  /// No appendix.
  public static var helpAppendix: String { "" }
  /// Always ArgumentParser.
  public static func quickParse(_ arguments: [String]) -> Self? { nil }
  /// Runs `run()`, leaving nothing.
  public func runLeavingValues() throws -> Any {
    var command = self
    try command.run()
    return ()
  }
}

extension TensorFlowStyleCommand {
  /// Parses `arguments` (without the program name), runs the command, and returns the exit
  /// status: 0 on success, 1 for a failed run, 64 for a usage mistake.
  public static func main(arguments: [String]) -> Int32 {
    run(arguments, leaving: { _ in })
  }

  /// Runs as `main(arguments:)` does, then ends the process with the exit status.
  ///
  /// The command's graphs are left to the exit instead of freed: releasing DenseNet-121's
  /// 3,500 nodes one allocation at a time took 2 ms, about 7% of a `quantize_weights`
  /// run, to return memory that the exit returns anyway in one piece.
  public static func mainThenExit(arguments: [String]) -> Never {
    var left: Any = ()
    let status = run(arguments, leaving: { left = $0 })
    withExtendedLifetime(left) { exitProcess(status) }
  }

  private static func run(_ arguments: [String], leaving keep: (Any) -> Void) -> Int32 {
    do {
      if let command = quickParse(arguments) {
        keep(try command.runLeavingValues())
      } else {
        let command = try parseAsRoot(LegacyArguments.normalized(arguments, booleanFlags: booleanFlags))
        guard let command = command as? Self else {
          // A subcommand or help request: ArgumentParser's own run.
          var other = command
          try other.run()
          return 0
        }
        keep(try command.runLeavingValues())
      }
      return 0
    } catch {
      return exitStatus(for: error, command: self)
    }
  }
}

/// The C library's `exit`, which `ParsableCommand.exit(withError:)` hides inside commands.
func exitProcess(_ status: Int32) -> Never { exit(status) }

func errnoText() -> String { String(cString: strerror(errno)) }
