import CKiraKernels
import Foundation

/// pyradiomics' texture classes: the matrices after its post-processing (empty grey levels,
/// sizes and angles removed, symmetry, angle weighting) and the formulas of pyradiomics 3.x,
/// which use the grey-level values themselves and average directional features over angles
/// (skipping undefined ones, as numpy's nanmean does).
public enum PyradiomicsTexture {
    static let eps = Double.ulpOfOne

    /// Options of the texture classes (pyradiomics `setting:` keys).
    public struct Options: Sendable {
        public var distances: [Int] = [1]
        public var force2D = false
        public var force2DDimension = 0
        public var symmetricalGLCM = true
        public var weightingNorm: WeightingNorm?
        public var gldmAlpha = 0
        /// Spacing in numpy order (z, y, x), for angle weighting.
        public var spacingZYX: SIMD3<Double> = [1, 1, 1]
        public init() {}
    }

    // MARK: Matrices

    /// A matrix per angle, rows × cols, row-major; `rowValues` are the grey levels of the
    /// rows, `colValues` the run lengths/sizes/dependences of the columns (GLCM: grey levels).
    public struct Matrices: Sendable {
        public var rowValues: [Double]
        public var colValues: [Double]
        /// [angle][row * cols + col]
        public var perAngle: [[Double]]
        public var rows: Int { rowValues.count }
        public var cols: Int { colValues.count }
    }

    static func weight(_ a: SIMD3<Int>, _ norm: WeightingNorm, spacing: SIMD3<Double>, glcm: Bool) -> Double {
        let d = SIMD3(Double(abs(a[0])), Double(abs(a[1])), Double(abs(a[2]))) * spacing
        switch norm {
        case .infinity: let m = max(d[0], d[1], d[2]); return glcm ? exp(-m * m) : m
        case .euclidean: let e = (d * d).sum(); return glcm ? exp(-e) : e.squareRoot()
        case .manhattan: let s = d.sum(); return glcm ? exp(-s * s) : s
        case .noWeighting: return 1
        }
    }

