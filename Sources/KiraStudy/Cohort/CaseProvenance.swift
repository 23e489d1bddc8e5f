import Foundation
import KiraCore
import KiraRadiomics

/// Provenance pieces shared by single-case and cohort outputs.
public enum CaseProvenance {
    /// Settings as JSON and the FNV-1a hash of their sorted-key JSON text: everything that
    /// decides a value (preprocessing, image types, feature settings) is in the hash.
    /// Regions, when given, are part of the settings (`regions`, their specs in order).
    public static func settings<T: Encodable>(_ s: T, regions: [FeatureRegion] = []) throws -> (value: MetaValue, hash: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var value = try JSONDecoder().decode(MetaValue.self, from: try encoder.encode(s))
        if !regions.isEmpty, case var .object(o) = value {
            o["regions"] = .array(regions.map { .string($0.description) })
            value = .object(o)
        }
        return (value, FeatureOutput.hash(try encoder.encode(value)))
    }

    /// `mask_label` of a case's provenance: the label kept, or every non-zero voxel.
    public static func maskLabel(_ label: Int?) -> MetaValue {
        label.map { .integer($0) } ?? .string("non-zero")
    }

    /// A warning when the intensity mask holds one intensity only: most intensity and texture
    /// features are then undefined or meaningless. nil otherwise.
    public static func constantIntensityWarning(_ set: FeatureSet, region: String) -> String? {
        guard let lo = set.diagnostics["intensity_mask_min"]?.doubleValue,
              let hi = set.diagnostics["intensity_mask_max"]?.doubleValue, lo == hi else { return nil }
        let undefined = set.rows.filter { $0.value.number == nil }.count
        return "\(region): constant intensity \(CSVWriter.format(lo)) inside the ROI; \(undefined) of \(set.rows.count) features undefined"
    }
}
