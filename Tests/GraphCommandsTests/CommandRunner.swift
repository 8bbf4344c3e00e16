// SPDX-License-Identifier: Apache-2.0

import Foundation
import GraphIO
import GraphIR
import Testing

/// What running one of the tools printed and returned.
struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs a built executable (`transform_graph`, `summarize_graph`) from the build folder
/// the tests run from.
func runTool(_ name: String, _ arguments: [String]) throws -> CommandResult {
  let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  var executable = folder.appendingPathComponent(name)
  if !FileManager.default.fileExists(atPath: executable.path) {
    // Under some runners argv[0] is inside the .xctest bundle.
    executable = folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name)
  }
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  #expect(process.terminationReason == .exit, "\(name) was killed by a signal")
  return CommandResult(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

/// A scratch folder removed by the caller.
func scratchFolder() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// The repository's root, from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// The bundled example graph.
let exampleGraph = repositoryRoot.appendingPathComponent("examples/tf1_classic.pb").path
