import CKiraKernels
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraRadiomics
import Logging

/// What the concurrent readers produce: the two volumes, the two file hashes and the binary
/// mask, one slot each.
private final class ConcurrentFiles: @unchecked Sendable {
    private var image: Result<Volume, Error>?
    private var labelGeometry: Result<Geometry, Error>?
    private var hashes: [Result<String, Error>?] = [nil, nil]
    private var binary: Result<Volume, Error>?
    private let lock = NSLock()
    func setImage(_ r: Result<Volume, Error>) { lock.lock(); image = r; lock.unlock() }
    /// Only the label map's grid is kept: its voxels (int32 for many Slicer files, four times
    /// the binary mask) are dropped as soon as the mask is made.
    func setLabelGeometry(_ r: Result<Geometry, Error>) { lock.lock(); labelGeometry = r; lock.unlock() }
    func setHash(_ k: Int, _ r: Result<String, Error>) { lock.lock(); hashes[k] = r; lock.unlock() }
    func setMask(_ r: Result<Volume, Error>) { lock.lock(); binary = r; lock.unlock() }
    func imageVolume() throws -> Volume {
        lock.lock(); let v = image!; lock.unlock()
        return try v.get()
    }
    func labelMapGeometry() throws -> Geometry {
        lock.lock(); let g = labelGeometry!; lock.unlock()
        return try g.get()
    }
    /// The hash of file k, once hashing is done.
    func hash(_ k: Int) throws -> String {
        lock.lock(); let h = hashes[k]!; lock.unlock()
        return try h.get()
    }
    /// The binary mask made from the label map, handed over: the slot lets it go so that the
    /// caller's copy is the only one and can be freed once the ROI box is cut.
    func takeMask() throws -> Volume { lock.lock(); let r = binary!; binary = nil; lock.unlock(); return try r.get() }
}

/// A file read started before it is needed: single-case `kira features` starts reading (and
/// decompressing) the image and the label map while it parses its settings.
final class PendingRead: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Swift.Result<Volume, Error>?

    /// `labels`: read as a label map (`ImageFileReader.readLabels`), else as an image.
    init(_ url: URL, labels: Bool = false) {
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Swift.Result { labels ? try ImageFileReader.readLabels(url) : try ImageFileReader.read(url) }
            group.leave()
        }
    }

    /// Waits for the read and hands the volume over (once): holding on to it here would keep
    /// a second reference, so the mask could not be made in the label map's own buffer.
    func take() throws -> Volume {
        group.wait()
        let r = result!
        result = .failure(KiraError.invalidArgument("a prefetched read was taken twice"))
        return try r.get()
    }
}

/// `kira features --image P --mask M` for one case: both reads start before ArgumentParser
/// has even parsed the line, from a plain scan of the arguments. The command takes them if it
/// ends up reading those same paths; a line that does not parse just exits with them unused.
enum FeaturesPrefetch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: [String: PendingRead] = [:]

    static func start(_ arguments: [String]) {
        guard arguments.count > 2, arguments[1] == "features" else { return }
        let rest = arguments.dropFirst(2)
        guard !rest.contains(where: { ["--manifest", "--help", "-h"].contains($0) || $0.hasPrefix("--manifest=") }) else { return }
        func value(_ option: String) -> String? {
            var path: String?
            for (i, a) in zip(rest.indices, rest) {
                if a == option, i + 1 < arguments.count { path = arguments[i + 1] }
                if a.hasPrefix(option + "=") { path = String(a.dropFirst(option.count + 1)) }
            }
            guard let path, FileManager.default.isReadableFile(atPath: path) else { return nil }
            return path
        }
        // One case is a short burst of filters and maps on both cores: with one arena its
        // resident size follows the heap (brain1: 37 → 33 MiB) at no cost in time. A cohort
        // keeps per-thread arenas, where concurrent cases would contend for one.
        kira_single_arena()
        let image = value("--image"), mask = value("--mask")
        lock.lock(); defer { lock.unlock() }
        if let image { pending["--image " + image] = PendingRead(URL(fileURLWithPath: image)) }
        if let mask { pending["--mask " + mask] = PendingRead(URL(fileURLWithPath: mask), labels: true) }
    }

    /// The read started for `path` given as `option` (`--image` or `--mask`), if any (once).
    static func take(_ option: String, _ path: String) -> PendingRead? {
        lock.lock(); defer { lock.unlock() }
        return pending.removeValue(forKey: option + " " + path)
    }
}

