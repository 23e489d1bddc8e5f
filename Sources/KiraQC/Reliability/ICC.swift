import Foundation
import KiraCore

/// The six intraclass correlation forms of Shrout & Fleiss (1979) in McGraw & Wong's (1996)
/// terms; names follow pingouin's `intraclass_corr` rows in the same order.
public enum ICCForm: String, CaseIterable, Sendable, Codable {
    /// One-way random effects, single rater: ICC(1,1).
    case icc1 = "ICC1"
    /// Two-way random effects, absolute agreement, single rater: ICC(2,1) = ICC(A,1).
    case icc2 = "ICC2"
    /// Two-way mixed effects, consistency, single rater: ICC(3,1) = ICC(C,1).
    case icc3 = "ICC3"
    /// One-way random, mean of k raters: ICC(1,k).
    case icc1k = "ICC1k"
    /// Two-way random, absolute agreement, mean of k raters: ICC(2,k) = ICC(A,k).
    case icc2k = "ICC2k"
    /// Two-way mixed, consistency, mean of k raters: ICC(3,k) = ICC(C,k).
    case icc3k = "ICC3k"

    /// Accepts the names above in any letter case.
    public init?(name: String) {
        guard let f = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = f
    }

    public var description: String {
        switch self {
        case .icc1: "single raters, absolute (one-way random)"
        case .icc2: "single random raters, absolute agreement (two-way random)"
        case .icc3: "single fixed raters, consistency (two-way mixed)"
        case .icc1k: "average of raters, absolute (one-way random)"
        case .icc2k: "average of random raters, absolute agreement (two-way random)"
        case .icc3k: "average of fixed raters, consistency (two-way mixed)"
        }
    }
}

/// One ICC form with its F test and 95% confidence interval.
public struct ICCEstimate: Sendable, Equatable {
    public var form: ICCForm
    public var icc: Double
    /// F statistic; +infinity when the residual mean square is exactly 0 (perfect agreement).
    public var f: Double
    public var df1: Double
    public var df2: Double
    public var p: Double
    /// nil when the bounds are not finite (a zero residual or within-target mean square).
    public var ci95: ClosedRange<Double>?
}

/// All six forms for one ratings matrix.
public struct ICCResult: Sendable {
    /// Targets used (complete ones) and raters.
    public var targets: Int
    public var raters: Int
    /// Targets left out because at least one rating was missing.
    public var droppedTargets: Int
    /// In `ICCForm.allCases` order.
    public var estimates: [ICCEstimate]

    public subscript(form: ICCForm) -> ICCEstimate { estimates[ICCForm.allCases.firstIndex(of: form)!] }
}

/// Intraclass correlation from a two-way ANOVA without replication, computed exactly as
/// pingouin's `intraclass_corr` (same mean squares, F tests and confidence intervals:
/// Shrout & Fleiss 1979 for ICC1/ICC3, McGraw & Wong 1996 / Satterthwaite df for ICC2).
public enum ICC {
    /// `ratings` holds n targets × k raters, row-major (target by target); every value must be
    /// finite. Missing ratings are handled before this call (see `RatingsTable`).
    public static func compute(_ ratings: [Double], targets n: Int, raters k: Int, droppedTargets: Int = 0,
                               quantiles: FQuantileCache? = nil) throws -> ICCResult {
        guard k >= 2 else {
            throw KiraError.invalidData("ICC needs at least 2 raters; found \(k)")
        }
        guard n >= 2 else {
            let dropped = droppedTargets > 0 ? " (\(droppedTargets) dropped for missing ratings)" : ""
            throw KiraError.invalidData("ICC needs at least 2 targets rated by every rater; found \(n)\(dropped)")
        }
        precondition(ratings.count == n * k, "ICC: \(ratings.count) ratings for \(n) targets × \(k) raters")
        let ms = try meanSquares(ratings, n: n, k: k)
        return estimates(ms, n: n, k: k, droppedTargets: droppedTargets, quantiles: quantiles ?? FQuantileCache())
    }

    /// The mean squares of the two-way layout.
    struct MeanSquares {
        var between: Double   // targets (MSB / MSR)
        var raters: Double    // MSJ / MSC
        var error: Double     // residual MSE
        var within: Double    // MSW: raters + residual pooled (one-way model)
    }

    static func meanSquares(_ x: [Double], n: Int, k: Int) throws -> MeanSquares {
        var rowMeans = [Double](repeating: 0, count: n)
        var colMeans = [Double](repeating: 0, count: k)
        var grand = 0.0
        var lo = Double.infinity, hi = -Double.infinity
        try x.withUnsafeBufferPointer { v in
            for i in 0..<n {
                var s = 0.0
                for j in 0..<k {
                    let value = v[i * k + j]
                    guard value.isFinite else {
                        throw KiraError.invalidData("ICC: rating of target \(i + 1), rater \(j + 1) is \(value); ratings must be finite numbers")
                    }
                    s += value
                    colMeans[j] += value
                    lo = min(lo, value); hi = max(hi, value)
                }
                rowMeans[i] = s / Double(k)
                grand += s
            }
        }
        guard lo < hi else {
            throw KiraError.invalidData("ICC: all \(n * k) ratings are equal (\(lo)); with zero variance the ICC is undefined")
        }
        // Equal target means make MSB zero in exact arithmetic, but the sums above round
        // differently from the grand mean, which would leave an MSB of 1e-30 and a
        // meaningless ICC of about -1e-30 with F 0. Rounding of a k-term sum stays within
        // k ulps of the largest rating, so means closer than that are taken as equal.
        let scale = max(abs(lo), abs(hi))
        let spread = (rowMeans.max() ?? 0) - (rowMeans.min() ?? 0)
        guard spread > 4 * Double(k) * scale * Double.ulpOfOne else {
            throw KiraError.invalidData("ICC: the targets do not differ (every target's mean rating is \(rowMeans[0]): zero between-target variance); the ICC is undefined")
        }
        grand /= Double(n * k)
        for j in 0..<k { colMeans[j] /= Double(n) }
        var ssRows = 0.0, ssCols = 0.0, ssError = 0.0
        for i in 0..<n { let d = rowMeans[i] - grand; ssRows += d * d }
        for j in 0..<k { let d = colMeans[j] - grand; ssCols += d * d }
        ssRows *= Double(k)
        ssCols *= Double(n)
        x.withUnsafeBufferPointer { v in
            for i in 0..<n {
                let r = rowMeans[i] - grand
                for j in 0..<k {
                    let e = v[i * k + j] - colMeans[j] - r
                    ssError += e * e
                }
            }
        }
        let nd = Double(n), kd = Double(k)
        let ms = MeanSquares(between: ssRows / (nd - 1), raters: ssCols / (kd - 1),
                             error: ssError / ((nd - 1) * (kd - 1)), within: (ssCols + ssError) / (nd * (kd - 1)))
        return ms
    }

