import Foundation
import KiraTestSupport
import Testing

/// `kira features --params`: a pyradiomics parameter file runs pyradiomics-compatible mode;
/// values checked against pyradiomics' baseline for breast1 (`baseline_glcm.csv`,
/// `baseline_firstorder.csv`, column breast1), 1e-6 relative.
@Suite struct FeaturesParamsCLITests {
    static let image = TestPaths.reference("pyradiomics/data/breast1_image.nrrd").path
    static let mask = TestPaths.reference("pyradiomics/data/breast1_label.nrrd").path

    static func write(_ text: String, _ name: String) throws -> URL {
        let dir = try TestPaths.temporaryDirectory("kira-params")
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func pyradiomicsParamsFile() throws {
        let params = try Self.write("""
        setting:
          binWidth: 25
          label: 1
          voxelArrayShift: 2000
          minimumROIDimensions: 1
        featureClass:
          firstorder:
          glcm: [Contrast]
        """, "params.yaml")
        let run = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--params", params.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let features = try #require(run.json["features"] as? [[String: Any]])
        #expect(features.count == 19)
        func value(_ name: String) -> Double? { features.first { $0["name"] as? String == name }?["value"] as? Double }
        // pyradiomics baseline, column breast1.
        let contrast = try #require(value("original_glcm_Contrast"))
        #expect(abs(contrast - 0.6712186625058774) <= 1e-6 * 0.6712186625058774)
        let energy = try #require(value("original_firstorder_Energy"))
        #expect(abs(energy - 649499543.0) <= 1e-6 * 649499543.0)
        let row = try #require(features.first { $0["name"] as? String == "original_glcm_Contrast" })
        #expect(row["tag"] as? String == "cm_contrast_3D_avg" && row["ibsi_code"] as? String == "ACUI")
        // Energy on shifted intensities is not IBSI's energy: no tag.
        #expect(features.first { $0["name"] as? String == "original_firstorder_Energy" }?["tag"] as? String == "")
        let d = try #require(run.json["diagnostics"] as? [String: Any])
        #expect(d["mode"] as? String == "pyradiomics")
        #expect((d["params_hash"] as? String)?.count == 16 && (d["settings_hash"] as? String)?.count == 16)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func badParamsExitOneNamingTheKey() throws {
        let bad = try Self.write("setting:\n  binWidth: abc\n", "bad.yaml")
        let run = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--params", bad.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("setting.binWidth: expected a number, got \"abc\""), "\(run.stderr)")
        let both = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--params", bad.path, "--preset", "ibsi-a"])
        #expect(both.status == 1)
        #expect(both.stderr.contains("mutually exclusive"))
        let absent = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.mask, "--params", "/nonexistent.yaml"])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("does not exist"))
    }
}
