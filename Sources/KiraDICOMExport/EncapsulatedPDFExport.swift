import Foundation
import KiraCore
import KiraDICOM
import Logging

/// Encapsulated PDF Storage objects: a report PDF, byte for byte, filed in the study of the
/// DICOM series it was made from, so a PACS or viewer shows it beside the images, SEG and SR.
public enum EncapsulatedPDFExport {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.104.1"

    public struct Written: Sendable {
        public var sopInstanceUID: String
        public var seriesInstanceUID: String
        public var pdfBytes: Int
    }

    /// The PDF at `pdf`, refused unless it starts as a PDF does ("%PDF-").
    public static func readPDF(_ pdf: URL) throws -> Data {
        let data: Data
        do { data = try Data(contentsOf: pdf) } catch {
            throw KiraError.unreadable(path: pdf.path, reason: error.localizedDescription)
        }
        guard data.starts(with: Data("%PDF-".utf8)) else {
            throw KiraError.unsupportedFormat(path: pdf.path, reason: "not a PDF (it does not start with %PDF-)")
        }
        return data
    }

    /// Writes `pdf` as an Encapsulated PDF to `output`, temp-then-rename. The study is the
    /// first series' (its Study Instance UID only; patient and other study attributes empty,
    /// as in the SEG and SR); every file of every series is a source instance.
    public static func write(pdf: Data, sources: [DICOMSeries], title: String, to output: URL, logger: Logger) throws -> Written {
        guard !sources.isEmpty else {
            throw KiraError.invalidArgument("\(output.path): an encapsulated PDF needs the DICOM series it reports on")
        }
        // The first series' first file names the study; the rest follow in path order.
        let files = sources.flatMap { $0.files.map(\.path).sorted() }
        var written = Written(sopInstanceUID: "", seriesInstanceUID: "", pdfBytes: pdf.count)
        try AtomicOutput.write(to: output) { tmp in
            do {
                let ids = try DcmOutBridge.writeEncapsulatedPDF(to: tmp.path, pdf: pdf, sourceFiles: files, title: title,
                                                                description: "Kira report", softwareVersion: KiraVersion.current)
                written.sopInstanceUID = ids.sop
                written.seriesInstanceUID = ids.series
            } catch let e as BridgeFailure { throw KiraError.writeFailed(path: output.path, reason: e.message) }
        }
        logger.info("wrote \(output.path): encapsulated PDF of \(pdf.count) bytes, \(files.count) source instance(s)")
        return written
    }
}
