/// Where a pyradiomics feature is an IBSI feature under IBSI's definition (same formula and
/// matrix aggregation), its IBSI tag and code; otherwise empty. Discretisation and grid are
/// the user's settings and do not change a feature's identity.
enum PyradiomicsIdentity {
    static func family(_ featureClass: String, _ name: String) -> FeatureFamily {
        switch featureClass {
        case "shape", "shape2D": .morphology
        case "firstorder": (name == "Entropy" || name == "Uniformity") ? .intensityHistogram : .intensityStatistics
        case "glcm": .glcm
        case "glrlm": .glrlm
        case "glszm": .glszm
        case "gldm": .ngldm
        default: .ngtdm
        }
    }

    /// Features whose pyradiomics formula differs from IBSI's: kurtosis without −3, PCA axes
    /// from the population covariance, NGTDM counting voxels without neighbours, and energy
    /// on shifted intensities.
    static func differs(_ featureClass: String, _ name: String, _ s: ExtractionSettings) -> Bool {
        switch (featureClass, name) {
        case ("firstorder", "Kurtosis"), ("shape", "MajorAxisLength"), ("shape", "MinorAxisLength"), ("shape", "LeastAxisLength"):
            return true
        case ("firstorder", "Energy"), ("firstorder", "RootMeanSquared"):
            return s.voxelArrayShift != 0
        case ("ngtdm", _), ("shape2D", _):
            return true
        case ("glcm", _):
            return !s.symmetricalGLCM
        default:
            return false
        }
    }

    private struct Key: Hashable { var family: FeatureFamily; var name: String }

    /// The catalog's pyradiomics entries by family and name (the first one where a name
    /// repeats); looked up once per output row.
    private static let catalogEntry: [Key: FeatureDefinition] = {
        var table: [Key: FeatureDefinition] = [:]
        for def in FeatureCatalog.all where def.inPyradiomics {
            let key = Key(family: def.family, name: def.name)
            if table[key] == nil { table[key] = def }
        }
        return table
    }()

    static func ibsi(_ featureClass: String, _ name: String, _ s: ExtractionSettings) -> (tag: String, code: String, aggregation: TextureAggregation?) {
        let none = ("", "", nil as TextureAggregation?)
        if differs(featureClass, name, s) { return none }
        let fam = family(featureClass, name)
        guard let def = catalogEntry[Key(family: fam, name: name)] else { return none }
        guard fam.isTexture else { return (def.tagStem, def.ibsiCode, nil) }
        guard s.distances.count == 1 else { return none }
        let aggregation: TextureAggregation
        if fam.isDirectional {
            switch s.weightingNorm {
            case nil: aggregation = s.force2D ? .volume25DAverage : .volume3DAverage
            case .noWeighting?: aggregation = s.force2D ? .volume25DMerged : .volume3DMerged
            default: return none
            }
        } else {
            aggregation = s.force2D ? .volume25D : .volume3D
        }
        return (def.tagStem + "_" + aggregation.rawValue, def.ibsiCode, aggregation)
    }
}
