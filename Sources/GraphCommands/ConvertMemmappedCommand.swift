// SPDX-License-Identifier: Apache-2.0

public import ArgumentParser

/// `convert_graphdef_memmapped_format` (placeholder until issue 6 lands).
public struct ConvertMemmappedCommand: ParsableCommand {
  /// The command's name and help text.
  public static let configuration = CommandConfiguration(
    commandName: "convert_graphdef_memmapped_format",
    abstract: "Convert a GraphDef into TensorFlow's memory-mapped package format (not implemented yet).")

  /// Creates the command with default flag values.
  public init() {}

  /// Runs the command on `arguments` (without the program name); returns the exit status.
  public static func main(arguments: [String]) -> Int32 {
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
      return 0
    } catch {
      return exitStatus(for: error, command: self)
    }
  }

  /// Fails: the converter is not implemented yet.
  public func run() throws {
    throw CommandError("not implemented yet")
  }
}
