import Foundation
import KiraTestSupport
import Testing

/// `kira export pdf` on a synthetic case's T2 series (`kira synth`, whose files carry a
/// patient name and ID): the Encapsulated PDF passes dciodvfy with no error, and pydicom
/// reads back the PDF byte for byte (plus the one zero pad byte an odd length needs), the
/// source's study, the source instances, and empty patient attributes.
@Suite(.serialized) struct ExportPdfTests {
    /// A one-page PDF written out by hand (objects, cross-reference table with their byte
    /// offsets, trailer); `extra` spaces in the content stream set the file's length parity.
    static func pdf(extra: Int) -> Data {
        let stream = "BT /F1 12 Tf 72 720 Td (Kira) Tj ET" + String(repeating: " ", count: extra)
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var text = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, o) in objects.enumerated() {
            offsets.append(text.utf8.count)
            text += "\(i + 1) 0 obj\n\(o)\nendobj\n"
        }
        let xref = text.utf8.count
        text += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for o in offsets { text += String(format: "%010d 00000 n \n", o) }
        text += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(text.utf8)
    }

    struct Made: Sendable { var dir: URL, t2: URL }

    static func bytes(hex: String) -> Data? {
        var out = Data()
        var it = hex.utf8.makeIterator()
        while let a = it.next() {
            guard let b = it.next(), let x = UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16) else { return nil }
            out.append(x)
        }
        return out
    }

    static let made: Result<Made, Error> = Result(catching: {
        let dir = try TestPaths.temporaryDirectory("kira-export-pdf")
        let cohort = dir.appendingPathComponent("synth")
        let r = try KiraRun.run(["synth", "-o", cohort.path, "--cases", "1", "--seed", "22"])
        guard r.status == 0 else { throw RunFailed(run: r) }
        return Made(dir: dir, t2: cohort.appendingPathComponent("cases/SYNTH0001/t2"))
    })

    static let reader = """
    import json, sys, pydicom
    d = pydicom.dcmread(sys.argv[1])
    s = pydicom.dcmread(sys.argv[2], stop_before_pixels=True)
    doc = bytes(d.EncapsulatedDocument)
    print(json.dumps({
        "sop_class": d.SOPClassUID, "modality": d.Modality, "mime": d.MIMETypeOfEncapsulatedDocument,
        "title": d.DocumentTitle, "length": int(d.EncapsulatedDocumentLength), "doc_hex": doc.hex(),
        "study": d.StudyInstanceUID, "source_study": s.StudyInstanceUID,
        "source_patient": [str(s.PatientName), str(s.PatientID)],
        "patient": [str(d.PatientName), str(d.PatientID), d.PatientBirthDate, d.PatientSex],
        "study_attrs": [d.StudyDate, d.StudyTime, d.AccessionNumber, d.StudyID, str(d.ReferringPhysicianName)],
        "sources": sorted(i.ReferencedSOPInstanceUID for i in d.SourceInstanceSequence),
        "series_new": d.SeriesInstanceUID != s.SeriesInstanceUID, "burned_in": d.BurnedInAnnotation,
    }))
    """

    @Test(arguments: [0, 1])
    func pdfComesBackByteForByteAndValidates(extra: Int) throws {
        let made = try Self.made.get()
        let pdf = Self.pdf(extra: extra)
        let input = made.dir.appendingPathComponent("report\(extra).pdf"), out = made.dir.appendingPathComponent("report\(extra).dcm")
        try pdf.write(to: input)
        let r = try KiraRun.run(["export", "pdf", "--source", made.t2.path, "--pdf", input.path, "-o", out.path])
        #expect(r.status == 0, Comment(rawValue: r.stderr))

        let v = try runProcess(URL(fileURLWithPath: "/usr/bin/dciodvfy"), [out.path])
        let lines = (v.stdout + v.stderr).split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.hasPrefix("Error") }
        print("dciodvfy encapsulated PDF (\(pdf.count) bytes): \(errors.count) errors, \(lines.filter { $0.hasPrefix("Warning") }.count) warnings")
        #expect(errors.isEmpty, Comment(rawValue: errors.joined(separator: "\n")))

        let files = try FileManager.default.contentsOfDirectory(atPath: made.t2.path).sorted()
        let j = try #require(try JSONSerialization.jsonObject(with: Data(try PythonPeer.run(Self.reader, arguments: [out.path,
            made.t2.appendingPathComponent(files[0]).path]).utf8)) as? [String: Any])
        let hex = try #require(j["doc_hex"] as? String)
        let doc = try #require(Self.bytes(hex: hex))
        // DICOM values have even lengths: an odd PDF carries exactly one zero byte more.
        #expect(doc.count == pdf.count + pdf.count % 2)
        #expect(doc.prefix(pdf.count) == pdf)
        if pdf.count % 2 == 1 { #expect(doc.last == 0) }
        #expect(j["length"] as? Int == pdf.count)
        #expect(j["sop_class"] as? String == "1.2.840.10008.5.1.4.1.1.104.1")
        #expect(j["modality"] as? String == "DOC" && j["mime"] as? String == "application/pdf" && j["title"] as? String == "Kira study report")
        #expect(j["study"] as? String == j["source_study"] as? String)
        #expect(j["series_new"] as? Bool == true && j["burned_in"] as? String == "NO")
        // The source names a patient; the object does not.
        #expect((j["source_patient"] as? [String])?.first?.isEmpty == false)
        #expect(j["patient"] as? [String] == ["", "", "", ""])
        #expect(j["study_attrs"] as? [String] == ["", "", "", "", ""])
        #expect((j["sources"] as? [String])?.count == files.count)
    }

    @Test func badInputsExitOneAndWriteNothing() throws {
        let made = try Self.made.get()
        let out = made.dir.appendingPathComponent("bad.dcm")
        let notPDF = made.dir.appendingPathComponent("notes.pdf")
        try Data("<html>not a pdf</html>".utf8).write(to: notPDF)
        let a = try KiraRun.run(["export", "pdf", "--source", made.t2.path, "--pdf", notPDF.path, "-o", out.path])
        #expect(a.status == 1)
        #expect(a.stderr.contains(notPDF.path) && a.stderr.contains("not a PDF"), Comment(rawValue: a.stderr))
        let good = made.dir.appendingPathComponent("good.pdf")
        try Self.pdf(extra: 0).write(to: good)
        let empty = made.dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let b = try KiraRun.run(["export", "pdf", "--source", empty.path, "--pdf", good.path, "-o", out.path])
        #expect(b.status == 1)
        #expect(b.stderr.contains(empty.path) && b.stderr.contains("exactly one image series"), Comment(rawValue: b.stderr))
        let c = try KiraRun.run(["export", "pdf", "--source", made.t2.path, "--pdf", good.path, "-o", made.dir.appendingPathComponent("r.pdf").path])
        #expect(c.status == 1 && c.stderr.contains("must end in .dcm"), Comment(rawValue: c.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(leftoverTemporaries(in: made.dir).isEmpty)
    }
}
