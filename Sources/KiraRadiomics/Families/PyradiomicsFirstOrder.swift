import Foundation

/// pyradiomics' feature names per class, in pyradiomics' (alphabetical) order, without the
/// deprecated ones it does not compute by default.
public enum PyradiomicsNames {
    public static let firstOrder = ["10Percentile", "90Percentile", "Energy", "Entropy", "InterquartileRange", "Kurtosis", "Maximum",
                                    "MeanAbsoluteDeviation", "Mean", "Median", "Minimum", "Range", "RobustMeanAbsoluteDeviation",
                                    "RootMeanSquared", "Skewness", "TotalEnergy", "Uniformity", "Variance"]
    public static let glcm = ["Autocorrelation", "ClusterProminence", "ClusterShade", "ClusterTendency", "Contrast", "Correlation",
                              "DifferenceAverage", "DifferenceEntropy", "DifferenceVariance", "Id", "Idm", "Idmn", "Idn", "Imc1", "Imc2",
                              "InverseVariance", "JointAverage", "JointEnergy", "JointEntropy", "MCC", "MaximumProbability",
                              "SumAverage", "SumEntropy", "SumSquares"]
    public static let glrlm = ["GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized", "GrayLevelVariance", "HighGrayLevelRunEmphasis",
                               "LongRunEmphasis", "LongRunHighGrayLevelEmphasis", "LongRunLowGrayLevelEmphasis", "LowGrayLevelRunEmphasis",
                               "RunEntropy", "RunLengthNonUniformity", "RunLengthNonUniformityNormalized", "RunPercentage", "RunVariance",
                               "ShortRunEmphasis", "ShortRunHighGrayLevelEmphasis", "ShortRunLowGrayLevelEmphasis"]
    public static let glszm = ["GrayLevelNonUniformity", "GrayLevelNonUniformityNormalized", "GrayLevelVariance", "HighGrayLevelZoneEmphasis",
                               "LargeAreaEmphasis", "LargeAreaHighGrayLevelEmphasis", "LargeAreaLowGrayLevelEmphasis", "LowGrayLevelZoneEmphasis",
                               "SizeZoneNonUniformity", "SizeZoneNonUniformityNormalized", "SmallAreaEmphasis", "SmallAreaHighGrayLevelEmphasis",
                               "SmallAreaLowGrayLevelEmphasis", "ZoneEntropy", "ZonePercentage", "ZoneVariance"]
    public static let gldm = ["DependenceEntropy", "DependenceNonUniformity", "DependenceNonUniformityNormalized", "DependenceVariance",
                              "GrayLevelNonUniformity", "GrayLevelVariance", "HighGrayLevelEmphasis", "LargeDependenceEmphasis",
                              "LargeDependenceHighGrayLevelEmphasis", "LargeDependenceLowGrayLevelEmphasis", "LowGrayLevelEmphasis",
                              "SmallDependenceEmphasis", "SmallDependenceHighGrayLevelEmphasis", "SmallDependenceLowGrayLevelEmphasis"]
    public static let ngtdm = ["Busyness", "Coarseness", "Complexity", "Contrast", "Strength"]
    public static let shape = ["Elongation", "Flatness", "LeastAxisLength", "MajorAxisLength", "Maximum2DDiameterColumn",
                               "Maximum2DDiameterRow", "Maximum2DDiameterSlice", "Maximum3DDiameter", "MeshVolume", "MinorAxisLength",
                               "Sphericity", "SurfaceArea", "SurfaceVolumeRatio", "VoxelVolume"]
    public static let shape2D = ["Elongation", "MajorAxisLength", "MaximumDiameter", "MeshSurface", "MinorAxisLength", "Perimeter",
                                 "PerimeterSurfaceRatio", "PixelSurface", "Sphericity"]

    /// Default (non-deprecated) features of a class.
    public static func defaults(_ featureClass: String) -> [String] {
        switch featureClass {
        case "firstorder": firstOrder
        case "glcm": glcm
        case "glrlm": glrlm
        case "glszm": glszm
        case "gldm": gldm
        case "ngtdm": ngtdm
        case "shape": shape
        case "shape2D": shape2D
        default: []
        }
    }
}

