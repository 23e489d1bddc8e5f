import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// `kira features` on the IBSI digital phantom, run as the built binary.
@Suite struct FeaturesCommandTests {
    static let image = TestPaths.reference("ibsi/digital_phantom/nifti/image/phantom.nii.gz").path
    static let mask = TestPaths.reference("ibsi/digital_phantom/nifti/mask/mask.nii.gz").path

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func jsonHasFeaturesAndDiagnostics() throws {
        let run = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--preset", "ibsi-phantom", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let features = try #require(run.json["features"] as? [[String: Any]])
        #expect(features.count == 483)
        let volume = try #require(features.first { $0["tag"] as? String == "morph_volume" })
        #expect(volume["name"] as? String == "original_shape_MeshVolume")
        #expect(volume["ibsi_code"] as? String == "RNU0")
        #expect(volume["family"] as? String == "morphology")
        // IBSI reference 556 ± 4; the value is pyradiomics' mesh volume.
        #expect(abs((volume["value"] as? Double ?? 0) - 556.333333333) < 1e-6)
        let d = try #require(run.json["diagnostics"] as? [String: Any])
        #expect(d["intensity_mask_voxels"] as? Int == 74)
        #expect((d["settings_hash"] as? String)?.count == 16)
        #expect((d["image_hash"] as? String)?.count == 16)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func csvToFileIsAtomicAndComplete() throws {
        let dir = try TestPaths.temporaryDirectory("kira-features")
        let out = dir.appendingPathComponent("f.csv")
        let run = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--preset", "ibsi-phantom", "-o", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "name,tag,ibsi_code,family,value,undefined_reason")
        #expect(lines.count == 484)
        #expect(lines.contains("original_firstorder_Mean,stat_mean,Q4LE,intensity_statistics,2.1486486486486487,"))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func badInputsExitOneWithAReason() throws {
        let absent = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--label", "7"])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("no voxel with label 7"))
        let preset = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--preset", "nope"])
        #expect(preset.status == 1)
        #expect(preset.stderr.contains("unknown preset 'nope'"))
        let ct = TestPaths.reference("ibsi/ct_phantom/nifti/mask/mask.nii.gz").path
        let grid = try KiraRun.run(["features", "--image", Self.image, "--mask", ct])
        #expect(grid.status == 1)
        #expect(grid.stderr.contains("not on the grid"))
        let missing = try KiraRun.run(["features", "--image", "/nonexistent.nii", "--mask", Self.mask])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"))
    }
}

/// NaN voxels in a NIfTI image reach `kira features`, which fails the case naming the file
/// and how many NaN voxels lie in the ROI (niftilib alone would have read them as 0).
@Suite struct FeaturesNaNTests {
    @Test func nanVoxelsInTheROIFailTheCaseWithTheirCount() throws {
        let dir = try TestPaths.temporaryDirectory("kira-features-nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Three NaN voxels inside the sphere, one infinite, one NaN outside it.
        let image = try SyntheticCases.image(nanAt: nil)
        var v = image.voxels.toFloats()
        let g = image.geometry
        func at(_ x: Int, _ y: Int, _ z: Int) -> Int { (z * g.size.y + y) * g.size.x + x }
        for p in [at(15, 15, 15), at(16, 15, 15), at(15, 17, 14)] { v[p] = .nan }
        v[at(14, 15, 16)] = .infinity
        v[at(0, 0, 0)] = .nan
        let nan = try SyntheticCases.write(try Volume(geometry: g, voxels: .float32(v)), dir, "nan.nii")
        let sphere = try SyntheticCases.write(SyntheticCases.sphere(), dir, "sphere.nii.gz")
        let run = try KiraRun.run(["features", "--image", dir.appendingPathComponent(nan).path,
                                   "--mask", dir.appendingPathComponent(sphere).path, "-q"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("nan.nii has 3 NaN and 1 infinite voxel(s) inside the region of interest"), Comment(rawValue: run.stderr))
        #expect(run.stdout.isEmpty)
        // The NaN outside the ROI alone does not stop the case.
        v = image.voxels.toFloats()
        v[at(0, 0, 0)] = .nan
        let outside = try SyntheticCases.write(try Volume(geometry: g, voxels: .float32(v)), dir, "outside.nii.gz")
        let ok = try KiraRun.run(["features", "--image", dir.appendingPathComponent(outside).path,
                                  "--mask", dir.appendingPathComponent(sphere).path, "-q"])
        #expect(ok.status == 0, Comment(rawValue: ok.stderr))
    }
}
