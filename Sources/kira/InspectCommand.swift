import ArgumentParser
import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraStudy
import Logging

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the grid, voxel type and acquisition summary of images and DICOM series.",
        discussion: """
        PATH may be a NIfTI, NRRD, PNG/JPEG/TIFF or DICOM file, or a folder, which is scanned
        recursively: every DICOM series and every NIfTI/NRRD file in it is listed.
        Geometry is in LPS millimetres (DICOM/ITK convention).

        \(KiraExit.helpText)
        """
    )

    @Argument(help: "A file or folder.")
    var path: String

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    @Flag(help: "Show patient-identifying DICOM fields.")
    var keepPhi = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("'\(path)' does not exist")
        }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.inspect")
        let root = URL(fileURLWithPath: path)
        var report = InspectReport()
        var dicom: [URL] = []
        for url in Self.files(under: root) {
            guard let kind = ImageFileReader.kind(of: url) else {
                // Sidecars sit beside converted images; they are not DICOM candidates.
                if url.pathExtension.lowercased() != "json" || url == root { dicom.append(url) }
                continue
            }
            do {
                let v = try ImageFileReader.read(url)
                report.images.append(.init(path: url.path, format: kind.rawValue, volume: v, keepPHI: keepPhi))
            } catch {
                report.failures.append(.init(file: url.path, reason: FailureText.describe(error)))
            }
        }
        if !dicom.isEmpty {
            let options = DICOMReadOptions(keepPHI: keepPhi)
            let scan = DICOMScanner.scan(dicom, options: options, logger: logger)
            report.failures += scan.failures.map { .init(file: $0.file, reason: $0.reason) }
            if !InputClassifier.isDirectory(root) {
                report.failures += (scan.skippedNonDICOM + scan.nonImageObjects).map { .init(file: $0.file, reason: $0.reason) }
            }
            report.skippedNonDICOM = scan.skippedNonDICOM.count
            report.skippedNonImage = scan.nonImageObjects.map { .init(file: $0.file, reason: $0.reason) }
            for url in scan.segmentations {
                do {
                    let v = try DICOMSegReader.read(url)
                    report.images.append(.init(path: url.path, format: "dicom-seg", volume: v, keepPHI: keepPhi, files: 1))
                } catch {
                    report.failures.append(.init(file: url.path, reason: FailureText.describe(error)))
                }
            }
            for s in scan.series {
                do {
                    let v = try s.load(options: options, logger: logger)
                    report.images.append(.init(path: s.files.first?.deletingLastPathComponent().path ?? s.key,
                                               format: "dicom", volume: v, keepPHI: keepPhi, files: s.files.count))
                } catch {
                    report.failures.append(.init(file: s.files.first?.path ?? s.key, reason: FailureText.describe(error, series: s.key)))
                }
            }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            for i in report.images { print(i.text) }
            for f in report.failures { FileHandle.standardError.write(Data("kira inspect: \(FailureText.line(file: f.file, reason: f.reason))\n".utf8)) }
        }
        if report.images.isEmpty {
            if report.failures.isEmpty && !json {
                FileHandle.standardError.write(Data("kira inspect: no image found in '\(path)'\n".utf8))
            }
            throw ExitCode(KiraExit.failure.rawValue)
        }
        if !report.failures.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }

    static func files(under root: URL) -> [URL] {
        guard InputClassifier.isDirectory(root) else { return [root] }
        var out: [URL] = []
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let u = e?.nextObject() as? URL {
            if (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { out.append(u) }
        }
        return out.sorted { $0.path < $1.path }
    }
}

struct InspectReport: Encodable {
    struct Image: Encodable {
        var path: String
        var format: String
        var files: Int?
        var size: [Int]
        var components: Int
        var spacing: [Double]
        var origin: [Double]
        var direction: [[Double]]
        var scalarType: String
        var range: [Double]?
        var metadata: [String: MetaValue]

        init(path: String, format: String, volume v: Volume, keepPHI: Bool, files: Int? = nil) {
            self.path = path
            self.format = format
            self.files = files
            let g = v.geometry
            size = v.size4D
            components = v.components
            spacing = [g.spacing.x, g.spacing.y, g.spacing.z]
            origin = [g.origin.x, g.origin.y, g.origin.z]
            direction = g.direction.columns.map { [$0.x, $0.y, $0.z] }
            scalarType = v.voxels.scalarType.rawValue
            range = v.voxels.range().map { [$0.min, $0.max] }
            metadata = keepPHI ? v.metadata : PHIFields.removing(from: v.metadata)
            if format == "dicom" { series = Self.seriesLabel(metadata) }
        }

        /// Which series of a folder this is: `series 5 "T2 ax" MR` (the parts the header has).
        var series: String?

        static func seriesLabel(_ m: [String: MetaValue]) -> String {
            var parts = ["series"]
            if let n = m["SeriesNumber"] { parts.append(n.doubleValue.map { String(Int($0)) } ?? n.stringValue ?? "?") }
            if let d = m["SeriesDescription"]?.stringValue, !d.isEmpty { parts.append("\"\(d)\"") }
            if let mod = m["Modality"]?.stringValue, !mod.isEmpty { parts.append(mod) }
            return parts.joined(separator: " ")
        }

        var text: String {
            func f(_ a: [Double]) -> String { a.map { String(format: "%.6g", $0) }.joined(separator: " × ") }
            var lines = ["\(path)\(series.map { ": \($0)" } ?? "") [\(format)\(files.map { ", \($0) files" } ?? "")]"]
            if let m = metadata["Modality"]?.stringValue { lines.append("  modality   \(m)") }
            if let d = metadata["SeriesDescription"]?.stringValue { lines.append("  series     \(metadata["SeriesNumber"].map { "\($0.doubleValue.map { String(Int($0)) } ?? $0.stringValue ?? "")" } ?? "") \(d)") }
            lines.append("  size       \(size.map(String.init).joined(separator: " × "))\(components > 1 ? " (\(components) components)" : "")")
            lines.append("  spacing    \(f(spacing)) mm")
            lines.append("  origin     \(origin.map { String(format: "%.4f", $0) }.joined(separator: ", ")) (LPS mm)")
            lines.append("  direction  " + direction.map { "(" + $0.map { String(format: "%.5f", $0) }.joined(separator: ", ") + ")" }.joined(separator: " "))
            lines.append("  voxels     \(scalarType)\(range.map { ", range \(String(format: "%.6g", $0[0])) … \(String(format: "%.6g", $0[1]))" } ?? "")")
            if let s = metadata["SpacingSource"]?.stringValue { lines.append("  spacing from \(s)") }
            return lines.joined(separator: "\n")
        }
    }
    struct Issue: Encodable { var file: String; var reason: String }
    var images: [Image] = []
    var failures: [Issue] = []
    var skippedNonDICOM = 0
    /// DICOM objects that hold no image (RT Structure Sets, reports), named by SOP class.
    var skippedNonImage: [Issue] = []
}
