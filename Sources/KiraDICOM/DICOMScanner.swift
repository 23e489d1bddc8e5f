import Foundation
import KiraCore
import Logging

public enum DICOMScanner {
    /// Reads the headers of every file under `inputs` (folders recursively) and groups
    /// the images into series. Pixel data is not read here.
    public static func scan(_ inputs: [URL], options: DICOMReadOptions, logger: Logger) -> DICOMScanResult {
        let files = collectFiles(inputs)
        logger.debug("scanning \(files.count) files")
        enum Outcome: Sendable { case header(FileHeader), segmentation(URL), skipped(DICOMFileIssue), failed(DICOMFileIssue) }
        let outcomes: [Outcome?] = concurrentMap(files.count) { readHeader(files[$0]) }
        @Sendable func readHeader(_ url: URL) -> Outcome {
            do {
                // Short maxReadLength: pixel data and other large values stay on disk.
                let f = try DcmtkFile(url: url, maxReadLength: 4096)
                let h = try HeaderReader.read(f, url: url)
                if h.sopClassUID == "1.2.840.10008.5.1.4.1.1.66.4" {
                    return .segmentation(url)
                }
                if !h.hasPixelData {
                    return .skipped(DICOMFileIssue(file: url.path, reason: "DICOM without image pixel data (SOP class \(h.sopClassUID))"))
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
        for o in outcomes {
            switch o {
            case let .header(h): headers.append(h)
            case let .segmentation(u): segmentations.append(u)
            case let .skipped(i): skipped.append(i)
            case let .failed(i): failures.append(i)
            case nil: break
            }
        }
        // The caller reports failures; here they are only traced.
        for f in failures { logger.debug("\(f.file): \(f.reason)") }
        var result = DICOMScanResult(series: SeriesGrouping.group(headers, options: options),
                                     skippedNonDICOM: skipped, failures: failures)
        result.segmentations = segmentations
        return result
    }

    /// Native (uncompressed) pixel data shorter than the header promises means the file
    /// was cut; dcmtk only notices that when the value is finally read.
    static func truncationProblem(_ h: FileHeader) -> String? {
        let native = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]
        guard native.contains(h.transferSyntax) else { return nil }
        let expected = h.storedRows * h.storedColumns * h.samplesPerPixel * h.numberOfFrames * max(1, h.bitsAllocated / 8)
        let size = (try? FileManager.default.attributesOfItem(atPath: h.url.path)[.size] as? Int) ?? nil
        if let size, size < expected {
            return "truncated: the file has \(size) bytes but its pixel data needs \(expected)"
        }
        return nil
    }

    static func collectFiles(_ inputs: [URL]) -> [URL] {
        var out: [URL] = []
        let fm = FileManager.default
        for input in inputs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input.path, isDirectory: &isDir) else {
                out.append(input)  // reported as unreadable by the header reader
                continue
            }
            if !isDir.boolValue { out.append(input); continue }
            guard let e = fm.enumerator(at: input, includingPropertiesForKeys: [.isRegularFileKey],
                                        options: [.skipsHiddenFiles]) else { continue }
            for case let url as URL in e {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { out.append(url) }
            }
        }
        return out.sorted { $0.path < $1.path }
    }
}
