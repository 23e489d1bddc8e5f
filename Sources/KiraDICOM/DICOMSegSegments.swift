import Foundation
import KiraCore

extension DICOMSegReader {
    /// The segments a SEG file describes: number and label, in file order.
    public static func segments(_ url: URL) throws -> [(number: Int, label: String)] {
        let path = url.path
        let f: DcmtkFile
        do { f = try DcmtkFile(url: url, maxReadLength: 256) } catch { throw FrameDecoder.kiraError(error, path: path) }
        guard f.string("(0008,0016)") == "1.2.840.10008.5.1.4.1.1.66.4" else {
            throw KiraError.unsupportedFormat(path: path, reason: "not a DICOM Segmentation (SOP class \(f.string("(0008,0016)") ?? "none"))")
        }
        var out: [(number: Int, label: String)] = []
        for i in 0..<f.sequenceCount("(0062,0002)") {
            guard let n = DICOMValue.int(f.string("(0062,0002)[\(i)].(0062,0004)")) else { continue }
            out.append((n, f.string("(0062,0002)[\(i)].(0062,0005)") ?? ""))
        }
        guard !out.isEmpty else { throw KiraError.unsupportedFormat(path: path, reason: "the segmentation describes no segment") }
        return out
    }
}
