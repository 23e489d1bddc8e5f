import Foundation
import KiraCore

/// SHAP values per case and feature of the model's inputs (after the selection steps),
/// in the model's raw output: log-odds for logistic regression and gradient boosting,
/// probability for forests.
public struct ShapExplanation: Sendable, Codable {
    public var method: String
    public var output: String
    public var features: [String]
    public var baseValue: Double
    public var values: [[Double]]
    /// Mean |SHAP| per feature: the summary ranking.
    public var meanAbs: [Double]

    enum CodingKeys: String, CodingKey {
        case method, output, features, baseValue = "base_value", values, meanAbs = "mean_abs"
    }

    init(method: String, output: String, features: [String], baseValue: Double, values: [[Double]]) {
        self.method = method; self.output = output; self.features = features; self.baseValue = baseValue; self.values = values
        meanAbs = features.indices.map { j in values.reduce(0) { $0 + abs($1[j]) } / Double(max(1, values.count)) }
    }

    /// Exact SHAP of a linear model with independent features: φⱼ = wⱼ (xⱼ − E[xⱼ]).
    public static func linear(_ m: LogisticModel, x: Matrix, background mean: [Double], features: [String]) -> ShapExplanation {
        let base = m.intercept + zip(m.coefficients, mean).reduce(0) { $0 + $1.0 * $1.1 }
        let values = (0..<x.rows).map { i in (0..<x.cols).map { j in m.coefficients[j] * (x[i, j] - mean[j]) } }
        return ShapExplanation(method: "linear (exact)", output: "log-odds", features: features, baseValue: base, values: values)
    }

    /// TreeSHAP (Lundberg, Erion & Lee 2018, path-dependent) summed over the ensemble's trees
    /// with their weights.
    public static func trees(_ e: TreeEnsemble, x: Matrix, features: [String]) -> ShapExplanation {
        let scale: Double = e.combination == .average ? 1 / Double(e.trees.count) : 1
        var base = e.combination == .logit ? e.base : 0
        for (t, w) in zip(e.trees, e.weights) { base += (e.combination == .average ? scale : w) * TreeSHAP.expectedValue(t) }
        let values = (0..<x.rows).map { i -> [Double] in
            var phi = [Double](repeating: 0, count: x.cols)
            for (t, w) in zip(e.trees, e.weights) {
                let f = TreeSHAP.values(t, x.row(i), features: x.cols)
                let k = e.combination == .average ? scale : w
                for j in 0..<x.cols { phi[j] += k * f[j] }
            }
            return phi
        }
        return ShapExplanation(method: "TreeSHAP (path-dependent)", output: e.combination == .average ? "probability" : "log-odds",
                               features: features, baseValue: base, values: values)
    }
}

/// Nomogram of a logistic model: each input's contribution wⱼxⱼ mapped to 0–100 points
/// over its training range, the widest-ranging contribution spanning 100; the total points
/// map to the probability through σ(intercept + pointsToLogOdds · total), as rms::nomogram.
public struct Nomogram: Sendable, Codable {
    public struct Axis: Sendable, Codable {
        public var feature: String
        public var coefficient: Double
        public var min: Double
        public var max: Double
        /// Points gained per unit of the (transformed) feature.
        public var pointsPerUnit: Double
    }
    public var axes: [Axis]
    /// Total points → log-odds: lp = intercept + pointsToLogOdds · points.
    public var intercept: Double
    public var pointsToLogOdds: Double
    public var casePoints: [Double]
    /// The largest possible total: the sum of every axis's span in points.
    public var totalPointsMax: Double
    /// Total points → probability, every 10 points from 0 to the largest total.
    public var probabilityAxis: [ScalePoint]
    /// Total points at which the predicted probability is 0.01, 0.05, 0.1, 0.2, …, 0.9, 0.95,
    /// 0.99 (those reachable within 0…totalPointsMax), the ticks of the probability axis.
    public var pointsForProbability: [ScalePoint]
    public var caseProbability: [Double]

    public struct ScalePoint: Sendable, Codable, Equatable {
        public var points: Double
        public var probability: Double
    }

    enum CodingKeys: String, CodingKey {
        case axes, intercept, pointsToLogOdds = "points_to_log_odds", casePoints = "case_points",
             totalPointsMax = "total_points_max", probabilityAxis = "probability_axis",
             pointsForProbability = "points_for_probability", caseProbability = "case_probability"
    }

    /// P(positive) for a total of points: σ(intercept + pointsToLogOdds · points).
    public func probability(totalPoints: Double) -> Double { sigmoid(intercept + pointsToLogOdds * totalPoints) }

    public init(_ m: LogisticModel, features: [String], min lo: [Double], max hi: [Double], x: Matrix) throws {
        let spans = m.coefficients.indices.map { abs(m.coefficients[$0]) * (hi[$0] - lo[$0]) }
        guard let widest = spans.max(), widest > 0 else {
            throw KiraError.invalidData("nomogram: every coefficient is zero; the model has no axis to draw")
        }
        let perPoint = widest / 100
        axes = m.coefficients.indices.map { j in
            Axis(feature: features[j], coefficient: m.coefficients[j], min: lo[j], max: hi[j],
                 pointsPerUnit: abs(m.coefficients[j]) / perPoint)
        }
        // Points count from the end of each axis with the lower contribution.
        var b = m.intercept
        for j in m.coefficients.indices { b += m.coefficients[j] * (m.coefficients[j] >= 0 ? lo[j] : hi[j]) }
        intercept = b
        pointsToLogOdds = perPoint
        casePoints = (0..<x.rows).map { i in
            m.coefficients.indices.reduce(0.0) { s, j in
                let origin = m.coefficients[j] >= 0 ? lo[j] : hi[j]
                return s + abs(m.coefficients[j]) * abs(x[i, j] - origin) / perPoint * ((x[i, j] - origin) * m.coefficients[j] >= 0 ? 1 : -1)
            }
        }
        let total = spans.reduce(0, +) / perPoint
        totalPointsMax = total
        let b0 = b, scale = perPoint
        func p(_ points: Double) -> Double { sigmoid(b0 + scale * points) }
        let top = (total / 10).rounded(.up) * 10
        probabilityAxis = stride(from: 0.0, through: top, by: 10).map { ScalePoint(points: $0, probability: p($0)) }
        pointsForProbability = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99].compactMap { q in
            let points = (log(q / (1 - q)) - b0) / scale
            return points >= 0 && points <= total ? ScalePoint(points: points, probability: q) : nil
        }
        caseProbability = casePoints.map(p)
    }
}
