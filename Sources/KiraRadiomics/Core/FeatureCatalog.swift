import Foundation

/// One feature: its IBSI identity, its pyradiomics-style name, and its formula.
public struct FeatureDefinition: Sendable {
    public let family: FeatureFamily
    /// IBSI tag without the aggregation suffix, e.g. `cm_joint_max`.
    public let tagStem: String
    /// IBSI identifier, e.g. `GYBY`.
    public let ibsiCode: String
    /// The pyradiomics feature name where pyradiomics has this feature, else Kira's own.
    public let name: String
    public let inPyradiomics: Bool
    let formula: Formula
}

/// A formula over the shared statistics of its family's matrix.
enum Formula: Sendable {
    case morphology(@Sendable (MorphologyStats) -> FeatureValue)
    case localIntensity(@Sendable ((local: Double, global: Double)) -> FeatureValue)
    case statistics(@Sendable (DistributionStats) -> FeatureValue)
    case histogram(@Sendable (HistogramStats) -> FeatureValue)
    case ivh(@Sendable (IVHStats) -> FeatureValue)
    case glcm(@Sendable (GLCMStats) -> FeatureValue)
    case greyLevelJ(@Sendable (GreyLevelJStats) -> FeatureValue)
    case ngtdm(@Sendable (NGTDMStats) -> FeatureValue)
}

/// The single table of every feature Kira computes, in output order.
public enum FeatureCatalog {
    public static let all: [FeatureDefinition] =
        morphology + localIntensity + statistics + histogram + ivh + glcm + glrlm + glszm + gldzm + ngtdm + ngldm

    public static func features(of family: FeatureFamily) -> [FeatureDefinition] { all.filter { $0.family == family } }

    private static func def(_ f: FeatureFamily, _ stem: String, _ code: String, _ name: String, py: Bool = true, _ formula: Formula) -> FeatureDefinition {
        FeatureDefinition(family: f, tagStem: stem, ibsiCode: code, name: name, inPyradiomics: py, formula: formula)
    }

    private static func v(_ x: Double, _ reason: @autoclosure () -> String = "not finite") -> FeatureValue { .finite(x, or: reason()) }

    // MARK: Morphology (IBSI 3.1)

    private static func m(_ stem: String, _ code: String, _ name: String, py: Bool = true, _ f: @escaping @Sendable (MorphologyStats) -> FeatureValue) -> FeatureDefinition {
        def(.morphology, stem, code, name, py: py, .morphology(f))
    }

    /// Surface of the approximate enclosing ellipsoid (IBSI's Legendre series, 20 terms).
    static func ellipsoidArea(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let alpha = (1 - b * b / (a * a)).squareRoot(), beta = (1 - c * c / (a * a)).squareRoot()
        guard alpha * beta > 0 else { return 4 * Double.pi * a * b }  // sphere-like limit
        let x = (alpha * alpha + beta * beta) / (2 * alpha * beta)
        var sum = 0.0
        var p0 = 1.0, p1 = x
        for nu in 0...20 {
            let pn: Double
            if nu == 0 { pn = p0 } else if nu == 1 { pn = p1 } else {
                let next = (Double(2 * nu - 1) * x * p1 - Double(nu - 1) * p0) / Double(nu)
                p0 = p1; p1 = next; pn = next
            }
            sum += pow(alpha * beta, Double(nu)) / Double(1 - 4 * nu * nu) * pn
        }
        return 4 * Double.pi * a * b * sum
    }

