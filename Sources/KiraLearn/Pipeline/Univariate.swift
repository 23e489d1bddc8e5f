import Foundation
import KiraCore

/// Two-class univariate tests of one feature (NaN-free columns).
public enum Univariate {
    /// Student's two-sample t-test with pooled variance (scipy's `ttest_ind` default); a
    /// feature constant within both classes gets p = 1.
    public static func tTestP(_ v: [Double], _ y: [Bool]) -> Double {
        var n1 = 0.0, n0 = 0.0, s1 = 0.0, s0 = 0.0
        for (x, c) in zip(v, y) { if c { n1 += 1; s1 += x } else { n0 += 1; s0 += x } }
        let m1 = s1 / n1, m0 = s0 / n0
        var q1 = 0.0, q0 = 0.0
        for (x, c) in zip(v, y) { if c { q1 += (x - m1) * (x - m1) } else { q0 += (x - m0) * (x - m0) } }
        let df = n1 + n0 - 2
        let sp2 = (q1 + q0) / df
        guard sp2 > 0, df > 0 else { return 1 }
        let t = (m1 - m0) / (sp2 * (1 / n1 + 1 / n0)).squareRoot()
        return Distributions.studentTwoSidedP(t, df: df)
    }

    /// Mann–Whitney U, normal approximation with tie and continuity corrections (scipy's
    /// `mannwhitneyu(method="asymptotic")`).
    public static func mannWhitneyP(_ v: [Double], _ y: [Bool]) -> Double {
        let r = Ranks.midranks(v)
        var n1 = 0.0, r1 = 0.0
        for (rank, c) in zip(r, y) where c { n1 += 1; r1 += rank }
        let n = Double(v.count), n0 = n - n1
        let u1 = r1 - n1 * (n1 + 1) / 2
        let u = max(u1, n1 * n0 - u1)
        let mu = n1 * n0 / 2
        let s = (n1 * n0 / 12 * ((n + 1) - Ranks.tieTerm(v) / (n * (n - 1)))).squareRoot()
        guard s > 0 else { return 1 }
        let z = (u - mu - 0.5) / s
        return min(1, max(0, erfc(z / 2.0.squareRoot())))
    }

    /// |AUC − ½| of the feature as a score: how well it separates the classes on its own.
    public static func relevance(_ v: [Double], _ y: [Bool]) -> Double {
        let r = Ranks.midranks(v)
        var n1 = 0.0, r1 = 0.0
        for (rank, c) in zip(r, y) where c { n1 += 1; r1 += rank }
        let n0 = Double(v.count) - n1
        guard n1 > 0, n0 > 0 else { return 0 }
        return abs((r1 - n1 * (n1 + 1) / 2) / (n1 * n0) - 0.5)
    }

    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let da = a[i] - ma, db = b[i] - mb
            sab += da * db; saa += da * da; sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return 0 }
        return sab / (saa * sbb).squareRoot()
    }

    /// One-way ANOVA F of two groups (the relevance term of mRMR's FCQ variant).
    public static func fStatistic(_ v: [Double], _ y: [Bool]) -> Double {
        var n1 = 0.0, n0 = 0.0, s1 = 0.0, s0 = 0.0
        for (x, c) in zip(v, y) { if c { n1 += 1; s1 += x } else { n0 += 1; s0 += x } }
        let m1 = s1 / n1, m0 = s0 / n0, m = (s1 + s0) / (n1 + n0)
        var within = 0.0
        for (x, c) in zip(v, y) { let d = x - (c ? m1 : m0); within += d * d }
        let between = n1 * (m1 - m) * (m1 - m) + n0 * (m0 - m) * (m0 - m)
        let dfw = n1 + n0 - 2
        guard within > 0 else { return between > 0 ? .greatestFiniteMagnitude : 0 }
        return between / (within / dfw)
    }
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: slow for large
/// matrices, but exact to rounding, which is what PCA's tests compare.
enum SymmetricEigen {
    /// Eigenvalues (descending) and eigenvectors (rows of the returned matrix, same order).
    static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<n where j < n { off += a[i * n + j] * a[i * n + j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where q < n {
                    let apq = a[p * n + q]
                    guard abs(apq) > 1e-300 else { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (r, c) in order.enumerated() { for k in 0..<n { vectors[r * n + k] = v[k * n + c] } }
        return (order.map { a[$0 * n + $0] }, vectors)
    }
}
