import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// End-to-end runs on the project's synthetic series (no shared data needed).
@Suite struct ConvertTestDataTests {
    static let oblique = TestPaths.testData("dicom/oblique_mr")
    static let dce = TestPaths.testData("dicom/dce")

    @Test func patientFieldsStayOutOfSidecarsUnlessKept() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", Self.oblique.path, "-o", out.appendingPathComponent("a").path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let sidecar = try #require((r.json["outputs"] as? [[String: Any]])?.first?["sidecar"] as? String)
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        // The synthetic series carries PatientName "Synthetic^Patient" and PatientID "KIRA0001".
        #expect(!text.contains("Synthetic^Patient"))
        #expect(!text.contains("KIRA0001"))
        let doc = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(doc.keys).isDisjoint(with: PHIFields.keys))
        #expect(doc["Modality"] as? String == "MR")

        let kept = try KiraRun.run(["convert", Self.oblique.path, "-o", out.appendingPathComponent("b").path, "--json", "--keep-phi"])
        let keptSidecar = try #require((kept.json["outputs"] as? [[String: Any]])?.first?["sidecar"] as? String)
        #expect(try String(contentsOfFile: keptSidecar, encoding: .utf8).contains("Synthetic^Patient"))
    }

    @Test func dceSeriesBecomesOne4DNIfTIInTimeOrder() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", Self.dce.path, "-o", out.path, "--json", "--gzip"])
        #expect(r.status == 0, "\(r.stderr)")
        let outputs = try #require(r.json["outputs"] as? [[String: Any]])
        try #require(outputs.count == 1)
        let size = try #require(outputs[0]["size"] as? [Int])
        #expect(size[3] == 3)
        let path = try #require(outputs[0]["path"] as? String)
        #expect(path.hasSuffix(".nii.gz"))
        let v = try NIfTIReader.read(URL(fileURLWithPath: path))
        #expect(v.timepoints == 3)
    }

    /// The folder of deliberately bad series converts the good ones and names each failure.
    @Test func mixedFolderIsPartialSuccessWithNamedFailures() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", TestPaths.testData("dicom").path, "-o", out.path, "--json"])
        #expect(r.status == 2, "\(r.stderr)")
        let failures = try #require(r.json["failures"] as? [[String: Any]])
        let files = failures.compactMap { $0["file"] as? String }
        for bad in ["missing_slice", "zero_spacing", "negative_spacing", "truncated.dcm"] {
            #expect(files.contains { $0.contains(bad) }, "no failure names \(bad): \(failures)")
        }
        // A series' errors name it once, not "series S7_…: series S7_… (…):".
        for reason in failures.compactMap({ $0["reason"] as? String }) {
            #expect(reason.components(separatedBy: "series ").count <= 2, "\(reason)")
        }
        let skipped = try #require(r.json["skipped"] as? [[String: Any]])
        #expect(skipped.contains { ($0["file"] as? String)?.hasSuffix("notes.txt") == true })
        #expect(leftoverTemporaries(in: out).isEmpty)
    }

    /// A lone 5×5 file among 4×4 slices: exit 2, the file listed in --json failures, one
    /// output of the contiguous 4×4 slices (z 3 mm apart, voxel = 100 z + i).
    @Test(arguments: [("odd_size_last", "im07.dcm", 6), ("odd_size_middle", "im05.dcm", 4)])
    func oddSizedFileIsAPartialFailure(folder: String, odd: String, slices: Int) throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", TestPaths.testData("dicom/" + folder).path, "-o", out.path, "--json"])
        #expect(r.status == 2, "\(r.stderr)")
        let failures = try #require(r.json["failures"] as? [[String: Any]])
        let oddFailure = failures.first { ($0["file"] as? String)?.hasSuffix("/" + odd) == true }
        #expect(oddFailure?["reason"] as? String == "series 5 'T2 ax': file \(odd) is 5×5, the other 6 slices are 4×4; excluded")
        #expect(failures.count == 7 - slices, "\(failures)")
        let outputs = try #require(r.json["outputs"] as? [[String: Any]])
        try #require(outputs.count == 1, "\(outputs)")
        #expect(outputs[0]["size"] as? [Int] == [4, 4, slices, 1])
        let v = try NIfTIReader.read(URL(fileURLWithPath: try #require(outputs[0]["path"] as? String)))
        #expect(v.geometry.size == SIMD3(4, 4, slices))
        #expect(abs(v.geometry.spacing.z - 3) < 1e-6)
        // Contiguous: slice k is 3k mm along the normal from the first.
        for z in 0..<slices { #expect(norm(v.geometry.physicalPoint(index: SIMD3(0, 0, z)) - SIMD3(0, 0, 3 * Double(z))) < 1e-6) }
        for z in 0..<slices { for i in 0..<16 { #expect(v[i % 4, i / 4, z, 0] == Double(100 * z + i)) } }
        #expect(r.stderr.contains("file \(odd) is 5×5"), "\(r.stderr)")
    }

    /// A series split by echo or image kind is named as dcm2niix names it (same template:
    /// folder, series number, description), and each output holds its own stack's values.
    @Test(.enabled(if: which("dcm2niix") != nil, "needs dcm2niix on PATH (apt-get install dcm2niix)"),
          arguments: [("multi_echo", ["multi_echo_8_me_e1": 1000.0, "multi_echo_8_me_e2": 2000.0]),
                      ("mag_phase", ["mag_phase_9_mp": 0.0, "mag_phase_9_mp_ph": 1000.0])])
    func splitSeriesNamesMatchDcm2niix(folder: String, expected: [String: Double]) throws {
        let dir = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = TestPaths.testData("dicom/" + folder)
        let ours = dir.appendingPathComponent("kira"), theirs = dir.appendingPathComponent("d2n")
        try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
        let r = try KiraRun.run(["convert", input.path, "-o", ours.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try runProcess(try #require(which("dcm2niix")), ["-z", "n", "-f", "%f_%s_%d", "-o", theirs.path, input.path])
        #expect(d.status == 0, "\(d.stdout)")
        func stems(_ u: URL) throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: u.path).filter { $0.hasSuffix(".nii") }.map { String($0.dropLast(4)) })
        }
        #expect(try stems(ours) == Set(expected.keys))
        #expect(try stems(theirs) == Set(expected.keys))
        for (stem, offset) in expected {
            let a = try NIfTIReader.read(ours.appendingPathComponent(stem + ".nii"))
            #expect(a.geometry.size == SIMD3(4, 4, 3))
            for z in 0..<3 { for i in 0..<16 { #expect(a[i % 4, i / 4, z, 0] == offset + Double(100 * z + i)) } }
            let c = VolumeComparison(a, try NIfTIReader.read(theirs.appendingPathComponent(stem + ".nii")))
            #expect(c.outside == 0 && c.maxPositionError <= 1e-3 && c.maxValueDifference == 0, "\(stem): \(c)")
        }
    }

    /// `--philips-precise` gives dcm2niix's values (its default) on the generated Philips
    /// series, and records the scaling in the sidecar; without it Kira's display values differ.
    @Test(.enabled(if: which("dcm2niix") != nil, "needs dcm2niix on PATH (apt-get install dcm2niix)"))
    func philipsPreciseMatchesDcm2niix() throws {
        let dir = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = TestPaths.testData("dicom/philips")
        let theirs = dir.appendingPathComponent("d2n")
        try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
        let d = try runProcess(try #require(which("dcm2niix")), ["-z", "n", "-f", "ref", "-o", theirs.path, input.path])
        #expect(d.status == 0, "\(d.stdout)")
        let ref = try NIfTIReader.read(theirs.appendingPathComponent("ref.nii"))
        for (flags, label) in [(["--philips-precise"], "precise"), ([], "display")] {
            let r = try KiraRun.run(["convert", input.path, "-o", dir.appendingPathComponent(label).path, "--json"] + flags)
            #expect(r.status == 0, "\(r.stderr)")
            let output = try #require((r.json["outputs"] as? [[String: Any]])?.first)
            let v = try NIfTIReader.read(URL(fileURLWithPath: try #require(output["path"] as? String)))
            let c = VolumeComparison(v, ref)
            #expect(c.outside == 0 && c.maxPositionError <= 1e-3, "\(c)")
            let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try #require(output["sidecar"] as? String)))) as? [String: Any]
            if label == "precise" {
                // Values reach 1043; float32 keeps about 1e-4 of them.
                #expect(c.maxValueDifference <= 2e-4, "\(c)")
                #expect(sidecar?["PhilipsPrecise"] as? Bool == true)
                #expect(abs((sidecar?["PhilipsScaleSlope"] as? Double ?? 0) - 0.3) < 1e-7)
            } else {
                #expect(c.maxValueDifference > 100, "\(c)")
                #expect(sidecar?["PhilipsPrecise"] == nil)
            }
        }
    }

    /// A template naming the echo gets no `_e<N>` on top of it.
    @Test func echoInTemplateReplacesEchoPostfix() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", TestPaths.testData("dicom/multi_echo").path, "-o", out.path,
                                 "--template", "{series}_echo{echo}", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = (r.json["outputs"] as? [[String: Any]])?.compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }
        #expect(names.map(Set.init) == ["8_echo1.nii", "8_echo2.nii"])
    }

    /// dcm2niix on the same series: same voxels at the same positions (to 1e-3 mm).
    @Test(.enabled(if: which("dcm2niix") != nil, "needs dcm2niix on PATH (apt-get install dcm2niix)"),
          arguments: ["dicom/oblique_mr", "dicom/dce", "dicom/multiframe"])
    func syntheticSeriesMatchesDcm2niix(folder: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = TestPaths.testData(folder)
        let ours = dir.appendingPathComponent("kira"), theirs = dir.appendingPathComponent("d2n")
        try FileManager.default.createDirectory(at: theirs, withIntermediateDirectories: true)
        let r = try KiraRun.run(["convert", input.path, "-o", ours.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try runProcess(try #require(which("dcm2niix")), ["-z", "n", "-f", "ref", "-o", theirs.path, input.path])
        #expect(d.status == 0, "\(d.stdout)")
        let path = try #require((r.json["outputs"] as? [[String: Any]])?.first?["path"] as? String)
        let a = try NIfTIReader.read(URL(fileURLWithPath: path))
        let b = try NIfTIReader.read(theirs.appendingPathComponent("ref.nii"))
        #expect(a.timepoints == b.timepoints)
        let c = VolumeComparison(a, b)
        #expect(c.outside == 0, "\(c)")
        #expect(c.maxPositionError <= 1e-3, "\(c)")
        #expect(c.maxValueDifference == 0, "\(c)")
    }
}