    static let morphology: [FeatureDefinition] = [
        m("morph_volume", "RNU0", "MeshVolume") { v($0.meshVolume) },
        m("morph_vol_approx", "YEKZ", "VoxelVolume") { v($0.voxelVolume) },
        m("morph_area_mesh", "C0JK", "SurfaceArea") { v($0.meshArea) },
        m("morph_av", "2PR5", "SurfaceVolumeRatio") { .ratio($0.meshArea, $0.meshVolume, "mesh volume is 0") },
        m("morph_comp_1", "SKGS", "Compactness1", py: false) { .ratio($0.meshVolume, Double.pi.squareRoot() * pow($0.meshArea, 1.5), "mesh area is 0") },
        m("morph_comp_2", "BQWJ", "Compactness2", py: false) { .ratio(36 * Double.pi * $0.meshVolume * $0.meshVolume, pow($0.meshArea, 3), "mesh area is 0") },
        m("morph_sph_dispr", "KRCK", "SphericalDisproportion", py: false) { .ratio($0.meshArea, pow(36 * Double.pi * $0.meshVolume * $0.meshVolume, 1.0 / 3), "mesh volume is 0") },
        m("morph_sphericity", "QCFX", "Sphericity") { .ratio(pow(36 * Double.pi * $0.meshVolume * $0.meshVolume, 1.0 / 3), $0.meshArea, "mesh area is 0") },
        m("morph_asphericity", "25C7", "Asphericity", py: false) { s in
            s.meshVolume > 0 ? v(pow(pow(s.meshArea, 3) / (36 * Double.pi * s.meshVolume * s.meshVolume), 1.0 / 3) - 1) : .undefined("mesh volume is 0")
        },
        m("morph_com", "KLMA", "CentreOfMassShift", py: false) { v($0.centreOfMassShift, "the intensities in the ROI sum to 0") },
        m("morph_diam", "L0JK", "Maximum3DDiameter") { s in s.hullVolume == nil ? .undefined("the ROI is flat (no 3D convex hull)") : v(s.maxDiameter) },
        m("morph_pca_maj_axis", "TDIC", "MajorAxisLength") { v(4 * $0.eigenvalues[0].squareRoot()) },
        m("morph_pca_min_axis", "P9VJ", "MinorAxisLength") { v(4 * $0.eigenvalues[1].squareRoot()) },
        m("morph_pca_least_axis", "7J51", "LeastAxisLength") { v(4 * $0.eigenvalues[2].squareRoot()) },
        m("morph_pca_elongation", "Q3CK", "Elongation") { s in .ratio(s.eigenvalues[1].squareRoot(), s.eigenvalues[0].squareRoot(), "the ROI has a single voxel") },
        m("morph_pca_flatness", "N17B", "Flatness") { s in .ratio(s.eigenvalues[2].squareRoot(), s.eigenvalues[0].squareRoot(), "the ROI has a single voxel") },
        m("morph_vol_dens_aabb", "PBX1", "VolumeDensityAABB", py: false) { .ratio($0.meshVolume, $0.aabbVolume, "bounding box volume is 0") },
        m("morph_area_dens_aabb", "R59B", "AreaDensityAABB", py: false) { .ratio($0.meshArea, $0.aabbArea, "bounding box area is 0") },
        m("morph_vol_dens_aee", "6BDE", "VolumeDensityAEE", py: false) { s in
            let (a, b, c) = (2 * s.eigenvalues[0].squareRoot(), 2 * s.eigenvalues[1].squareRoot(), 2 * s.eigenvalues[2].squareRoot())
            return .ratio(s.meshVolume, 4 * Double.pi * a * b * c / 3, "the enclosing ellipsoid is flat")
        },
        m("morph_area_dens_aee", "RDD2", "AreaDensityAEE", py: false) { s in
            let (a, b, c) = (2 * s.eigenvalues[0].squareRoot(), 2 * s.eigenvalues[1].squareRoot(), 2 * s.eigenvalues[2].squareRoot())
            return a > 0 ? .ratio(s.meshArea, ellipsoidArea(a, b, c), "the enclosing ellipsoid has no area") : .undefined("the ROI has a single voxel")
        },
        m("morph_vol_dens_conv_hull", "R3ER", "VolumeDensityConvexHull", py: false) { s in
            s.hullVolume.map { .ratio(s.meshVolume, $0, "convex hull volume is 0") } ?? .undefined("the ROI is flat (no 3D convex hull)")
        },
        m("morph_area_dens_conv_hull", "7T7F", "AreaDensityConvexHull", py: false) { s in
            s.hullArea.map { .ratio(s.meshArea, $0, "convex hull area is 0") } ?? .undefined("the ROI is flat (no 3D convex hull)")
        },
        m("morph_integ_int", "99N0", "IntegratedIntensity", py: false) { v($0.meshVolume * $0.meanIntensity) },
        m("morph_moran_i", "N365", "MoransI", py: false) { $0.moranI.map { v($0) } ?? .undefined("needs at least two ROI voxels with differing intensities") },
        m("morph_geary_c", "NPT7", "GearysC", py: false) { $0.gearyC.map { v($0) } ?? .undefined("needs at least two ROI voxels with differing intensities") },
    ]

