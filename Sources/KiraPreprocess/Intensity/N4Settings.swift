import KiraCore

/// Settings of N4 bias-field correction (Tustison et al. 2010). The defaults are ITK's and
/// SimpleITK's, except the shrink factor, which ITK leaves to the caller (SimpleITK's
/// example shrinks by 4 before fitting, as here).
public struct N4Settings: Sendable, Equatable {
    /// The image and mask are subsampled by this factor per axis before fitting (ITK's
    /// ShrinkImageFilter: every k-th voxel, grids centred on each other); the field is then
    /// reconstructed at full resolution from the fitted control points.
    public var shrinkFactor: Int
    /// Maximum iterations per fitting level; the count of entries is the number of levels
    /// (the control-point mesh doubles from one level to the next).
    public var maximumIterations: [Int]
    /// A level stops once the coefficient of variation of exp(previous − new log field)
    /// inside the mask falls to this value.
    public var convergenceThreshold: Double
    /// Control points per axis at the first level (at least the spline order + 1).
    public var controlPoints: SIMD3<Int>
    public var histogramBins: Int
    /// Full width at half maximum of the Gaussian the log-intensity histogram is
    /// deconvolved with.
    public var fullWidthAtHalfMaximum: Double
    public var wienerNoise: Double

    /// Cubic B-splines, as N4's default; the only order Kira implements.
    public static let splineOrder = 3

    public init(shrinkFactor: Int = 4, maximumIterations: [Int] = [50, 50, 50, 50],
                convergenceThreshold: Double = 0.001, controlPoints: SIMD3<Int> = [4, 4, 4],
                histogramBins: Int = 200, fullWidthAtHalfMaximum: Double = 0.15, wienerNoise: Double = 0.01) {
        self.shrinkFactor = shrinkFactor
        self.maximumIterations = maximumIterations
        self.convergenceThreshold = convergenceThreshold
        self.controlPoints = controlPoints
        self.histogramBins = histogramBins
        self.fullWidthAtHalfMaximum = fullWidthAtHalfMaximum
        self.wienerNoise = wienerNoise
    }

    public func validate() throws {
        func bad(_ message: String) -> KiraError { .invalidArgument("N4: \(message)") }
        guard shrinkFactor >= 1 else { throw bad("the shrink factor must be at least 1, got \(shrinkFactor)") }
        guard !maximumIterations.isEmpty, maximumIterations.allSatisfy({ $0 >= 1 }) else {
            throw bad("the iterations need one positive count per fitting level, got \(maximumIterations)")
        }
        guard maximumIterations.count <= 10 else {
            throw bad("\(maximumIterations.count) fitting levels would double the control-point mesh \(maximumIterations.count - 1) times; at most 10 are allowed")
        }
        guard convergenceThreshold >= 0, convergenceThreshold.isFinite else {
            throw bad("the convergence threshold must be a non-negative number, got \(convergenceThreshold)")
        }
        let minimum = Self.splineOrder + 1
        guard controlPoints.x >= minimum, controlPoints.y >= minimum, controlPoints.z >= minimum else {
            throw bad("at least \(minimum) control points per axis are needed for cubic B-splines, got \(controlPoints.x),\(controlPoints.y),\(controlPoints.z)")
        }
        guard histogramBins >= 2 else { throw bad("at least 2 histogram bins are needed, got \(histogramBins)") }
        guard fullWidthAtHalfMaximum > 0, fullWidthAtHalfMaximum.isFinite else {
            throw bad("the FWHM must be positive, got \(fullWidthAtHalfMaximum)")
        }
        guard wienerNoise >= 0, wienerNoise.isFinite else { throw bad("the Wiener noise must be non-negative, got \(wienerNoise)") }
    }
}

/// What N4 produced: the corrected image and the log bias field at full resolution
/// (corrected = image / exp(field)), and how each fitting level ended.
public struct N4Result: Sendable {
    public var corrected: Volume
    public var logBiasField: Volume
    /// Iterations run per level.
    public var iterations: [Int]
    /// The last convergence measure per level (coefficient of variation of the field update).
    public var convergence: [Double]
    /// Voxels that entered the fit, on the shrunk grid.
    public var fittedVoxels: Int
    /// Voxels of the given mask left out because their intensity is not positive (N4 works on
    /// log intensities).
    public var nonPositiveInMask: Int
}
