import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraQC
import KiraRadiomics
import Logging

/// The features of one case × modality × reader: every region's rows, named
/// `<region prefix>_<feature>` (the modality prefix is added when tables are fused), and the
/// QC findings that did not stop the case (touches the border, several components, tiny).
public struct CaseFeatures: Sendable, Codable, Equatable {
    public var key: String
    public var caseID: String
    public var modality: String
    public var reader: Int
    public var names: [String]
    /// nil: undefined for this case.
    public var values: [Double?]
    public var qcFlags: [String]
    public var warnings: [String]
    /// Per value: the IBSI tag and code ("" where none) and why it is undefined ("" when
    /// defined), for the TID 1500 report (`export: {sr: true}`). A cache file written before
    /// these existed does not decode, so its branch is computed again.
    public var tags: [String]
    public var ibsiCodes: [String]
    public var reasons: [String]
    /// The deep part's cache key when the modality has `deep:` (its columns follow the
    /// radiomics columns); never in the radiomics cache file.
    public var deepKey: String? = nil

    enum CodingKeys: String, CodingKey {
        case key, caseID = "case", modality, reader, names, values, qcFlags = "qc_flags", warnings, tags, ibsiCodes = "ibsi_codes", reasons
        case deepKey = "deep_key"
    }
}

/// One branch of the step graph: load → geometry QC → preprocessing → regions → features.
struct CaseBranch {
    /// The steps of a branch, in order, as the ledger names them.
    static func steps(modality: ModalitySpec) -> [String] {
        ["load", "qc"] + (modality.resample == nil ? [] : ["preprocess"]) + ["regions", "features"]
    }

    var study: StudySpec
    var modality: ModalitySpec
    var caseID: String
    var reader: Int
    var image: URL
    var mask: URL

