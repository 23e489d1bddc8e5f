import Foundation
import KiraTestSupport
import Testing

/// Issue 18 items 7 and 8: bad input is refused with its real cause named.
@Suite("Bad input: the real reason")
struct BadInputReasonTests {
    /// A single-file NIfTI-1 of 2×2×2 int16 voxels whose header states `pixdim` as given and
    /// sets neither qform nor sform (codes 0), written byte by byte so every field is known.
    static func niftiWithoutTransform(pixdim: [Float], to url: URL) throws {
        var header = Data(count: 352)
        func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
            withUnsafeBytes(of: v.littleEndian) { header.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0) }
        }
        func putFloat(_ v: Float, at offset: Int) { put(v.bitPattern, at: offset) }
        put(Int32(348), at: 0)
        for (i, d) in [Int16(3), 2, 2, 2, 1, 1, 1, 1].enumerated() { put(d, at: 40 + 2 * i) }
        put(Int16(4), at: 70)    // datatype: DT_INT16
        put(Int16(16), at: 72)   // bitpix
        for (i, p) in ([Float(1)] + pixdim).prefix(8).enumerated() { putFloat(p, at: 76 + 4 * i) }
        putFloat(352, at: 108)   // vox_offset
        put(Int16(0), at: 252)   // qform_code
        put(Int16(0), at: 254)   // sform_code
        header.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        var voxels = Data()
        for v in Int16(0)..<8 { withUnsafeBytes(of: v.littleEndian) { voxels.append(contentsOf: $0) } }
        try (header + voxels).write(to: url)
    }

    @Test("a NIfTI with qform/sform codes 0 and pixdim[3] = 0 is refused, naming the file and field",
          arguments: ["inspect", "resample"])
    func zeroPixdimRefused(_ command: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-pixdim")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("nospacing.nii")
        try Self.niftiWithoutTransform(pixdim: [0.7, 0.7, 0], to: bad)
        let args = command == "inspect" ? ["inspect", bad.path] : ["resample", bad.path, "-o", dir.appendingPathComponent("out.nii").path]
        let r = try KiraRun.run(args)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("nospacing.nii"))
        #expect(r.stderr.contains("pixdim[3] is 0.0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.nii").path))
    }

    @Test("the same file with pixdim 0.7 × 0.7 × 2.5 is read at that spacing (the refusal is about the zero only)")
    func statedPixdimKept() throws {
        let dir = try TestPaths.temporaryDirectory("kira-pixdim")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("spacing.nii")
        try Self.niftiWithoutTransform(pixdim: [0.7, 0.7, 2.5], to: good)
        let r = try KiraRun.run(["inspect", good.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let image = (r.json["images"] as? [[String: Any]])?.first
        let spacing = try #require(image?["spacing"] as? [Double])
        // Stored as float32 in the header: compare at float precision.
        #expect(zip(spacing, [0.7, 0.7, 2.5]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(spacing)")
    }

    @Test("an RT Structure Set is named as one, not as a non-DICOM file",
          .enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)))
    func rtStructNamed() throws {
        let rtstruct = TestPaths.reference("ibsi/ct_phantom/dicom/mask/DCM_RS_00060.dcm")
        let r = try KiraRun.run(["inspect", rtstruct.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("RT Structure Set (SOP class 1.2.840.10008.5.1.4.1.1.481.3)"), "\(r.stderr)")
        #expect(!r.stderr.contains("not a DICOM"))
    }

    @Test("a text file given to inspect says 'not a DICOM file' once")
    func notDICOMOnce() throws {
        let r = try KiraRun.run(["inspect", TestPaths.testData("dicom/bad/notes.txt").path])
        #expect(r.status == 1)
        #expect(r.stderr.components(separatedBy: "not a DICOM file").count == 2, "\(r.stderr)")
    }

    @Test("a missing output folder or a path through a regular file is named in plain words, with no usage banner",
          arguments: ["missing", "through-file"])
    func outputFolderProblems(_ kind: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-outdir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("plain.txt")
        try Data("x".utf8).write(to: file)
        let folder = kind == "missing" ? dir.appendingPathComponent("absent") : file
        let expected = kind == "missing" ? "the folder '\(folder.path)' does not exist" : "'\(file.path)' is a file, not a folder"
        let image = TestPaths.testData("nrrd/oblique_raw.nrrd").path
        var runs = [try KiraRun.run(["resample", image, "-o", folder.appendingPathComponent("r.nii").path])]
        // convert makes missing folders; only a regular file on the way stops it.
        if kind == "through-file" { runs.append(try KiraRun.run(["convert", image, "-o", folder.appendingPathComponent("sub").path])) }
        for r in runs {
            #expect(r.status == 1)
            #expect(r.stderr.contains(expected), "\(r.stderr)")
            for bad in ["Usage:", "** ERROR", ".kira-tmp", "NSCocoaErrorDomain"] { #expect(!r.stderr.contains(bad), "\(r.stderr)") }
        }
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }
}
