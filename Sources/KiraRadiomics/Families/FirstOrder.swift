import Dispatch
import Foundation

/// Sorted values and their moments, shared by intensity statistics (on intensities) and the
/// intensity histogram (on grey levels).
struct DistributionStats: Sendable {
    let sorted: [Double]
    let n: Double
    let mean: Double
    /// Central moments m2, m3, m4 (population).
    let m2: Double, m3: Double, m4: Double

    init(_ values: [Double]) {
        sorted = values.sorted()
        n = Double(values.count)
        var s = 0.0
        for v in values { s += v }
        let mean = s / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for v in values {
            let d = v - mean, d2 = d * d
            m2 += d2; m3 += d2 * d; m4 += d2 * d2
        }
        self.mean = mean
        self.m2 = m2 / n; self.m3 = m3 / n; self.m4 = m4 / n
    }

    var minimum: Double { sorted.first! }
    var maximum: Double { sorted.last! }

    /// Percentile with linear interpolation between order statistics (numpy's default,
    /// the one the IBSI reference implementations use).
    func percentile(_ q: Double) -> Double {
        let h = (n - 1) * q / 100
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    var median: Double { percentile(50) }

    /// Mean absolute deviation from `centre` over `values`.
    static func meanAbsoluteDeviation(_ values: ArraySlice<Double>, from centre: Double) -> Double {
        var s = 0.0
        for v in values { s += abs(v - centre) }
        return s / Double(values.count)
    }

    /// Robust mean absolute deviation: values within [P10, P90] about their own mean; nil when no
    /// value lies in that range, which interpolated percentiles allow for very few voxels
    /// (two voxels 0 and 10: P10 = 1, P90 = 9).
    var robustMeanAbsoluteDeviation: Double? {
        let p10 = percentile(10), p90 = percentile(90)
        let lo = sorted.firstIndex { $0 >= p10 } ?? 0
        let hi = sorted.lastIndex { $0 <= p90 } ?? sorted.count - 1
        guard lo <= hi else { return nil }
        let slice = sorted[lo...hi]
        let m = slice.reduce(0, +) / Double(slice.count)
        return Self.meanAbsoluteDeviation(slice, from: m)
    }

    var energy: Double { sorted.reduce(0) { $0 + $1 * $1 } }
}

/// Intensity histogram on the discretised grey levels (IBSI 3.4).
struct HistogramStats: Sendable {
    let distribution: DistributionStats
    /// Counts for levels 1…N_g.
    let counts: [Double]

    init(levels: [Double], greyLevels: Int) {
        distribution = DistributionStats(levels)
        var c = [Double](repeating: 0, count: greyLevels)
        for l in levels { c[Int(l) - 1] += 1 }
        counts = c
    }

    /// The most common level; ties go to the level closest to the mean, then the lower.
    var mode: Double {
        let top = counts.max() ?? 0
        var best = 0, bestGap = Double.infinity
        for (i, c) in counts.enumerated() where c == top {
            let gap = abs(Double(i + 1) - distribution.mean)
            if gap < bestGap { best = i; bestGap = gap }
        }
        return Double(best + 1)
    }

    var entropy: Double {
        var h = 0.0
        for c in counts where c > 0 { let p = c / distribution.n; h -= p * log2(p) }
        return h
    }

    var uniformity: Double { counts.reduce(0) { $0 + ($1 / distribution.n) * ($1 / distribution.n) } }

    /// Histogram gradient: one-sided at the first and last level, central elsewhere.
    var gradient: [Double] {
        let h = counts
        guard h.count > 1 else { return [0] }
        return (0..<h.count).map { i in
            if i == 0 { return h[1] - h[0] }
            if i == h.count - 1 { return h[i] - h[i - 1] }
            return (h[i + 1] - h[i - 1]) / 2
        }
    }
}

/// Intensity-volume histogram (IBSI 3.5).
struct IVHStats: Sendable {
    /// Distinct intensities in ascending order, and the fraction of the ROI volume at or above each.
    let intensities: [Double]
    let fractions: [Double]
    let minimum: Double, maximum: Double

    /// `values`: ROI intensities after any IVH discretisation; `step`: spacing of the
    /// intensity set; `range`: intensity range for the fractional intensity.
    init(values: [Double], step: Double, range: (Double, Double)) {
        let sorted = values.sorted()
        let n = Double(sorted.count)
        minimum = range.0; maximum = range.1
        // Every intensity between the range ends on the step grid, so absent intensities count.
        let steps = Int(((range.1 - range.0) / step).rounded()) + 1
        var ints: [Double] = [], fr: [Double] = []
        ints.reserveCapacity(steps); fr.reserveCapacity(steps)
        var k = 0
        for s in 0..<steps {
            let x = range.0 + Double(s) * step
            while k < sorted.count && sorted[k] < x - step * 1e-9 { k += 1 }
            ints.append(x); fr.append(1 - Double(k) / n)
        }
        intensities = ints; fractions = fr
    }

