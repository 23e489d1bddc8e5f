import Foundation
import KiraCore
@testable import KiraRadiomics
import Testing

/// Analytic answers and internal cross-checks of the engine's pieces.
@Suite struct EngineUnitTests {
    /// A deterministic pseudo-random ROI (linear congruential generator, fixed seed).
    static func randomROI(nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>) -> ROIGrid {
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let n = nx * ny * nz
        var values = [Double](repeating: 0, count: n), mask = [Bool](repeating: false, count: n)
        for i in 0..<n { values[i] = (next() * 100).rounded(); mask[i] = next() < 0.7 }
        return ROIGrid(nx: nx, ny: ny, nz: nz, spacing: spacing, intensities: values, morphologicalMask: mask, intensityMask: mask)
    }

    @Test func moranAndGearyByFFTEqualThePairLoop() throws {
        let roi = Self.randomROI(nx: 13, ny: 9, nz: 6, spacing: [0.8, 1.1, 2.5])
        var positions: [SIMD3<Double>] = [], values: [Double] = []
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx where roi.intensityMask[roi.index(x, y, z)] {
            positions.append(SIMD3(Double(x), Double(y), Double(z)) * roi.spacing); values.append(roi.intensities[roi.index(x, y, z)])
        } } }
        let direct = MorphologyStats.autocorrelation(positions, values)
        let fft = MorphologyStats.autocorrelationFFT(roi)
        let (dm, dg) = (try #require(direct.0), try #require(direct.1))
        let (fm, fg) = (try #require(fft.0), try #require(fft.1))
        #expect(abs(dm - fm) <= 1e-10 * max(1, abs(dm)), "Moran's I: pair loop \(dm), FFT \(fm)")
        #expect(abs(dg - fg) <= 1e-10 * max(1, abs(dg)), "Geary's C: pair loop \(dg), FFT \(fg)")
    }

    /// A single voxel's marching-cubes surface is the octahedron with vertices at the six
    /// face centres: volume 4/3·(1/2)³ = 1/6, area 8·(√3/8) = √3 (unit voxels).
    @Test func singleVoxelMeshIsAnOctahedron() {
        let mesh = MarchingCubes.mesh([true], nx: 1, ny: 1, nz: 1, spacing: [1, 1, 1])
        #expect(abs(mesh.volume - 1.0 / 6) < 1e-12)
        #expect(abs(mesh.area - 3.0.squareRoot()) < 1e-12)
        #expect(mesh.vertices.count == 6)
    }

    /// The signed-tetrahedron volume sum only equals the enclosed volume when the mesh is closed
    /// and consistently oriented; moving the ROI must then change neither volume nor area.
    /// Every generated cube configuration must also use each polygon edge once (cube face) or
    /// twice (fan diagonal).
    @Test func meshVolumeIsTranslationInvariant() {
        var mask = [Bool](repeating: false, count: 4 * 4 * 4)
        for z in 1...2 { for y in 1...2 { for x in 1...2 { mask[(z * 4 + y) * 4 + x] = true } } }
        let a = MarchingCubes.mesh(mask, nx: 4, ny: 4, nz: 4, spacing: [1, 1, 1])
        var shifted = [Bool](repeating: false, count: 5 * 5 * 5)
        for z in 2...3 { for y in 2...3 { for x in 2...3 { shifted[(z * 5 + y) * 5 + x] = true } } }
        let b = MarchingCubes.mesh(shifted, nx: 5, ny: 5, nz: 5, spacing: [1, 1, 1])
        #expect(abs(a.volume - b.volume) < 1e-12)
        #expect(abs(a.area - b.area) < 1e-12)
        // Every one of the 256 configurations yields a closed polygon set (edges used in pairs).
        for config in 0..<256 {
            var count = [Int: Int]()
            let t = MarchingCubes.table[config]
            for k in stride(from: 0, to: t.count, by: 3) {
                for (u, v) in [(t[k], t[k + 1]), (t[k + 1], t[k + 2]), (t[k + 2], t[k])] {
                    count[min(u, v) * 12 + max(u, v), default: 0] += 1
                }
            }
            // Interior diagonals appear twice; boundary edges (on cube faces) once.
            #expect(count.values.allSatisfy { $0 == 1 || $0 == 2 }, "configuration \(config)")
        }
    }

    /// Fixed bin number on 0…9 with 5 bins: floor(5·(x−0)/9) + 1, the maximum in the last bin.
    @Test func fixedBinNumberDiscretisation() throws {
        let values = (0..<10).map(Double.init)
        let roi = ROIGrid(nx: 10, ny: 1, nz: 1, spacing: [1, 1, 1], intensities: values,
                          morphologicalMask: [Bool](repeating: true, count: 10), intensityMask: [Bool](repeating: true, count: 10))
        let levels = try Discretiser.discretise(roi, method: .fixedBinNumber(5), origin: nil)
        #expect(levels.levels == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(levels.greyLevels == 5)
        let fbs = try Discretiser.discretise(roi, method: .fixedBinSize(4), origin: -2)
        #expect(fbs.levels == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    }

    /// A constant ROI: texture features that divide by a spread are undefined with a reason,
    /// never NaN.
    @Test func constantIntensitiesGiveReasonsNotNaN() throws {
        let n = 4 * 4 * 3
        let roi = ROIGrid(nx: 4, ny: 4, nz: 3, spacing: [1, 1, 1], intensities: [Double](repeating: 7, count: n),
                          morphologicalMask: [Bool](repeating: true, count: n), intensityMask: [Bool](repeating: true, count: n))
        let set = try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(roi)
        for row in set.rows { if let x = row.value.number { #expect(x.isFinite, "\(row.tag)") } }
        #expect(set.row(tag: "stat_skew")?.value.reason != nil)
        #expect(set.row(tag: "cm_corr_3D_avg")?.value.reason != nil)
        #expect(set.row(tag: "morph_moran_i")?.value.reason != nil)
        #expect(set.row(tag: "stat_var")?.value.number == 0)
    }

    @Test func singleVoxelROIHasNoNaN() throws {
        var mask = [Bool](repeating: false, count: 27)
        mask[13] = true
        let roi = ROIGrid(nx: 3, ny: 3, nz: 3, spacing: [1, 1, 1], intensities: (0..<27).map(Double.init),
                          morphologicalMask: mask, intensityMask: mask)
        let set = try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(roi)
        for row in set.rows { if let x = row.value.number { #expect(x.isFinite, "\(row.tag)") } }
        #expect(abs((set.row(tag: "morph_volume")?.value.number ?? 0) - 1.0 / 6) < 1e-12)
        #expect(set.row(tag: "morph_diam")?.value.reason != nil || set.row(tag: "morph_diam")?.value.number != nil)
    }

    /// Two voxels 0 and 10: with interpolated percentiles P10 = 1 and P90 = 9, so no intensity lies
    /// in [P10, P90] and the robust mean absolute deviation is undefined (pyradiomics: the mean of
    /// an empty selection, NaN). It used to trap on an empty index range (found by `make demo`,
    /// a 2-voxel habitat). With three voxels 0, 10, 20 the set is {10} and the value 0.
    @Test(arguments: [([0.0, 10.0], nil), ([0.0, 10.0, 20.0], 0.0), ([0.0, 10.0, 20.0, 40.0], 5.0)] as [([Double], Double?)])
    func robustMeanAbsoluteDeviationOfFewVoxels(values: [Double], expected: Double?) throws {
        let n = values.count
        let roi = ROIGrid(nx: n, ny: 1, nz: 1, spacing: [1, 1, 1], intensities: values,
                          morphologicalMask: [Bool](repeating: true, count: n), intensityMask: [Bool](repeating: true, count: n))
        let set = try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(roi)
        let row = try #require(set.row(tag: "stat_rmad"))
        if let expected { #expect(row.value.number == expected) } else { #expect(row.value.reason != nil) }
    }

    @Test func catalogTagsAreUniqueAndEveryFamilyIsCovered() {
        let stems = FeatureCatalog.all.map(\.tagStem)
        #expect(Set(stems).count == stems.count)
        // IBSI-1 counts per family (chapter 3 overview), less the 4 non-standardised
        // OMBB/MVEE morphology features Kira does not compute.
        let expected: [FeatureFamily: Int] = [.morphology: 25, .localIntensity: 2, .intensityStatistics: 18, .intensityHistogram: 23,
                                              .intensityVolumeHistogram: 7, .glcm: 25, .glrlm: 16, .glszm: 16, .gldzm: 16,
                                              .ngtdm: 5, .ngldm: 17]
        for f in FeatureFamily.allCases { #expect(FeatureCatalog.features(of: f).count == expected[f], "\(f)") }
    }

    @Test func emptyMaskIsAClearError() throws {
        let g = Geometry(size: [3, 3, 3])
        let image = try Volume(geometry: g, voxels: .float64([Double](repeating: 1, count: 27)))
        let mask = try Volume(geometry: g, voxels: .uint8([UInt8](repeating: 0, count: 27)))
        #expect(throws: KiraError.self) { try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(image: image, morphologicalMask: mask) }
        var withNaN = [Double](repeating: 1, count: 27); withNaN[13] = .nan
        var m = [UInt8](repeating: 0, count: 27); m[13] = 1
        let nanImage = try Volume(geometry: g, voxels: .float64(withNaN))
        do {
            _ = try RadiomicsExtractor(settings: .ibsiDigitalPhantom).extract(image: nanImage, morphologicalMask: Volume(geometry: g, voxels: .uint8(m)))
            Issue.record("NaN voxel accepted")
        } catch let e as KiraError {
            #expect(e.description.contains("non-finite"))
        }
    }
}
