import Foundation
import KiraTestSupport
import Testing

/// Issue 18 item 11: outputs say which series or file they are.
@Suite("Series and file labels")
struct SeriesLabelTests {
    @Test("inspect FOLDER labels each DICOM series by number, description and modality")
    func inspectLabelsSeries() throws {
        let r = try KiraRun.run(["inspect", TestPaths.testData("dicom").path])
        let heads = r.stdout.split(separator: "\n").filter { $0.contains("[dicom,") }
        // TestData/scripts/make-dicom-testdata.py writes series 7 "oblique" and "dce" (MR) and an unnumbered DX.
        #expect(heads.contains { $0.hasSuffix("dicom/oblique_mr: series 7 \"oblique\" MR [dicom, 5 files]") }, "\(heads)")
        #expect(heads.contains { $0.hasSuffix("dicom/dce: series 7 \"dce\" MR [dicom, 9 files]") }, "\(heads)")
        #expect(heads.contains { $0.hasSuffix("dicom/dx: series DX [dicom, 1 files]") }, "\(heads)")
    }

    @Test("a converted NRRD is named after its file, not <file>_na_na")
    func convertedFileKeepsItsName() throws {
        let dir = try TestPaths.temporaryDirectory("kira-names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try KiraRun.run(["convert", TestPaths.testData("nrrd/oblique_raw.nrrd").path, "-o", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["oblique_raw.json", "oblique_raw.nii"])
    }
}
