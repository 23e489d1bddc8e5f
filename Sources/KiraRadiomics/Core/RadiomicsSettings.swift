import KiraCore

/// Grey-level discretisation (IBSI 2.7).
public enum Discretisation: Sendable, Equatable, Codable {
    /// Fixed bin number: the ROI intensity range split into `bins` equal bins.
    case fixedBinNumber(Int)
    /// Fixed bin size `width`; bins start at the re-segmentation lower bound when one is set,
    /// otherwise at the lowest ROI intensity (the IBSI bin origin).
    case fixedBinSize(Double)
}

/// Intensity-volume histogram discretisation (IBSI 4.5).
public enum IVHDiscretisation: Sendable, Equatable, Codable {
    /// Calibrated, discrete intensities (CT HU, the digital phantom): used as they are, step 1.
    case none
    /// Fixed bin size, bin origin as for texture discretisation; levels mapped back to intensities.
    case fixedBinSize(Double)
    /// Fixed bin number; the fractional intensity uses the bin numbers.
    case fixedBinNumber(Int)
}

/// Everything that decides feature values once the image and masks are given.
public struct RadiomicsSettings: Sendable, Equatable, Codable {
    /// Re-segmentation range (closed); voxels outside leave the intensity mask only.
    public var resegmentationLower: Double?
    public var resegmentationUpper: Double?
    /// Texture and intensity-histogram discretisation.
    public var discretisation: Discretisation
    public var ivh: IVHDiscretisation
    public var textureDimensions: [TextureDimension]
    public var families: [FeatureFamily]
    /// Chebyshev distance for GLCM, NGTDM and NGLDM.
    public var distance: Int
    /// NGLDM coarseness parameter α.
    public var ngldmAlpha: Int

    public init(resegmentationLower: Double? = nil, resegmentationUpper: Double? = nil,
                discretisation: Discretisation, ivh: IVHDiscretisation = .none,
                textureDimensions: [TextureDimension] = [.threeD],
                families: [FeatureFamily] = FeatureFamily.allCases, distance: Int = 1, ngldmAlpha: Int = 0) {
        self.resegmentationLower = resegmentationLower
        self.resegmentationUpper = resegmentationUpper
        self.discretisation = discretisation
        self.ivh = ivh
        self.textureDimensions = textureDimensions
        self.families = families
        self.distance = distance
        self.ngldmAlpha = ngldmAlpha
    }

    /// Problems that make the settings unusable, each naming the setting.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        switch discretisation {
        case let .fixedBinNumber(n) where n < 1: errors.append("discretisation: bin number \(n) must be at least 1")
        case let .fixedBinSize(w) where !(w > 0) || !w.isFinite: errors.append("discretisation: bin width \(w) must be positive")
        default: break
        }
        switch ivh {
        case let .fixedBinNumber(n) where n < 2: errors.append("ivh: bin number \(n) must be at least 2")
        case let .fixedBinSize(w) where !(w > 0) || !w.isFinite: errors.append("ivh: bin width \(w) must be positive")
        default: break
        }
        if let lo = resegmentationLower, let hi = resegmentationUpper, !(lo <= hi) {
            errors.append("re-segmentation range [\(lo), \(hi)] is empty")
        }
        if distance < 1 { errors.append("distance \(distance) must be at least 1") }
        if ngldmAlpha < 0 { errors.append("ngldm alpha \(ngldmAlpha) must not be negative") }
        if textureDimensions.isEmpty && families.contains(where: \.isTexture) {
            errors.append("texture families requested but no texture dimension (2D, 2.5D, 3D)")
        }
        return errors
    }

    /// Built-in settings by name: `ibsi-phantom`, `ibsi-a`.
    public static func preset(_ name: String) -> RadiomicsSettings? {
        switch name {
        case "ibsi-phantom": return .ibsiDigitalPhantom
        case "ibsi-a": return .ibsiConfigurationA
        case "ibsi-b": return .ibsiConfigurationB
        case "ibsi-c": return .ibsiConfigurationC
        case "ibsi-d": return .ibsiConfigurationD
        case "ibsi-e": return .ibsiConfigurationE
        default: return nil
        }
    }

    public static let presetNames = ["ibsi-phantom", "ibsi-a", "ibsi-b", "ibsi-c", "ibsi-d", "ibsi-e"]

    /// IBSI-1 digital phantom: no discretisation (fixed bin size 1 from the ROI minimum keeps
    /// the grey levels as they are), every texture dimension, distance 1, α = 0.
    public static let ibsiDigitalPhantom = RadiomicsSettings(
        discretisation: .fixedBinSize(1), ivh: .none, textureDimensions: [.twoD, .twoAndHalfD, .threeD])

    /// IBSI-1 CT phantom configuration A: 2D, no interpolation, re-segmentation [−500, 400] HU,
    /// fixed bin size 25 HU, IVH on the HU as they are.
    public static let ibsiConfigurationA = RadiomicsSettings(
        resegmentationLower: -500, resegmentationUpper: 400,
        discretisation: .fixedBinSize(25), ivh: .none, textureDimensions: [.twoD, .twoAndHalfD])

    // Configurations B–E expect the image already interpolated and re-segmented as
    // KiraPreprocess's `PreprocessSettings.ibsi("B"…"E")` does; the range here sets the
    // fixed-bin-size origin and re-applies the same range to the intensity mask.

    /// B: 2D, 2×2 mm in-plane bilinear, range [−500, 400] HU, fixed bin number 32.
    public static let ibsiConfigurationB = RadiomicsSettings(
        resegmentationLower: -500, resegmentationUpper: 400,
        discretisation: .fixedBinNumber(32), ivh: .none, textureDimensions: [.twoD, .twoAndHalfD])

    /// C: 3D, 2 mm trilinear, range [−1000, 400] HU, fixed bin size 25 HU, IVH bin size 2.5 HU.
    public static let ibsiConfigurationC = RadiomicsSettings(
        resegmentationLower: -1000, resegmentationUpper: 400,
        discretisation: .fixedBinSize(25), ivh: .fixedBinSize(2.5), textureDimensions: [.threeD])

    /// D: 3D, 2 mm trilinear, outlier filtering (3σ), fixed bin number 32.
    public static let ibsiConfigurationD = RadiomicsSettings(
        discretisation: .fixedBinNumber(32), ivh: .none, textureDimensions: [.threeD])

    /// E: 3D, 2 mm tricubic, range [−1000, 400] HU and 3σ outliers, fixed bin number 32, IVH 1000 bins.
    public static let ibsiConfigurationE = RadiomicsSettings(
        resegmentationLower: -1000, resegmentationUpper: 400,
        discretisation: .fixedBinNumber(32), ivh: .fixedBinNumber(1000), textureDimensions: [.threeD])
}
