import KiraCore
import Testing
@testable import KiraRadiomics

/// A line pass reads stored voxels (16-bit integers, floats) through C kernels that convert
/// and, along x, transpose in one step, and can store its outputs in single precision. Its
/// results must be those of the same pass on a double copy of the voxels, bit for bit:
/// sizes that are not multiples of the kernels' 4-value blocks or the 32-row x blocks, every
/// axis, kept ranges at either end and in the middle.
@Suite struct LinePassInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var size: SIMD3<Int>, axis: Int, keep: Range<Int>, type: ScalarType
        var description: String { "\(size.x)×\(size.y)×\(size.z) axis \(axis) keep \(keep) \(type)" }
    }

    static let cases: [Case] = [
        Case(size: [37, 23, 9], axis: 0, keep: 5..<30, type: .int16),
        Case(size: [37, 23, 9], axis: 1, keep: 0..<23, type: .int16),
        Case(size: [37, 23, 9], axis: 2, keep: 6..<9, type: .int16),
        Case(size: [5, 6, 7], axis: 0, keep: 0..<5, type: .float32),
        Case(size: [5, 6, 7], axis: 1, keep: 2..<3, type: .float32),
        Case(size: [70, 3, 4], axis: 2, keep: 0..<2, type: .float32),
        Case(size: [41, 33, 5], axis: 0, keep: 40..<41, type: .uint8),
    ]

    @Test(arguments: cases)
    func storedVoxelsAndFloatOutputsMatchTheDoublePass(_ c: Case) throws {
        var rng = SplitMix64(seed: UInt64(c.size.x * 100 + c.size.y * 10 + c.axis))
        let count = c.size.x * c.size.y * c.size.z
        let voxels = randomVoxels(c.type, count: count, &rng)
        let filter = RecursiveGaussian(sigma: 1.7, spacing: 0.9, order: .second, normalizeAcrossScale: true)
        let keep = c.keep
        let body: FilterGrid.LaneBody = { p, lanes, stride, n, out, outStride, scratch in
            filter.apply(lanes: p, lanes, stride: stride, n, out: out, outStride: outStride, keep: keep, scratch: scratch, roundToFloat: true)
        }
        let scratch = 2 * c.size[c.axis]
        let reference = FilterGrid(size: c.size, values: voxels.toDoubles()).filterLines(c.axis, keep: keep, scratchPerLane: scratch, body)
        let stored = FilterGrid.filterLines(voxels, size: c.size, c.axis, keep: keep, scratchPerLane: scratch, bodies: [body], float32: true)
        guard case let .float32(floats) = try #require(stored.first) else {
            Issue.record("single-precision outputs were asked for")
            return
        }
        #expect(floats.count == reference.values.count)
        let mismatches = zip(floats, reference.values).filter { Double($0) != $1 }.count
        #expect(mismatches == 0)
        // Two bodies in one pass give each its own, equal, result.
        let twice = FilterGrid.filterLines(voxels, size: c.size, c.axis, keep: keep, scratchPerLane: scratch, bodies: [body, body], float32: false)
        #expect(twice.count == 2)
        for out in twice {
            guard case let .float64(doubles) = out else { Issue.record("double outputs were asked for"); continue }
            #expect(doubles == reference.values)
        }
    }
}