    // MARK: Local intensity (IBSI 3.2)

    static let localIntensity: [FeatureDefinition] = [
        def(.localIntensity, "loc_peak_loc", "VJGA", "LocalIntensityPeak", py: false, .localIntensity { v($0.local) }),
        def(.localIntensity, "loc_peak_glob", "0F91", "GlobalIntensityPeak", py: false, .localIntensity { v($0.global) }),
    ]

    // MARK: Intensity statistics (IBSI 3.3) and intensity histogram (IBSI 3.4)

    /// The 17 distribution formulas both families share, with their tags, codes and names.
    private static func distribution(_ prefix: String, _ codes: [String], names: [String], py: [Bool]) -> [(String, String, String, Bool, @Sendable (DistributionStats) -> FeatureValue)] {
        let formulas: [(String, @Sendable (DistributionStats) -> FeatureValue)] = [
            ("mean", { v($0.mean) }),
            ("var", { v($0.m2) }),
            ("skew", { .ratio($0.m3, pow($0.m2, 1.5), "all intensities are equal") }),
            ("kurt", { s in s.m2 > 0 ? v(s.m4 / (s.m2 * s.m2) - 3) : .undefined("all intensities are equal") }),
            ("median", { v($0.median) }),
            ("min", { v($0.minimum) }),
            ("p10", { v($0.percentile(10)) }),
            ("p90", { v($0.percentile(90)) }),
            ("max", { v($0.maximum) }),
            ("iqr", { v($0.percentile(75) - $0.percentile(25)) }),
            ("range", { v($0.maximum - $0.minimum) }),
            ("mad", { v(DistributionStats.meanAbsoluteDeviation($0.sorted[...], from: $0.mean)) }),
            ("rmad", { s in s.robustMeanAbsoluteDeviation.map { v($0) } ?? .undefined("no intensity lies between P10 and P90") }),
            ("medad", { v(DistributionStats.meanAbsoluteDeviation($0.sorted[...], from: $0.median)) }),
            ("cov", { .ratio($0.m2.squareRoot(), $0.mean, "the mean is 0") }),
            ("qcod", { s in .ratio(s.percentile(75) - s.percentile(25), s.percentile(75) + s.percentile(25), "P75 + P25 is 0") }),
        ]
        return formulas.enumerated().map { k, f in ("\(prefix)_\(f.0)", codes[k], names[k], py[k], f.1) }
    }

    static let statistics: [FeatureDefinition] = {
        let codes = ["Q4LE", "ECT3", "KE2A", "IPH6", "Y12H", "1GSF", "QG58", "8DWT", "84IY", "SALO", "2OJQ", "4FUA", "1128", "N72L", "7TET", "9S40"]
        let names = ["Mean", "Variance", "Skewness", "Kurtosis", "Median", "Minimum", "10Percentile", "90Percentile", "Maximum",
                     "InterquartileRange", "Range", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation", "MedianAbsoluteDeviation",
                     "CoefficientOfVariation", "QuartileCoefficientOfDispersion"]
        let py = [true, true, true, true, true, true, true, true, true, true, true, true, true, false, false, false]
        return distribution("stat", codes, names: names, py: py).map { def(.intensityStatistics, $0.0, $0.1, $0.2, py: $0.3, .statistics($0.4)) } + [
            def(.intensityStatistics, "stat_energy", "N8CA", "Energy", .statistics { v($0.energy) }),
            def(.intensityStatistics, "stat_rms", "5ZWQ", "RootMeanSquared", .statistics { v(($0.energy / $0.n).squareRoot()) }),
        ]
    }()

