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
    /// The preprocessed image; without interpolation and with a crop margin, only the box
    /// around the ROI (see `cropOffset`).
    public var image: Volume
    public var masks: ROIMasks
    public var initialImage: ImageDiagnostics
    public var interpolatedImage: ImageDiagnostics
    public var initialROI: ROIDiagnostics
    public var interpolatedROI: ROIDiagnostics
    public var resegmentedROI: ROIDiagnostics
    public var outlierBounds: ClosedRange<Double>?
    /// Index of `image`'s first voxel in the uncropped preprocessed grid (zero: not cropped).
    public var cropOffset: SIMD3<Int> = .zero
    /// The grid of the preprocessed image before any crop.
    public var fullGeometry: Geometry
}

public enum Preprocessing {
    /// - cropMargin: when no interpolation is requested, work on the mask's bounding box
    ///   widened by this many voxels per axis (clipped to the image) instead of the whole image;
    ///   every diagnostic still describes the whole image. nil: never crop.
    public static func run(image: Volume, mask: Volume, settings: PreprocessSettings,
                           cropMargin: SIMD3<Int>? = nil) throws -> PreprocessResult {
        guard image.timepoints == 1, image.components == 1 else {
            throw KiraError.invalidArgument("preprocessing needs one 3D grey-level image; this one has \(image.timepoints) time points and \(image.components) components")
        }
        let initialImage = ImageDiagnostics(image)
        let fullSize = image.geometry.size
        var source = image, sourceMask = mask
        var offset = SIMD3<Int>.zero
        if settings.spacing == nil, let margin = cropMargin, let box = try cropBox(mask, image: image, margin: margin) {
            source = try crop(image, box)
            sourceMask = try crop(mask, box)
            offset = box.lo
        }
        let initialMasks = ROIMasks(sourceMask)
        var initialROI = ROIDiagnostics(image: source, masks: initialMasks)
        initialROI.size = [fullSize.x, fullSize.y, fullSize.z]
        var current = source
        var masks = initialMasks
        var fullGeometry = image.geometry
        var interpolatedImage = initialImage
        if let spacing = settings.spacing {
            let target = try ResampleGrid.make(from: image.geometry, spacing: spacing, policy: settings.grid)
            current = try Resampler.resample(image, onto: target, interpolator: settings.interpolator,
                                             outside: settings.outside, roundIntensities: settings.roundIntensities)
            let m = try Resampler.resampleMask(mask, onto: target, method: settings.maskInterpolation)
            masks = ROIMasks(m)
            fullGeometry = target
            interpolatedImage = ImageDiagnostics(current)
        }
        let gridSize = [fullGeometry.size.x, fullGeometry.size.y, fullGeometry.size.z]
        var interpolatedROI = ROIDiagnostics(image: current, masks: masks)
        interpolatedROI.size = gridSize
        if settings.rangeLower != nil || settings.rangeUpper != nil {
            Resegmentation.range(current, &masks, lower: settings.rangeLower, upper: settings.rangeUpper)
        }
        var bounds: ClosedRange<Double>?
        if let k = settings.outlierSigmas { bounds = Resegmentation.outliers(current, &masks, sigmas: k) }
        var resegmentedROI = ROIDiagnostics(image: current, masks: masks)
        resegmentedROI.size = gridSize
        return PreprocessResult(image: current, masks: masks, initialImage: initialImage, interpolatedImage: interpolatedImage,
                                initialROI: initialROI, interpolatedROI: interpolatedROI,
                                resegmentedROI: resegmentedROI, outlierBounds: bounds,
                                cropOffset: offset, fullGeometry: fullGeometry)
    }

    /// The mask's bounding box widened by `margin`, clipped to the image; nil when it is the
    /// whole image, the mask is empty or not on the image grid (later steps report those).
    static func cropBox(_ mask: Volume, image: Volume, margin: SIMD3<Int>) throws -> (lo: SIMD3<Int>, size: SIMD3<Int>)? {
        let size = image.geometry.size
        guard mask.geometry.size == size, mask.voxels.count == image.voxels.count else { return nil }
        let inside: [UInt8]
        if case let .uint8(a) = mask.voxels { inside = a } else { inside = mask.voxels.nonZeroMask() }
        guard let box = nonZeroBoundingBox(inside, size: size) else { return nil }
        let lo = pointwiseMax(box.lo &- margin, .zero), hi = pointwiseMin(box.hi &+ margin, size &- 1)
        let n = hi &- lo &+ 1
        return n == size ? nil : (lo, n)
    }

    static func crop(_ v: Volume, _ box: (lo: SIMD3<Int>, size: SIMD3<Int>)) throws -> Volume {
        try v.cropped(lo: box.lo, size: box.size)
    }
}
