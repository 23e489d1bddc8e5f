import Foundation
import KiraCore

/// Where a study's outputs go, and how they are written: temp-then-rename, and not at all
/// when the bytes would not change (a rerun leaves identical files untouched).
public struct StudyFiles: Sendable {
    public var root: URL
    public init(root: URL) { self.root = root }

    public var cache: URL { root.appendingPathComponent("cache") }
    public var featureCache: URL { cache.appendingPathComponent("features") }
    /// Deep features (`deep:`), cached apart from radiomics, and their Grad-CAM overlays.
    public var deepCache: URL { cache.appendingPathComponent("deep") }
    public func deepCacheFile(caseID: String, modality: String, reader: Int, key: String) -> URL {
        deepCache.appendingPathComponent("\(caseID).\(modality).reader\(reader + 1).\(key).json")
    }
    public func deepCAMCacheFile(caseID: String, modality: String, crop: String, key: String) -> URL {
        deepCache.appendingPathComponent("\(caseID).\(modality).\(crop).\(key).cam.png")
    }
    public func deepCAMMapCacheFile(caseID: String, modality: String, crop: String, key: String) -> URL {
        deepCache.appendingPathComponent("\(caseID).\(modality).\(crop).\(key).cam.nii.gz")
    }
    /// results/deep/<case>/<modality>_<crop>_cam.png: the primary reader's crop with its Grad-CAM map.
    public func deepCAM(caseID: String, modality: String, crop: String) -> URL {
        root.appendingPathComponent("deep").appendingPathComponent(caseID).appendingPathComponent("\(modality)_\(crop)_cam.png")
    }
    /// results/deep/<case>/<modality>_<crop>_cam.nii.gz: the same map on the image grid (zero
    /// outside the crop's box and slice), as `kira deep cam` writes it.
    public func deepCAMMap(caseID: String, modality: String, crop: String) -> URL {
        root.appendingPathComponent("deep").appendingPathComponent(caseID).appendingPathComponent("\(modality)_\(crop)_cam.nii.gz")
    }
    /// The decision map of a crop (`DecisionCAMStage`), keyed by the deep key, the model file's
    /// content and the case's model inputs.
    public func decisionCAMCacheFile(caseID: String, modality: String, crop: String, key: String, ext: String) -> URL {
        deepCache.appendingPathComponent("\(caseID).\(modality).\(crop).\(key).decision.\(ext)")
    }
    /// results/deep/<case>/<modality>_<crop>_decision_cam.png or .nii.gz: the Grad-CAM of the
    /// study's frozen model's decision (its log-odds gradient on the crop's columns).
    public func decisionCAM(caseID: String, modality: String, crop: String, ext: String) -> URL {
        root.appendingPathComponent("deep").appendingPathComponent(caseID).appendingPathComponent("\(modality)_\(crop)_decision_cam.\(ext)")
    }
    public var ledger: URL { root.appendingPathComponent("ledger.sqlite") }
    public var failures: URL { root.appendingPathComponent("failures.csv") }
    public var icc: URL { root.appendingPathComponent("icc.csv") }
    public var fused: URL { root.appendingPathComponent("features.csv") }
    public var model: URL { root.appendingPathComponent("model.json") }
    public var metrics: URL { root.appendingPathComponent("metrics.json") }
    public var survival: URL { root.appendingPathComponent("survival.json") }
    public var summary: URL { root.appendingPathComponent("summary.json") }
    public var report: URL { root.appendingPathComponent("report.html") }
    /// Per-study reports: reports/<case>.html and .json, and what they name as wrong.
    public var reports: URL { root.appendingPathComponent("reports") }
    public var reportProblems: URL { reports.appendingPathComponent("problems.csv") }
    public func caseReport(_ caseID: String, ext: String) -> URL { reports.appendingPathComponent("\(caseID).\(ext)") }
    public func readerTable(_ modality: String, reader: Int) -> URL {
        root.appendingPathComponent("features_\(modality)_reader\(reader + 1).csv")
    }
    /// DICOM objects of `export:`: dicom/<case>/<modality>_seg.dcm and <modality>_sr.dcm.
    public var dicom: URL { root.appendingPathComponent("dicom") }
    public func dicomObject(caseID: String, modality: String, kind: String) -> URL {
        dicom.appendingPathComponent(caseID).appendingPathComponent("\(modality)_\(kind).dcm")
    }
    /// What could not be exported or sent (case, modality, reader, step, reason).
    public var exportFailures: URL { dicom.appendingPathComponent("failures.csv") }
    public func predictions(_ split: String) -> URL { root.appendingPathComponent("predictions_\(split).csv") }
    public func featureCacheFile(caseID: String, modality: String, reader: Int, key: String) -> URL {
        featureCache.appendingPathComponent("\(caseID).\(modality).reader\(reader + 1).\(key).json")
    }

    public func createFolders() throws {
        do {
            try FileManager.default.createDirectory(at: featureCache, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: deepCache, withIntermediateDirectories: true)
        } catch {
            throw KiraError.writeFailed(path: featureCache.path, reason: error.localizedDescription)
        }
    }

    /// Takes the output folder for this process (an advisory lock the kernel releases when
    /// the process ends, however it ends); a second run on the same folder is refused.
    /// `shared`: a single branch (`kira study branch`), which writes only its own cache file,
    /// marker and ledger rows, so branches may run side by side (a workflow engine's jobs) but
    /// never beside a run, analyse or predict, which take the folder whole.
    public func lock(shared: Bool = false) throws -> Int32 {
        let path = root.appendingPathComponent(".kira-study.lock").path
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw KiraError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 else {
            close(fd)
            throw KiraError.invalidArgument("\(root.path) is in use by another kira study run, analyse, predict or branch; wait for it to end")
        }
        return fd
    }

    /// A branch's marker for a workflow engine: branches/<case>/<modality>/reader<N>.json.
    public func branchMarker(caseID: String, modality: String, reader: Int) -> URL {
        root.appendingPathComponent("branches").appendingPathComponent(caseID).appendingPathComponent(modality)
            .appendingPathComponent("reader\(reader + 1).json")
    }

    /// Removes temporary files a killed run left (a SIGKILL gives no chance to clean up):
    /// one study's output folder is written by one run at a time.
    public func removeLeftovers() {
        let cases = ((try? FileManager.default.contentsOfDirectory(atPath: dicom.path)) ?? []).map { dicom.appendingPathComponent($0) }
        let deepCases = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("deep").path)) ?? [])
            .map { root.appendingPathComponent("deep").appendingPathComponent($0) }
        for dir in [root, featureCache, deepCache, root.appendingPathComponent("pacs"), dicom, reports] + cases + deepCases {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".kira-tmp") {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            }
        }
    }

    /// Writes `data` atomically unless the file already holds exactly these bytes.
    /// Returns whether it wrote.
    @discardableResult
    public static func write(_ data: Data, to url: URL) throws -> Bool {
        if let old = FileManager.default.contents(atPath: url.path), old == data { return false }
        try AtomicOutput.write(data, to: url)
        return true
    }

    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value) + Data("\n".utf8)
    }
}
