import Foundation
@testable import KiraRadiomics
import Testing

/// Moran's I and Geary's C by FFT (cropped to the intensity mask's box, transforms split
/// across cores) against the direct pair loop, on an ROI off-centre in a grid with a wide
/// margin, as local intensity leaves it.
@Suite struct AutocorrelationTests {
    @Test func fftOnAnOffCentreROIEqualsThePairLoop() throws {
        let nx = 40, ny = 33, nz = 9
        var state: UInt64 = 99
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var values = [Double](repeating: 0, count: nx * ny * nz), mask = [Bool](repeating: false, count: nx * ny * nz)
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx {
            let i = (z * ny + y) * nx + x
            values[i] = (next() * 50).rounded() + Double(x)
            mask[i] = (25...36).contains(x) && (3...14).contains(y) && (2...6).contains(z) && next() < 0.8
        } } }
        let roi = ROIGrid(nx: nx, ny: ny, nz: nz, spacing: [0.7, 0.9, 3], intensities: values, morphologicalMask: mask, intensityMask: mask)
        var positions: [SIMD3<Double>] = [], v: [Double] = []
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx where mask[roi.index(x, y, z)] {
            positions.append(SIMD3(Double(x), Double(y), Double(z)) * roi.spacing); v.append(values[roi.index(x, y, z)])
        } } }
        let direct = MorphologyStats.autocorrelation(positions, v)
        let fft = MorphologyStats.autocorrelationFFT(roi)
        let (dm, dg) = (try #require(direct.0), try #require(direct.1))
        let (fm, fg) = (try #require(fft.0), try #require(fft.1))
        #expect(abs(dm - fm) <= 1e-10 * max(1, abs(dm)), "Moran's I: pair loop \(dm), FFT \(fm)")
        #expect(abs(dg - fg) <= 1e-10 * max(1, abs(dg)), "Geary's C: pair loop \(dg), FFT \(fg)")
        // The FFT grid covers the ROI's box (12 × 12 × 5), not the 40 × 33 × 9 grid.
        let box = try #require(MorphologyStats.intensityBox(roi))
        #expect(MorphologyStats.fftSize(box) == [32, 32, 16])
    }
}
