import Foundation
import KiraCore
@testable import KiraPreprocess
import KiraTestSupport
import Testing

/// N4 against answers known without a peer: the phantom's bias is recovered up to the
/// constant factor N4 cannot identify; B-spline refinement leaves the spline unchanged; bad
/// inputs fail with a message naming the problem.
@Suite("N4 bias-field correction: analytic checks and bad input")
struct N4AnalyticTests {
    @Test("the known multiplicative bias is recovered up to a constant factor")
    func recoversBias() throws {
        let phantom = try N4TestImages.phantom()
        let result = try N4BiasFieldCorrection.correct(phantom.biased, settings: N4Settings(shrinkFactor: 2))
        var before = [Double](), after = [Double](), fieldRatio = [Double]()
        for i in 0..<phantom.truth.count where phantom.truth[i] > 0 {
            before.append(phantom.biased.voxels[i] / phantom.truth[i])
            after.append(result.corrected.voxels[i] / phantom.truth[i])
            fieldRatio.append(phantom.bias[i] / exp(result.logBiasField.voxels[i]))
        }
        let cvBefore = N4TestImages.cv(before), cvAfter = N4TestImages.cv(after), cvField = N4TestImages.cv(fieldRatio)
        print("N4 phantom: CV of image/truth inside the mask \(cvBefore) before, \(cvAfter) after; CV of true/estimated field \(cvField)")
        // The applied field spans about exp(±0.35) (CV 0.17 inside the ellipsoid); after
        // correction what is left is below 2 % of the truth, i.e. about a tenth of the bias.
        #expect(cvBefore > 0.1)
        #expect(cvAfter < 0.02)
        #expect(cvAfter < 0.12 * cvBefore)
        // corrected / truth and true / estimated field are the same ratio.
        #expect(abs(cvAfter - cvField) < 1e-5)
    }

    @Test("mesh refinement keeps the cubic spline exactly")
    func refinementIsExact() {
        var rng = SplitMix64(seed: 7)
        let lattice = CubicLattice(size: [5, 4, 6], values: (0..<120).map { _ in rng.unit() - 0.5 })
        let grid = SIMD3(17, 11, 9)
        let coarse = lattice.evaluateGrid(grid)
        let fine = lattice.refined()
        #expect(fine.size == SIMD3(7, 5, 9))
        let refined = fine.evaluateGrid(grid)
        var worst: Float = 0
        for i in coarse.indices { worst = max(worst, abs(coarse[i] - refined[i])) }
        #expect(worst < 1e-6)
    }

    @Test("a spline fitted to one point passes through it; spline weights sum to one")
    func singlePointFit() {
        let grid = SIMD3(12, 9, 1)
        let size = SIMD3(4, 5, 4)
        let axes = (CubicLattice.Axis(voxels: grid.x, controlPoints: size.x), CubicLattice.Axis(voxels: grid.y, controlPoints: size.y),
                    CubicLattice.Axis(voxels: grid.z, controlPoints: size.z))
        for point in [Int32(0), 17, 50, 107] {
            let lattice = CubicLattice.fit(size: size, axes: axes, grid: grid, points: [point], values: [2.5])
            let back = lattice.evaluate(axes: axes, grid: grid, points: [point])
            #expect(abs(back[0] - 2.5) < 1e-12)
        }
        // Partition of unity: a lattice of ones evaluates to one everywhere.
        let ones = CubicLattice(size: size, values: [Double](repeating: 1, count: 80)).evaluateGrid(grid)
        #expect(ones.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    @Test("histogram sharpening leaves a single narrow peak in place")
    func sharpeningFixedPoint() throws {
        // Values spread symmetrically about 3: the conditional mean E(u|v) of the centre is 3.
        let values = (0...400).map { 3 + 0.001 * Double($0 - 200) }
        let sharpened = try #require(N4HistogramSharpening(bins: 200, fwhm: 0.15, wienerNoise: 0.01).sharpen(values))
        #expect(abs(sharpened[200] - 3) < 1e-9)
        // Symmetric input, symmetric mapping.
        #expect(abs((sharpened[100] - 3) + (sharpened[300] - 3)) < 1e-9)
    }

    @Test("the FFT equals the direct DFT")
    func fftMatchesDFT() {
        var rng = SplitMix64(seed: 3)
        let n = 16
        let x = (0..<n).map { _ in rng.unit() }
        var re = x, im = [Double](repeating: 0, count: n)
        FFT.transform(&re, &im, inverse: false)
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for j in 0..<n { sr += x[j] * cos(-2 * .pi * Double(j * k) / Double(n)); si += x[j] * sin(-2 * .pi * Double(j * k) / Double(n)) }
            #expect(abs(sr - re[k]) < 1e-12 && abs(si - im[k]) < 1e-12)
        }
    }

