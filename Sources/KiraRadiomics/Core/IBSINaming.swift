/// Column names in IBSI mode. A pyradiomics name promises pyradiomics' value, so IBSI mode
/// uses one only where pyradiomics computes the same number from the same voxels; elsewhere
/// the column is named by the IBSI tag (`original_stat_kurt`, `original_cm_contrast_3D_avg`).
/// `man/kira-features.1` lists the features concerned and why.
enum IBSINaming {
    /// IBSI definitions that differ from pyradiomics' whatever the settings: kurtosis is
    /// excess kurtosis (−3), the PCA axes come from the sample covariance (N − 1; pyradiomics
    /// divides by N), and NGTDM counts voxels without neighbours differently.
    static let differentDefinition: Set<String> = ["stat_kurt", "morph_pca_maj_axis", "morph_pca_min_axis", "morph_pca_least_axis"]

    /// Whether a feature pyradiomics also has may carry pyradiomics' name under `settings`.
    static func sharesPyradiomicsName(_ row: FeatureRow, settings: RadiomicsSettings) -> Bool {
        guard row.family != .ngtdm, !differentDefinition.contains(stem(row)) else { return false }
        guard row.family.isTexture else { return true }
        // Grey levels equal pyradiomics' only for a bin count (a bin width starts at the ROI
        // minimum in IBSI, at a multiple of the width in pyradiomics), and matrices only for
        // pyradiomics' defaults: distance 1, 3D (directions averaged where there are any), α 0.
        guard case .fixedBinNumber = settings.discretisation else { return false }
        return settings.distance == 1 && (row.family != .ngldm || settings.ngldmAlpha == 0)
            && (row.aggregation?.isPyradiomicsDefault ?? false)
    }

    /// The tag without its aggregation suffix.
    static func stem(_ r: FeatureRow) -> String {
        guard let a = r.aggregation else { return r.tag }
        return String(r.tag.dropLast(a.rawValue.count + 1))
    }

    private struct Key: Hashable { var family: FeatureFamily; var stem: String }

    private static let inPyradiomics: Set<Key> = Set(FeatureCatalog.all.filter(\.inPyradiomics).map { Key(family: $0.family, stem: $0.tagStem) })

    /// pyradiomics' feature classes: only names in these can be mistaken for pyradiomics columns.
    static let pyradiomicsClasses: Set<String> = ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]

    /// The rows of one extraction, named for IBSI mode. Features pyradiomics lacks, and those
    /// in classes it does not have (`histogram`), keep Kira's own names (`original_shape_Compactness1`).
    static func name(_ rows: [FeatureRow], settings: RadiomicsSettings) -> [FeatureRow] {
        rows.map { r in
            let collides = pyradiomicsClasses.contains(r.family.pyradiomicsClass) && inPyradiomics.contains(Key(family: r.family, stem: stem(r)))
            let keep = !collides || sharesPyradiomicsName(r, settings: settings)
            return keep ? r : FeatureRow(name: "original_" + r.tag, tag: r.tag, ibsiCode: r.ibsiCode, family: r.family,
                                           aggregation: r.aggregation, value: r.value)
        }
    }
}
