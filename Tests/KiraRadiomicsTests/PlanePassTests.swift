import KiraCore
import Testing
@testable import KiraRadiomics

/// Two line passes run plane by plane must give, bit for bit, what the same two passes give
/// one after the other over the whole grid (each stored in single precision): every pass
/// order LoG uses, stored int16, float and double voxels, several bodies at once, sizes that
/// are not multiples of the 32-lane blocks, kept ranges at either end and in the middle.
@Suite struct PlanePassTests {
    struct Case: Sendable, CustomStringConvertible {
        var size: SIMD3<Int>, first: Int, second: Int, keep: [Range<Int>], type: ScalarType
        var description: String { "\(size.x)×\(size.y)×\(size.z) \(first)→\(second) keep \(keep) \(type)" }
    }

    static let cases: [Case] = [
        Case(size: [37, 71, 9], first: 0, second: 1, keep: [5..<30, 0..<71, 0..<9], type: .int16),
        Case(size: [37, 71, 9], first: 1, second: 0, keep: [0..<37, 40..<70, 2..<5], type: .int16),
        Case(size: [66, 20, 13], first: 2, second: 0, keep: [30..<66, 3..<4, 0..<6], type: .float32),
        Case(size: [5, 6, 7], first: 0, second: 1, keep: [4..<5, 1..<6, 0..<7], type: .float64),
        Case(size: [40, 35, 6], first: 2, second: 0, keep: [0..<33, 0..<35, 5..<6], type: .uint8),
    ]

    @Test(arguments: cases)
    func planeByPlaneEqualsWholeGridPasses(_ c: Case) throws {
        var rng = SplitMix64(seed: UInt64(c.size.x * 1000 + c.size.y * 10 + c.first))
        let count = c.size.x * c.size.y * c.size.z
        let voxels = randomVoxels(c.type, count: count, &rng)
        func body(_ f: RecursiveGaussian, _ keep: Range<Int>) -> FilterGrid.LaneBody {
            { p, lanes, stride, n, out, outStride, scratch in
                f.apply(lanes: p, lanes, stride: stride, n, out: out, outStride: outStride, keep: keep, scratch: scratch, roundToFloat: true)
            }
        }
        let sigmas = [0.8, 2.3]
        let (a, b) = (c.first, c.second)
        let firsts = sigmas.map { body(RecursiveGaussian(sigma: $0, spacing: 0.9, order: .second, normalizeAcrossScale: true), c.keep[a]) }
        let seconds = sigmas.map { body(RecursiveGaussian(sigma: $0, spacing: 1.3, order: .zero, normalizeAcrossScale: true), c.keep[b]) }
        let scratch = 2 * max(c.size[a], c.size[b])
        let planes = FilterGrid.filterPlanes(voxels, size: c.size, first: a, second: b, keep: c.keep, scratchPerLane: scratch,
                                             firstBodies: firsts, secondBodies: seconds)
        #expect(planes.count == sigmas.count)
        var cut = c.size
        cut[a] = c.keep[a].count
        for k in sigmas.indices {
            let once = FilterGrid.filterLines(voxels, size: c.size, a, keep: c.keep[a], scratchPerLane: scratch, bodies: [firsts[k]], float32: true)[0]
            let twice = FilterGrid.filterLines(once, size: cut, b, keep: c.keep[b], scratchPerLane: scratch, bodies: [seconds[k]], float32: true)[0]
            guard case let .float32(expected) = twice, case let .float32(got) = planes[k] else {
                Issue.record("single-precision outputs were asked for")
                continue
            }
            #expect(got.count == expected.count)
            #expect(zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count == 0)
        }
    }
}