    static let histogram: [FeatureDefinition] = {
        let codes = ["X6K6", "CH89", "88K1", "C3I7", "WIFQ", "1PR8", "GPMT", "OZ0C", "3NCY", "WR0O", "5Z3W", "D2ZX", "WRZB", "4RNL", "CWYJ", "SLWD"]
        let names = ["Mean", "Variance", "Skewness", "Kurtosis", "Median", "Minimum", "10Percentile", "90Percentile", "Maximum",
                     "InterquartileRange", "Range", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation", "MedianAbsoluteDeviation",
                     "CoefficientOfVariation", "QuartileCoefficientOfDispersion"]
        let shared = distribution("ih", codes, names: names, py: [Bool](repeating: false, count: 16))
        var out = shared.map { s in def(.intensityHistogram, s.0, s.1, s.2, py: false, .histogram { s.4($0.distribution) }) }
        out.insert(def(.intensityHistogram, "ih_mode", "AMMC", "Mode", py: false, .histogram { v($0.mode) }), at: 9)
        out += [
            def(.intensityHistogram, "ih_entropy", "TLU2", "Entropy", .histogram { v($0.entropy) }),
            def(.intensityHistogram, "ih_uniformity", "BJ5W", "Uniformity", .histogram { v($0.uniformity) }),
            def(.intensityHistogram, "ih_max_grad", "12CE", "MaximumHistogramGradient", py: false, .histogram { v($0.gradient.max()!) }),
            def(.intensityHistogram, "ih_max_grad_g", "8E6O", "MaximumHistogramGradientGreyLevel", py: false,
                .histogram { h in let g = h.gradient; return v(Double(g.firstIndex(of: g.max()!)! + 1)) }),
            def(.intensityHistogram, "ih_min_grad", "VQB3", "MinimumHistogramGradient", py: false, .histogram { v($0.gradient.min()!) }),
            def(.intensityHistogram, "ih_min_grad_g", "RHQZ", "MinimumHistogramGradientGreyLevel", py: false,
                .histogram { h in let g = h.gradient; return v(Double(g.firstIndex(of: g.min()!)! + 1)) }),
        ]
        return out
    }()

    // MARK: Intensity-volume histogram (IBSI 3.5)

    static let ivh: [FeatureDefinition] = [
        def(.intensityVolumeHistogram, "ivh_v10", "BC2M", "VolumeAtIntensityFraction10", py: false, .ivh { v($0.volume(atPercent: 10)) }),
        def(.intensityVolumeHistogram, "ivh_v90", "BC2M", "VolumeAtIntensityFraction90", py: false, .ivh { v($0.volume(atPercent: 90)) }),
        def(.intensityVolumeHistogram, "ivh_i10", "GBPN", "IntensityAtVolumeFraction10", py: false, .ivh { v($0.intensity(atPercent: 10)) }),
        def(.intensityVolumeHistogram, "ivh_i90", "GBPN", "IntensityAtVolumeFraction90", py: false, .ivh { v($0.intensity(atPercent: 90)) }),
        def(.intensityVolumeHistogram, "ivh_diff_v10_v90", "DDTU", "VolumeFractionDifference10_90", py: false,
            .ivh { v($0.volume(atPercent: 10) - $0.volume(atPercent: 90)) }),
        def(.intensityVolumeHistogram, "ivh_diff_i10_i90", "CNV2", "IntensityFractionDifference10_90", py: false,
            .ivh { v($0.intensity(atPercent: 10) - $0.intensity(atPercent: 90)) }),
        def(.intensityVolumeHistogram, "ivh_auc", "9CMM", "AreaUnderIVHCurve", py: false,
            .ivh { $0.maximum > $0.minimum ? v($0.areaUnderCurve) : .undefined("the intensity range is empty") }),
    ]

