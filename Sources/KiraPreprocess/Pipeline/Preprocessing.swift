import KiraCore

/// The image-processing steps before feature extraction, in IBSI's order:
/// interpolation → re-segmentation (range, then outliers). Discretisation belongs to the features.
public struct PreprocessSettings: Sendable, Equatable, Codable {
    /// nil: no interpolation. Entries ≤ 0 keep the original spacing on that axis (2D in-plane).
    public var spacing: SIMD3<Double>?
    public var interpolator: Interpolator = .linear
    public var grid: GridPolicy = .center
    public var outside: OutsidePolicy = .nearestEdge
    public var roundIntensities = false
    public var maskInterpolation: MaskInterpolation = .partialVolume(threshold: 0.5)
    public var rangeLower: Double?
    public var rangeUpper: Double?
    /// Outlier filtering at mean ± k·σ of the ROI after the range step.
    public var outlierSigmas: Double?

    public init() {}

    /// IBSI-1 CT phantom configurations A–E (IBSI manual, reference data sets).
    public static func ibsi(_ configuration: Character) -> PreprocessSettings? {
        var s = PreprocessSettings()
        switch configuration {
        case "A":
            s.rangeLower = -500; s.rangeUpper = 400
        case "B":
            s.spacing = [2, 2, 0]; s.roundIntensities = true
            s.rangeLower = -500; s.rangeUpper = 400
        case "C":
            s.spacing = [2, 2, 2]; s.roundIntensities = true
            s.rangeLower = -1000; s.rangeUpper = 400
        case "D":
            s.spacing = [2, 2, 2]; s.roundIntensities = true
            s.outlierSigmas = 3
        case "E":
            s.spacing = [2, 2, 2]; s.interpolator = .bspline; s.roundIntensities = true
            s.rangeLower = -1000; s.rangeUpper = 400; s.outlierSigmas = 3
        default:
            return nil
        }
        return s
    }
}

/// What preprocessing produced, with IBSI diagnostics after each step.
public struct PreprocessResult: Sendable {
    public var image: Volume
    public var masks: ROIMasks
    public var initialImage: ImageDiagnostics
    public var interpolatedImage: ImageDiagnostics
    public var initialROI: ROIDiagnostics
    public var interpolatedROI: ROIDiagnostics
    public var resegmentedROI: ROIDiagnostics
    public var outlierBounds: ClosedRange<Double>?
}

public enum Preprocessing {
    public static func run(image: Volume, mask: Volume, settings: PreprocessSettings) throws -> PreprocessResult {
        guard image.timepoints == 1, image.components == 1 else {
            throw KiraError.invalidArgument("preprocessing needs one 3D grey-level image; this one has \(image.timepoints) time points and \(image.components) components")
        }
        let initialImage = ImageDiagnostics(image)
        let initialMasks = ROIMasks(mask)
        let initialROI = ROIDiagnostics(image: image, masks: initialMasks)
        var current = image
        var masks = initialMasks
        if let spacing = settings.spacing {
            let target = ResampleGrid.make(from: image.geometry, spacing: spacing, policy: settings.grid)
            current = try Resampler.resample(image, onto: target, interpolator: settings.interpolator,
                                             outside: settings.outside, roundIntensities: settings.roundIntensities)
            let m = try Resampler.resampleMask(mask, onto: target, method: settings.maskInterpolation)
            masks = ROIMasks(m)
        }
        let interpolatedImage = ImageDiagnostics(current)
        let interpolatedROI = ROIDiagnostics(image: current, masks: masks)
        if settings.rangeLower != nil || settings.rangeUpper != nil {
            Resegmentation.range(current, &masks, lower: settings.rangeLower, upper: settings.rangeUpper)
        }
        var bounds: ClosedRange<Double>?
        if let k = settings.outlierSigmas { bounds = Resegmentation.outliers(current, &masks, sigmas: k) }
        return PreprocessResult(image: current, masks: masks, initialImage: initialImage, interpolatedImage: interpolatedImage,
                                initialROI: initialROI, interpolatedROI: interpolatedROI,
                                resegmentedROI: ROIDiagnostics(image: current, masks: masks), outlierBounds: bounds)
    }
}
