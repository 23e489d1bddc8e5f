/// A computed feature: a finite number, or the reason it is undefined for this case.
/// Kira never reports a silent NaN: every non-finite result becomes `.undefined`.
public enum FeatureValue: Sendable, Equatable, CustomStringConvertible {
    case value(Double)
    case undefined(String)

    /// `.value(x)` when x is finite, otherwise `.undefined(reason)`.
    @inlinable
    public static func finite(_ x: Double, or reason: @autoclosure () -> String) -> FeatureValue {
        x.isFinite ? .value(x) : .undefined(reason())
    }

    /// numerator / denominator, undefined when the denominator is zero.
    @inlinable
    public static func ratio(_ numerator: Double, _ denominator: Double, _ reason: @autoclosure () -> String) -> FeatureValue {
        denominator == 0 ? .undefined(reason()) : finite(numerator / denominator, or: reason())
    }

    public var number: Double? {
        if case let .value(x) = self { return x }
        return nil
    }

    public var reason: String? {
        if case let .undefined(r) = self { return r }
        return nil
    }

    public var description: String {
        switch self {
        case let .value(x): "\(x)"
        case let .undefined(r): "undefined (\(r))"
        }
    }

    /// The mean of the defined values (IBSI feature aggregation over slices or directions).
    /// Matrices on which the feature is undefined are left out; when none is defined the
    /// first reason is kept.
    static func mean(_ values: [FeatureValue]) -> FeatureValue {
        var sum = 0.0, n = 0
        var firstReason: String?
        for v in values {
            switch v {
            case let .value(x): sum += x; n += 1
            case let .undefined(r): if firstReason == nil { firstReason = r }
            }
        }
        if n == 0 { return .undefined(firstReason ?? "no slice or direction holds a matrix") }
        return .value(sum / Double(n))
    }
}

/// The IBSI-1 feature families (chapter 3), each named as in the IBSI tables.
public enum FeatureFamily: String, Sendable, CaseIterable, Codable {
    case morphology
    case localIntensity = "local_intensity"
    case intensityStatistics = "intensity_statistics"
    case intensityHistogram = "intensity_histogram"
    case intensityVolumeHistogram = "intensity_volume_histogram"
    case glcm, glrlm, glszm, gldzm, ngtdm, ngldm

    /// pyradiomics' class name where pyradiomics has the family.
    public var pyradiomicsClass: String {
        switch self {
        case .morphology: "shape"
        case .localIntensity: "localintensity"
        case .intensityStatistics: "firstorder"
        case .intensityHistogram: "histogram"
        case .intensityVolumeHistogram: "ivh"
        case .glcm: "glcm"
        case .glrlm: "glrlm"
        case .glszm: "glszm"
        case .gldzm: "gldzm"
        case .ngtdm: "ngtdm"
        case .ngldm: "gldm"
        }
    }

    public var isTexture: Bool {
        switch self {
        case .glcm, .glrlm, .glszm, .gldzm, .ngtdm, .ngldm: true
        default: false
        }
    }

    /// Families whose matrices depend on a direction (and so have averaged and merged variants).
    var isDirectional: Bool { self == .glcm || self == .glrlm }
}

/// How texture matrices are counted and aggregated (IBSI "Feature aggregation").
public enum TextureAggregation: String, Sendable, CaseIterable, Codable {
    /// Per slice and direction, features averaged (directional families only).
    case slice2DAverage = "2D_avg"
    /// Directions merged per slice, features averaged over slices.
    case slice2DMerged = "2D_comb"
    /// Slices merged per direction, features averaged over directions.
    case volume25DAverage = "2_5D_avg"
    /// Every slice and direction merged into one matrix.
    case volume25DMerged = "2_5D_comb"
    /// 3D matrix per direction, features averaged.
    case volume3DAverage = "3D_avg"
    /// 3D matrices of every direction merged.
    case volume3DMerged = "3D_comb"
    /// Non-directional families: 2D per slice, averaged.
    case slice2D = "2D"
    /// Non-directional families: slice matrices merged.
    case volume25D = "2_5D"
    /// Non-directional families: one 3D matrix.
    case volume3D = "3D"

    /// The aggregations a family has for one texture dimension.
    static func variants(for family: FeatureFamily, dimension: TextureDimension) -> [TextureAggregation] {
        switch (family.isDirectional, dimension) {
        case (true, .twoD): [.slice2DAverage, .slice2DMerged]
        case (true, .twoAndHalfD): [.volume25DAverage, .volume25DMerged]
        case (true, .threeD): [.volume3DAverage, .volume3DMerged]
        case (false, .twoD): [.slice2D]
        case (false, .twoAndHalfD): [.volume25D]
        case (false, .threeD): [.volume3D]
        }
    }

    /// The variant pyradiomics computes by default (its names carry no suffix).
    var isPyradiomicsDefault: Bool { self == .volume3DAverage || self == .volume3D }
}

/// Texture dimensions requested in the settings.
public enum TextureDimension: String, Sendable, CaseIterable, Codable {
    case twoD = "2D"
    case twoAndHalfD = "2.5D"
    case threeD = "3D"
}
