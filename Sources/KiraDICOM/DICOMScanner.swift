import CDcmtk
import Foundation
import KiraCore
import Logging

public enum DICOMScanner {
    /// Above this many files the scan closes each header and decoding re-reads it.
    static let maxOpenFiles = 4096

    /// Reads the headers of every file under `inputs` (folders recursively) and groups
    /// the images into series. Pixel data is not read here.
    public static func scan(_ inputs: [URL], options: DICOMReadOptions, logger: Logger) -> DICOMScanResult {
        let files = collectFiles(inputs)
        logger.debug("scanning \(files.count) files")
        enum Outcome: Sendable { case header(FileHeader), segmentation(URL), nonImage(DICOMFileIssue), skipped(DICOMFileIssue), failed(DICOMFileIssue) }
        kira_dcm_initialize()
        // Parsed headers stay open for the decoders unless there are so many files that
        // their datasets would weigh more than re-reading them costs.
        let keepOpen = files.count <= maxOpenFiles
        let outcomes: [Outcome?] = concurrentMap(files.count) { readHeader(files[$0]) }
        @Sendable func readHeader(_ url: URL) -> Outcome {
            do {
                // Short maxReadLength: pixel data and other large values stay on disk.
                let f = try DcmtkFile(url: url, maxReadLength: 4096)
                var h = try HeaderReader.read(f, url: url)
                if keepOpen { h.openFile = OpenFile(f) }
                if h.sopClassUID == "1.2.840.10008.5.1.4.1.1.66.4" {
                    return .segmentation(url)
                }
                if !h.hasPixelData {
                    return .nonImage(DICOMFileIssue(file: url.path, reason: "\(SOPClassNames.describe(h.sopClassUID)): no image pixel data, not an image series"))
                }
                if let problem = truncationProblem(h) { return .failed(DICOMFileIssue(file: url.path, reason: problem)) }
                return .header(h)
            } catch let e as DcmtkFailure {
                switch e {
                case let .notDICOM(m): return .skipped(DICOMFileIssue(file: url.path, reason: m))
                case let .truncated(m): return .failed(DICOMFileIssue(file: url.path, reason: "truncated: \(m)"))
                case let .notFound(m), let .other(m): return .failed(DICOMFileIssue(file: url.path, reason: m))
                }
            } catch {
                return .failed(DICOMFileIssue(file: url.path, reason: "\(error)"))
            }
        }

        var headers: [FileHeader] = []
        var skipped: [DICOMFileIssue] = []
        var failures: [DICOMFileIssue] = []
        var segmentations: [URL] = []
        var nonImage: [DICOMFileIssue] = []
        for o in outcomes {
            switch o {
            case let .header(h): headers.append(h)
            case let .segmentation(u): segmentations.append(u)
            case let .nonImage(i): nonImage.append(i)
            case let .skipped(i): skipped.append(i)
            case let .failed(i): failures.append(i)
            case nil: break
            }
        }
        // The caller reports failures; here they are only traced.
        for f in failures { logger.debug("\(f.file): \(f.reason)") }
        let grouped = SeriesGrouping.split(headers, options: options)
        var result = DICOMScanResult(series: grouped.series, skippedNonDICOM: skipped,
                                     failures: failures + grouped.excluded)
        result.segmentations = segmentations
        result.nonImageObjects = nonImage
        return result
    }

    /// Native (uncompressed) pixel data shorter than the header promises means the file
    /// was cut; dcmtk only notices that when the value is finally read.
    static func truncationProblem(_ h: FileHeader) -> String? {
        let native = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]
        guard native.contains(h.transferSyntax) else { return nil }
        let expected = h.storedRows * h.storedColumns * h.samplesPerPixel * h.numberOfFrames * max(1, h.bitsAllocated / 8)
        var st = stat()
        guard stat(h.url.path, &st) == 0 else { return nil }
        let size = Int(st.st_size)
        if size < expected {
            return "truncated: the file has \(size) bytes but its pixel data needs \(expected)"
        }
        return nil
    }

    /// Every regular file under `inputs` (folders recursively, hidden entries skipped),
    /// sorted by path. Inputs that do not exist are kept so the reader reports them.
    static func collectFiles(_ inputs: [URL]) -> [URL] {
        var paths: [String] = []
        for input in inputs {
            var st = stat()
            guard stat(input.path, &st) == 0 else { paths.append(input.path); continue }
            if st.st_mode & S_IFMT == S_IFDIR { walk(input.path, into: &paths) } else { paths.append(input.path) }
        }
        paths.sort()
        return paths.map { URL(fileURLWithPath: $0, isDirectory: false) }
    }

    /// readdir's entry types answer "file or folder" without a stat per file (Foundation's
    /// resource values cost more than reading a small DICOM header).
    private static func walk(_ folder: String, into paths: inout [String]) {
        guard let dir = opendir(folder) else { return }
        defer { closedir(dir) }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let path = prefix + name
            var type = Int32(entry.pointee.d_type)
            if type == Int32(DT_UNKNOWN) || type == Int32(DT_LNK) {
                // Symbolic links to files count as files; links to folders are not followed,
                // so a link cycle cannot loop.
                var st = stat()
                guard stat(path, &st) == 0 else { continue }
                if st.st_mode & S_IFMT == S_IFREG { type = Int32(DT_REG) }
                else if st.st_mode & S_IFMT == S_IFDIR && type == Int32(DT_UNKNOWN) { type = Int32(DT_DIR) }
                else { continue }
            }
            if type == Int32(DT_DIR) { walk(path, into: &paths) }
            else if type == Int32(DT_REG) { paths.append(path) }
        }
    }
}