/// pyradiomics' discretisation: fixed bin width with edges at multiples of the width (the
/// lowest edge at or below the ROI minimum), or fixed bin count over [min, max] with the top
/// edge raised by 1; a value v falls in bin k when edge[k−1] ≤ v < edge[k] (numpy.digitize).
public enum PyradiomicsBinning {
    /// The bin edges numpy computes for `values` (non-empty).
    public static func edges(_ values: [Double], method: Discretisation) throws -> [Double] {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values { lo = min(lo, v); hi = max(hi, v) }
        switch method {
        case let .fixedBinNumber(bins):
            // numpy.histogram: linspace(min, max, bins + 1) (±0.5 around a constant), last edge + 1.
            try GreyLevelBudget.check(Double(bins), GreyLevelBudget.describe(method, lo: lo, hi: hi))
            var first = lo, last = hi
            if first == last { first -= 0.5; last += 0.5 }
            let step = (last - first) / Double(bins)
            var e = (0...bins).map { Double($0) * step + first }
            e[bins] = last + 1
            return e
        case let .fixedBinSize(width):
            // Python's floor modulo; numpy.arange fills start + i·(delta) with delta = (start + w) − start.
            let r = lo.truncatingRemainder(dividingBy: width)
            let mod = (r != 0 && (r < 0) != (width < 0)) ? r + width : r
            let low = lo - mod
            let high = hi + 2 * width
            let count = try GreyLevelBudget.check((high - low) / width, GreyLevelBudget.describe(method, lo: lo, hi: hi))
            let delta = (low + width) - low
            var e = (0..<max(count, 1)).map { low + Double($0) * delta }
            if count >= 2 { e[1] = low + width }
            if e.count == 1 { e = [e[0] - 0.5, e[0] + 0.5] }
            return e
        }
    }

    /// numpy.digitize(v, edges): the number of edges ≤ v.
    @inline(__always) public static func digitize(_ v: Double, _ e: [Double]) -> Int {
        var lo = 0, hi = e.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if e[mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// pyradiomics' first-order statistics of the ROI intensities (population moments, numpy's
/// linear percentiles, kurtosis without −3, entropy and uniformity of the discretised levels,
/// energy on intensities shifted by `voxelArrayShift`).
public enum PyradiomicsFirstOrder {
    /// numpy.percentile's default (linear) rule on sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let n = sorted.count
        let index = Double(n - 1) * (q / 100)
        let below = Int(index.rounded(.down))
        let t = index - Double(below)
        if below + 1 >= n { return sorted[n - 1] }
        let a = sorted[below], b = sorted[below + 1]
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }

    public static func features(values: [Double], levels: [Int32], shift: Double, voxelVolume: Double) -> [String: Double] {
        let n = Double(values.count)
        let sorted = values.sorted()
        let mean = values.reduce(0, +) / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0, mad = 0.0, energy = 0.0
        for v in values {
            let d = v - mean
            m2 += d * d; m3 += d * d * d; m4 += d * d * d * d
            mad += abs(d)
            energy += (v + shift) * (v + shift)
        }
        m2 /= n; m3 /= n; m4 /= n; mad /= n
        let p10 = percentile(sorted, 10), p90 = percentile(sorted, 90)
        let robust = values.filter { $0 >= p10 && $0 <= p90 }
        let robustMean = robust.reduce(0, +) / Double(robust.count)
        let rmad = robust.reduce(0) { $0 + abs($1 - robustMean) } / Double(robust.count)
        var counts: [Int32: Double] = [:]
        for l in levels { counts[l, default: 0] += 1 }
        let p = counts.keys.sorted().map { counts[$0]! / n }
        let median = n.truncatingRemainder(dividingBy: 2) == 1
            ? sorted[values.count / 2] : (sorted[values.count / 2 - 1] + sorted[values.count / 2]) / 2
        let flat = m2 == 0
        return [
            "10Percentile": p10, "90Percentile": p90,
            "Energy": energy, "TotalEnergy": energy * voxelVolume,
            "Entropy": -p.reduce(0) { $0 + $1 * log2($1 + Double.ulpOfOne) },
            "InterquartileRange": percentile(sorted, 75) - percentile(sorted, 25),
            "Kurtosis": flat ? 0 : m4 / (m2 * m2),
            "Skewness": flat ? 0 : m3 / pow(m2, 1.5),
            "Maximum": sorted.last!, "Minimum": sorted.first!, "Range": sorted.last! - sorted.first!,
            "Mean": mean, "Median": median,
            "MeanAbsoluteDeviation": mad, "RobustMeanAbsoluteDeviation": rmad,
            "RootMeanSquared": (energy / n).squareRoot(),
            "Uniformity": p.reduce(0) { $0 + $1 * $1 },
            "Variance": m2, "StandardDeviation": m2.squareRoot(),
        ]
    }
}