    // MARK: GLCM (IBSI 3.6)

    private static func c(_ stem: String, _ code: String, _ name: String, py: Bool = true, _ f: @escaping @Sendable (GLCMStats) -> FeatureValue) -> FeatureDefinition {
        def(.glcm, stem, code, name, py: py, .glcm(f))
    }

    static let glcm: [FeatureDefinition] = [
        c("cm_joint_max", "GYBY", "MaximumProbability") { v($0.p.max()!) },
        c("cm_joint_avg", "60VM", "JointAverage") { v($0.mu) },
        c("cm_joint_var", "UR99", "SumSquares") { s in v(s.weighted { i, _ in (i - s.mu) * (i - s.mu) }) },
        c("cm_joint_entr", "TU9B", "JointEntropy") { v($0.hxy) },
        c("cm_diff_avg", "TF7R", "DifferenceAverage") { s in v(s.diff.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }) },
        c("cm_diff_var", "D3YU", "DifferenceVariance") { s in
            let mu = s.diff.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
            return v(s.diff.enumerated().reduce(0) { $0 + (Double($1.offset) - mu) * (Double($1.offset) - mu) * $1.element })
        },
        c("cm_diff_entr", "NTRS", "DifferenceEntropy") { s in v(s.diff.reduce(0) { $1 > 0 ? $0 - $1 * log2($1) : $0 }) },
        c("cm_sum_avg", "ZGXS", "SumAverage") { s in v(s.sum.enumerated().reduce(0) { $0 + Double($1.offset + 2) * $1.element }) },
        c("cm_sum_var", "OEEB", "SumVariance", py: false) { s in
            let mu = s.sum.enumerated().reduce(0) { $0 + Double($1.offset + 2) * $1.element }
            return v(s.sum.enumerated().reduce(0) { $0 + (Double($1.offset + 2) - mu) * (Double($1.offset + 2) - mu) * $1.element })
        },
        c("cm_sum_entr", "P6QZ", "SumEntropy") { s in v(s.sum.reduce(0) { $1 > 0 ? $0 - $1 * log2($1) : $0 }) },
        c("cm_energy", "8ZQL", "JointEnergy") { s in v(s.p.reduce(0) { $0 + $1 * $1 }) },
        c("cm_contrast", "ACUI", "Contrast") { s in v(s.weighted { i, j in (i - j) * (i - j) }) },
        c("cm_dissimilarity", "8S9J", "Dissimilarity", py: false) { s in v(s.weighted { i, j in abs(i - j) }) },
        c("cm_inv_diff", "IB1Z", "Id") { s in v(s.weighted { i, j in 1 / (1 + abs(i - j)) }) },
        c("cm_inv_diff_norm", "NDRX", "Idn") { s in let n = Double(s.ng); return v(s.weighted { i, j in 1 / (1 + abs(i - j) / n) }) },
        c("cm_inv_diff_mom", "WF0Z", "Idm") { s in v(s.weighted { i, j in 1 / (1 + (i - j) * (i - j)) }) },
        c("cm_inv_diff_mom_norm", "1QCO", "Idmn") { s in let n = Double(s.ng); return v(s.weighted { i, j in 1 / (1 + (i - j) * (i - j) / (n * n)) }) },
        c("cm_inv_var", "E8JP", "InverseVariance") { s in
            v(s.diff.enumerated().dropFirst().reduce(0) { $0 + $1.element / Double($1.offset * $1.offset) })
        },
        c("cm_corr", "NI2N", "Correlation") { s in
            s.variance > 0 ? v(s.weighted { i, j in (i - s.mu) * (j - s.mu) } / s.variance) : .undefined("a single grey level: the marginal variance is 0")
        },
        c("cm_auto_corr", "QWB0", "Autocorrelation") { s in v(s.weighted { i, j in i * j }) },
        c("cm_clust_tend", "DG8W", "ClusterTendency") { s in v(s.weighted { i, j in let d = i + j - 2 * s.mu; return d * d }) },
        c("cm_clust_shade", "7NFM", "ClusterShade") { s in v(s.weighted { i, j in let d = i + j - 2 * s.mu; return d * d * d }) },
        c("cm_clust_prom", "AE86", "ClusterProminence") { s in v(s.weighted { i, j in let d = i + j - 2 * s.mu; return d * d * d * d }) },
        c("cm_info_corr1", "R8DG", "Imc1") { s in .ratio(s.hxy - s.hxy1, s.hx, "a single grey level: the marginal entropy is 0") },
        c("cm_info_corr2", "JN9H", "Imc2") { s in v((max(0, 1 - exp(-2 * (s.hxy2 - s.hxy)))).squareRoot()) },
    ]

    // MARK: GLRLM, GLSZM, GLDZM, NGLDM (IBSI 3.7–3.9, 3.11)

    /// The 16 formulas of grey level × j matrices, in IBSI order: j-emphases, grey-level
    /// emphases, the four joint emphases, non-uniformities, percentage, variances, entropy.
    private static let greyLevelJFormulas: [@Sendable (GreyLevelJStats) -> FeatureValue] = [
        { v($0.colWeighted { 1 / ($0 * $0) }) },
        { v($0.colWeighted { $0 * $0 }) },
        { v($0.rowWeighted { 1 / ($0 * $0) }) },
        { v($0.rowWeighted { $0 * $0 }) },
        { v($0.weighted { i, j in 1 / (i * i * j * j) }) },
        { v($0.weighted { i, j in i * i / (j * j) }) },
        { v($0.weighted { i, j in j * j / (i * i) }) },
        { v($0.weighted { i, j in i * i * j * j }) },
        { s in v(s.rows.reduce(0) { $0 + $1 * $1 } / s.total) },
        { s in v(s.rows.reduce(0) { $0 + $1 * $1 } / (s.total * s.total)) },
        { s in v(s.cols.reduce(0) { $0 + $1 * $1 } / s.total) },
        { s in v(s.cols.reduce(0) { $0 + $1 * $1 } / (s.total * s.total)) },
        { s in .ratio(s.total, s.voxels, "the matrix describes no voxel") },
        { s in let mu = s.greyLevelMean; return v(s.rowWeighted { ($0 - mu) * ($0 - mu) }) },
        { s in let mu = s.jMean; return v(s.colWeighted { ($0 - mu) * ($0 - mu) }) },
        { v($0.entropy) },
    ]

    private static func greyLevelJ(_ family: FeatureFamily, _ prefix: String, _ entries: [(String, String, String?)]) -> [FeatureDefinition] {
        zip(entries, greyLevelJFormulas).map { e, f in
            def(family, "\(prefix)_\(e.0)", e.1, e.2 ?? "", py: e.2 != nil, .greyLevelJ(f))
        }
    }

    static let glrlm = greyLevelJ(.glrlm, "rlm", [
        ("sre", "22OV", "ShortRunEmphasis"), ("lre", "W4KF", "LongRunEmphasis"),
        ("lgre", "V3SW", "LowGrayLevelRunEmphasis"), ("hgre", "G3QZ", "HighGrayLevelRunEmphasis"),
        ("srlge", "HTZT", "ShortRunLowGrayLevelEmphasis"), ("srhge", "GD3A", "ShortRunHighGrayLevelEmphasis"),
        ("lrlge", "IVPO", "LongRunLowGrayLevelEmphasis"), ("lrhge", "3KUM", "LongRunHighGrayLevelEmphasis"),
        ("glnu", "R5YN", "GrayLevelNonUniformity"), ("glnu_norm", "OVBL", "GrayLevelNonUniformityNormalized"),
        ("rlnu", "W92Y", "RunLengthNonUniformity"), ("rlnu_norm", "IC23", "RunLengthNonUniformityNormalized"),
        ("r_perc", "9ZK5", "RunPercentage"), ("gl_var", "8CE5", "GrayLevelVariance"),
        ("rl_var", "SXLW", "RunVariance"), ("rl_entr", "HJ9O", "RunEntropy"),
    ])

    static let glszm = greyLevelJ(.glszm, "szm", [
        ("sze", "5QRC", "SmallAreaEmphasis"), ("lze", "48P8", "LargeAreaEmphasis"),
        ("lgze", "XMSY", "LowGrayLevelZoneEmphasis"), ("hgze", "5GN9", "HighGrayLevelZoneEmphasis"),
        ("szlge", "5RAI", "SmallAreaLowGrayLevelEmphasis"), ("szhge", "HW1V", "SmallAreaHighGrayLevelEmphasis"),
        ("lzlge", "YH51", "LargeAreaLowGrayLevelEmphasis"), ("lzhge", "J17V", "LargeAreaHighGrayLevelEmphasis"),
        ("glnu", "JNSA", "GrayLevelNonUniformity"), ("glnu_norm", "Y1RO", "GrayLevelNonUniformityNormalized"),
        ("zsnu", "4JP3", "SizeZoneNonUniformity"), ("zsnu_norm", "VB3A", "SizeZoneNonUniformityNormalized"),
        ("z_perc", "P30P", "ZonePercentage"), ("gl_var", "BYLV", "GrayLevelVariance"),
        ("zs_var", "3NSA", "ZoneVariance"), ("zs_entr", "GU8N", "ZoneEntropy"),
    ])

    static let gldzm: [FeatureDefinition] = greyLevelJ(.gldzm, "dzm", [
        ("sde", "0GBI", nil), ("lde", "MB4I", nil), ("lgze", "S1RA", nil), ("hgze", "K26C", nil),
        ("sdlge", "RUVG", nil), ("sdhge", "DKNJ", nil), ("ldlge", "A7WM", nil), ("ldhge", "KLTH", nil),
        ("glnu", "VFT7", nil), ("glnu_norm", "7HP3", nil), ("zdnu", "V294", nil), ("zdnu_norm", "IATH", nil),
        ("z_perc", "VIWW", nil), ("gl_var", "QK93", nil), ("zd_var", "7WT1", nil), ("zd_entr", "GBDU", nil),
    ]).enumerated().map { k, d in
        let names = ["SmallDistanceEmphasis", "LargeDistanceEmphasis", "LowGrayLevelZoneEmphasis", "HighGrayLevelZoneEmphasis",
                     "SmallDistanceLowGrayLevelEmphasis", "SmallDistanceHighGrayLevelEmphasis", "LargeDistanceLowGrayLevelEmphasis",
                     "LargeDistanceHighGrayLevelEmphasis", "GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized",
                     "ZoneDistanceNonUniformity", "ZoneDistanceNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance",
                     "ZoneDistanceVariance", "ZoneDistanceEntropy"]
        return FeatureDefinition(family: d.family, tagStem: d.tagStem, ibsiCode: d.ibsiCode, name: names[k], inPyradiomics: false, formula: d.formula)
    }

    static let ngldm: [FeatureDefinition] = greyLevelJ(.ngldm, "ngl", [
        ("lde", "SODN", "SmallDependenceEmphasis"), ("hde", "IMOQ", "LargeDependenceEmphasis"),
        ("lgce", "TL9H", "LowGrayLevelEmphasis"), ("hgce", "OAE7", "HighGrayLevelEmphasis"),
        ("ldlge", "EQ3F", "SmallDependenceLowGrayLevelEmphasis"), ("ldhge", "JA6D", "SmallDependenceHighGrayLevelEmphasis"),
        ("hdlge", "NBZI", "LargeDependenceLowGrayLevelEmphasis"), ("hdhge", "9QMG", "LargeDependenceHighGrayLevelEmphasis"),
        ("glnu", "FP8K", "GrayLevelNonUniformity"), ("glnu_norm", "5SPA", nil),
        ("dcnu", "Z87G", "DependenceNonUniformity"), ("dcnu_norm", "OKJI", "DependenceNonUniformityNormalized"),
        ("dc_perc", "6XV8", nil), ("gl_var", "1PFV", "GrayLevelVariance"),
        ("dc_var", "DNX2", "DependenceVariance"), ("dc_entr", "FCBV", "DependenceEntropy"),
    ]).map { d in
        guard d.name.isEmpty else { return d }
        let name = d.tagStem == "ngl_glnu_norm" ? "GrayLevelNonUniformityNormalized" : "DependencePercentage"
        return FeatureDefinition(family: d.family, tagStem: d.tagStem, ibsiCode: d.ibsiCode, name: name, inPyradiomics: false, formula: d.formula)
    } + [def(.ngldm, "ngl_dc_energy", "CAS9", "DependenceEnergy", py: false, .greyLevelJ { v($0.energy) })]

    // MARK: NGTDM (IBSI 3.10)

    static let ngtdm: [FeatureDefinition] = [
        def(.ngtdm, "ngt_coarseness", "QCDE", "Coarseness", .ngtdm { s in
            // IBSI caps coarseness at 10^6 when every grey tone difference is 0.
            let d = s.weightedDifference
            return d > 0 ? v(1 / d) : .value(1e6)
        }),
        def(.ngtdm, "ngt_contrast", "65HE", "Contrast", .ngtdm { s in
            guard s.levelsPresent > 1 else { return .undefined("a single grey level") }
            var pair = 0.0
            for i in s.present { for j in s.present { pair += s.p[i] * s.p[j] * Double((i - j) * (i - j)) } }
            let ngp = Double(s.levelsPresent)
            return v(pair / (ngp * (ngp - 1)) * s.s.reduce(0, +) / s.voxels)
        }),
        def(.ngtdm, "ngt_busyness", "NQ30", "Busyness", .ngtdm { s in
            var den = 0.0
            for i in s.present { for j in s.present { den += abs(Double(i + 1) * s.p[i] - Double(j + 1) * s.p[j]) } }
            return .ratio(s.weightedDifference, den, "a single grey level")
        }),
        def(.ngtdm, "ngt_complexity", "HDEZ", "Complexity", .ngtdm { s in
            var sum = 0.0
            for i in s.present { for j in s.present {
                sum += abs(Double(i - j)) * (s.p[i] * s.s[i] + s.p[j] * s.s[j]) / (s.p[i] + s.p[j])
            } }
            return v(sum / s.voxels)
        }),
        def(.ngtdm, "ngt_strength", "1X9X", "Strength", .ngtdm { s in
            var sum = 0.0
            for i in s.present { for j in s.present { sum += (s.p[i] + s.p[j]) * Double((i - j) * (i - j)) } }
            return .ratio(sum, s.s.reduce(0, +), "every grey tone difference is 0")
        }),
    ]
}

/// Probabilities of one NGTDM, shared by its five features.
struct NGTDMStats: Sendable {
    let s: [Double]
    let p: [Double]
    /// N_v,c: voxels with at least one neighbour.
    let voxels: Double
    /// Indices (level − 1) with p > 0.
    let present: [Int]
    var levelsPresent: Int { present.count }
    /// Σ p_i s_i.
    let weightedDifference: Double

    init?(_ m: NeighbourhoodCounter.NGTDM) {
        let total = m.n.reduce(0, +)
        guard total > 0 else { return nil }
        s = m.s
        let p = m.n.map { $0 / total }
        self.p = p
        voxels = total
        present = p.indices.filter { p[$0] > 0 }
        weightedDifference = zip(p, m.s).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
