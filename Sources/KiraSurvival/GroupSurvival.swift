/// Survival of predicted groups in one cohort split, as `kira study run` writes it to
/// survival.json and the cohort report reads it back: Kaplan–Meier per group, the log-rank
/// test and the Cox hazard ratio of high against low. One type for both ends, so the file's
/// keys cannot drift apart.
public struct GroupSurvival: Sendable, Codable, Equatable {
    public struct Group: Sendable, Codable, Equatable {
        public var n: Int
        public var events: Int
        public var medianMonths: Double?
        public var timeline: [Double]
        public var survival: [Double]
        public var lower: [Double]
        public var upper: [Double]
        public var atRisk: [Int]

        public init(n: Int, events: Int, medianMonths: Double?, timeline: [Double], survival: [Double], lower: [Double],
                    upper: [Double], atRisk: [Int]) {
            self.n = n; self.events = events; self.medianMonths = medianMonths; self.timeline = timeline
            self.survival = survival; self.lower = lower; self.upper = upper; self.atRisk = atRisk
        }

        enum CodingKeys: String, CodingKey {
            case n, events, medianMonths = "median", timeline, survival, lower, upper, atRisk = "at_risk"
        }
    }

    public var n: Int
    public var groups: [String: Group]
    public var logRankChi2: Double?
    public var logRankP: Double?
    public var hazardRatio: Double?
    public var hazardRatioCI95: [Double]?
    public var coxP: Double?
    public var note: String?

    public init(n: Int, groups: [String: Group] = [:]) { self.n = n; self.groups = groups }

    enum CodingKeys: String, CodingKey {
        case n, groups, logRankChi2 = "logrank_chi2", logRankP = "logrank_p", hazardRatio = "hazard_ratio",
             hazardRatioCI95 = "hazard_ratio_ci95", coxP = "cox_p", note
    }
}
