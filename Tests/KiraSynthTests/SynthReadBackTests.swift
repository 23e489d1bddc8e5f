import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraSynth
import KiraTestSupport
import Testing

/// Every DICOM file `kira synth` writes, read back by Kira's own reader (dcmtk underneath):
/// the grid, phases and pixel values are what the generator meant, and the masks sit on the
/// grid the reader builds.
@Suite("kira synth: DICOM read back by Kira")
struct SynthReadBackTests {
    static let dir = SynthFixture.small
    static let seed: UInt64 = 7

    static func caseOf(_ i: Int) -> SynthCase { SynthCase(index: i, seed: seed, centres: 3) }

    /// Same values to float32 precision (Kira keeps rescaled MR values as float32).
    static func expectValues(_ v: Volume, _ expected: [Double], _ what: String) {
        #expect(v.voxels.count == expected.count, "\(what): \(v.voxels.count) voxels, expected \(expected.count)")
        guard v.voxels.count == expected.count else { return }
        var worst = 0.0
        for i in expected.indices { worst = max(worst, abs(v.voxels[i] - expected[i]) / max(1, abs(expected[i]))) }
        #expect(worst <= 1e-6, "\(what): largest relative difference \(worst)")
    }

    static func expectGrid(_ g: Geometry, _ expected: Geometry, _ what: String) {
        let d = g.differences(from: expected, tolerance: GeometryTolerance(origin: 1e-6, relativeSpacing: 1e-9, angleDegrees: 1e-6))
        #expect(d.isEmpty, "\(what): \(d)")
    }

    @Test(arguments: 0..<4)
    func dceIsOneObliqueSeriesOfThreePhases(_ i: Int) throws {
        let c = Self.caseOf(i)
        let vols = try SynthFixture.loadDICOM(Self.dir.appendingPathComponent("cases/\(c.id)/dce"))
        #expect(vols.count == 1)
        let v = try #require(vols.first)
        let want = SynthImages.dce(c, seed: Self.seed)
        #expect(v.timepoints == 3)
        #expect(v.geometry.size == SIMD3(64, 64, 24))
        #expect(abs(v.geometry.spacing.x - 1) < 1e-9 && abs(v.geometry.spacing.y - 1) < 1e-9 && abs(v.geometry.spacing.z - 2.5) < 1e-4)
        // Oblique: every axis has at least two clearly non-zero components.
        for axis in v.geometry.direction.columns {
            #expect(axis.indices.filter { abs(axis[$0]) > 0.1 }.count >= 2, "axis \(axis) is nearly aligned")
        }
        Self.expectGrid(v.geometry, want.geometry, "DCE \(c.id)")
        Self.expectValues(v, want.values, "DCE \(c.id)")
        // The phases differ the way they were drawn: the tumour enhances after contrast.
        let mask = want.masks[0]
        func tumourMean(_ t: Int) -> Double {
            let n = 64 * 64 * 24
            var s = 0.0, k = 0.0
            for j in 0..<n where mask[j] == 1 { s += v.voxels[t * n + j]; k += 1 }
            return s / k
        }
        #expect(tumourMean(1) > tumourMean(0) * 1.5 && tumourMean(2) > tumourMean(1))
    }

    @Test(arguments: 0..<4)
    func t2MammogramAndUltrasound(_ i: Int) throws {
        let c = Self.caseOf(i)
        let base = Self.dir.appendingPathComponent("cases/\(c.id)")
        let t2 = try #require(try SynthFixture.loadDICOM(base.appendingPathComponent("t2")).first)
        let wantT2 = SynthImages.t2(c, seed: Self.seed)
        #expect(t2.timepoints == 1)
        Self.expectGrid(t2.geometry, wantT2.geometry, "T2 \(c.id)")
        Self.expectValues(t2, wantT2.values, "T2 \(c.id)")

        // Mammogram: PixelSpacing (0.3 / 1.1), not ImagerPixelSpacing (0.3).
        let mg = try #require(try SynthFixture.loadDICOM(base.appendingPathComponent("mg.dcm")).first)
        #expect(abs(mg.geometry.spacing.x - 0.272727272727) < 1e-12 && abs(mg.geometry.spacing.y - 0.272727272727) < 1e-12)
        #expect(mg.geometry.size == SIMD3(256, 256, 1))
        Self.expectValues(mg, SynthImages.mg(c, seed: Self.seed).values, "MG \(c.id)")

        // Ultrasound: spacing from the region's PhysicalDeltaX/Y (cm → mm).
        let us = try #require(try SynthFixture.loadDICOM(base.appendingPathComponent("us.dcm")).first)
        #expect(abs(us.geometry.spacing.x - 0.4) < 1e-12 && abs(us.geometry.spacing.y - 0.36) < 1e-12)
        let wantUS = SynthImages.us(c, seed: Self.seed)
        Self.expectValues(us, wantUS.values, "US \(c.id)")

        // The JPEG export holds the same picture; JPEG at quality 95 is lossy, within 2 grey
        // levels on average and 24 at worst (the speckle is the hardest content for it).
        let jpeg = try RasterReader.read(base.appendingPathComponent("us.jpg"), spacing: nil)
        #expect(jpeg.geometry.size == SIMD3(128, 128, 1))
        var sum = 0.0, worst = 0.0
        for k in wantUS.values.indices {
            let d = abs(jpeg.voxels[k] - wantUS.values[k])
            sum += d; worst = max(worst, d)
        }
        #expect(sum / Double(wantUS.values.count) < 2 && worst <= 24, "JPEG mean \(sum / 16384), worst \(worst)")
    }

