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

/// One case of `kira features`: inputs read and checked, each region's features computed,
/// provenance attached. Shared by single-case and cohort mode.
public struct FeatureCase: Sendable {
    public var image: URL
    public var mask: URL
    /// Mask label (nil: the settings' label, else every non-zero voxel).
    public var label: Int?
    /// Habitat label map for `habitat:K` regions.
    public var habitats: URL?
    /// The ROI to take when the mask is an RT Structure Set (nil: its only ROI).
    public var roi: String?
    /// Hashes already taken in this run (a cohort's reuse check), so no file is hashed twice.
    public var hashes: FileHashes
    /// A cohort's images, read once for all the cases that share one (nil: read here).
    public var images: SharedImages?

    public init(image: URL, mask: URL, label: Int? = nil, habitats: URL? = nil, roi: String? = nil, hashes: FileHashes = FileHashes(),
                images: SharedImages? = nil) {
        self.image = image; self.mask = mask; self.label = label; self.habitats = habitats; self.roi = roi; self.hashes = hashes
        self.images = images
    }

    public struct Result: Sendable {
        public var set: FeatureSet
        /// Case-level problems that do not stop it (e.g. constant intensity).
        public var warnings: [String]
    }

    /// `regions` empty: the tumour, features unprefixed, diagnostics flat. Otherwise every
    /// region's features prefixed with its `prefix` and its diagnostics under `regions`.
    public func run(regions: [FeatureRegion], settings: ExtractionSettings, settingsProvenance: (value: MetaValue, hash: String),
                    origin: [String: MetaValue], logger: Logger) throws -> Result {
        // The image is read (decompressed, converted) while the label map is read and turned
        // into the binary mask; the two files are hashed for the provenance in the background,
        // which only the diagnostics at the end wait for.
        let files = ConcurrentFiles()
        let maskLabel = label ?? settings.label
        let hashing = DispatchGroup()
        DispatchQueue.concurrentPerform(iterations: 2) { job in
            if job == 0 {
                files.setImage(Swift.Result { try images?.take(image) ?? ImageFileReader.read(image) })
            } else {
                // The label map is handed over whole, so a byte label map becomes the mask in place.
                do {
                    let map = try MaskInput.readLabels(mask, roi: roi, image: image, logger: logger)
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
        diagnostics["input_geometry"] = MetaValue(geometry: volume.geometry)
        diagnostics["input_mask_voxels"] = inputMaskVoxels
        if !warnings.isEmpty { diagnostics["warnings"] = .array(warnings.map { .string($0) }) }
        return Result(set: .combined(rows: rows, diagnostics: diagnostics), warnings: warnings)
    }

    /// A NaN or infinite voxel in the ROI fails the case, naming the image and the count: no
    /// feature can be computed from it honestly, and skipping it would change the ROI.
    public static func refuseNonFinite(_ volume: Volume, _ mask: Volume, image: URL, region: FeatureRegion?) throws {
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
