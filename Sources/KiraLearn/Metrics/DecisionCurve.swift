/// Decision-curve analysis (Vickers & Elkin 2006): net benefit of treating the cases whose
/// probability is ≥ pt, against treating everyone and no one, NB = TP/n − FP/n · pt/(1 − pt).
public struct DecisionCurve: Sendable, Codable, Equatable {
    public var thresholds: [Double]
    public var model: [Double]
    public var treatAll: [Double]
    public var treatNone: [Double]

    enum CodingKeys: String, CodingKey { case thresholds, model, treatAll = "treat_all", treatNone = "treat_none" }

    /// Thresholds default to 0.01, 0.02, …, 0.99.
    public init(probabilities p: [Double], labels y: [Bool], thresholds: [Double]? = nil) {
        let ts = thresholds ?? (1...99).map { Double($0) / 100 }
        let n = Double(y.count)
        let prevalence = Double(y.filter { $0 }.count) / n
        self.thresholds = ts
        model = ts.map { t in
            let c = ConfusionMatrix(probabilities: p, labels: y, threshold: t)
            return Double(c.tp) / n - Double(c.fp) / n * t / (1 - t)
        }
        treatAll = ts.map { t in prevalence - (1 - prevalence) * t / (1 - t) }
        treatNone = ts.map { _ in 0 }
    }
}