    /// Keeps the rows (and for square matrices the columns) of the present grey levels.
    static func keepLevels(_ m: [Double], ng: Int, cols: Int, present: [Int], square: Bool) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(present.count * (square ? present.count : cols))
        for i in present {
            if square { for j in present { out.append(m[(i - 1) * cols + j - 1]) } }
            else { out.append(contentsOf: m[((i - 1) * cols)..<(i * cols)]) }
        }
        return out
    }

    /// Sums the angles with pyradiomics' weights into one matrix.
    static func weighted(_ perAngle: [[Double]], angles: [SIMD3<Int>], _ o: Options, glcm: Bool) -> [[Double]] {
        guard let norm = o.weightingNorm else { return perAngle }
        var sum = [Double](repeating: 0, count: perAngle.first?.count ?? 0)
        for (a, m) in zip(angles, perAngle) {
            let w = weight(a, norm, spacing: o.spacingZYX, glcm: glcm)
            for k in sum.indices { sum[k] += m[k] * w }
        }
        return [sum]
    }

    /// Drops angles whose matrix is empty when there is more than one.
    static func dropEmptyAngles(_ perAngle: [[Double]]) -> [[Double]] {
        guard perAngle.count > 1 else { return perAngle }
        let kept = perAngle.filter { $0.contains { $0 != 0 } }
        return kept
    }

    /// GLCM per angle, normalised (an empty single angle stays NaN), rows/cols the present levels.
    public static func glcm(_ g: PyradiomicsLevels, _ o: Options) -> Matrices {
        let angles = PyradiomicsAngles.generate(shape: g.shape, distances: o.distances, force2D: o.force2D, force2DDimension: o.force2DDimension)
        let raw = PyradiomicsCounter.glcm(g, angles: angles)
        let n = g.present.count
        var per = raw.map { keepLevels($0, ng: g.ng, cols: g.ng, present: g.present, square: true) }
        if o.symmetricalGLCM {
            per = per.map { m in
                var s = m
                for i in 0..<n { for j in 0..<n { s[i * n + j] = m[i * n + j] + m[j * n + i] } }
                return s
            }
        }
        per = dropEmptyAngles(weighted(per, angles: angles, o, glcm: true))
        per = per.map { m in
            let total = m.reduce(0, +)
            return total == 0 ? m.map { _ in .nan } : m.map { $0 / total }
        }
        let values = g.present.map(Double.init)
        return Matrices(rowValues: values, colValues: values, perAngle: per)
    }

    /// GLRLM per angle (counts), rows the present levels, columns the run lengths present in any angle.
    public static func glrlm(_ g: PyradiomicsLevels, _ o: Options) -> Matrices {
        let angles = PyradiomicsAngles.generate(shape: g.shape, distances: [1], force2D: o.force2D, force2DDimension: o.force2DDimension)
        let maxRun = max(g.nx, g.ny, g.nz)
        let raw = PyradiomicsCounter.glrlm(g, angles: angles, maxRun: maxRun)
        var per = raw.map { keepLevels($0, ng: g.ng, cols: maxRun, present: g.present, square: false) }
        per = dropEmptyAngles(weighted(per, angles: angles, o, glcm: false))
        return dropEmptyColumns(Matrices(rowValues: g.present.map(Double.init), colValues: (1...maxRun).map(Double.init), perAngle: per))
    }

    /// Removes columns that are zero in every angle.
    static func dropEmptyColumns(_ m: Matrices) -> Matrices {
        let keep = (0..<m.cols).filter { c in m.perAngle.contains { a in (0..<m.rows).contains { a[$0 * m.cols + c] != 0 } } }
        let per = m.perAngle.map { a in (0..<m.rows).flatMap { r in keep.map { a[r * m.cols + $0] } } }
        return Matrices(rowValues: m.rowValues, colValues: keep.map { m.colValues[$0] }, perAngle: per)
    }

    /// GLSZM (one matrix), rows the present levels, columns the zone sizes present.
    public static func glszm(_ g: PyradiomicsLevels, _ o: Options) -> Matrices {
        let angles = PyradiomicsAngles.generate(shape: g.shape, distances: [1], force2D: o.force2D, force2DDimension: o.force2DDimension)
        let zones = PyradiomicsCounter.zones(g, angles: angles)
        let maxSize = zones.map(\.size).max() ?? 1
        var m = [Double](repeating: 0, count: g.ng * maxSize)
        for z in zones { m[(z.level - 1) * maxSize + z.size - 1] += 1 }
        let kept = keepLevels(m, ng: g.ng, cols: maxSize, present: g.present, square: false)
        return dropEmptyColumns(Matrices(rowValues: g.present.map(Double.init), colValues: (1...maxSize).map(Double.init), perAngle: [kept]))
    }

    /// GLDM (one matrix), rows the present levels, columns the dependence sizes (1 + dependent neighbours) present.
    public static func gldm(_ g: PyradiomicsLevels, _ o: Options) -> Matrices {
        let angles = PyradiomicsAngles.generate(shape: g.shape, distances: o.distances, force2D: o.force2D, force2DDimension: o.force2DDimension)
        let width = 2 * angles.count + 1
        let m = PyradiomicsCounter.gldm(g, angles: angles, alpha: o.gldmAlpha)
        let kept = keepLevels(m, ng: g.ng, cols: width, present: g.present, square: false)
        return dropEmptyColumns(Matrices(rowValues: g.present.map(Double.init), colValues: (1...width).map(Double.init), perAngle: [kept]))
    }

    /// NGTDM rows (n_i, s_i, i) of the levels with voxels, as pyradiomics' P_ngtdm.
    public static func ngtdm(_ g: PyradiomicsLevels, _ o: Options) -> [(n: Double, s: Double, level: Double)] {
        let angles = PyradiomicsAngles.generate(shape: g.shape, distances: o.distances, force2D: o.force2D, force2DDimension: o.force2DDimension)
        let (n, s) = PyradiomicsCounter.ngtdm(g, angles: angles)
        return (0..<g.ng).compactMap { n[$0] > 0 ? (n[$0], s[$0], Double($0 + 1)) : nil }
    }

    // MARK: Features

    /// numpy's nanmean: NaNs left out; NaN when nothing is left.
    static func nanmean(_ xs: [Double]) -> Double {
        var s = 0.0, n = 0
        for x in xs where !x.isNaN { s += x; n += 1 }
        return n == 0 ? .nan : s / Double(n)
    }

    /// −∑ p log2(p + eps). A zero p would add 0 · log2(eps) = −0, which changes no sum, so
    /// zeros are skipped (sparse matrices have many).
    static func entropy(_ p: [Double]) -> Double {
        var s = 0.0
        for x in p where x != 0 { s += x * log2(x + eps) }
        return -s
    }

    public static func glcmFeatures(_ m: Matrices, ng: Int) -> [String: Double] {
        let v = m.rowValues, n = m.rows
        let ngD = Double(ng)
        var per: [String: [Double]] = [:]
        func put(_ k: String, _ x: Double) { per[k, default: []].append(x) }
        var uxs: [Double] = []
        for p in m.perAngle {
            var px = [Double](repeating: 0, count: n), py = [Double](repeating: 0, count: n)
            var ux = 0.0, uy = 0.0
            for i in 0..<n { for j in 0..<n {
                let x = p[i * n + j]
                px[i] += x; py[j] += x
                ux += v[i] * x; uy += v[j] * x
            } }
            uxs.append(ux)
            var sum = [Double](repeating: 0, count: max(2 * ng - 1, 1)), diff = [Double](repeating: 0, count: max(ng, 1))
            var hxy = 0.0, auto = 0.0, cp = 0.0, cs = 0.0, ct = 0.0, contrast = 0.0, sigx = 0.0, sigy = 0.0, corm = 0.0
            var energy = 0.0, maxP = -Double.infinity, ss = 0.0
            for i in 0..<n { for j in 0..<n {
                let x = p[i * n + j]
                let s = Int(v[i] + v[j]) - 2, d = Int(abs(v[i] - v[j]))
                if s >= 0 && s < sum.count { sum[s] += x }
                if d < diff.count { diff[d] += x }
                if x != 0 { hxy -= x * log2(x + eps) }
                auto += x * v[i] * v[j]
                let c = v[i] + v[j] - ux - uy
                ct += x * c * c; cs += x * c * c * c; cp += x * c * c * c * c
                contrast += x * (v[i] - v[j]) * (v[i] - v[j])
                sigx += x * (v[i] - ux) * (v[i] - ux); sigy += x * (v[j] - uy) * (v[j] - uy)
                corm += x * (v[i] - ux) * (v[j] - uy)
                energy += x * x
                maxP = max(maxP, x)
                ss += x * (v[i] - ux) * (v[i] - ux)
            } }
            sigx = sigx.squareRoot(); sigy = sigy.squareRoot()
            put("Autocorrelation", auto)
            put("ClusterProminence", cp); put("ClusterShade", cs); put("ClusterTendency", ct)
            put("Contrast", contrast)
            put("Correlation", sigx * sigy == 0 ? 1 : corm / (sigx * sigy + eps))
            var diffAvg = 0.0, idm = 0.0, idmn = 0.0, id = 0.0, idn = 0.0, inv = 0.0
            for (k, x) in diff.enumerated() {
                let kk = Double(k)
                diffAvg += kk * x
                idm += x / (1 + kk * kk); idmn += x / (1 + kk * kk / (ngD * ngD))
                id += x / (1 + kk); idn += x / (1 + kk / ngD)
                if k > 0 { inv += x / (kk * kk) }
            }
            put("DifferenceAverage", diffAvg)
            put("DifferenceEntropy", entropy(diff))
            put("DifferenceVariance", diff.enumerated().reduce(0) { $0 + $1.element * (Double($1.offset) - diffAvg) * (Double($1.offset) - diffAvg) })
            put("JointEnergy", energy); put("JointEntropy", hxy)
            let hx = entropy(px), hy = entropy(py)
            // log2(px(i)·py(j) + eps) for every pair: with a symmetric GLCM px = py, so the
            // table is symmetric and half of it is computed. The sums then run in the same
            // order as before (same rounding).
            let symmetric = px == py
            var logs = [Double](repeating: 0, count: n * n)
            logs.withUnsafeMutableBufferPointer { l in
                for i in 0..<n { for j in (symmetric ? i : 0)..<n {
                    let x = log2(px[i] * py[j] + eps)
                    l[i * n + j] = x
                    if symmetric { l[j * n + i] = x }
                } }
            }
            var hxy1 = 0.0, hxy2 = 0.0
            for i in 0..<n { for j in 0..<n {
                let l = logs[i * n + j]
                hxy1 -= p[i * n + j] * l
                hxy2 -= px[i] * py[j] * l
            } }
            let div = max(hx, hy)
            put("Imc1", div == 0 ? 0 : (hxy - hxy1) / div)
            put("Imc2", hxy2 == hxy ? 0 : (1 - exp(-2 * (hxy2 - hxy))).squareRoot())
            put("Idm", idm); put("Idmn", idmn); put("Id", id); put("Idn", idn)
            put("InverseVariance", inv)
            put("MaximumProbability", maxP)
            put("SumAverage", sum.enumerated().reduce(0) { $0 + Double($1.offset + 2) * $1.element })
            put("SumEntropy", entropy(sum))
            put("SumSquares", ss)
            put("MCC", n < 2 ? 1 : mcc(p, px: px, py: py, n: n))
        }
        var out = per.mapValues(nanmean)
        // Joint average is numpy's plain mean over angles.
        out["JointAverage"] = uxs.isEmpty ? .nan : uxs.reduce(0, +) / Double(uxs.count)
        return out
    }

    /// Maximal correlation coefficient: √ of the second-largest eigenvalue of
    /// Q = Dx⁻¹ P Dy⁻¹ Pᵀ, taken from the similar symmetric matrix M Mᵀ, M = Dx^-½ P Dy^-½.
    static func mcc(_ p: [Double], px: [Double], py: [Double], n: Int) -> Double {
        if p.contains(where: \.isNaN) { return .nan }
        var mm = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n where px[i] > 0 && py[k] > 0 { mm[i * n + k] = p[i * n + k] / (px[i] * py[k]).squareRoot() } }
        var mt = [Double](repeating: 0, count: n * n), s = [Double](repeating: 0, count: n * n)
        kira_gram(mm, n, &mt, &s)
        let e = SymmetricEigen.eigenvalues(s, n: n).sorted()
        return max(e[n - 2], 0).squareRoot()
    }

    /// Features of a grey level × j matrix family (GLRLM per angle; GLSZM, GLDM one matrix).
    public static func runFeatures(_ m: Matrices, names: RunNames) -> [String: Double] {
        let v = m.rowValues, j = m.colValues, r = m.rows, c = m.cols
        var per: [String: [Double]] = [:]
        func put(_ k: String, _ x: Double) { per[k, default: []].append(x) }
        for p in m.perAngle {
            var total = p.reduce(0, +)
            if names.emptyAsOne && total == 0 { total = 1 }
            if !names.emptyAsOne && total == 0 { total = .nan }
            var pr = [Double](repeating: 0, count: c), pg = [Double](repeating: 0, count: r)
            var srlge = 0.0, srhge = 0.0, lrlge = 0.0, lrhge = 0.0, ent = 0.0
            for a in 0..<r { for b in 0..<c {
                let x = p[a * c + b]
                pr[b] += x; pg[a] += x
                let vi = v[a] * v[a], jj = j[b] * j[b]
                srlge += x / (vi * jj); srhge += x * vi / jj; lrlge += x * jj / vi; lrhge += x * vi * jj
                let q = x / total
                if q != 0 { ent -= q * log2(q + eps) }  // as in entropy(_:); a NaN q still counts
            } }
            put(names.small, pr.enumerated().reduce(0) { $0 + $1.element / (j[$1.offset] * j[$1.offset]) } / total)
            put(names.large, pr.enumerated().reduce(0) { $0 + $1.element * j[$1.offset] * j[$1.offset] } / total)
            put("GrayLevelNonUniformity", pg.reduce(0) { $0 + $1 * $1 } / total)
            put("GrayLevelNonUniformityNormalized", pg.reduce(0) { $0 + $1 * $1 } / (total * total))
            put(names.nonUniformity, pr.reduce(0) { $0 + $1 * $1 } / total)
            put(names.nonUniformity + "Normalized", pr.reduce(0) { $0 + $1 * $1 } / (total * total))
            let np = pr.enumerated().reduce(0) { $0 + $1.element * j[$1.offset] }
            if let perc = names.percentage { put(perc, total / (names.emptyAsOne && np == 0 ? 1 : np)) }
            let ui = pg.enumerated().reduce(0) { $0 + $1.element / total * v[$1.offset] }
            put("GrayLevelVariance", pg.enumerated().reduce(0) { $0 + $1.element / total * (v[$1.offset] - ui) * (v[$1.offset] - ui) })
            let uj = pr.enumerated().reduce(0) { $0 + $1.element / total * j[$1.offset] }
            put(names.variance, pr.enumerated().reduce(0) { $0 + $1.element / total * (j[$1.offset] - uj) * (j[$1.offset] - uj) })
            put(names.entropy, ent)
            put(names.lowGrey, pg.enumerated().reduce(0) { $0 + $1.element / (v[$1.offset] * v[$1.offset]) } / total)
            put(names.highGrey, pg.enumerated().reduce(0) { $0 + $1.element * v[$1.offset] * v[$1.offset] } / total)
            put(names.small + "LowGrayLevelEmphasis", srlge / total)
            put(names.small + "HighGrayLevelEmphasis", srhge / total)
            put(names.large + "LowGrayLevelEmphasis", lrlge / total)
            put(names.large + "HighGrayLevelEmphasis", lrhge / total)
        }
        return per.mapValues(nanmean).reduce(into: [:]) { out, kv in
            // "ShortRunEmphasisLowGray…" → pyradiomics' "ShortRunLowGray…".
            out[names.fix(kv.key)] = kv.value
        }
    }

    /// Feature names of one grey level × j family.
    public struct RunNames: Sendable {
        var small: String, large: String, nonUniformity: String, percentage: String?, variance: String, entropy: String
        var lowGrey: String, highGrey: String
        /// GLSZM/GLDM divide by max(N, 1); GLRLM marks an empty angle NaN.
        var emptyAsOne: Bool
        var stems: [(String, String)]
        func fix(_ k: String) -> String {
            for (from, to) in stems where k.hasPrefix(from) && k.count > from.count { return to + k.dropFirst(from.count) }
            return k
        }

        static let glrlm = RunNames(small: "ShortRunEmphasis", large: "LongRunEmphasis", nonUniformity: "RunLengthNonUniformity",
                                    percentage: "RunPercentage", variance: "RunVariance", entropy: "RunEntropy",
                                    lowGrey: "LowGrayLevelRunEmphasis", highGrey: "HighGrayLevelRunEmphasis", emptyAsOne: false,
                                    stems: [("ShortRunEmphasis", "ShortRun"), ("LongRunEmphasis", "LongRun")])
        static let glszm = RunNames(small: "SmallAreaEmphasis", large: "LargeAreaEmphasis", nonUniformity: "SizeZoneNonUniformity",
                                    percentage: "ZonePercentage", variance: "ZoneVariance", entropy: "ZoneEntropy",
                                    lowGrey: "LowGrayLevelZoneEmphasis", highGrey: "HighGrayLevelZoneEmphasis", emptyAsOne: true,
                                    stems: [("SmallAreaEmphasis", "SmallArea"), ("LargeAreaEmphasis", "LargeArea")])
        static let gldm = RunNames(small: "SmallDependenceEmphasis", large: "LargeDependenceEmphasis", nonUniformity: "DependenceNonUniformity",
                                   percentage: nil, variance: "DependenceVariance", entropy: "DependenceEntropy",
                                   lowGrey: "LowGrayLevelEmphasis", highGrey: "HighGrayLevelEmphasis", emptyAsOne: true,
                                   stems: [("SmallDependenceEmphasis", "SmallDependence"), ("LargeDependenceEmphasis", "LargeDependence")])
    }

    public static func ngtdmFeatures(_ rows: [(n: Double, s: Double, level: Double)]) -> [String: Double] {
        let nvp = rows.reduce(0) { $0 + $1.n }
        let p = rows.map { $0.n / nvp }, s = rows.map(\.s), v = rows.map(\.level)
        let k = rows.count
        let ps = zip(p, s).reduce(0) { $0 + $1.0 * $1.1 }
        let sumS = s.reduce(0, +)
        var pair = 0.0, busyDen = 0.0, complexity = 0.0, strength = 0.0
        for i in 0..<k { for j in 0..<k {
            let d = v[i] - v[j]
            pair += p[i] * p[j] * d * d
            busyDen += abs(v[i] * p[i] - v[j] * p[j])
            let den = p[i] + p[j]
            complexity += abs(d) * (p[i] * s[i] + p[j] * s[j]) / (den == 0 ? 1 : den)
            strength += (p[i] + p[j]) * d * d
        } }
        let ngp = Double(p.filter { $0 > 0 }.count)
        let div = ngp * (ngp - 1)
        return [
            "Coarseness": ps != 0 ? 1 / ps : 1e6,
            "Contrast": div != 0 ? pair * sumS / nvp / div : 0,
            "Busyness": busyDen != 0 ? ps / busyDen : 0,
            "Complexity": complexity / nvp,
            "Strength": sumS != 0 ? strength / sumS : 0,
        ]
    }
}

/// Eigenvalues of a real symmetric matrix (its lower triangle is read), unsorted.
enum SymmetricEigen {
    static func eigenvalues(_ matrix: [Double], n: Int) -> [Double] {
        var a = matrix
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        kira_symmetric_eigenvalues(&a, n, &d, &e)
        return d
    }
}
