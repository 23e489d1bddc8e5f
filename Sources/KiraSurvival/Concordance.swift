import Foundation
import KiraCore

/// Concordance of a risk score with survival (higher score = earlier event).
///
/// A pair is comparable when the subject with the shorter time had an event; at equal times a
/// pair is comparable only when exactly one of the two had the event (that one counts as
/// earlier). Tied scores count ½. This is lifelines' and scikit-survival's definition.
public enum Concordance {
    public struct Result: Sendable {
        public var c: Double
        public var concordant: Double
        public var discordant: Double
        public var tiedRisk: Double
        public var comparable: Double
    }

    /// Harrell's C.
    public static func harrell(time: [Double], event: [Bool], risk: [Double]) throws -> Result {
        try weighted(time: time, event: event, risk: risk, weight: nil, tau: nil)
    }

    /// Uno's C: each comparable pair is weighted by 1/Ĝ(tᵢ)², Ĝ the Kaplan–Meier estimate of
    /// the censoring distribution (see `CensoringDistribution`), and only events before `tau`
    /// count as the earlier member of a pair.
    public static func uno(time: [Double], event: [Bool], risk: [Double], tau: Double? = nil,
                           censoringFrom training: (time: [Double], event: [Bool])? = nil) throws -> Result {
        let g = CensoringDistribution(time: training?.time ?? time, event: training?.event ?? event)
        var w = [Double](repeating: 0, count: time.count)
        for i in time.indices where event[i] && (tau.map { time[i] < $0 } ?? true) {
            let gi = g.survival(at: time[i])
            guard gi > 0 else {
                throw KiraError.invalidData("Uno's C: the censoring survival estimate is 0 at t = \(time[i]); choose tau below the last censoring time")
            }
            w[i] = 1 / (gi * gi)
        }
        return try weighted(time: time, event: event, risk: risk, weight: w, tau: tau)
    }

    static func weighted(time: [Double], event: [Bool], risk: [Double], weight: [Double]?, tau: Double?) throws -> Result {
        let n = time.count
        precondition(event.count == n && risk.count == n)
        let order = time.indices.sorted { time[$0] < time[$1] }
        var num = 0.0, den = 0.0, conc = 0.0, disc = 0.0, tied = 0.0, pairs = 0.0
        var g = 0
        order.withUnsafeBufferPointer { o in
            while g < n {
                var end = g + 1
                while end < n && time[o[end]] == time[o[g]] { end += 1 }
                for a in g..<end where event[o[a]] {
                    let i = o[a]
                    if let tau, !(time[i] < tau) { continue }
                    let w = weight?[i] ?? 1
                    var c = 0.0, t = 0.0, m = 0.0
                    let ri = risk[i]
                    // Censored subjects at the same time, then everyone later.
                    for b in g..<end where !event[o[b]] {
                        let rj = risk[o[b]]
                        m += 1
                        if rj < ri { c += 1 } else if rj == ri { t += 1 }
                    }
                    for b in end..<n {
                        let rj = risk[o[b]]
                        if rj < ri { c += 1 } else if rj == ri { t += 1 }
                    }
                    m += Double(n - end)
                    num += w * (c + 0.5 * t)
                    den += w * m
                    conc += c; tied += t; disc += m - c - t; pairs += m
                }
                g = end
            }
        }
        guard pairs > 0, den > 0 else {
            throw KiraError.invalidData("concordance: no comparable pairs (no event is followed by a longer follow-up)")
        }
        return Result(c: num / den, concordant: conc, discordant: disc, tiedRisk: tied, comparable: pairs)
    }
}

/// The Kaplan–Meier estimate of the censoring distribution G(t) = P(C > t), with events
/// counted as leaving the risk set before censorings at the same time (so a censoring at t
/// sees n − d at risk), as scikit-survival's `CensoringDistributionEstimator`.
public struct CensoringDistribution: Sendable {
    public var times: [Double]
    public var survival: [Double]

    public init(time: [Double], event: [Bool]) {
        let order = time.indices.sorted { time[$0] < time[$1] }
        var times: [Double] = [], surv: [Double] = []
        var atRisk = time.count
        var s = 1.0
        var g = 0
        if !event.contains(false) {
            // No censoring: G ≡ 1.
            self.times = Array(Set(time)).sorted(); survival = self.times.map { _ in 1 }; return
        }
        while g < order.count {
            var end = g + 1
            while end < order.count && time[order[end]] == time[order[g]] { end += 1 }
            var d = 0, c = 0
            for k in g..<end { if event[order[k]] { d += 1 } else { c += 1 } }
            let r = atRisk - d
            if c > 0 { s *= 1 - Double(c) / Double(r) }
            times.append(time[order[g]]); surv.append(s)
            atRisk -= end - g
            g = end
        }
        self.times = times; survival = surv
    }

    /// Ĝ(t), right-continuous; 1 before the first time, the last value after the last.
    public func survival(at t: Double) -> Double {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? 1 : survival[lo - 1]
    }
}
