import Foundation
import KiraCore

/// The Kaplan–Meier product-limit estimate with pointwise 95 % intervals from Greenwood's
/// variance on the log(−log S) scale (the "exponential Greenwood" interval, which is what
/// lifelines reports and R's `conf.type = "log-log"`).
///
/// The timeline is 0 followed by every distinct observed time (events and censorings), as in
/// lifelines' `survival_function_`; `atRisk[k]` counts subjects with time ≥ timeline[k].
public struct KaplanMeier: Sendable {
    public var timeline: [Double]
    public var survival: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var atRisk: [Int]
    public var events: [Int]
    public var censored: [Int]
    /// Greenwood's Σ d/(n(n−d)) up to each time.
    public var greenwood: [Double]
    public var n: Int
    public var eventCount: Int
    public var confidenceLevel: Double

    public init(time: [Double], event: [Bool], confidenceLevel: Double = 0.95) {
        precondition(time.count == event.count)
        let order = time.indices.sorted { time[$0] < time[$1] }
        var timeline: [Double] = [], deaths: [Int] = [], removed: [Int] = []
        let start = min(0, time.min() ?? 0)
        timeline.append(start); deaths.append(0); removed.append(0)
        for i in order {
            let t = time[i]
            if t != timeline[timeline.count - 1] { timeline.append(t); deaths.append(0); removed.append(0) }
            removed[removed.count - 1] += 1
            if event[i] { deaths[deaths.count - 1] += 1 }
        }
        let z = Distributions.normalQuantile(1 - (1 - confidenceLevel) / 2)
        var atRisk = [Int](repeating: 0, count: timeline.count)
        var s = [Double](repeating: 1, count: timeline.count)
        var lo = s, hi = s, gw = [Double](repeating: 0, count: timeline.count)
        var population = time.count
        var logS = 0.0, cum = 0.0
        for k in timeline.indices {
            atRisk[k] = population
            let nk = Double(population), dk = Double(deaths[k])
            if deaths[k] > 0 {
                logS += log(nk - dk) - log(nk)
                // lifelines sets the infinite term of the last death (n = d) to 0.
                if population > deaths[k] { cum += dk / (nk * (nk - dk)) }
            }
            s[k] = exp(logS)
            gw[k] = cum
            let v = logS
            // NaN (S = 1: 0/0) becomes 1, as lifelines fills it.
            let a = exp(-exp(log(-v) - z * cum.squareRoot() / v))
            let b = exp(-exp(log(-v) + z * cum.squareRoot() / v))
            lo[k] = a.isNaN ? 1 : a
            hi[k] = b.isNaN ? 1 : b
            population -= removed[k]
        }
        self.timeline = timeline; survival = s; lower = lo; upper = hi; self.atRisk = atRisk
        events = deaths; censored = zip(removed, deaths).map { $0 - $1 }; greenwood = gw
        n = time.count; eventCount = deaths.reduce(0, +); self.confidenceLevel = confidenceLevel
    }

    /// S(t) as a step function (right-continuous); 1 before the timeline starts.
    public func survival(at t: Double) -> Double { value(survival, at: t, before: 1) }
    public func lower(at t: Double) -> Double { value(lower, at: t, before: 1) }
    public func upper(at t: Double) -> Double { value(upper, at: t, before: 1) }
    /// Subjects still at risk at t (time ≥ t).
    public func atRisk(at t: Double) -> Int {
        guard let k = timeline.firstIndex(where: { $0 >= t }) else { return 0 }
        return atRisk[k]
    }

    private func value(_ curve: [Double], at t: Double, before: Double) -> Double {
        // Largest timeline index with timeline[k] ≤ t.
        var lo = 0, hi = timeline.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if timeline[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? before : curve[lo - 1]
    }

    /// The first time at which `curve` is ≤ q, or nil if it never falls that low (median not reached).
    /// A binary search like numpy's `searchsorted`, which lifelines uses, so non-monotone
    /// interval curves give the same answer.
    static func firstTime(_ curve: [Double], below q: Double, timeline: [Double]) -> Double? {
        guard let last = curve.last, last <= q else { return nil }
        var lo = 0, hi = curve.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if -curve[mid] < -q { lo = mid + 1 } else { hi = mid }
        }
        return timeline[lo]
    }

    /// Median survival: the first time S(t) ≤ 0.5; nil when not reached.
    public var median: Double? { Self.firstTime(survival, below: 0.5, timeline: timeline) }

    /// The median's interval: the first times the lower and the upper band reach 0.5 (read off
    /// the log(−log) band, as lifelines does); a nil bound is not reached.
    public var medianInterval: (lower: Double?, upper: Double?) {
        (Self.firstTime(lower, below: 0.5, timeline: timeline), Self.firstTime(upper, below: 0.5, timeline: timeline))
    }
}
