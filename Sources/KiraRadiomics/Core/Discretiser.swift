/// Discretised grey levels on the ROI grid: 1…`greyLevels` inside the intensity mask, 0 outside.
public struct LevelGrid: Sendable {
    public let nx: Int, ny: Int, nz: Int
    public let levels: [Int32]
    /// Highest grey level (N_g); levels 1…N_g may include empty ones.
    public let greyLevels: Int

    @inline(__always) func index(_ x: Int, _ y: Int, _ z: Int) -> Int { (z * ny + y) * nx + x }
}

import KiraCore

/// The number of grey levels a discretisation gives, checked before anything is sized by it:
/// the texture matrices of the ROI are up to N_g × N_g doubles, and a tiny bin width (or a
/// huge bin count) would ask for terabytes, or overflow the Int32 levels.
public enum GreyLevelBudget {
    /// `levels`: the real-valued number of bins; `method`: how it came about, for the message.
    @discardableResult
    public static func check(_ levels: Double, _ method: String) throws -> Int {
        let what = "grey levels (\(method))"
        guard let n = AllocationBudget.count(levels.rounded(.up)), n < Int(Int32.max) else {
            throw KiraError.tooLarge(subject: what, reason: "\(levels) grey levels cannot be counted")
        }
        try AllocationBudget.check("\(what): \(n) levels; grey-level matrix", factors: [n, n], elementBytes: MemoryLayout<Double>.size,
                                   unit: "entries")
        return n
    }

    static func describe(_ method: Discretisation, lo: Double, hi: Double) -> String {
        switch method {
        case let .fixedBinNumber(bins): "bin count \(bins)"
        case let .fixedBinSize(width): "bin width \(width) over intensities \(lo)…\(hi)"
        }
    }
}

/// IBSI 2.7 discretisation of the intensity-mask voxels.
enum Discretiser {
    /// Levels for `roi` under `method`; `origin` is the fixed-bin-size bin origin
    /// (the re-segmentation lower bound when one is set, else the ROI minimum).
    static func discretise(_ roi: ROIGrid, method: Discretisation, origin: Double?) throws -> LevelGrid {
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<roi.count where roi.intensityMask[i] {
            let v = roi.intensities[i]
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        if lo <= hi {
            switch method {
            case let .fixedBinNumber(bins): try GreyLevelBudget.check(Double(bins), GreyLevelBudget.describe(method, lo: lo, hi: hi))
            case let .fixedBinSize(width):
                try GreyLevelBudget.check((hi - (origin ?? lo)) / width + 1, GreyLevelBudget.describe(method, lo: lo, hi: hi))
            }
        }
        var levels = [Int32](repeating: 0, count: roi.count)
        var maxLevel: Int32 = 1
        roi.intensities.withUnsafeBufferPointer { values in
            roi.intensityMask.withUnsafeBufferPointer { mask in
                levels.withUnsafeMutableBufferPointer { out in
                    switch method {
                    case let .fixedBinNumber(bins):
                        let range = hi - lo
                        for i in 0..<values.count where mask[i] {
                            // A constant ROI has one bin; the maximum falls in the last bin.
                            let l = range > 0 ? min(Int32((Double(bins) * (values[i] - lo) / range).rounded(.down)) + 1, Int32(bins)) : 1
                            out[i] = l
                            if l > maxLevel { maxLevel = l }
                        }
                    case let .fixedBinSize(width):
                        let start = origin ?? lo
                        for i in 0..<values.count where mask[i] {
                            let l = max(Int32(((values[i] - start) / width).rounded(.down)) + 1, 1)
                            out[i] = l
                            if l > maxLevel { maxLevel = l }
                        }
                    }
                }
            }
        }
        if case let .fixedBinNumber(bins) = method { maxLevel = max(maxLevel, Int32(bins)) }
        return LevelGrid(nx: roi.nx, ny: roi.ny, nz: roi.nz, levels: levels, greyLevels: Int(maxLevel))
    }
}
