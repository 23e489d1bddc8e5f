import KiraCore

/// Counts at one threshold: a case is called positive when its probability ≥ threshold.
public struct ConfusionMatrix: Sendable, Codable, Equatable {
    public var tp: Int, fp: Int, tn: Int, fn: Int

    public init(probabilities: [Double], labels: [Bool], threshold: Double) {
        tp = 0; fp = 0; tn = 0; fn = 0
        for (p, y) in zip(probabilities, labels) {
            switch (p >= threshold, y) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
    }
}

/// Accuracy, sensitivity, specificity, PPV, NPV and F1 at a threshold, and the Brier score.
/// A ratio whose denominator is zero is reported as 0, as scikit-learn's `zero_division=0`.
public struct ThresholdMetrics: Sendable, Codable, Equatable {
    public var threshold: Double
    public var confusion: ConfusionMatrix
    public var accuracy: Double
    public var sensitivity: Double
    public var specificity: Double
    public var ppv: Double
    public var npv: Double
    public var f1: Double

    public init(probabilities: [Double], labels: [Bool], threshold: Double) {
        self.threshold = threshold
        let c = ConfusionMatrix(probabilities: probabilities, labels: labels, threshold: threshold)
        confusion = c
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        accuracy = ratio(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn)
        sensitivity = ratio(c.tp, c.tp + c.fn)
        specificity = ratio(c.tn, c.tn + c.fp)
        ppv = ratio(c.tp, c.tp + c.fp)
        npv = ratio(c.tn, c.tn + c.fn)
        f1 = ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)
    }

    public static func brier(probabilities: [Double], labels: [Bool]) -> Double {
        var s = 0.0
        for (p, y) in zip(probabilities, labels) { let d = p - (y ? 1 : 0); s += d * d }
        return s / Double(max(1, labels.count))
    }

    /// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15].
    public static func logLoss(probabilities: [Double], labels: [Bool]) -> Double {
        var s = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(max(p, 1e-15), 1 - 1e-15)
            s -= y ? log(q) : log(1 - q)
        }
        return s / Double(max(1, labels.count))
    }
}

import Foundation
