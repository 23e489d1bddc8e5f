import KiraCore

/// Re-segmentation removes voxels from the intensity mask by their intensity; the
/// morphological mask is left alone (IBSI 2.5).
public enum Resegmentation {
    /// Keeps intensity-mask voxels with lower ≤ value ≤ upper (either bound may be open).
    public static func range(_ image: Volume, _ masks: inout ROIMasks, lower: Double?, upper: Double?) {
        let lo = lower ?? -.infinity, hi = upper ?? .infinity
        for i in masks.intensity.indices where masks.intensity[i] != 0 {
            let v = image.voxels[i]
            if v < lo || v > hi { masks.intensity[i] = 0 }
        }
    }

    /// Keeps intensity-mask voxels within mean ± `sigmas`·σ of the intensity-mask voxels
    /// (population standard deviation). Returns the bounds used.
    @discardableResult
    public static func outliers(_ image: Volume, _ masks: inout ROIMasks, sigmas: Double = 3) -> ClosedRange<Double>? {
        var n = 0.0, mean = 0.0, m2 = 0.0
        for i in masks.intensity.indices where masks.intensity[i] != 0 {
            let v = image.voxels[i]
            n += 1
            let d = v - mean
            mean += d / n
            m2 += d * (v - mean)
        }
        guard n > 0 else { return nil }
        let sd = (m2 / n).squareRoot()
        let bounds = (mean - sigmas * sd)...(mean + sigmas * sd)
        range(image, &masks, lower: bounds.lowerBound, upper: bounds.upperBound)
        return bounds
    }
}