    static func estimates(_ ms: MeanSquares, n: Int, k: Int, droppedTargets: Int, quantiles: FQuantileCache) -> ICCResult {
        let nd = Double(n), kd = Double(k)
        let msb = ms.between, msw = ms.within, msj = ms.raters, mse = ms.error
        let icc1 = (msb - msw) / (msb + (kd - 1) * msw)
        let icc2 = (msb - mse) / (msb + (kd - 1) * mse + kd * (msj - mse) / nd)
        let icc3 = (msb - mse) / (msb + (kd - 1) * mse)
        let icc1k = (msb - msw) / msb
        let icc2k = (msb - mse) / (msb + (msj - mse) / nd)
        let icc3k = (msb - mse) / msb

        let df1 = nd - 1
        let dfWithin = nd * (kd - 1)
        let dfError = (nd - 1) * (kd - 1)
        let f1 = msb / msw
        let f3 = msb / mse
        let p1 = FDistribution.sf(f1, df1, dfWithin)
        let p3 = FDistribution.sf(f3, df1, dfError)

        // Shrout & Fleiss: ICC1 and ICC3 bounds from F divided / multiplied by the 97.5% quantiles.
        let f1l = f1 / quantiles.upper(df1, dfWithin)
        let f1u = f1 * quantiles.upper(dfWithin, df1)
        let f3l = f3 / quantiles.upper(df1, dfError)
        let f3u = f3 * quantiles.upper(dfError, df1)
        let ci1 = ((f1l - 1) / (f1l + kd - 1), (f1u - 1) / (f1u + kd - 1))
        let ci3 = ((f3l - 1) / (f3l + kd - 1), (f3u - 1) / (f3u + kd - 1))
        let ci1k = (1 - 1 / f1l, 1 - 1 / f1u)
        let ci3k = (1 - 1 / f3l, 1 - 1 / f3u)

        // McGraw & Wong ICC(A,1): Satterthwaite degrees of freedom v.
        let fj = msj / mse
        let a = nd * (1 + (kd - 1) * icc2) - kd * icc2
        let vn = dfError * pow(kd * icc2 * fj + a, 2)
        let vd = df1 * kd * kd * icc2 * icc2 * fj * fj + a * a
        let v = vn / vd
        var ci2 = (Double.nan, Double.nan)
        if v.isFinite && v > 0 {
            let f2u = quantiles.upper(df1, v)
            let f2l = quantiles.upper(v, df1)
            let c = kd * msj + (kd * nd - kd - nd) * mse
            ci2 = (nd * (msb - f2u * mse) / (f2u * c + nd * msb), nd * (f2l * msb - mse) / (c + nd * f2l * msb))
        }
        let ci2k = (ci2.0 * kd / (1 + ci2.0 * (kd - 1)), ci2.1 * kd / (1 + ci2.1 * (kd - 1)))

        func est(_ form: ICCForm, _ icc: Double, _ f: Double, _ df2: Double, _ p: Double, _ ci: (Double, Double)) -> ICCEstimate {
            let range: ClosedRange<Double>? = ci.0.isFinite && ci.1.isFinite && ci.0 <= ci.1 ? ci.0...ci.1 : nil
            return ICCEstimate(form: form, icc: icc, f: f, df1: df1, df2: df2, p: p, ci95: range)
        }
        return ICCResult(targets: n, raters: k, droppedTargets: droppedTargets, estimates: [
            est(.icc1, icc1, f1, dfWithin, p1, ci1),
            est(.icc2, icc2, f3, dfError, p3, ci2),
            est(.icc3, icc3, f3, dfError, p3, ci3),
            est(.icc1k, icc1k, f1, dfWithin, p1, ci1k),
            est(.icc2k, icc2k, f3, dfError, p3, ci2k),
            est(.icc3k, icc3k, f3, dfError, p3, ci3k),
        ])
    }
}

/// Upper 97.5% F quantiles keyed by degrees of freedom: in a feature-stability run most
/// features share n and k, so all but ICC2's Satterthwaite quantiles repeat.
public final class FQuantileCache: @unchecked Sendable {
    private var values: [SIMD2<Double>: Double] = [:]
    private let lock = NSLock()
    public let probability: Double

    public init(probability: Double = 0.975) { self.probability = probability }

    func upper(_ d1: Double, _ d2: Double) -> Double {
        let key = SIMD2(d1, d2)
        lock.lock()
        if let v = values[key] { lock.unlock(); return v }
        lock.unlock()
        let v = FDistribution.ppf(probability, d1, d2)
        lock.lock(); values[key] = v; lock.unlock()
        return v
    }
}
