import Foundation
import KiraCore

/// Unpenalised logistic regression with inference, for a clinical model's table of odds
/// ratios: maximum likelihood by Newton–Raphson, standard errors from the inverse observed
/// information, Wald z and two-sided p, and 95% intervals exp(β ± z₀.₉₇₅·SE) on the odds
/// scale (statsmodels' Logit conventions). The intercept comes first.
public struct LogitInference: Sendable, Codable, Equatable {
    public struct Term: Sendable, Codable, Equatable {
        public var name: String
        public var coefficient: Double
        public var standardError: Double
        public var z: Double
        public var p: Double
        public var oddsRatio: Double
        public var oddsRatioCI95: [Double]
        enum CodingKeys: String, CodingKey {
            case name, coefficient, standardError = "se", z, p, oddsRatio = "odds_ratio", oddsRatioCI95 = "odds_ratio_ci95"
        }
    }

    public var n: Int
    public var events: Int
    public var terms: [Term]
    public var logLikelihood: Double
    public var iterations: Int

    /// `columns[j]` is predictor j over the cases. Throws when the fit has no finite maximum
    /// (perfect separation) or the predictors are collinear.
    public init(columns: [[Double]], names: [String], y: [Bool], tolerance: Double = 1e-12, maxIterations: Int = 100) throws {
        let n = y.count, p = columns.count + 1
        guard n > p else { throw KiraError.invalidData("logistic model: \(n) cases for \(p) parameters") }
        guard y.contains(true), y.contains(false) else { throw KiraError.invalidData("logistic model: the outcome has one class only") }
        for (j, c) in columns.enumerated() where c.count != n {
            throw KiraError.invalidData("logistic model: '\(names[j])' has \(c.count) values for \(n) cases")
        }
        // Row-major design with the intercept column.
        var x = [Double](repeating: 1, count: n * p)
        for i in 0..<n { for j in 0..<columns.count { x[i * p + j + 1] = columns[j][i] } }
        let t = y.map { $0 ? 1.0 : 0.0 }
        var beta = [Double](repeating: 0, count: p)
        var converged = false
        var iterations = 0
        var ll = -Double.infinity
        while iterations < maxIterations {
            iterations += 1
            var grad = [Double](repeating: 0, count: p)
            var hess = [Double](repeating: 0, count: p * p)
            var newLL = 0.0
            for i in 0..<n {
                var eta = 0.0
                for j in 0..<p { eta += x[i * p + j] * beta[j] }
                let mu = 1 / (1 + exp(-eta))
                // log(1 + e^η) without overflow.
                newLL += t[i] * eta - (eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta)))
                let w = mu * (1 - mu)
                for j in 0..<p {
                    grad[j] += (t[i] - mu) * x[i * p + j]
                    let wx = w * x[i * p + j]
                    for k in 0...j { hess[j * p + k] += wx * x[i * p + k] }
                }
            }
            for j in 0..<p { for k in 0..<j { hess[k * p + j] = hess[j * p + k] } }
            guard let c = Cholesky(hess, n: p) else {
                throw KiraError.invalidData("logistic model: the information matrix is singular (collinear predictors or perfect separation)")
            }
            let step = c.solve(grad)
            for j in 0..<p { beta[j] += step[j] }
            converged = abs(newLL - ll) <= tolerance * max(1, abs(newLL)) && zip(step, beta).allSatisfy { abs($0) <= 1e-10 * max(1, abs($1)) }
            ll = newLL
            if converged { break }
        }
        guard converged, beta.allSatisfy(\.isFinite) else {
            throw KiraError.invalidData("logistic model: Newton–Raphson did not converge in \(maxIterations) iterations (perfect separation?)")
        }
        // The information at the final β (the loop's last factorisation was one step earlier).
        let final = try Self.information(x: x, p: p, beta: beta)
        let cov = final.inverse()
        let z975 = Distributions.normalQuantile(0.975)
        terms = (0..<p).map { j in
            let se = cov[j * p + j].squareRoot()
            let z = beta[j] / se
            return Term(name: j == 0 ? "intercept" : names[j - 1], coefficient: beta[j], standardError: se, z: z,
                        p: Distributions.normalTwoSidedP(z), oddsRatio: exp(beta[j]),
                        oddsRatioCI95: [exp(beta[j] - z975 * se), exp(beta[j] + z975 * se)])
        }
        self.n = n
        events = y.filter { $0 }.count
        self.iterations = iterations
        logLikelihood = Self.logLikelihood(x: x, p: p, beta: beta, t: t)
    }

    static func information(x: [Double], p: Int, beta: [Double]) throws -> Cholesky {
        let n = x.count / p
        var hess = [Double](repeating: 0, count: p * p)
        for i in 0..<n {
            var eta = 0.0
            for j in 0..<p { eta += x[i * p + j] * beta[j] }
            let mu = 1 / (1 + exp(-eta))
            let w = mu * (1 - mu)
            for j in 0..<p { for k in 0...j { hess[j * p + k] += w * x[i * p + j] * x[i * p + k] } }
        }
        for j in 0..<p { for k in 0..<j { hess[k * p + j] = hess[j * p + k] } }
        guard let c = Cholesky(hess, n: p) else {
            throw KiraError.invalidData("logistic model: the information matrix is singular at the estimate")
        }
        return c
    }

    static func logLikelihood(x: [Double], p: Int, beta: [Double], t: [Double]) -> Double {
        var ll = 0.0
        for i in 0..<t.count {
            var eta = 0.0
            for j in 0..<p { eta += x[i * p + j] * beta[j] }
            ll += t[i] * eta - (eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta)))
        }
        return ll
    }

    /// One model per predictor (univariate odds ratios), then all together (multivariate).
    public static func univariateAndMultivariate(columns: [[Double]], names: [String], y: [Bool]) throws
        -> (univariate: [Term], multivariate: LogitInference) {
        let uni = try columns.indices.map { j in try LogitInference(columns: [columns[j]], names: [names[j]], y: y).terms[1] }
        return (uni, try LogitInference(columns: columns, names: names, y: y))
    }
}