    static func small(_ values: [Float], size: SIMD3<Int> = [6, 5, 4]) throws -> Volume {
        try Volume(geometry: Geometry(size: size), voxels: .float32(values))
    }

    @Test("an empty mask is refused")
    func emptyMask() throws {
        let image = try Self.small((0..<120).map { Float($0 + 1) })
        let mask = try Volume(geometry: image.geometry, voxels: .uint8([UInt8](repeating: 0, count: 120)))
        #expect { try N4BiasFieldCorrection.correct(image, mask: mask, settings: N4Settings(shrinkFactor: 1)) } throws: { error in
            "\(error)".contains("mask is empty")
        }
    }

    @Test("an image without positive intensities is refused", arguments: [false, true])
    func nonPositive(withMask: Bool) throws {
        let image = try Self.small((0..<120).map { -Float($0 % 7) })
        let mask = withMask ? try Volume(geometry: image.geometry, voxels: .uint8([UInt8](repeating: 1, count: 120))) : nil
        #expect { try N4BiasFieldCorrection.correct(image, mask: mask, settings: N4Settings(shrinkFactor: 1)) } throws: { error in
            "\(error)".contains("positive intensit")
        }
    }

    @Test("a 4D image is refused")
    func fourD() throws {
        let g = Geometry(size: [6, 5, 4])
        let image = try Volume(geometry: g, timepoints: 2, voxels: .float32((0..<240).map { Float($0 + 1) }))
        #expect { try N4BiasFieldCorrection.correct(image) } throws: { error in
            "\(error)".contains("2 time points")
        }
    }

    @Test("constant intensities, a mask on another grid and bad settings are refused")
    func otherBadInput() throws {
        let constant = try Self.small([Float](repeating: 5, count: 120))
        #expect { try N4BiasFieldCorrection.correct(constant, settings: N4Settings(shrinkFactor: 1)) } throws: { "\($0)".contains("constant") }
        let image = try Self.small((0..<120).map { Float($0 + 1) })
        let mask = try Volume(geometry: Geometry(size: [6, 5, 3]), voxels: .uint8([UInt8](repeating: 1, count: 90)))
        #expect { try N4BiasFieldCorrection.correct(image, mask: mask) } throws: { "\($0)".contains("differs from the image grid") }
        #expect { try N4BiasFieldCorrection.correct(image, settings: N4Settings(controlPoints: [3, 4, 4])) } throws: { "\($0)".contains("control points") }
        #expect { try N4BiasFieldCorrection.correct(image, settings: N4Settings(maximumIterations: [])) } throws: { "\($0)".contains("iterations") }
        #expect { try N4BiasFieldCorrection.correct(image, settings: N4Settings(shrinkFactor: 0)) } throws: { "\($0)".contains("shrink") }
    }

    @Test("non-positive voxels inside a given mask are left out and counted")
    func nonPositiveInsideMask() throws {
        var values = (0..<120).map { Float(100 + ($0 * 37) % 50) }
        values[7] = 0; values[50] = -3
        let image = try Self.small(values)
        let mask = try Volume(geometry: image.geometry, voxels: .uint8([UInt8](repeating: 1, count: 120)))
        let r = try N4BiasFieldCorrection.correct(image, mask: mask, settings: N4Settings(shrinkFactor: 1, maximumIterations: [3]))
        #expect(r.nonPositiveInMask == 2)
        #expect(r.fittedVoxels == 118)
        #expect(r.corrected.voxels[7] == 0)
    }
}
