import KiraCore
import KiraPreprocess
import Logging

/// From a raw image and mask to feature rows: preprocessing, each image type's response
/// maps, and the features of each, named with the response map's prefix.
public enum FeatureExtraction {
    /// `mask` is consumed: the pyradiomics path frees it once the ROI's box is cut.
    public static func run(image: Volume, mask: consuming Volume, settings: ExtractionSettings,
                           logger: Logger = Logger(label: "kira.radiomics")) throws -> FeatureSet {
        if settings.mode == .pyradiomics {
            return try PyradiomicsPipeline.run(image: image, mask: consume mask, settings: settings, logger: logger)
        }
        // Only the ROI's box (plus the local-intensity reach) matters when no filter needs the
        // image around it and nothing is interpolated: skip the rest of the image early.
        let onlyOriginal = settings.imageTypes.allSatisfy { $0.kind == .original }
        let p = try Preprocessing.run(image: image, mask: mask, settings: settings.preprocess,
                                      cropMargin: onlyOriginal ? LocalIntensity.margin(spacing: image.geometry.spacing) : nil)
        let g = p.image.geometry
        let morphological = try Volume(geometry: g, voxels: .uint8(p.masks.morphological))
        let intensity = try Volume(geometry: g, voxels: .uint8(p.masks.intensity))
        var rows: [FeatureRow] = []
        var diagnostics: [String: MetaValue] = [:]
        for spec in settings.imageTypes {
            for filtered in try ImageFilters.apply(spec, to: p.image, mask: morphological) {
                var features = settings.features
                // Shape belongs to the mask, not to a response map (IBSI-2, pyradiomics).
                if filtered.prefix != "original" { features.families.removeAll { $0 == .morphology } }
                // Bounded filters return a box around the ROI; the masks follow it.
                let set = try RadiomicsExtractor(settings: features, logger: logger)
                    .extract(image: filtered.image, morphologicalMask: try filtered.restrict(morphological),
                             intensityMask: try filtered.restrict(intensity),
                             gridOffset: p.cropOffset &+ (filtered.cropIndex ?? .zero))
                rows += set.rows.map { $0.withPrefix(filtered.prefix) }
                if filtered.prefix == "original" { diagnostics = set.diagnostics }
            }
        }
        // The image after preprocessing, not the box the extraction was cut from.
        let full = p.fullGeometry
        diagnostics["image_size"] = .array([full.size.x, full.size.y, full.size.z].map { .integer($0) })
        diagnostics["image_geometry"] = MetaValue(geometry: full)
        diagnostics["preprocessing"] = .object([
            "initial_size": .array(p.initialImage.size.map { .integer($0) }),
            "initial_spacing_mm": .array(p.initialImage.spacing.map { .number($0) }),
            "interpolated_size": .array(p.interpolatedImage.size.map { .integer($0) }),
            "interpolated_spacing_mm": .array(p.interpolatedImage.spacing.map { .number($0) }),
            "initial_roi_voxels": .integer(p.initialROI.morphologicalVoxels),
            "interpolated_roi_voxels": .integer(p.interpolatedROI.morphologicalVoxels),
            "resegmented_roi_voxels": .integer(p.resegmentedROI.intensityVoxels),
        ])
        return FeatureSet(rows: rows, diagnostics: diagnostics)
    }
}

extension FeatureRow {
    /// The same row for a response map: `original_…` becomes `<prefix>_…`.
    func withPrefix(_ prefix: String) -> FeatureRow {
        guard prefix != "original", name.hasPrefix("original_") else { return self }
        return FeatureRow(name: prefix + name.dropFirst("original".count), tag: tag, ibsiCode: ibsiCode,
                          family: family, aggregation: aggregation, value: value)
    }
}
