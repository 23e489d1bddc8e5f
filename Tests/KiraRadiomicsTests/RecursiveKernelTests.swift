import KiraCore
import Testing
@testable import KiraRadiomics

/// The wide-vector C kernel of the recursive Gaussian must give the Swift loops' results bit
/// for bit (same operations, same order, no fused multiply-add): lane counts around the
/// vector widths (remainders), kept ranges at either end and in the middle, both orders,
/// with and without single-precision rounding. Skipped where the CPU has neither AVX nor
/// AVX-512 (the Swift loops then run alone).
@Suite struct RecursiveKernelTests {
    struct Case: Sendable, CustomStringConvertible {
        var lanes: Int, n: Int, keep: Range<Int>, order: RecursiveGaussian.Order, round: Bool, sigma: Double
        var description: String { "lanes \(lanes) n \(n) keep \(keep) \(order) round \(round) σ \(sigma)" }
    }

    static let cases: [Case] = [
        Case(lanes: 1, n: 4, keep: 0..<4, order: .zero, round: false, sigma: 1),
        Case(lanes: 3, n: 9, keep: 2..<5, order: .second, round: true, sigma: 2),
        Case(lanes: 8, n: 30, keep: 0..<30, order: .second, round: false, sigma: 3),
        Case(lanes: 13, n: 25, keep: 20..<25, order: .zero, round: true, sigma: 1.5),
        Case(lanes: 16, n: 256, keep: 100..<147, order: .second, round: true, sigma: 3),
        Case(lanes: 17, n: 40, keep: 0..<3, order: .zero, round: false, sigma: 0.7),
        Case(lanes: 37, n: 7, keep: 3..<4, order: .second, round: true, sigma: 5),
    ]

    @Test(.enabled(if: RecursiveGaussian.vectorWidth > 0, "the CPU has neither AVX nor AVX-512"), arguments: cases)
    func kernelEqualsSwiftLoops(_ c: Case) {
        var rng = SplitMix64(seed: UInt64(c.lanes * 1000 + c.n))
        // Lines as the x pass lays them out (lane-major) with a wider stride, as along y.
        let stride = c.lanes + 5
        var input = (0..<(c.n * stride)).map { _ in rng.unit() * 2000 - 1000 }
        let filter = RecursiveGaussian(sigma: c.sigma, spacing: 0.8, order: c.order, normalizeAcrossScale: true)
        func run(vector: Bool) -> [Double] {
            var out = [Double](repeating: .nan, count: c.keep.count * c.lanes)
            var scratch = [Double](repeating: 0, count: 2 * c.n * c.lanes)
            input.withUnsafeMutableBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    scratch.withUnsafeMutableBufferPointer { s in
                        filter.apply(lanes: p.baseAddress!, c.lanes, stride: stride, c.n, out: o.baseAddress!, outStride: c.lanes,
                                     keep: c.keep, scratch: s.baseAddress!, roundToFloat: c.round, vector: vector)
                    }
                }
            }
            return out
        }
        let loops = run(vector: false), kernel = run(vector: true)
        #expect(loops.allSatisfy { $0.isFinite })
        let differing = zip(kernel, loops).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(kernel.count == loops.count)
        #expect(differing == 0, "\(differing) of \(loops.count) outputs differ from the Swift loops")
    }
}