    /// Each mask is on the grid Kira reads from its DICOM, lies in tissue, and the two readers
    /// agree closely but not exactly.
    @Test(arguments: 0..<4)
    func masksLineUpWithTheirImages(_ i: Int) throws {
        let c = Self.caseOf(i)
        let base = Self.dir.appendingPathComponent("cases/\(c.id)")
        for (name, image) in [("dce", "dce"), ("t2", "t2"), ("mg", "mg.dcm"), ("us", "us.dcm")] {
            let img = try #require(try SynthFixture.loadDICOM(base.appendingPathComponent(image)).first)
            var masks: [[Double]] = []
            for r in 1...2 {
                let url = base.appendingPathComponent("masks/\(name)_r\(r).nii.gz")
                // MaskReader refuses a mask off the image grid (Kira's own tolerance).
                let m = try MaskReader.read(url, label: nil, matching: img.geometry, imagePath: image)
                let raw = try NIfTIReader.read(url)
                #expect(raw.geometry.matches(img.geometry), "\(name) r\(r): \(raw.geometry.differences(from: img.geometry))")
                masks.append(m.voxels.toDoubles())
            }
            let n = img.geometry.voxelCount
            let inside = masks[0].indices.filter { masks[0][$0] > 0 }
            #expect(inside.count > 50, "\(name): reader 1 outlines \(inside.count) voxels")
            // In tissue: for MR and MG the (first phase's) value at every mask voxel is far above
            // air (0 + noise); ultrasound speckle reaches 0 anywhere, so there the mean counts.
            if name == "us" {
                #expect(inside.map { img.voxels[$0] }.reduce(0, +) / Double(inside.count) > 20, "us: the mask is not on tissue")
            } else {
                #expect(inside.allSatisfy { img.voxels[$0] >= 100 }, "\(name): a mask voxel is in air")
            }
            // Inside the field of view: no mask voxel on the image's edge.
            let s = img.geometry.size
            #expect(inside.allSatisfy { k in
                let x = k % s.x, y = k / s.x % s.y, z = k / (s.x * s.y)
                return x > 0 && y > 0 && x < s.x - 1 && y < s.y - 1 && (s.z == 1 || (z > 0 && z < s.z - 1))
            }, "\(name): the mask touches the edge of the image")
            var both = 0.0, a = 0.0, b = 0.0
            for k in 0..<n { a += masks[0][k]; b += masks[1][k]; both += masks[0][k] * masks[1][k] }
            let dice = 2 * both / (a + b)
            #expect(dice > 0.75 && dice < 0.995, "\(name) \(c.id): Dice between readers \(dice)")
        }
    }

    @Test func casesTableNamesEveryFileAndTheSplit() throws {
        let t = try SynthFixture.table(Self.dir)
        for col in SyntheticCohort.csvColumns { #expect(t.hasColumn(col), "\(col)") }
        #expect(try t.strings("centre") == ["A", "A", "A", "A"])
        #expect(try t.strings("set") == ["train", "train", "train", "internal"])
        for col in SyntheticCohort.csvColumns[6...] {
            for p in try t.strings(col) {
                #expect(FileManager.default.fileExists(atPath: Self.dir.appendingPathComponent(p).path), "\(col): \(p)")
            }
        }
        let yaml = try String(contentsOf: Self.dir.appendingPathComponent("study.yaml"), encoding: .utf8)
        #expect(yaml.contains("cohort: cases.csv") && yaml.contains("masks: [dce_r1, dce_r2]"))
        let readme = try String(contentsOf: Self.dir.appendingPathComponent("README.txt"), encoding: .utf8)
        #expect(readme.hasPrefix("SYNTHETIC DATA"))
    }

    @Test func centresAndSetsFollowTheDocumentedPattern() {
        let three = (0..<10).map { SynthCentre.assign(index: $0, centres: 3) }
        #expect(three.map(\.centre) == [0, 0, 0, 0, 0, 0, 1, 1, 2, 2])
        #expect(three.map(\.set) == ["train", "train", "train", "internal", "train", "train", "external", "external", "external", "external"])
        #expect((0..<10).map { SynthCentre.assign(index: $0, centres: 2).centre } == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    }
}
