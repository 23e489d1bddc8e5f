import Foundation
import KiraCore
import KiraIO
import Logging
@testable import KiraStudy
import KiraTestSupport
import Testing

/// A study image from a DICOM folder: the series read by KiraDICOM and reduced to the phase
/// or phase difference the study names, checked against the 4D NIfTI `kira convert` writes
/// (whose frames are checked against dcm2niix in KiraCLITests).
@Suite struct CaseImageTests {
    func modality(_ extra: String) throws -> ModalitySpec {
        let text = StudyFixture.defaultStudy.replacingOccurrences(of: "    features: {preset: default}", with: "    features: {preset: default}\n    " + extra)
        return try StudySpec.parse(text, file: URL(fileURLWithPath: "/tmp/kira-case-image/study.yaml")).modalities[0]
    }

    @Test(arguments: [("phase: 2", 2, nil), ("phase: 0", 0, nil), ("subtraction: [2, 0]", 2, 0), ("subtraction: [1, 2]", 1, 2)])
    func dicomPhases(_ key: String, _ a: Int, _ b: Int?) throws {
        let dir = try TestPaths.temporaryDirectory("kira-case-image")
        defer { try? FileManager.default.removeItem(at: dir) }
        let series = TestPaths.testData("dicom/dce")
        let r = try KiraRun.run(["convert", series.path, "-o", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let nifti = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasSuffix(".nii") })
        let reference = try NIfTIReader.read(dir.appendingPathComponent(nifti))
        #expect(reference.timepoints == 3)
        let n = reference.geometry.voxelCount
        let all = reference.voxels.toDoubles()
        let expected = (0..<n).map { i in all[a * n + i] - (b.map { all[$0 * n + i] } ?? 0) }

        let v = try CaseImage.read(series, modality: try modality(key), logger: Logger(label: "test"))
        #expect(v.timepoints == 1)
        #expect(v.geometry.size == reference.geometry.size)
        #expect(v.geometry.differences(from: reference.geometry).isEmpty)
        #expect(v.voxels.toDoubles() == expected)
    }

    @Test func fourDWithoutPhaseAndPhaseOutOfRange() throws {
        let series = TestPaths.testData("dicom/dce")
        #expect(throws: StepFailure.self) { try CaseImage.read(series, modality: try modality(""), logger: Logger(label: "test")) }
        do {
            _ = try CaseImage.read(series, modality: try modality("phase: 3"), logger: Logger(label: "test"))
            Issue.record("phase 3 of 3 was accepted")
        } catch let f as StepFailure {
            #expect(f.step == "load")
            #expect(f.reason.hasSuffix("phase 3 asked for, the series has 3 phase(s) (0…2)"), "\(f.reason)")
        }
        do {
            _ = try CaseImage.read(series, modality: try modality(""), logger: Logger(label: "test"))
        } catch let f as StepFailure {
            #expect(f.reason.hasSuffix("a 4D series with 3 phases; give modalities.mr.phase or subtraction"), "\(f.reason)")
        }
    }
}
