import Foundation
import KiraCore

/// The between-group tests of a baseline-characteristics table ("Table 1"): Welch's t,
/// one-way ANOVA, Kruskal–Wallis, Pearson's χ² on a contingency table (Yates-corrected when
/// it has one degree of freedom) and Fisher's exact test on a 2×2 table. Each returns its
/// statistic and two-sided p in the conventions of scipy.stats, which tableone calls.
public enum GroupTests {
    public struct Result: Sendable, Codable, Equatable {
        public var statistic: Double
        public var p: Double
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

    static func variance(_ v: [Double]) -> Double {
        let m = mean(v)
        return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
    }

    /// Welch's unequal-variance t test of two samples (each with at least two values).
    public static func welchT(_ a: [Double], _ b: [Double]) -> Result {
        let na = Double(a.count), nb = Double(b.count)
        let va = variance(a) / na, vb = variance(b) / nb
        let t = (mean(a) - mean(b)) / (va + vb).squareRoot()
        let df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1))
        return Result(statistic: t, p: Distributions.studentTwoSidedP(t, df: df))
    }

    /// One-way ANOVA F test of k samples.
    public static func oneWayANOVA(_ groups: [[Double]]) -> Result {
        let all = groups.flatMap { $0 }
        let grand = mean(all)
        var between = 0.0, within = 0.0
        for g in groups {
            let m = mean(g)
            between += Double(g.count) * (m - grand) * (m - grand)
            within += g.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        }
        let d1 = Double(groups.count - 1), d2 = Double(all.count - groups.count)
        let f = (between / d1) / (within / d2)
        return Result(statistic: f, p: fSF(f, d1, d2))
    }

    /// P(F_{d1,d2} > f).
    public static func fSF(_ f: Double, _ d1: Double, _ d2: Double) -> Double {
        guard f.isFinite else { return f.isNaN ? .nan : 0 }
        guard f > 0 else { return 1 }
        return Distributions.betaI(d2 / (d2 + d1 * f), d2 / 2, d1 / 2)
    }

    /// Kruskal–Wallis H on mid-ranks, divided by the tie correction; χ² with k − 1 df.
    public static func kruskalWallis(_ groups: [[Double]]) -> Result {
        let all = groups.flatMap { $0 }
        let ranks = Ranks.midranks(all)
        let n = Double(all.count)
        var h = 0.0, start = 0
        for g in groups {
            let r = ranks[start..<(start + g.count)].reduce(0, +)
            h += r * r / Double(g.count)
            start += g.count
        }
        h = 12 / (n * (n + 1)) * h - 3 * (n + 1)
        let ties = 1 - Ranks.tieTerm(all) / (n * n * n - n)
        h /= ties
        return Result(statistic: h, p: Distributions.chiSquareSF(h, df: Double(groups.count - 1)))
    }

    /// Expected counts of a contingency table under independence.
    public static func expected(_ table: [[Double]]) -> [[Double]] {
        let rows = table.map { $0.reduce(0, +) }
        let cols = table[0].indices.map { c in table.reduce(0) { $0 + $1[c] } }
        let total = rows.reduce(0, +)
        return rows.map { r in cols.map { r * $0 / total } }
    }

    /// Pearson's χ² test of independence; with one degree of freedom each |O − E| is first
    /// reduced by min(0.5, |O − E|) (Yates), as scipy's chi2_contingency does by default.
    public static func chiSquare(_ table: [[Double]]) -> Result {
        let e = expected(table)
        let df = (table.count - 1) * (table[0].count - 1)
        var chi2 = 0.0
        for (orow, erow) in zip(table, e) {
            for (o, x) in zip(orow, erow) {
                var d = abs(o - x)
                if df == 1 { d -= min(0.5, d) }
                chi2 += d * d / x
            }
        }
        return Result(statistic: chi2, p: df == 0 ? 1 : Distributions.chiSquareSF(chi2, df: Double(df)))
    }

    /// Fisher's exact test on [[a, b], [c, d]]: the two-sided p sums the hypergeometric
    /// probabilities of the tables no more likely than the observed one (a relative slack of
    /// 1e-10, so that tables exactly as likely are not lost to the rounding of lgamma).
    /// Statistic: the sample odds ratio ad/bc (∞ when bc = 0); a zero margin gives p = 1.
    public static func fisherExact(_ t: [[Int]]) -> Result {
        let a = t[0][0], b = t[0][1], c = t[1][0], d = t[1][1]
        let row1 = a + b, col1 = a + c, n = a + b + c + d
        guard row1 > 0, col1 > 0, row1 < n, col1 < n else { return Result(statistic: .nan, p: 1) }
        let lo = max(0, col1 - (n - row1)), hi = min(row1, col1)
        func logPMF(_ k: Int) -> Double {
            logChoose(row1, k) + logChoose(n - row1, col1 - k) - logChoose(n, col1)
        }
        let observed = logPMF(a)
        var p = 0.0
        for k in lo...hi {
            let l = logPMF(k)
            if l <= observed + 1e-10 { p += exp(l) }
        }
        let ratio = b * c > 0 ? Double(a * d) / Double(b * c) : .infinity
        return Result(statistic: ratio, p: min(1, p))
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
