import Foundation
import KiraCore

/// Reliability of predicted probabilities: binned curve, logistic recalibration and the
/// Hosmer–Lemeshow test.
public struct CalibrationReport: Sendable, Codable, Equatable {
    /// One entry per non-empty bin of `bins` equal-width bins on [0, 1] (scikit-learn's
    /// `calibration_curve(strategy="uniform")`; a value on an inner edge belongs to the lower bin).
    public struct Bin: Sendable, Codable, Equatable {
        public var meanPredicted: Double
        public var observed: Double
        public var count: Int
        enum CodingKeys: String, CodingKey { case meanPredicted = "mean_predicted", observed, count }
    }

    public var curve: [Bin]
    /// b of logit P(y) = a + b·logit(p): 1 for a calibrated model, < 1 for overfitting.
    public var slope: Double
    /// a of the same fit.
    public var intercept: Double
    /// a of logit P(y) = a + logit(p) (slope fixed at 1): calibration-in-the-large, 0 when the
    /// mean prediction matches the event rate.
    public var interceptInTheLarge: Double
    public var hosmerLemeshow: HosmerLemeshow

    enum CodingKeys: String, CodingKey {
        case curve, slope, intercept, interceptInTheLarge = "intercept_in_the_large"
        case hosmerLemeshow = "hosmer_lemeshow"
    }

    public init(probabilities p: [Double], labels y: [Bool], bins: Int = 10, groups: Int = 10) throws {
        if let i = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw KiraError.invalidData("calibration: probability \(i + 1) is \(p[i]), outside [0, 1]")
        }
        curve = Self.curve(p, y, bins: bins)
        let lp = p.map { q -> Double in let c = min(max(q, 1e-15), 1 - 1e-15); return log(c / (1 - c)) }
        let fit = try Self.recalibrate(lp, y)
        intercept = fit.a
        slope = fit.b
        interceptInTheLarge = try Self.offsetIntercept(lp, y)
        hosmerLemeshow = HosmerLemeshow(probabilities: p, labels: y, groups: groups)
    }

    static func curve(_ p: [Double], _ y: [Bool], bins: Int) -> [Bin] {
        let step = 1.0 / Double(bins)
        let inner = (1..<bins).map { Double($0) * step }
        var sumP = [Double](repeating: 0, count: bins), sumY = sumP
        var n = [Int](repeating: 0, count: bins)
        for (q, t) in zip(p, y) {
            var b = 0
            while b < inner.count && inner[b] < q { b += 1 }
            sumP[b] += q; sumY[b] += t ? 1 : 0; n[b] += 1
        }
        return (0..<bins).filter { n[$0] > 0 }.map {
            Bin(meanPredicted: sumP[$0] / Double(n[$0]), observed: sumY[$0] / Double(n[$0]), count: n[$0])
        }
    }

    /// Unpenalised two-parameter logistic fit by Newton's method.
    static func recalibrate(_ x: [Double], _ y: [Bool]) throws -> (a: Double, b: Double) {
        var a = 0.0, b = 1.0
        for _ in 0..<100 {
            var g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0
            for (xi, yi) in zip(x, y) {
                let mu = sigmoid(a + b * xi)
                let r = (yi ? 1 : 0) - mu, w = mu * (1 - mu)
                g0 += r; g1 += r * xi
                h00 += w; h01 += w * xi; h11 += w * xi * xi
            }
            let det = h00 * h11 - h01 * h01
            guard det > 1e-300 else {
                throw KiraError.invalidData("calibration slope: the predictions do not vary enough to fit a slope")
            }
            let da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det
            a += da; b += db
            if abs(da) + abs(db) < 1e-14 * (1 + abs(a) + abs(b)) { break }
        }
        guard a.isFinite, b.isFinite else {
            throw KiraError.invalidData("calibration slope: the recalibration fit does not converge (the classes are separated)")
        }
        return (a, b)
    }

    static func offsetIntercept(_ offset: [Double], _ y: [Bool]) throws -> Double {
        var a = 0.0
        for _ in 0..<100 {
            var g = 0.0, h = 0.0
            for (o, yi) in zip(offset, y) {
                let mu = sigmoid(a + o)
                g += (yi ? 1 : 0) - mu; h += mu * (1 - mu)
            }
            guard h > 1e-300 else { break }
            let d = g / h
            a += d
            if abs(d) < 1e-15 * (1 + abs(a)) { break }
        }
        return a
    }
}

/// Hosmer–Lemeshow goodness of fit over groups of the cases sorted by predicted probability
/// (`groups` groups as equal in size as possible, the larger ones first, as
/// `numpy.array_split`), H = Σ (O − E)² / (E (1 − E/n)), df = groups − 2.
public struct HosmerLemeshow: Sendable, Codable, Equatable {
    public var statistic: Double
    public var df: Int
    public var p: Double

    public init(probabilities p: [Double], labels y: [Bool], groups: Int = 10) {
        let order = p.indices.sorted { p[$0] < p[$1] }
        let g = min(groups, p.count)
        var h = 0.0, start = 0
        for k in 0..<g {
            let size = p.count / g + (k < p.count % g ? 1 : 0)
            var o = 0.0, e = 0.0
            for i in order[start..<(start + size)] { o += y[i] ? 1 : 0; e += p[i] }
            start += size
            let n = Double(size), v = e * (1 - e / n)
            if v > 0 { h += (o - e) * (o - e) / v }
        }
        statistic = h
        df = g - 2
        self.p = df > 0 ? Distributions.chiSquareSF(h, df: Double(df)) : .nan
    }
}

@inline(__always) func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + exp(-z)) : { let e = exp(z); return e / (1 + e) }()
}