    /// V_x: volume fraction with an intensity of at least x % of the range.
    func volume(atPercent x: Double) -> Double {
        let threshold = minimum + x / 100 * (maximum - minimum)
        for (i, v) in intensities.enumerated() where v >= threshold - 1e-12 { return fractions[i] }
        return 0
    }

    /// I_x: lowest intensity whose volume fraction is at most x %.
    func intensity(atPercent x: Double) -> Double {
        for (i, f) in fractions.enumerated() where f <= x / 100 + 1e-12 { return intensities[i] }
        return maximum + (intensities.count > 1 ? intensities[1] - intensities[0] : 1)
    }

    var areaUnderCurve: Double {
        guard intensities.count > 1 else { return 0 }
        var a = 0.0
        for i in 1..<intensities.count {
            let g0 = (intensities[i - 1] - minimum) / (maximum - minimum)
            let g1 = (intensities[i] - minimum) / (maximum - minimum)
            a += (g1 - g0) * (fractions[i] + fractions[i - 1]) / 2
        }
        return a
    }
}

/// Local intensity peaks (IBSI 3.2): means over a 1 cm³ sphere around voxel centres,
/// using every image voxel in the sphere, inside the ROI or not.
enum LocalIntensity {
    static let radius = 10 * pow(3 / (4 * Double.pi), 1.0 / 3.0)

    /// The margin (voxels per axis) the ROI grid needs around the masks.
    static func margin(spacing: SIMD3<Double>) -> SIMD3<Int> {
        SIMD3(Int((radius / spacing.x).rounded(.up)), Int((radius / spacing.y).rounded(.up)), Int((radius / spacing.z).rounded(.up)))
    }

    static func peaks(_ roi: ROIGrid) -> (local: Double, global: Double) {
        let m = margin(spacing: roi.spacing)
        // The sphere as runs along x (one per (y, z) offset), in the order the offsets were
        // summed one by one before (z, then y, then x): the sums keep their rounding while each
        // run costs one bounds check and a contiguous loop.
        var runList: [(y: Int, z: Int, x0: Int, x1: Int)] = []
        for z in -m.z...m.z { for y in -m.y...m.y {
            var first: Int?, last = 0
            for x in -m.x...m.x {
                let d = SIMD3(Double(x), Double(y), Double(z)) * roi.spacing
                if (d * d).sum() <= radius * radius + 1e-9 { if first == nil { first = x }; last = x }
            }
            if let first { runList.append((y, z, first, last)) }
        } }
        let nx = roi.nx, ny = roi.ny, nz = roi.nz
        var peak = -Double.infinity
        for i in 0..<roi.count where roi.intensityMask[i] { peak = max(peak, roi.intensities[i]) }
        let runs = runList, maxIntensity = peak
        // Slabs of slices run on all cores; each keeps its own maxima.
        let slabs = min(nz, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount))
        let results = ConcurrentResults<SIMD2<Double>>(count: slabs)
        DispatchQueue.concurrentPerform(iterations: slabs) { slab in
            var local = -Double.infinity, global = -Double.infinity
            roi.intensities.withUnsafeBufferPointer { v in roi.intensityMask.withUnsafeBufferPointer { inside in
                for z in (nz * slab / slabs)..<(nz * (slab + 1) / slabs) { for y in 0..<ny { for x in 0..<nx {
                    let i = (z * ny + y) * nx + x
                    guard inside[i] else { continue }
                    var s = 0.0, c = 0
                    for r in runs {
                        let ay = y + r.y, az = z + r.z
                        guard ay >= 0, ay < ny, az >= 0, az < nz else { continue }
                        let lo = max(x + r.x0, 0), hi = min(x + r.x1, nx - 1)
                        guard lo <= hi else { continue }
                        let row = (az * ny + ay) * nx
                        for ax in lo...hi { s += v[row + ax] }
                        c += hi - lo + 1
                    }
                    let mean = s / Double(c)
                    global = max(global, mean)
                    if v[i] == maxIntensity { local = max(local, mean) }
                } } }
            } }
            results.set(slab, SIMD2(local, global))
        }
        var local = -Double.infinity, global = -Double.infinity
        for r in results.values { if let r { local = max(local, r.x); global = max(global, r.y) } }
        return (local, global)
    }
}
