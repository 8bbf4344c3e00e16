// SPDX-License-Identifier: Apache-2.0

import Testing

@testable import GraphEval

@Test func noOpHasTwoKernels() {
  #expect(KernelRegistry.duplicateOps.isEmpty)
}
