import Foundation
import KiraCore
import KiraSurvival

/// Disease-free survival by predicted group in one split: the groups split at a cut-off taken
/// from the training set only (the frozen model's threshold).
public typealias SurvivalSplit = GroupSurvival

enum SurvivalStage {
    static func run(predictions: [StudyPrediction], cases: [String: StudyCase], cutoff: Double) -> [String: SurvivalSplit] {
        var out: [String: SurvivalSplit] = [:]
        for split in StudyCohort.splits {
            let rows = predictions.filter { $0.split == split }.compactMap { p -> (Double, Bool, Bool)? in
                guard let c = cases[p.id], let t = c.survivalTime, let e = c.survivalEvent else { return nil }
                return (t, e, p.probability >= cutoff)
            }
            guard !rows.isEmpty else { continue }
            var s = SurvivalSplit(n: rows.count, groups: [:])
            for (name, high) in [("high", true), ("low", false)] {
                let g = rows.filter { $0.2 == high }
                guard !g.isEmpty else { continue }
                let km = KaplanMeier(time: g.map(\.0), event: g.map(\.1))
                s.groups[name] = .init(n: g.count, events: km.eventCount, medianMonths: km.median, timeline: km.timeline,
                                       survival: km.survival, lower: km.lower, upper: km.upper, atRisk: km.atRisk)
            }
            let time = rows.map(\.0), event = rows.map(\.1)
            if s.groups.count == 2 && event.contains(true) {
                if let lr = try? LogRankTest(time: time, event: event, group: rows.map { $0.2 ? "high" : "low" }) {
                    s.logRankChi2 = lr.statistic; s.logRankP = lr.p
                }
                if let cox = try? CoxModel(time: time, event: event, columns: [rows.map { $0.2 ? 1 : 0 }], names: ["predicted_high"]),
                   cox.converged {
                    s.hazardRatio = exp(cox.coef[0]); s.hazardRatioCI95 = [cox.hrLower[0], cox.hrUpper[0]]; s.coxP = cox.p[0]
                } else {
                    s.note = "the Cox model did not converge (e.g. no event in one group)"
                }
            } else {
                s.note = s.groups.count < 2 ? "every case falls in one predicted group" : "no event"
            }
            out[split] = s
        }
        return out
    }
}
