import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// `kira export seg` on the IBSI CT phantom's DICOM series: the tumour (NIfTI), a 3 mm ring
/// made by `kira mask ring`, and the RT Structure Set's ROI, as one SEG checked by dciodvfy
/// (dicom3tools), read back by highdicom and turned back into masks by dcmqi.
@Suite(.serialized) struct ExportSegTests {
    static let source = TestPaths.reference("ibsi/ct_phantom/dicom/image")
    static let tumour = TestPaths.reference("ibsi/ct_phantom/nifti/mask/mask.nii.gz")
    static let rtstruct = TestPaths.reference("ibsi/ct_phantom/dicom/mask/DCM_RS_00060.dcm")

    /// The SEG and its three masks, written once for the suite's tests.
    struct Made: Sendable { var dir: URL; var seg: URL; var masks: [Volume] }

    static let made: Result<Made, Error> = Result(catching: {
        let dir = try TestPaths.temporaryDirectory("kira-export-seg")
        let ring = dir.appendingPathComponent("ring.nii.gz")
        let r = try KiraRun.run(["mask", "ring", tumour.path, "--mm", "3", "-o", ring.path])
        guard r.status == 0 else { throw RunFailed(run: r) }
        let seg = dir.appendingPathComponent("seg.dcm")
        let e = try KiraRun.run(["export", "seg", "--source", source.path, "--mask", tumour.path, "--mask", ring.path,
                                 "--mask", rtstruct.path, "--roi", "GTV-1", "--label", "tumour", "--label", "ring3mm",
                                 "--label", "GTV-1", "-o", seg.path])
        guard e.status == 0 else { throw RunFailed(run: e) }
        return Made(dir: dir, seg: seg, masks: [try NIfTIReader.read(tumour), try NIfTIReader.read(ring), try NIfTIReader.read(tumour)])
    })

    static func binary(_ v: Volume) -> [UInt8] { (0..<v.voxels.count).map { v.voxels[$0] != 0 ? 1 : 0 } }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func dciodvfyFindsNoError() throws {
        let seg = try Self.made.get().seg
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/dciodvfy"), [seg.path])
        let lines = (r.stdout + r.stderr).split(separator: "\n")
        let errors = lines.filter { $0.hasPrefix("Error") }
        print("dciodvfy on the SEG: \(errors.count) errors, \(lines.filter { $0.hasPrefix("Warning") }.count) warnings")
        #expect(errors.isEmpty, Comment(rawValue: errors.joined(separator: "\n")))
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func highdicomReadsSegmentsGeometryAndVoxels() throws {
        let made = try Self.made.get()
        let prefix = made.dir.appendingPathComponent("hd-").path
        let out = try PythonPeer.script("seg_check.py", [made.seg.path, Self.source.path, prefix])
        let j = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let segments = try #require(j["segments"] as? [[String: Any]])
        #expect(segments.map { $0["label"] as? String } == ["tumour", "ring3mm", "GTV-1"])
        #expect(segments.map { $0["number"] as? Int } == [1, 2, 3])
        #expect(segments[0]["category"] as? [String] == ["49755003", "SCT", "Morphologically Altered Structure"])
        #expect(segments[0]["type"] as? [String] == ["108369006", "SCT", "Neoplasm"])
        #expect(segments[1]["type"] as? [String] == ["85756007", "SCT", "Tissue"])
        #expect(segments.allSatisfy { $0["algorithm_type"] as? String == "AUTOMATIC" && $0["algorithm_name"] as? String == "Kira" })
        // Every slice of every segment is a frame, at its source slice's position exactly.
        #expect(j["frames"] as? Int == 180)
        #expect(j["slices"] as? Int == 60)
        #expect(j["max_position_difference"] as? Double == 0)
        #expect(j["orientation_difference"] as? Double == 0)
        #expect(j["spacing_difference"] as? Double == 0)
        #expect(j["references_source_series"] as? Bool == true)
        #expect(j["referenced_instances"] as? Int == 60)
        #expect(j["study_matches"] as? Bool == true && j["frame_of_reference_matches"] as? Bool == true)
        #expect(j["patient_name"] as? String == "" && j["patient_id"] as? String == "")
        for (n, mask) in made.masks.enumerated() {
            let read = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(prefix)\(n + 1).raw")))
            let ours = Self.binary(mask)
            #expect(read.count == ours.count)
            let differing = zip(read, ours).filter { $0 != $1 }.count
            #expect(differing == 0, "segment \(n + 1): \(differing) voxels differ")
            #expect(read.reduce(0) { $0 + Int($1) } == ours.reduce(0) { $0 + Int($1) })
        }
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func dcmqiTurnsTheSegBackIntoTheSameMasks() throws {
        let made = try Self.made.get()
        let out = made.dir.appendingPathComponent("dcmqi")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["segimage2itkimage", "--inputDICOM", made.seg.path,
                                                                        "--outputDirectory", out.path, "--outputType", "nifti"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".nii.gz") }.sorted()
        #expect(files.count == 3, "\(files)")
        for (n, mask) in made.masks.enumerated() {
            let name = try #require(files.first { $0 == "\(n + 1).nii.gz" || $0.hasSuffix("-\(n + 1).nii.gz") })
            let theirs = try NIfTIReader.read(out.appendingPathComponent(name))
            let binTheirs = try Volume(geometry: theirs.geometry, voxels: .uint8(Self.binary(theirs)))
            let binOurs = try Volume(geometry: mask.geometry, voxels: .uint8(Self.binary(mask)))
            let c = VolumeComparison(binOurs, binTheirs)
            #expect(c.outside == 0, "segment \(n + 1): \(c)")
            #expect(c.maxPositionError <= 1e-3, "segment \(n + 1): \(c)")
            #expect(c.maxValueDifference == 0, "segment \(n + 1): \(c)")
            #expect(theirs.geometry.size == mask.geometry.size)
        }
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func badInputsFailNamingThemAndWriteNothing() throws {
        let dir = try TestPaths.temporaryDirectory("kira-export-seg-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let seg = dir.appendingPathComponent("s.dcm")
        let digital = TestPaths.reference("ibsi/digital_phantom/nifti/mask/mask.nii.gz").path
        let grid = try KiraRun.run(["export", "seg", "--source", Self.source.path, "--mask", digital, "-o", seg.path])
        #expect(grid.status == 1)
        #expect(grid.stderr.contains("mask.nii.gz") && grid.stderr.contains("not on the grid"), Comment(rawValue: grid.stderr))
        let roi = try KiraRun.run(["export", "seg", "--source", Self.source.path, "--mask", Self.rtstruct.path, "--roi", "PTV", "-o", seg.path])
        #expect(roi.status == 1)
        #expect(roi.stderr.contains("no ROI named \"PTV\"; ROIs present: \"GTV-1\""), Comment(rawValue: roi.stderr))
        let ext = try KiraRun.run(["export", "seg", "--source", Self.source.path, "--mask", Self.tumour.path, "-o", dir.appendingPathComponent("s.nii").path])
        #expect(ext.status == 1)
        #expect(ext.stderr.contains("must end in .dcm"))
        #expect(!FileManager.default.fileExists(atPath: seg.path))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }
}

/// A kira run that a test's setup needed and that failed, with its stderr.
struct RunFailed: Error, CustomStringConvertible {
    var run: KiraRun
    var description: String { "kira exited \(run.status): \(run.stderr)" }
}
