import KiraCore
import KiraPreprocess

/// Which convention decides a value where IBSI and pyradiomics differ (bin origin, grid
/// alignment, mask resampling, kurtosis, …).
public enum ComplianceMode: String, Sendable, Codable, CaseIterable {
    case ibsi
    case pyradiomics
}

/// How pyradiomics' `resegmentRange` is read.
public enum ResegmentMode: String, Sendable, Codable, CaseIterable {
    /// Thresholds are intensities.
    case absolute
    /// Thresholds are fractions of the ROI maximum.
    case relative
    /// Thresholds are multiples of the ROI standard deviation around its mean.
    case sigma
}

/// pyradiomics' GLCM/GLRLM angle weighting (`weightingNorm`).
public enum WeightingNorm: String, Sendable, Codable, CaseIterable {
    case manhattan, euclidean, infinity
    case noWeighting = "no_weighting"
}

/// Everything a settings file or preset decides, from the raw image to the feature rows:
/// preprocessing, image types (filters) and the feature settings.
public struct ExtractionSettings: Sendable, Equatable, Codable {
    public var mode: ComplianceMode = .ibsi
    /// Interpolation and re-segmentation, in IBSI's order, before any filter.
    public var preprocess = PreprocessSettings()
    public var features: RadiomicsSettings
    /// Mask label (nil: every non-zero voxel).
    public var label: Int?
    public var imageTypes: [ImageTypeSpec] = [.original]
    /// pyradiomics `featureClass:`: class name → feature names (empty list: all of the class). nil: all.
    public var enabledFeatures: [String: [String]]?

    // pyradiomics settings without an IBSI counterpart, honoured in pyradiomics mode.
    public var normalize = false
    public var normalizeScale: Double = 1
    public var removeOutliers: Double?
    public var voxelArrayShift: Double = 0
    public var padDistance = 5
    public var force2D = false
    public var force2DDimension = 0
    public var minimumROIDimensions = 2
    public var minimumROISize: Int?
    public var preCrop = false
    /// pyradiomics resampling: target spacing (0 keeps an axis) and the image interpolator;
    /// both must be set for resampling to happen, as in pyradiomics.
    public var resampledPixelSpacing: [Double]?
    public var interpolator: Interpolator? = .bspline
    /// pyradiomics re-segmentation: one threshold (lower bound) or two (closed range).
    public var resegmentRange: [Double]?
    public var resegmentMode: ResegmentMode = .absolute
    /// Shape on the re-segmented mask too (PET-style), instead of the original mask.
    public var resegmentShape = false
    /// Chebyshev distances for GLCM, GLDM and NGTDM (pyradiomics `distances`).
    public var distances: [Int] = [1]
    public var symmetricalGLCM = true
    /// GLCM/GLRLM angle weighting; set, it merges the angles into one matrix.
    public var weightingNorm: WeightingNorm?
    /// GLDM coarseness α (pyradiomics `gldm_a`).
    public var gldmAlpha = 0
    public var correctMask = false
    public var geometryTolerance: Double?
    public var additionalInfo = true

    public init(features: RadiomicsSettings, preprocess: PreprocessSettings = PreprocessSettings(), mode: ComplianceMode = .ibsi) {
        self.features = features
        self.preprocess = preprocess
        self.mode = mode
    }

    /// Fixed bin size 25 from the ROI minimum, 3D texture, distance 1, no preprocessing.
    public static let `default` = ExtractionSettings(features: RadiomicsSettings(discretisation: .fixedBinSize(25), textureDimensions: [.threeD]))

    public static let presetNames = ["default"] + RadiomicsSettings.presetNames

    /// Built-in settings: `default`, `ibsi-phantom`, `ibsi-a` … `ibsi-e` (CT phantom
    /// configurations, with their interpolation and re-segmentation).
    public static func preset(_ name: String) -> ExtractionSettings? {
        if name == "default" { return .default }
        guard let features = RadiomicsSettings.preset(name) else { return nil }
        var s = ExtractionSettings(features: features)
        if name.hasPrefix("ibsi-"), name != "ibsi-phantom", let c = name.uppercased().last, let pre = PreprocessSettings.ibsi(c) {
            s.preprocess = pre
        }
        return s
    }
}
