import Foundation
import KiraCore

/// Splitting subjects into a low (score ≤ cut-off) and a high (score > cut-off) risk group.
public enum CutoffMethod: Sendable, Equatable {
    case mean
    case median
    case value(Double)
    /// Youden's J of the cumulative/dynamic ROC at time t (IPCW-weighted sensitivity).
    case youden(Double)
    /// X-tile-style search: every distinct score leaving at least a fraction `trim` of subjects
    /// in each group is tried; the minimal log-rank p is corrected for the search.
    case xtile(trim: Double)

    /// Parses `mean`, `median`, `value:X` (or a bare number), `youden:T`, `xtile` or `xtile:TRIM`.
    public init(parsing s: String) throws {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        let arg = parts.count > 1 ? Double(parts[1]) : nil
        switch parts[0].lowercased() {
        case "mean" where parts.count == 1: self = .mean
        case "median" where parts.count == 1: self = .median
        case "value" where arg != nil: self = .value(arg!)
        case "youden" where arg != nil && arg! > 0: self = .youden(arg!)
        case "xtile" where parts.count == 1: self = .xtile(trim: 0.1)
        case "xtile" where arg != nil && arg! > 0 && arg! < 0.5: self = .xtile(trim: arg!)
        default:
            if parts.count == 1, let v = Double(s) { self = .value(v); return }
            throw KiraError.invalidArgument("--method '\(s)': expected mean, median, value:X, youden:T (T > 0), xtile or xtile:TRIM (0 < TRIM < 0.5)")
        }
    }

    public var name: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .value: "value"
        case .youden: "youden"
        case .xtile: "xtile"
        }
    }
}

public struct CutoffResult: Sendable {
    public var method: CutoffMethod
    public var cutoff: Double
    public var nLow: Int, nHigh: Int
    public var eventsLow: Int, eventsHigh: Int
    public var logRank: LogRankTest
    /// High vs low, from a Cox model on the group indicator (Efron ties).
    public var hazardRatio: Double
    public var hazardRatioCI: (Double, Double)
    // Youden
    public var sensitivity: Double?
    public var specificity: Double?
    public var youdenJ: Double?
    // X-tile
    public var candidates: Int?
    /// Minimal (uncorrected) log-rank p over the candidates: equals logRank.p for X-tile.
    public var minimalP: Double?
    /// Lausen & Schumacher (1992) correction of the minimal p for the search over [ε, 1−ε] quantiles.
    public var correctedP: Double?
    public var trim: Double?

    /// Lausen–Schumacher: p_cor = φ(z)(z − 1/z)·ln((1−ε)²/ε²) + 4φ(z)/z with z = Φ⁻¹(1 − p_min/2),
    /// capped at 1.
    public static func lausenSchumacher(pMin: Double, trim eps: Double) -> Double {
        guard pMin > 0 else { return 0 }
        guard pMin < 1 else { return 1 }
        let z = Distributions.upperQuantile(pMin / 2)
        let phi = Distributions.normalPDF(z)
        let p = phi * (z - 1 / z) * log((1 - eps) * (1 - eps) / (eps * eps)) + 4 * phi / z
        return min(1, max(p, pMin))
    }

    public init(time: [Double], event: [Bool], score: [Double], method: CutoffMethod) throws {
        let n = score.count
        guard event.contains(true) else { throw KiraError.invalidData("cut-off: no events, so groups cannot be compared") }
        self.method = method
        var cut: Double
        switch method {
        case .mean: cut = score.reduce(0, +) / Double(n)
        case .median:
            let s = score.sorted()
            cut = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
        case let .value(v): cut = v
        case let .youden(t):
            let r = try Self.youden(time: time, event: event, score: score, at: t)
            cut = r.cut; sensitivity = r.sens; specificity = r.spec; youdenJ = r.j
        case let .xtile(eps):
            let sorted = score.sorted()
            var best: (p: Double, cut: Double)? = nil
            var count = 0
            var k = 0
            while k < n {
                var e = k + 1
                while e < n && sorted[e] == sorted[k] { e += 1 }
                let lowFraction = Double(e) / Double(n)
                if lowFraction >= eps && lowFraction <= 1 - eps && e < n {
                    count += 1
                    let c = sorted[k]
                    let groups = score.map { $0 > c ? "high" : "low" }
                    let test = try LogRankTest(time: time, event: event, group: groups)
                    if best == nil || test.p < best!.p { best = (test.p, c) }
                }
                k = e
            }
            guard let best else {
                throw KiraError.invalidData("cut-off: no candidate cut-point leaves ≥ \(eps * 100)% of subjects in each group (too few distinct scores)")
            }
            cut = best.cut; candidates = count; minimalP = best.p; trim = eps
            correctedP = Self.lausenSchumacher(pMin: best.p, trim: eps)
        }
        cutoff = cut
        let high = score.map { $0 > cut }
        nHigh = high.filter { $0 }.count; nLow = n - nHigh
        guard nHigh > 0, nLow > 0 else {
            throw KiraError.invalidData("cut-off \(cut): every subject falls in the \(nHigh == 0 ? "low" : "high") group")
        }
        eventsHigh = zip(high, event).filter { $0 && $1 }.count
        eventsLow = zip(high, event).filter { !$0 && $1 }.count
        logRank = try LogRankTest(time: time, event: event, group: high.map { $0 ? "high" : "low" })
        if let cox = try? CoxModel(time: time, event: event, columns: [high.map { $0 ? 1 : 0 }], names: ["high"]), cox.converged {
            hazardRatio = exp(cox.coef[0]); hazardRatioCI = (cox.hrLower[0], cox.hrUpper[0])
        } else {
            hazardRatio = .nan; hazardRatioCI = (.nan, .nan)
        }
    }

    /// The cut maximising sensitivity + specificity − 1 at time t (cases: event by t, weighted
    /// 1/Ĝ(tᵢ); controls: time > t); ties in J go to the lowest cut.
    static func youden(time: [Double], event: [Bool], score: [Double], at t: Double) throws -> (cut: Double, sens: Double, spec: Double, j: Double) {
        let g = CensoringDistribution(time: time, event: event)
        var cases: [(s: Double, w: Double)] = [], controls: [Double] = []
        for i in time.indices {
            if event[i] && time[i] <= t {
                let gi = g.survival(at: time[i])
                guard gi > 0 else { throw KiraError.invalidData("Youden at t = \(t): the censoring survival estimate is 0 at \(time[i])") }
                cases.append((score[i], 1 / gi))
            } else if time[i] > t { controls.append(score[i]) }
        }
        guard !cases.isEmpty, !controls.isEmpty else {
            throw KiraError.invalidData("Youden at t = \(t): \(cases.count) cases and \(controls.count) controls; both must be present")
        }
        let total = cases.reduce(0) { $0 + $1.w }
        var best: (cut: Double, sens: Double, spec: Double, j: Double)? = nil
        for c in Array(Set(score)).sorted() {
            let sens = cases.reduce(0) { $0 + ($1.s > c ? $1.w : 0) } / total
            let spec = Double(controls.filter { $0 <= c }.count) / Double(controls.count)
            let j = sens + spec - 1
            if best == nil || j > best!.j { best = (c, sens, spec, j) }
        }
        return best!
    }
}
