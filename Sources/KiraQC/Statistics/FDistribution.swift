import Foundation

/// Fisher's F distribution through the regularized incomplete beta function, accurate to a
/// few ulps in the ranges ICC tests use (degrees of freedom from 1 to millions).
///
/// `P(F ≤ f) = I_x(d1/2, d2/2)` with `x = d1·f / (d1·f + d2)`; the upper tail is evaluated
/// directly (never as 1 − lower) so small p-values keep their relative precision.
public enum FDistribution {
    /// Upper-tail probability `P(F > f)`; 1 for f ≤ 0, 0 for f = +infinity.
    public static func sf(_ f: Double, _ d1: Double, _ d2: Double) -> Double {
        guard f > 0 else { return 1 }
        guard f.isFinite else { return 0 }
        let t = d1 * f
        // x and 1 − x are formed separately so neither is a difference of nearly equal numbers.
        let x = t / (t + d2), y = d2 / (t + d2)
        return IncompleteBeta.regularized(x: x, y: y, a: d1 / 2, b: d2 / 2).upper
    }

    /// Quantile: the f with `P(F ≤ f) = p`, for 0 < p < 1.
    public static func ppf(_ p: Double, _ d1: Double, _ d2: Double) -> Double {
        precondition(p > 0 && p < 1 && d1 > 0 && d2 > 0, "F quantile needs 0 < p < 1 and positive degrees of freedom")
        // Solve for y = 1 − x = d2 / (d1·f + d2), which is small when f is large (the usual
        // case for upper quantiles): I_y(d2/2, d1/2) = 1 − p.
        let y = IncompleteBeta.inverse(q: 1 - p, a: d2 / 2, b: d1 / 2)
        if y <= 0.5 { return d2 * (1 - y) / (d1 * y) }
        // Small f: x = 1 − y is the small one, so solve for it directly to keep its precision.
        let x = IncompleteBeta.inverse(q: p, a: d1 / 2, b: d2 / 2)
        return d2 * x / (d1 * (1 - x))
    }
}

/// The regularized incomplete beta function I_x(a, b) and its inverse.
enum IncompleteBeta {
    /// Both tails: `lower = I_x(a, b)`, `upper = 1 − I_x(a, b) = I_y(b, a)` where y = 1 − x
    /// is passed in exactly by the caller.
    static func regularized(x: Double, y: Double, a: Double, b: Double) -> (lower: Double, upper: Double) {
        if x <= 0 { return (0, 1) }
        if y <= 0 { return (1, 0) }
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use the
        // symmetry I_x(a, b) = 1 − I_y(b, a).
        if x < (a + 1) / (a + b + 2) {
            let v = prefactor(x: x, y: y, a: a, b: b) * continuedFraction(x: x, a: a, b: b) / a
            return (v, 1 - v)
        }
        let v = prefactor(x: y, y: x, a: b, b: a) * continuedFraction(x: y, a: b, b: a) / b
        return (1 - v, v)
    }

    /// x^a · y^b / B(a, b), in logs to avoid overflow.
    static func prefactor(x: Double, y: Double, a: Double, b: Double) -> Double {
        exp(a * log(x) + b * log(y) - logBeta(a, b))
    }

    /// log B(a, b). For large arguments lgamma(a) + lgamma(b) − lgamma(a + b) subtracts numbers
    /// near a·log a and loses about log10(a) digits (1e-9 relative at 10⁶ degrees of freedom);
    /// Stirling's series with the large parts combined through log1p keeps full precision.
    static func logBeta(_ a: Double, _ b: Double) -> Double {
        let p = min(a, b), q = max(a, b)
        if q < 10 { return lgamma(p) + lgamma(q) - lgamma(p + q) }
        if p < 10 {
            // lgamma(q) − lgamma(p + q) = −(q − ½)·log1p(p/q) − p·log(p + q) + p + δ(q) − δ(p + q)
            return lgamma(p) - (q - 0.5) * log1p(p / q) - p * log(p + q) + p + stirlingCorrection(q) - stirlingCorrection(p + q)
        }
        return 0.5 * log(2 * Double.pi) - (p - 0.5) * log1p(q / p) - (q - 0.5) * log1p(p / q) - 0.5 * log(p + q)
            + stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q)
    }

    /// δ(x) = lgamma(x) − [(x − ½)·log x − x + ½·log 2π] for x ≥ 10, from Stirling's series
    /// (truncation error below 2e-14 at x = 10).
    static func stirlingCorrection(_ x: Double) -> Double {
        let r = 1 / x, r2 = r * r
        return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))))
    }

    /// The continued fraction 1/(1+ d1/(1+ d2/(1+ …))) of I_x(a, b) · a / prefactor, by the
    /// modified Lentz method. Coefficients: d(2m+1) = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
    /// d(2m) = m(b−m)x / ((a+2m−1)(a+2m)).
    static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        var m = 1.0
        while m < 100_000 {
            let m2 = 2 * m
            var num = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-16 { break }
            m += 1
        }
        return h
    }

    /// The x in (0, 1) with I_x(a, b) = q: Newton steps on the density, kept inside a
    /// shrinking bracket and replaced by bisection (in log space near 0) when they leave it.
    static func inverse(q: Double, a: Double, b: Double) -> Double {
        var lo = 0.0, hi = 1.0
        // Start from the mean; the bracket makes the start uncritical.
        var x = a / (a + b)
        let logB = logBeta(a, b)
        for _ in 0..<300 {
            let value = regularized(x: x, y: 1 - x, a: a, b: b).lower
            let err = value - q
            if err == 0 { return x }
            if err > 0 { hi = x } else { lo = x }
            let density = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logB)
            var next = x - err / density
            if !(next > lo && next < hi) || !density.isFinite || density == 0 {
                // Geometric midpoint when the bracket spans orders of magnitude near 0.
                next = lo > 0 && hi / lo > 4 ? (lo * hi).squareRoot() : (lo == 0 ? hi / 16 : 0.5 * (lo + hi))
                if lo == 0 && hi / 16 == 0 { return hi }
            }
            if abs(next - x) <= 4 * Double.ulpOfOne * x || hi - lo <= 4 * Double.ulpOfOne * hi {
                return next
            }
            x = next
        }
        return x
    }
}
