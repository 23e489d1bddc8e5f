import KiraCore

/// Every metric of one set of predictions, with the keys `kira evaluate --json` prints.
public struct Evaluation: Sendable, Codable, Equatable {
    public var n: Int
    public var positives: Int
    public var auc: Double
    public var aucCI95: [Double]
    /// "delong" or "bootstrap".
    public var aucCIMethod: String
    public var accuracy: Double
    public var sensitivity: Double
    public var specificity: Double
    public var ppv: Double
    public var npv: Double
    public var f1: Double
    public var brier: Double
    public var threshold: Double
    public var confusion: ConfusionMatrix
    public var calibration: CalibrationReport?
    public var decisionCurve: DecisionCurve

    enum CodingKeys: String, CodingKey {
        case n, positives, auc, aucCI95 = "auc_ci95", aucCIMethod = "auc_ci_method", accuracy, sensitivity,
             specificity, ppv, npv, f1, brier, threshold, confusion, calibration, decisionCurve = "decision_curve"
    }

    public enum CIMethod: Sendable { case delong, bootstrap(replicates: Int, seed: UInt64) }

    /// `threshold` nil: Youden's threshold on these predictions (pass the training threshold
    /// to evaluate a frozen model honestly).
    public init(probabilities p: [Double], labels y: [Bool], threshold: Double? = nil,
                ci: CIMethod = .delong) throws {
        let d = try DeLongAUC(scores: p, labels: y)
        n = y.count
        positives = d.positives
        auc = d.auc
        switch ci {
        case .delong:
            aucCI95 = d.ci95; aucCIMethod = "delong"
        case let .bootstrap(r, seed):
            aucCI95 = try BootstrapAUC.ci(scores: p, labels: y, replicates: r, seed: seed); aucCIMethod = "bootstrap"
        }
        let t = threshold ?? ROCCurve(scores: p, labels: y).youdenThreshold
        let m = ThresholdMetrics(probabilities: p, labels: y, threshold: t)
        accuracy = m.accuracy; sensitivity = m.sensitivity; specificity = m.specificity
        ppv = m.ppv; npv = m.npv; f1 = m.f1; self.threshold = t; confusion = m.confusion
        brier = ThresholdMetrics.brier(probabilities: p, labels: y)
        // Scores outside [0, 1] (or perfectly separated classes) have no calibration.
        calibration = try? CalibrationReport(probabilities: p, labels: y)
        decisionCurve = DecisionCurve(probabilities: p, labels: y)
    }
}
