// SPDX-License-Identifier: Apache-2.0

import GraphIR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes one line to standard error.
func printError(_ line: String) {
  var text = line
  if !text.hasSuffix("\n") { text += "\n" }
  text.withUTF8 { bytes in
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
      let written = write(2, base + offset, bytes.count - offset)
      if written <= 0 { return }
      offset += written
    }
  }
}

/// `text` padded with spaces to `width` characters.
func padded(_ text: String, to width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `12.35 MB`, `830.2 kB`, `512 B`: decimal units, as file managers and zip tools show.
func humanBytes(_ count: Int) -> String {
  let value = Double(count)
  if count < 1000 { return "\(count) B" }
  if count < 1_000_000 { return fixed(value / 1e3, places: 1) + " kB" }
  if count < 1_000_000_000 { return fixed(value / 1e6, places: 2) + " MB" }
  return fixed(value / 1e9, places: 2) + " GB"
}

/// A signed size change: `+1.20 MB`, `-830.2 kB`, `±0 B`.
func humanDelta(_ delta: Int) -> String {
  if delta == 0 { return "±0 B" }
  return (delta > 0 ? "+" : "-") + humanBytes(abs(delta))
}

/// TensorFlow's `HumanReadableNum`: `999`, `3.54M`, `25.56B`, and `%0.3G` from 1e15 on.
func humanReadableNum(_ value: Int64) -> String {
  var sign = ""
  var value = value
  if value < 0 {
    sign = "-"
    value = value == .min ? .max : -value
  }
  if value < 1000 { return sign + String(value) }
  if value >= 1_000_000_000_000_000 { return sign + format("%0.3G", Double(value)) }
  let units: [Character] = ["k", "M", "B", "T"]
  var unit = 0
  while value >= 1_000_000 {
    value /= 1000
    unit += 1
  }
  return sign + format("%.2f", Double(value) / 1000.0) + String(units[min(unit, units.count - 1)])
}

/// `value` with `places` (0...6) decimals, right-aligned in `width` characters, as `%.Nf`
/// prints it but for the last digit at near-ties (a display figure, not a parity one).
///
/// `format` goes through `withVaList`, whose first use of each argument type costs a
/// runtime conformance search: about 1 ms of every run, spent printing its progress lines.
func fixed(_ value: Double, places: Int, width: Int = 0) -> String {
  let scale = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6][min(max(places, 0), 6)]
  let scaled = (abs(value) * scale).rounded()
  // Below 1e12 the scaling's rounding error is under 1e-4 of the last digit.
  guard value.isFinite, scaled < 1e12 else { return format("%\(width).\(places)f", value) }
  var digits = String(Int(scaled))
  if digits.count <= places { digits = String(repeating: "0", count: places + 1 - digits.count) + digits }
  if places > 0 { digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -places)) }
  if value.sign == .minus { digits = "-" + digits }
  return digits.count < width ? String(repeating: " ", count: width - digits.count) + digits : digits
}

/// `printf`-style formatting of one double.
func format(_ pattern: String, _ value: Double) -> String {
  var buffer = [CChar](repeating: 0, count: 64)
  _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, pattern, $0) }
  let length = buffer.firstIndex(of: 0) ?? buffer.count
  return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Seconds on a monotonic clock.
func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Splits a comma-separated flag value as TensorFlow does: empty text gives no names.
func splitNames(_ text: String) -> [String] {
  text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
}