    /// The content hash of a file, or of a DICOM folder (its files' hashes in path order).
    static func contentHash(_ url: URL, hashes: FileHashes) throws -> String {
        var dir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &dir) else {
            throw StepFailure(step: "hash", reason: "\(url.path) does not exist")
        }
        do {
            guard dir.boolValue else { return try hashes.hash(url) }
            let files = (FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String] ?? []).sorted()
            var text = ""
            for f in files {
                let u = url.appendingPathComponent(f)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), !isDir.boolValue else { continue }
                text += f + "\t" + (try hashes.hash(u)) + "\n"
            }
            return FeatureOutput.hash(Data(text.utf8))
        } catch {
            throw StepFailure(step: "hash", reason: "\(url.path): cannot read: \(error.localizedDescription)")
        }
    }

    /// The cache key: the inputs' contents and everything in the study that decides the values.
    func key(imageHash: String, maskHash: String) throws -> String {
        var parts: [String: MetaValue] = [
            "kira_version": .string(KiraVersion.current),
            "image_hash": .string(imageHash), "mask_hash": .string(maskHash),
            "modality_settings": .string(modality.settingsHash),
            "regions": .array(study.regions.map { .string($0.description) }),
            "habitat_seed": .integer(Int(study.validation.seed)),
        ]
        if let p = modality.phase { parts["phase"] = .integer(p) }
        if let (a, b) = modality.subtraction { parts["subtraction"] = .array([.integer(a), .integer(b)]) }
        if let r = modality.resample { parts["resample"] = .array([r.x, r.y, r.z].map { .number($0) }) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return FeatureOutput.hash(try encoder.encode(MetaValue.object(parts)))
    }

    /// Computes the branch. Errors are `StepFailure`s naming the step; `finished` is told
    /// each step's name and seconds as it ends (load, qc, preprocess, regions, features).
    func compute(key: String, logger: Logger, finished: (String, Double) -> Void = { _, _ in }) throws -> CaseFeatures {
        var clock = Date()
        func lap(_ step: String) { let now = Date(); finished(step, now.timeIntervalSince(clock)); clock = now }
        var image = try CaseImage.read(self.image, modality: modality, logger: logger)
        guard FileManager.default.fileExists(atPath: mask.path) else {
            throw StepFailure(step: "load", reason: "mask \(mask.path) does not exist")
        }
        var tumour: Volume
        var flags: [String] = []
        let labels: Volume
        do { labels = try ImageFileReader.readLabels(mask) } catch {
            throw StepFailure(step: "load", reason: (error as? KiraError)?.description ?? "\(mask.path): \(error)")
        }
        lap("load")
        do {
            let qc = try SegmentationQC.check(image: image.geometry, mask: labels, minVoxels: 1)
            if let stop = qc.findings.first(where: { $0.check == .gridMismatch || $0.check == .empty }) {
                let what = stop.check == .gridMismatch ? "the mask is not on the image grid (another series?)" : "the mask is empty"
                throw StepFailure(step: "qc", reason: "\(mask.path): \(what): \(stop.message)")
            }
            flags = qc.findings.map { "\($0.check.rawValue): \($0.message)" }
            tumour = try MaskReader.mask(from: labels, url: mask, label: nil, matching: image.geometry, imagePath: self.image.path)
        } catch let e as StepFailure { throw e } catch let e as KiraError {
            throw StepFailure(step: "qc", reason: e.description)
        }
        lap("qc")
        if let spacing = modality.resample {
            do {
                let target = try ResampleGrid.make(from: image.geometry, spacing: spacing, policy: .origin, source: "image \(self.image.path)")
                image = try Resampler.resample(image, onto: target, interpolator: .linear, outside: .nearestEdge)
                tumour = try Resampler.resampleMask(tumour, onto: target, method: .partialVolume(threshold: 0.5))
                guard tumour.voxels.nonZeroCount() > 0 else {
                    throw KiraError.invalidData("the mask is empty after resampling to \(spacing.x)×\(spacing.y)×\(spacing.z) mm")
                }
            } catch let e as KiraError {
                throw StepFailure(step: "preprocess", reason: e.description)
            }
            lap("preprocess")
        }
        var regionSeconds = 0.0, featureSeconds = 0.0
        var names: [String] = [], values: [Double?] = [], warnings: [String] = []
        var tags: [String] = [], codes: [String] = [], reasons: [String] = []
        for region in study.regions {
            let masks: [(prefix: String, mask: Volume)]
            let regionStart = Date()
            do { masks = try regionMasks(region, image: image, tumour: tumour) } catch let e as KiraError {
                throw StepFailure(step: "regions", reason: "region \(region): \(e.description)")
            }
            regionSeconds += Date().timeIntervalSince(regionStart)
            let featureStart = Date()
            defer { featureSeconds += Date().timeIntervalSince(featureStart) }
            for (prefix, m) in masks {
                do {
                    let set = try FeatureExtraction.run(image: image, mask: m, settings: modality.settings, logger: logger)
                    if let w = CaseProvenance.constantIntensityWarning(set, region: "region \(prefix)") { warnings.append(w) }
                    for row in set.rows {
                        names.append(prefix + "_" + row.name)
                        let v = row.value.number.flatMap { $0.isFinite ? $0 : nil }
                        values.append(v)
                        tags.append(row.tag); codes.append(row.ibsiCode)
                        reasons.append(v != nil ? "" : row.value.reason ?? "not a finite number")
                    }
                } catch let e as KiraError {
                    throw StepFailure(step: "features", reason: "region \(prefix): \(e.description)")
                }
            }
        }
        finished("regions", regionSeconds)
        finished("features", featureSeconds)
        return CaseFeatures(key: key, caseID: caseID, modality: modality.name, reader: reader, names: names, values: values,
                            qcFlags: flags, warnings: warnings, tags: tags, ibsiCodes: codes, reasons: reasons)
    }

    /// The masks of one study region with their column prefixes.
    func regionMasks(_ region: StudyRegion, image: Volume, tumour: Volume) throws -> [(prefix: String, mask: Volume)] {
        switch region {
        case let .region(r):
            return [(r.prefix, try r.mask(tumour: tumour, habitats: nil))]
        case let .habitats(k):
            let c = HabitatCase(id: caseID, images: [image], mask: tumour)
            var model = try Habitats.fit([c], kRange: k...k, seed: study.validation.seed, restarts: 5)
            guard model.centroids.count == k else {
                throw KiraError.invalidData("\(k) habitats could not be fitted to the tumour's voxels")
            }
            // Habitat 1 is the darkest: the per-case clusters are ordered by intensity, so a
            // habitat's features mean the same thing in every case.
            model.centroids.sort { $0[0] < $1[0] }
            let map = try Habitats.apply(model, to: c)
            return try (1...k).map { h in
                let m = try MaskOperations.selectLabels(map, [h])
                guard m.voxels.nonZeroCount() > 1 else { throw KiraError.invalidData("habitat \(h) of \(k) holds fewer than 2 voxels") }
                return ("habitat\(h)", m)
            }
        }
    }
}
