import Foundation
import KiraCore

/// Grambsch–Therneau test of proportional hazards from scaled Schoenfeld residuals, one
/// 1-df χ² per covariate, in the form lifelines' `proportional_hazard_test` computes:
/// sᵢ* = D · rᵢ · V (D events, V the fitted variance), g a transform of event time, and
/// Tⱼ = (Σ (gᵢ − ḡ) sᵢⱼ*)² / (D · seⱼ² · Σ (gᵢ − ḡ)²).
public struct ProportionalHazardsTest: Sendable {
    public enum TimeTransform: String, Sendable, CaseIterable {
        /// 1 − KM(t): the Kaplan–Meier transform (the default; ties get equal values).
        case km
        /// The event's rank among event times (tied event times are ranked in input order).
        case rank
        case identity
        case log
    }

    public var transform: TimeTransform
    public var statistic: [Double]
    public var p: [Double]

    public init(model: CoxModel, time: [Double], event: [Bool], columns: [[Double]], transform: TimeTransform = .km) {
        let design = CoxDesign(time: time, event: event, columns: columns)
        let p = design.p, n = design.n
        let eta = design.linearPredictor(model.coef)
        let shift = eta.max() ?? 0
        let w = eta.map { exp($0 - shift) }
        // Schoenfeld residuals xᵢ − x̄(tᵢ) for each event, walking risk sets from the latest time.
        var residuals: [(row: Int, r: [Double])] = []
        var s0 = 0.0
        var s1 = [Double](repeating: 0, count: p)
        var g = design.groupStart.count - 2
        while g >= 0 {
            let lo = design.groupStart[g], hi = design.groupStart[g + 1]
            var t0 = 0.0, t1 = [Double](repeating: 0, count: p), deaths = 0
            for i in lo..<hi {
                s0 += w[i]
                for a in 0..<p { s1[a] += w[i] * design.x[i * p + a] }
                if design.event[i] {
                    deaths += 1; t0 += w[i]
                    for a in 0..<p { t1[a] += w[i] * design.x[i * p + a] }
                }
            }
            if deaths > 0 {
                var mean = [Double](repeating: 0, count: p)
                let d = Double(deaths)
                for l in 0..<deaths {
                    let phi = model.ties == .efron ? Double(l) / d : 0
                    let d0 = s0 - phi * t0
                    for a in 0..<p { mean[a] += (s1[a] - phi * t1[a]) / (d0 * d) }
                }
                for i in lo..<hi where design.event[i] {
                    residuals.append((i, (0..<p).map { design.x[i * p + $0] - mean[$0] }))
                }
            }
            g -= 1
        }
        residuals.sort { $0.row < $1.row }
        let deathsTotal = Double(residuals.count)
        // Time transform of each event.
        var gt: [Double]
        switch transform {
        case .identity: gt = residuals.map { design.time[$0.row] }
        case .log: gt = residuals.map { Foundation.log(design.time[$0.row]) }
        case .km:
            let km = KaplanMeier(time: time, event: event)
            gt = residuals.map { 1 - km.survival(at: design.time[$0.row]) }
        case .rank:
            var rank = [Int](repeating: 0, count: n)
            var c = 0
            for i in 0..<n { if design.event[i] { c += 1 }; rank[i] = c }
            gt = residuals.map { Double(rank[$0.row]) }
        }
        let gbar = gt.reduce(0, +) / deathsTotal
        let centred = gt.map { $0 - gbar }
        let ss = centred.reduce(0) { $0 + $1 * $1 }
        var stat = [Double](repeating: 0, count: p)
        for j in 0..<p {
            var num = 0.0
            for (k, res) in residuals.enumerated() {
                var sj = 0.0
                for a in 0..<p { sj += res.r[a] * model.variance[a * p + j] }
                num += centred[k] * deathsTotal * sj
            }
            stat[j] = num * num / (deathsTotal * model.se[j] * model.se[j] * ss)
        }
        self.transform = transform
        statistic = stat
        self.p = stat.map { Distributions.chiSquareSF($0, df: 1) }
    }
}
