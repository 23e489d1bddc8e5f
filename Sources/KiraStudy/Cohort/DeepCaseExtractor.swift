import Foundation
import KiraCore
import KiraDeep
import KiraIO
import KiraRadiomics
import Logging

/// One case of `kira deep features --manifest`: its crops through the network, as single-case
/// `kira deep features` computes them. The network is loaded once (`init`) and shared by every
/// worker; running it only reads it.
public struct DeepCaseExtractor: CohortCaseExtractor {
    public let network: DeepFeatureExtractor
    public let model: URL
    /// Content hash of the model file: part of the settings, so another network is another key.
    public let modelHash: String
    public var regions: [CropOptions.Region]
    public var options: CropOptions
    public var prefix: String
    /// Mask label for cases whose manifest row has none (nil: every non-zero voxel).
    public var label: Int?
    /// Crops of one case run in parallel on this many threads.
    public var threads: Int

    public init(model: URL, layer: FeatureLayer, regions: [CropOptions.Region], options: CropOptions, prefix: String,
                label: Int? = nil, threads: Int = 1) throws {
        network = try DeepFeatureExtractor(modelPath: model.path, layer: layer)
        modelHash = try FeatureOutput.fileHash(model)
        self.model = model; self.regions = regions; self.options = options; self.prefix = prefix
        self.label = label; self.threads = threads
    }

    /// The single-case provenance's settings without the model's path and Kira's version, so
    /// that moving the model file or upgrading Kira alone does not make every row stale; the
    /// stored value names the path.
    public func cohortSettings() throws -> CohortSettings {
        let full = try DeepCaseFeatures.provenance(modelPath: model.path, modelHash: modelHash, extractor: network, options: options,
                                                   regions: regions, prefix: prefix)
        guard case var .object(key) = full else { return CohortSettings(value: full, hash: "") }
        key["model"] = nil
        key["kira_version"] = nil
        let hash = try CaseProvenance.settings(MetaValue.object(key)).hash
        key["model"] = .string(model.path)
        return CohortSettings(value: .object(key), hash: hash)
    }

    public func inputs(of c: CohortCase) -> [URL] { [c.image, c.mask, model] }

    public func staleReason(_ c: CohortCase, recorded: CaseInputs, hashes: FileHashes) -> String? {
        do {
            return try recorded.staleReason(label: CaseProvenance.maskLabel(c.label ?? label), habitats: false) { file in
                switch file {
                case .image: try hashes.hash(c.image)
                case .mask, .habitats: try hashes.hash(c.mask)
                }
            }
        } catch {
            return "its inputs cannot be hashed (\(FailureText.describe(error)))"
        }
    }

    public func compute(_ c: CohortCase, settings: CohortSettings, hashes: FileHashes, images: SharedImages,
                        logger: Logger) throws -> CohortCaseValues {
        let image = try images.take(c.image)
        let mask = try MaskReader.read(c.mask, label: c.label ?? label, matching: image.geometry, imagePath: c.image.path)
        let result = try DeepCaseFeatures.compute(image: image, mask: mask, regions: regions, options: options, extractor: network,
                                                  prefix: prefix, subject: c.image.path, threads: threads)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let crops = try JSONDecoder().decode(MetaValue.self, from: try enc.encode(result.crops))
        let diagnostics: [String: MetaValue] = [
            "image": .string(c.image.path), "mask": .string(c.mask.path),
            "image_hash": .string(try hashes.hash(c.image)), "mask_hash": .string(try hashes.hash(c.mask)),
            "mask_label": CaseProvenance.maskLabel(c.label ?? label),
            "input_geometry": MetaValue(geometry: image.geometry),
            "crop_records": crops, "features": .integer(result.names.count),
        ]
        // Stored as a rerun reads it back from the provenance (a direction's -0 is read as 0), so
        // that a rerun that reuses every case rewrites the provenance byte for byte.
        let stored = try JSONDecoder().decode(MetaValue.self, from: Data(MetaValue.object(diagnostics).prettyJSON.utf8))
        // Float → Double is exact, and `format` prints the Float back as single-case mode does.
        return CohortCaseValues(names: result.names, values: result.values.map { Double($0) }, diagnostics: stored)
    }

    public func format(_ value: Double) -> String { "\(Float(value))" }
}
