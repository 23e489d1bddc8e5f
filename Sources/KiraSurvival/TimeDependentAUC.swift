import Foundation
import KiraCore

/// Cumulative/dynamic time-dependent AUC (Uno et al. 2007; Hung & Chiang 2010): at time t the
/// cases are subjects with an event by t, weighted by 1/Ĝ(tᵢ) (inverse probability of
/// censoring), the controls everyone still event-free after t; AUC(t) is the weighted share of
/// case–control pairs in which the case has the higher score (ties ½). The summary `meanAUC`
/// integrates AUC(t) over the Kaplan–Meier estimate, as scikit-survival's `cumulative_dynamic_auc`.
public struct TimeDependentAUC: Sendable {
    public var times: [Double]
    public var auc: [Double]
    /// Nil with a single time.
    public var meanAUC: Double?
    public var cases: [Int]
    public var controls: [Int]

    public init(time: [Double], event: [Bool], score: [Double], at requested: [Double]) throws {
        guard let tmin = time.min(), let tmax = time.max() else { throw KiraError.invalidData("time-dependent AUC: no subjects") }
        guard event.contains(true) else { throw KiraError.invalidData("time-dependent AUC: no events, so there are no cases at any time") }
        let times = Array(Set(requested)).sorted()
        guard !times.isEmpty else { throw KiraError.invalidArgument("time-dependent AUC: no evaluation times given") }
        for t in times where !(t >= tmin && t < tmax) {
            throw KiraError.invalidArgument("time-dependent AUC: time \(t) is outside the follow-up [\(tmin), \(tmax)); choose times in that range")
        }
        let g = CensoringDistribution(time: time, event: event)
        var aucs: [Double] = [], nCases: [Int] = [], nControls: [Int] = []
        for t in times {
            let controlScores = time.indices.filter { time[$0] > t }.map { score[$0] }.sorted()
            var num = 0.0, den = 0.0, caseCount = 0
            for i in time.indices where event[i] && time[i] <= t {
                let gi = g.survival(at: time[i])
                guard gi > 0 else { throw KiraError.invalidData("time-dependent AUC: the censoring survival estimate is 0 at t = \(time[i])") }
                let w = 1 / gi
                let below = Self.count(controlScores, lessThan: score[i])
                let tiedOrBelow = Self.count(controlScores, lessThanOrEqual: score[i])
                num += w * (Double(below) + 0.5 * Double(tiedOrBelow - below))
                den += w
                caseCount += 1
            }
            guard caseCount > 0, !controlScores.isEmpty else {
                throw KiraError.invalidData("time-dependent AUC at t = \(t): \(caseCount) cases and \(controlScores.count) controls; both must be present")
            }
            aucs.append(num / (den * Double(controlScores.count)))
            nCases.append(caseCount); nControls.append(controlScores.count)
        }
        self.times = times; auc = aucs; cases = nCases; controls = nControls
        if times.count > 1 {
            let km = KaplanMeier(time: time, event: event)
            var prev = 1.0, integral = 0.0
            for (k, t) in times.enumerated() {
                let s = km.survival(at: t)
                integral += aucs[k] * (prev - s)
                prev = s
            }
            meanAUC = integral / (1 - prev)
        } else {
            meanAUC = nil
        }
    }

    static func count(_ sorted: [Double], lessThan x: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi { let m = (lo + hi) / 2; if sorted[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }

    static func count(_ sorted: [Double], lessThanOrEqual x: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi { let m = (lo + hi) / 2; if sorted[m] <= x { lo = m + 1 } else { hi = m } }
        return lo
    }
}
