import CDcmtk
import Foundation
import KiraCore
import Logging

public enum DICOMScanner {
    /// Parsed datasets kept open for the decoders, which then skip a second parse, weigh
    /// at most this much together; the other files are closed after the scan and decoding
    /// re-reads them. A bound in bytes, not files: a dataset weighs from a few kilobytes (a
    /// CT slice) to megabytes (an enhanced file's functional groups), and memory must stay
    /// flat however many files the archive has.
    static let openBudgetBytes = 4 << 20
    /// Files whose headers are read at once: each batch's headers are compacted (see
    /// `ScanInterner`) before the next batch is read, so only this many are ever held whole.
    static let batchSize = 256

    /// Reads the headers of every file under `inputs` (folders recursively) and groups
    /// the images into series. Pixel data is not read here.
    public static func scan(_ inputs: [URL], options: DICOMReadOptions, logger: Logger) -> DICOMScanResult {
        let files = collectFiles(inputs)
        logger.debug("scanning \(files.count) files")
        enum Outcome: Sendable { case header(FileHeader), segmentation(URL), nonImage(DICOMFileIssue), skipped(DICOMFileIssue), failed(DICOMFileIssue) }
        kira_dcm_initialize()
        let budget = OpenBudget(openBudgetBytes)
        @Sendable func readHeader(_ url: URL) -> Outcome {
            do {
                // Short maxReadLength: pixel data and other large values stay on disk.
                let f = try DcmtkFile(url: url, maxReadLength: 4096)
                var h = try HeaderReader.read(f, url: url)
                if h.sopClassUID == "1.2.840.10008.5.1.4.1.1.66.4" {
                    return .segmentation(url)
                }
                if !h.hasPixelData {
                    return .nonImage(DICOMFileIssue(file: url.path, reason: "\(SOPClassNames.describe(h.sopClassUID)): no image pixel data, not an image series"))
                }
                if let problem = truncationProblem(h) { return .failed(DICOMFileIssue(file: url.path, reason: problem)) }
                // Native greyscale frames are read straight from the file, so only the other
                // images, which dcmtk decodes, are worth the budget: the datasets kept open
                // then spare a second parse where one is needed.
                h.pixelDataOffset = NativeFrames.offset(of: h, in: f)
                guard h.pixelDataOffset == nil else { return .header(h) }
                let bytes = f.residentEstimate
                if budget.claim(bytes) { h.openFile = OpenFile(f, bytes: bytes) }
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
        var interner = ScanInterner()
        for start in stride(from: 0, to: files.count, by: batchSize) {
            let end = min(files.count, start + batchSize)
            let outcomes: [Outcome] = concurrentMap(end - start) { readHeader(URL(fileURLWithPath: files[start + $0], isDirectory: false)) }
            for o in outcomes {
                switch o {
                case let .header(h): headers.append(interner.compact(h))
                case let .segmentation(u): segmentations.append(u)
                case let .nonImage(i): nonImage.append(i)
                case let .skipped(i): skipped.append(i)
                case let .failed(i): failures.append(i)
                }
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
        guard stat(h.path, &st) == 0 else { return nil }
        let size = Int(st.st_size)
        if size < expected {
            return "truncated: the file has \(size) bytes but its pixel data needs \(expected)"
        }
        return nil
    }

    /// Every regular file under `inputs` (folders recursively, hidden entries skipped),
    /// sorted by path. Inputs that do not exist are kept so the reader reports them.
    static func collectFiles(_ inputs: [URL]) -> [String] {
        var paths: [String] = []
        for input in inputs {
            var st = stat()
            guard stat(input.path, &st) == 0 else { paths.append(input.path); continue }
            if st.st_mode & S_IFMT == S_IFDIR { walk(input.path, into: &paths) } else { paths.append(input.path) }
        }
        paths.sort()
        return paths
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

/// Shares the storage of values that repeat from file to file (UIDs, transfer syntax,
/// orientation, pixel spacing): each file's parse makes its own copy, and an archive's
/// records would otherwise hold one per file.
struct ScanInterner {
    private var strings: Set<String> = []
    private var vectors: Set<[Double]> = []

    mutating func compact(_ header: FileHeader) -> FileHeader {
        var h = header
        for k in [\FileHeader.seriesUID, \.transferSyntax, \.sopClassUID, \.modality, \.photometric, \.spacingSource, \.seriesDescription] {
            h[keyPath: k] = string(h[keyPath: k])
        }
        for i in h.frames.indices {
            if let o = h.frames[i].orientation { h.frames[i].orientation = vectors.insert(o).memberAfterInsert }
            if let p = h.frames[i].pixelSpacing { h.frames[i].pixelSpacing = vectors.insert(p).memberAfterInsert }
            h.frames[i].echoNumber = string(h.frames[i].echoNumber)
            h.frames[i].imageKind = string(h.frames[i].imageKind)
        }
        return h
    }

    /// Strings of up to 15 UTF-8 bytes are stored inline, so only longer ones are shared.
    private mutating func string(_ s: String) -> String {
        s.utf8.count <= 15 ? s : strings.insert(s).memberAfterInsert
    }
}

/// What is left of `DICOMScanner.openBudgetBytes` while the scan's workers claim it.
private final class OpenBudget: @unchecked Sendable {
    private var left: Int
    private let lock = NSLock()
    init(_ bytes: Int) { left = bytes }

    func claim(_ bytes: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard bytes <= left else { return false }
        left -= bytes
        return true
    }
}
