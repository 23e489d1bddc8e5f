import Foundation

/// The normal, chi-square and Student t functions the metrics, tests and survival models
/// report p-values and intervals from: erfc-based tails, the normal quantile by Newton on
/// log Q(x) (so tiny tail probabilities keep their relative precision), and the incomplete
/// gamma and beta functions from their series and continued fractions (Abramowitz & Stegun
/// 6.5, 26.5). They agree with scipy to ~1e-13 relative, small p included.
public enum Distributions {
    /// Φ(x).
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// 1 − Φ(x), without cancellation in the upper tail.
    public static func normalSF(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }

    public static func normalPDF(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// Two-sided p-value of a standard normal statistic.
    public static func normalTwoSidedP(_ z: Double) -> Double { erfc(abs(z) / 2.0.squareRoot()) }

    /// Φ⁻¹(p) for 0 < p < 1. Newton on log Q(x) (the upper tail, so that tiny tail probabilities
    /// keep their relative precision) from a logistic-style start; a handful of steps reach
    /// full double precision.
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normalQuantile needs 0 < p < 1")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -upperQuantile(p) }
        return upperQuantile(1 - p)
    }

    /// x with Q(x) = q, for 0 < q ≤ 0.5.
    public static func upperQuantile(_ q: Double) -> Double {
        // Start: the tail approximation t − (2.515517 + …)/(1 + …) (Abramowitz–Stegun 26.2.23).
        let t = (-2 * log(q)).squareRoot()
        var x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
        let logq = log(q)
        for _ in 0..<50 {
            let sf = normalSF(x)
            guard sf > 0 else { break }
            // f(x) = log Q(x) − log q, f'(x) = −φ(x)/Q(x).
            let f = log(sf) - logq
            let step = f / (-normalPDF(x) / sf)
            x -= step
            if abs(step) <= 1e-15 * max(1, abs(x)) { break }
        }
        return x
    }

    /// P(χ²_df > x): the regularised upper incomplete gamma Q(df/2, x/2).
    public static func chiSquareSF(_ x: Double, df: Double) -> Double {
        guard x > 0 else { return 1 }
        return regularizedGammaQ(df / 2, x / 2)
    }

    /// Q(a, x) = Γ(a, x)/Γ(a): a series for P when x < a + 1, Lentz's continued fraction otherwise.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let logPrefactor = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logPrefactor)
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        return exp(logPrefactor) * h
    }

    /// Regularised incomplete beta I_x(a, b).
    public static func betaI(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x > (a + 1) / (a + b + 2) { return 1 - betaI(1 - x, b, a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1..<10_000 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-16 { break }
        }
        return exp(lnFront) * h / a
    }

    /// Two-sided p-value of Student's t with `df` degrees of freedom.
    public static func studentTwoSidedP(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return betaI(df / (df + t * t), df / 2, 0.5)
    }
}