/// One case of `kira features`: inputs read and checked, each region's features computed,
/// provenance attached. Shared by single-case and cohort mode.
struct FeaturesCase {
    var image: URL
    var mask: URL
    var label: Int?
    var habitats: URL?
    /// The image's and the label map's reads, when they were started ahead.
    var pendingImage: PendingRead? = nil
    var pendingMask: PendingRead? = nil
    /// Hashes already taken in this run (a cohort's reuse check), so no file is hashed twice.
    var hashes = FileHashes()

    struct Result {
        var set: FeatureSet
        /// Case-level problems that do not stop it (e.g. constant intensity).
        var warnings: [String]
    }

    /// `regions` empty: the tumour, features unprefixed, diagnostics flat. Otherwise every
    /// region's features prefixed with its `prefix` and its diagnostics under `regions`.
    func run(regions: [FeatureRegion], settings: ExtractionSettings, settingsProvenance: (value: MetaValue, hash: String),
             origin: [String: MetaValue], logger: Logger) throws -> Result {
        // The image is read (decompressed, converted) while the label map is read and turned
        // into the binary mask; the two files are hashed for the provenance in the background,
        // which only the diagnostics at the end wait for.
        let files = ConcurrentFiles()
        let maskLabel = label ?? settings.label
        let hashing = DispatchGroup()
        DispatchQueue.concurrentPerform(iterations: 2) { job in
            if job == 0 {
                files.setImage(Swift.Result { try pendingImage?.take() ?? ImageFileReader.read(image) })
            } else {
                // The label map is handed over whole, so a byte label map becomes the mask in place.
                do {
                    let map = try pendingMask?.take() ?? ImageFileReader.readLabels(mask)
                    files.setLabelGeometry(.success(map.geometry))
                    do {
                        files.setMask(.success(try MaskReader.mask(from: consume map, url: mask, label: maskLabel, matching: nil, imagePath: image.path)))
                    } catch { files.setMask(.failure(error)) }
                } catch { files.setLabelGeometry(.failure(error)) }
                // Started only now so that it does not slow the image read down.
                DispatchQueue.global(qos: .userInitiated).async(group: hashing) {
                    files.setHash(1, Swift.Result { try hashes.hash(mask) })
                    files.setHash(0, Swift.Result { try hashes.hash(image) })
                }
            }
        }
        let volume = try files.imageVolume()
        let labelGeometry = try files.labelMapGeometry()
        // pyradiomics' correctMask resamples a mask on another grid instead of refusing it.
        if !settings.correctMask { try MaskReader.checkGrid(labelGeometry, of: mask.path, on: volume.geometry, imagePath: image.path) }
        var tumour: Volume? = try files.takeMask()
        let inputMaskVoxels = tumour?.metadata["MaskVoxelCount"] ?? .null
        var habitatMap: Volume?
        if regions.contains(where: \.needsHabitats) {
            guard let habitats else {
                throw KiraError.invalidArgument("a habitat:K region needs a habitat map (--habitats or a manifest column 'habitats')")
            }
            let map = try ImageFileReader.read(habitats)
            try MaskReader.checkGrid(map.geometry, of: habitats.path, on: volume.geometry, imagePath: image.path)
            habitatMap = map
        }
        var rows: [FeatureRow] = []
        var diagnostics: [String: MetaValue] = [:]
        var regionDiagnostics: [String: MetaValue] = [:]
        var warnings: [String] = []
        let caseRegions: [FeatureRegion] = regions.isEmpty ? [.tumour] : regions
        for (k, region) in caseRegions.enumerated() {
            let regionMask = try region.mask(tumour: tumour!, habitats: habitatMap)
            // The last region drops the tumour so the extraction holds the only full-grid mask.
            if k == caseRegions.count - 1 { tumour = nil }
            let voxels = regionMask.voxels.nonZeroCount()
            if voxels == 1 {
                throw KiraError.invalidArgument("region \(region): the ROI is a single voxel; shape, texture and dispersion features need at least 2 voxels")
            }
            try Self.refuseNonFinite(volume, regionMask, image: image, region: regions.isEmpty ? nil : region)
            let set: FeatureSet
            do {
                set = try FeatureExtraction.run(image: volume, mask: consume regionMask, settings: settings, logger: logger)
            } catch let error as KiraError where !regions.isEmpty {
                throw KiraError.invalidArgument("region \(region): \(error.description)")
            }
            if let w = CaseProvenance.constantIntensityWarning(set, region: "region \(region)") { warnings.append(w) }
            if regions.isEmpty {
                rows = set.rows
                diagnostics = set.diagnostics
            } else {
                rows += set.rows.map { $0.withRegion(region.prefix) }
                var d = set.diagnostics
                d["region_voxels_before_preprocessing"] = .integer(Int(voxels))
                regionDiagnostics[region.description] = .object(d)
            }
        }
        if !regions.isEmpty { diagnostics["regions"] = .object(regionDiagnostics) }
        diagnostics["kira_version"] = .string(KiraVersion.current)
        diagnostics.merge(origin) { _, new in new }
        diagnostics["settings"] = settingsProvenance.value
        diagnostics["settings_hash"] = .string(settingsProvenance.hash)
        diagnostics["image"] = .string(image.path)
        diagnostics["mask"] = .string(mask.path)
        hashing.wait()
        diagnostics["image_hash"] = .string(try files.hash(0))
        diagnostics["mask_hash"] = .string(try files.hash(1))
        if let habitats, habitatMap != nil {
            diagnostics["habitats"] = .string(habitats.path)
            diagnostics["habitats_hash"] = .string(try hashes.hash(habitats))
        }
        diagnostics["mask_label"] = CaseProvenance.maskLabel(label ?? settings.label)
        diagnostics["input_geometry"] = CaseProvenance.geometry(volume.geometry)
        diagnostics["input_mask_voxels"] = inputMaskVoxels
        if !warnings.isEmpty { diagnostics["warnings"] = .array(warnings.map { .string($0) }) }
        return Result(set: .combined(rows: rows, diagnostics: diagnostics), warnings: warnings)
    }

    /// A NaN or infinite voxel in the ROI fails the case, naming the image and the count: no
    /// feature can be computed from it honestly, and skipping it would change the ROI.
    static func refuseNonFinite(_ volume: Volume, _ mask: Volume, image: URL, region: FeatureRegion?) throws {
        guard volume.voxels.scalarType == .float32 || volume.voxels.scalarType == .float64,
              volume.voxels.count == mask.voxels.count else { return }
        let inside: [UInt8]
        if case let .uint8(a) = mask.voxels { inside = a } else { inside = mask.voxels.nonZeroMask() }
        let (nan, infinite) = volume.voxels.nonFiniteCounts(inside: inside)
        guard nan + infinite > 0 else { return }
        let kinds = [nan > 0 ? "\(nan) NaN" : nil, infinite > 0 ? "\(infinite) infinite" : nil].compactMap { $0 }.joined(separator: " and ")
        let place = region.map { "region \($0)" } ?? "the region of interest"
        throw KiraError.invalidData("image \(image.path) has \(kinds) voxel(s) inside \(place) (non-finite values; fix or mask them first)")
    }
}
