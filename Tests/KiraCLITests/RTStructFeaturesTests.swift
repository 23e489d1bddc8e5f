import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// `kira features --mask RTSTRUCT --roi` on the IBSI CT phantom (configuration A): every
/// IBSI consensus value is met under the IBSI rule (3 significant digits, then the tolerance),
/// as it is from the IBSI's NIfTI mask of the same ROI.
@Suite struct RTStructFeaturesTests {
    static let image = TestPaths.reference("ibsi/ct_phantom/nifti/image/phantom.nii.gz").path
    static let nifti = TestPaths.reference("ibsi/ct_phantom/nifti/mask/mask.nii.gz").path
    static let rtstruct = TestPaths.reference("ibsi/ct_phantom/dicom/mask/DCM_RS_00060.dcm").path

    static func roundToSignificant(_ x: Double, _ digits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let scale = pow(10, Double(digits - 1) - floor(log10(abs(x))))
        return (x * scale).rounded() / scale
    }

    static func values(_ run: KiraRun) throws -> [String: Double] {
        let rows = try #require(run.json["features"] as? [[String: Any]])
        var out: [String: Double] = [:]
        for r in rows { if let t = r["tag"] as? String, let v = r["value"] as? Double { out[t] = v } }
        return out
    }

    /// One run (the CT phantom's configuration A takes about a minute in a debug build): the
    /// NIfTI mask's values are held to the same consensus values by KiraRadiomicsTests'
    /// configuration A test, and RTStructPhantomTests shows the two masks equal voxel for voxel.
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func featuresFromTheRTStructMeetTheIBSIValues() throws {
        let fromRT = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.rtstruct, "--roi", "GTV-1", "--preset", "ibsi-a", "--json", "-q"])
        #expect(fromRT.status == 0, Comment(rawValue: fromRT.stderr))
        let a = try Self.values(fromRT)
        let d = try #require(fromRT.json["diagnostics"] as? [String: Any])
        #expect(d["input_mask_voxels"] as? Int == 125_256)
        let table = try CSVTable(contentsOf: TestPaths.reference("ibsi/reference_values/ibsi1_reference_values_all_configs.csv"))
        let conf = try table.strings("configuration"), tags = try table.strings("tag"), fam = try table.strings("family")
        let refs = try table.numbers("value"), tols = try table.numbers("tolerance"), has = try table.strings("has_reference_value")
        var compared = 0, failures: [String] = []
        for i in conf.indices where conf[i] == "A" && has[i] == "True" && !fam[i].hasPrefix("Diagnostics") {
            guard let tol = tols[i], let ref = refs[i] else { continue }
            compared += 1
            guard let x = a[tags[i]], abs(Self.roundToSignificant(x, 3) - ref) <= tol + 1e-12 * max(1, abs(ref)) else {
                let got = a[tags[i]].map { "\($0)" } ?? "missing"
                failures.append("\(tags[i])=\(got) ref \(ref)±\(tol)")
                continue
            }
        }
        print("IBSI CT phantom, configuration A, mask from the RTSTRUCT: \(compared - failures.count) of \(compared) consensus values within the IBSI tolerance")
        #expect(compared == 346)
        #expect(failures.isEmpty, Comment(rawValue: failures.joined(separator: "; ")))
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func unknownROIAndNonRTStructMaskExitOne() throws {
        let absent = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.rtstruct, "--roi", "Liver"])
        #expect(absent.status == 1)
        #expect(absent.stderr.contains("no ROI named \"Liver\"; ROIs present: \"GTV-1\""), Comment(rawValue: absent.stderr))
        let notRT = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.nifti, "--roi", "GTV-1"])
        #expect(notRT.status == 1)
        #expect(notRT.stderr.contains("applies to RT Structure Set masks"), Comment(rawValue: notRT.stderr))
    }

    /// Issue 22, bad input at the command line: an RTSTRUCT whose referenced series is not
    /// beside it, and an ROI name it does not hold. Each names what is missing, exits 1, and
    /// leaves no output (nor a temporary file) behind (`kira features`; for the ROI also `kira export seg`).
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func missingSeriesAndUnknownROIWriteNothing() throws {
        let dir = try TestPaths.temporaryDirectory("kira-rtstruct-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let alone = dir.appendingPathComponent("rt/rs.dcm")
        try FileManager.default.createDirectory(at: alone.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.rtstruct), to: alone)
        let series = "1.3.6.1.4.1.9590.100.1.2.296658988911737913102339329841519593982"
        let out = dir.appendingPathComponent("f.csv"), seg = dir.appendingPathComponent("seg.dcm")
        let missing = try KiraRun.run(["features", "--image", Self.image, "--mask", alone.path, "--roi", "GTV-1", "-o", out.path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(alone.path) && missing.stderr.contains(series) && missing.stderr.contains("is not among the DICOM files under"),
                Comment(rawValue: missing.stderr))
        let source = TestPaths.reference("ibsi/ct_phantom/dicom/image").path
        let unknown = try KiraRun.run(["features", "--image", Self.image, "--mask", Self.rtstruct, "--roi", "Liver", "-o", out.path])
        #expect(unknown.status == 1 && unknown.stderr.contains("no ROI named \"Liver\""), Comment(rawValue: unknown.stderr))
        let segUnknown = try KiraRun.run(["export", "seg", "--source", source, "--mask", Self.rtstruct, "--roi", "Liver", "-o", seg.path])
        #expect(segUnknown.status == 1 && segUnknown.stderr.contains("no ROI named \"Liver\"; ROIs present: \"GTV-1\""),
                Comment(rawValue: segUnknown.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path) && !FileManager.default.fileExists(atPath: seg.path))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }
}
