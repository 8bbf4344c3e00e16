// SPDX-License-Identifier: Apache-2.0

@testable import GraphCommands
import Testing

/// `fixed` replaces `printf`'s `%W.Nf` in the progress lines; away from exact ties it must
/// print what `printf` prints.
struct FormattingTests {
  @Test func fixedPrintsWhatPrintfPrints() {
    // A deterministic spread of magnitudes, signs and fractions (no exact ties).
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var values: [Double] = [0, -0.0, 0.0004, 0.0006, 1, 9.99996, 999.9996, -12.3456, 1e6 + 0.123]
    for _ in 0..<2000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let mantissa = Double(state >> 11) / Double(1 << 53)
      let exponent = Double(Int(state & 15) - 5)
      values.append((state & 16 == 0 ? 1 : -1) * mantissa * pow10(exponent))
    }
    for value in values {
      for places in 0...6 {
        // Within a hair of a tie the last digit may differ, as documented.
        let scaled = abs(value) * pow10(Double(places))
        if abs(scaled - scaled.rounded(.down) - 0.5) < 1e-3 { continue }
        #expect(fixed(value, places: places) == format("%.\(places)f", value), "\(value), \(places) places")
      }
      let scaled = abs(value) * 1000
      if abs(scaled - scaled.rounded(.down) - 0.5) < 1e-3 { continue }
      #expect(fixed(value, places: 3, width: 7) == format("%7.3f", value), "\(value) in 7 columns")
    }
  }

  @Test func humanBytesUsesDecimalUnits() {
    #expect(humanBytes(999) == "999 B")
    #expect(humanBytes(1_500) == "1.5 kB")
    #expect(humanBytes(5_904_301) == "5.90 MB")
    #expect(humanBytes(102_836_518) == "102.84 MB")
    #expect(humanBytes(2_500_000_000) == "2.50 GB")
  }

  func pow10(_ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(abs(exponent)) { result *= 10 }
    return exponent < 0 ? 1 / result : result
  }
}
