import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

@Suite struct ConvertReferenceTests {
    /// The whole path (read, convert, write NIfTI) against dcm2niix's own output for the
    /// same image in nine transfer syntaxes: equal voxels, voxel centres within 1e-3 mm.
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: 1...9)
    func dcmQaTransferSyntaxMatchesReference(n: Int) throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let input = TestPaths.reference("dicom/dcm_qa_ts/In/\(n).dcm")
        let r = try KiraRun.run(["convert", input.path, "-o", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let outputs = try #require(r.json["outputs"] as? [[String: Any]])
        try #require(outputs.count == 1)
        let path = try #require(outputs[0]["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: try #require(outputs[0]["sidecar"] as? String)))
        let ours = try NIfTIReader.read(URL(fileURLWithPath: path))
        let ref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_ts/Ref/\(n).nii"))
        let c = VolumeComparison(ours, ref)
        #expect(c.outside == 0, "\(c)")
        #expect(c.maxPositionError <= 1e-3, "\(c)")
        #expect(c.maxValueDifference == 0, "\(c)")
        #expect(ours.geometry.size == ref.geometry.size)
    }
}

@Suite struct ConvertCTPhantomTests {
    /// The IBSI CT phantom's 60 DICOM slices against the IBSI's own NIfTI of the same scan:
    /// equal Hounsfield units at equal positions (1e-3 mm), stored as exact 16-bit integers.
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func ctPhantomMatchesIBSINIfTI() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", TestPaths.reference("ibsi/ct_phantom/dicom/image").path, "-o", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let path = try #require((r.json["outputs"] as? [[String: Any]])?.first?["path"] as? String)
        let ours = try NIfTIReader.read(URL(fileURLWithPath: path))
        #expect(ours.voxels.scalarType == .int16)
        let refDir = TestPaths.reference("ibsi/ct_phantom/nifti/image")
        let refFile = try #require(try FileManager.default.contentsOfDirectory(atPath: refDir.path).first { $0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz") })
        let ref = try NIfTIReader.read(refDir.appendingPathComponent(refFile))
        let c = VolumeComparison(ours, ref)
        #expect(c.outside == 0, "\(c)")
        #expect(c.maxPositionError <= 1e-3, "\(c)")
        #expect(c.maxValueDifference == 0, "\(c)")
    }
}

@Suite struct ConvertFailureTests {
    @Test func unsafeTemplateIsBadUsage() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", TestPaths.testData.path, "-o", out.path, "--template", "../{series}"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--template '../{series}'"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    @Test func missingInputIsBadUsage() throws {
        let r = try KiraRun.run(["convert", "/nonexistent/kira-input", "-o", "/tmp/kira-never"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/kira-input"))
    }

    @Test func nonDICOMFileIsNamedAndNothingIsWritten() throws {
        let dir = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let notDicom = dir.appendingPathComponent("notes.txt")
        try Data("just some text, not an image\n".utf8).write(to: notDicom)
        let out = dir.appendingPathComponent("out")
        let r = try KiraRun.run(["convert", notDicom.path, "-o", out.path, "--json"])
        #expect(r.status == 1)
        let failures = try #require(r.json["failures"] as? [[String: Any]])
        #expect(failures.contains { ($0["file"] as? String) == notDicom.path })
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []).isEmpty)
    }

    /// A good series and a truncated file of another series: one converts, the other is a
    /// named failure, exit 2, and no half-written output remains.
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func truncatedFileBesideGoodOneIsPartialSuccess() throws {
        let dir = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestPaths.reference("dicom/samples/mr/pyd_MR_small.dcm"),
                                         to: input.appendingPathComponent("good.dcm"))
        let bytes = try Data(contentsOf: TestPaths.reference("dicom/dcm_qa_ts/In/1.dcm"))
        let truncated = input.appendingPathComponent("truncated.dcm")
        try bytes.prefix(bytes.count - 20_000).write(to: truncated)  // cut inside the pixel data
        let out = dir.appendingPathComponent("out")
        let r = try KiraRun.run(["convert", input.path, "-o", out.path, "--json"])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        let outputs = try #require(r.json["outputs"] as? [[String: Any]])
        let failures = try #require(r.json["failures"] as? [[String: Any]])
        #expect(outputs.count == 1)
        #expect(failures.count == 1)
        #expect(failures.contains { ($0["file"] as? String) == truncated.path })
        #expect(leftoverTemporaries(in: out).isEmpty)
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(written.count == 2, "one NIfTI and one sidecar, got \(written)")
    }
}

@Suite struct InspectCommandTests {
    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func inspectReportsNRRDGeometryAsSimpleITKDoes() throws {
        // breast1_image.nrrd: size and spacing as SimpleITK reports them (GetSize/GetSpacing).
        let r = try KiraRun.run(["inspect", TestPaths.reference("pyradiomics/data/breast1_image.nrrd").path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        // SimpleITK 2.x: ReadImage(...).GetSize() (45, 120, 21), GetSpacing() (0.664062, 0.664062, 2.1),
        // GetOrigin() (-116.54304, -48.144654, 9.45), identity direction.
        let images = try #require(r.json["images"] as? [[String: Any]])
        try #require(images.count == 1)
        #expect(images[0]["size"] as? [Int] == [45, 120, 21, 1])
        let spacing = try #require(images[0]["spacing"] as? [Double])
        let origin = try #require(images[0]["origin"] as? [Double])
        for (a, b) in zip(spacing, [0.664062, 0.664062, 2.1]) { #expect(abs(a - b) < 1e-9) }
        for (a, b) in zip(origin, [-116.54304, -48.144654, 9.45]) { #expect(abs(a - b) < 1e-6) }
        #expect(images[0]["direction"] as? [[Double]] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    }

    /// The generator writes a 4×4 SEG with frames at z = 0, 4, 0 mm, slice step 2 mm (3 slices),
    /// segments 1 and 2: 4 + 2 labelled pixels.
    @Test func inspectReadsDICOMSegmentationAsLabelVolume() throws {
        let r = try KiraRun.run(["inspect", TestPaths.testData("dicom/seg").path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let images = try #require(r.json["images"] as? [[String: Any]])
        try #require(images.count == 1)
        #expect(images[0]["format"] as? String == "dicom-seg")
        #expect(images[0]["size"] as? [Int] == [4, 4, 3, 1])
        #expect(images[0]["spacing"] as? [Double] == [1, 1, 2])
        #expect(images[0]["range"] as? [Double] == [0, 2])
    }

    @Test func inspectOfMissingPathIsBadUsage() throws {
        let r = try KiraRun.run(["inspect", "/nonexistent/kira.nii"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/kira.nii"))
    }
}
