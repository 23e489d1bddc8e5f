import Foundation
import KiraCore

/// A χ² test result.
public struct ChiSquareTest: Sendable {
    public var statistic: Double
    public var df: Int
    public var p: Double
    public init(statistic: Double, df: Int) {
        self.statistic = statistic; self.df = df
        p = Distributions.chiSquareSF(statistic, df: Double(df))
    }
}

/// Cox proportional-hazards regression fitted by Newton–Raphson with step halving.
public struct CoxModel: Sendable {
    public var names: [String]
    public var ties: CoxTies
    public var coef: [Double]
    public var se: [Double]
    public var z: [Double]
    public var p: [Double]
    public var hrLower: [Double]
    public var hrUpper: [Double]
    /// (−∂²ℓ)⁻¹ at the estimate, row-major.
    public var variance: [Double]
    public var logLikelihood: Double
    public var nullLogLikelihood: Double
    public var likelihoodRatioTest: ChiSquareTest
    public var scoreTest: ChiSquareTest
    public var waldTest: ChiSquareTest
    /// Harrell's C of the linear predictor on the fitted data.
    public var concordance: Double
    /// Xβ for each input row (uncentred covariates): the Rad-score.
    public var linearPredictor: [Double]
    public var iterations: Int
    public var converged: Bool
    public var warnings: [String]
    public var n: Int
    public var events: Int

    public struct Options: Sendable {
        public var ties: CoxTies = .efron
        public var maxIterations = 50
        public var confidenceLevel = 0.95
        public init(ties: CoxTies = .efron) { self.ties = ties }
    }

    /// `columns[j]` holds covariate `names[j]` for every subject.
    public init(time: [Double], event: [Bool], columns: [[Double]], names: [String], options: Options = .init()) throws {
        let n = time.count, p = columns.count
        guard p > 0 else { throw KiraError.invalidArgument("Cox model: no covariates given") }
        // Newton–Raphson holds about four p × p matrices (Hessian, its negation, factor, inverse).
        try AllocationBudget.check("Cox model with \(p) covariates: information matrix", factors: [p, p],
                                   elementBytes: 4 * MemoryLayout<Double>.size, unit: "entries")
        let events = event.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard events > 0 else {
            throw KiraError.invalidData("Cox model: no events among the \(n) subjects, so no coefficient can be estimated")
        }
        // Centring keeps exp(η) in range; it changes neither β nor ℓ.
        var centred = columns
        var sds: [Double] = []
        for j in 0..<p {
            let m = columns[j].reduce(0, +) / Double(n)
            centred[j] = columns[j].map { $0 - m }
            let ss = centred[j].reduce(0) { $0 + $1 * $1 }
            let sd = (ss / Double(max(n - 1, 1))).squareRoot()
            guard sd > 0 else { throw KiraError.invalidData("Cox model: covariate \"\(names[j])\" is constant, so its coefficient cannot be estimated") }
            sds.append(sd)
        }
        var warnings: [String] = []
        let uniqueEventTimes = Set(zip(time, event).filter { $0.1 }.map { $0.0 })
        if uniqueEventTimes.count == 1 {
            warnings.append("all \(events) events happen at one time (\(uniqueEventTimes.first!)): a single risk set carries the whole partial likelihood")
        }
        let design = CoxDesign(time: time, event: event, columns: centred)
        let ties = options.ties
        var beta = [Double](repeating: 0, count: p)
        var cur = design.evaluate(beta, ties: ties)
        let ll0 = cur.ll
        guard let chol0 = Cholesky(cur.hessian.map { -$0 }, n: p) else {
            throw KiraError.invalidData("Cox model: the information matrix at β = 0 is singular: covariates \(names.joined(separator: ", ")) are collinear or do not vary within risk sets")
        }
        let score = chol0.quadraticForm(cur.gradient)
        var iterations = 0, converged = false
        var chol = chol0
        while iterations < options.maxIterations {
            iterations += 1
            let delta = chol.solve(cur.gradient)
            let decrement = zip(delta, cur.gradient).reduce(0) { $0 + $1.0 * $1.1 }
            if decrement < 1e-18 * max(1, abs(cur.ll)) { converged = true; break }
            var step = 1.0
            var accepted = false
            while step > 1e-10 {
                let trial = zip(beta, delta).map { $0 + step * $1 }
                let next = design.evaluate(trial, ties: ties)
                if next.ll.isFinite && next.ll >= cur.ll - 1e-12 * abs(cur.ll) {
                    beta = trial; cur = next; accepted = true; break
                }
                step /= 2
            }
            guard accepted else { break }
            guard let c = Cholesky(cur.hessian.map { -$0 }, n: p) else {
                warnings.append("the information matrix became singular at iteration \(iterations)")
                break
            }
            chol = c
        }
        if !converged {
            warnings.append("Newton–Raphson did not converge in \(iterations) iterations")
        }
        // A coefficient that keeps growing (hazard ratio per SD beyond e^10) marks a covariate that
        // separates events from survivors: the estimate is not finite and is reported, not hidden.
        let diverging = (0..<p).filter { abs(beta[$0]) * sds[$0] > 10 }
        if !diverging.isEmpty {
            converged = false
            warnings.append("the partial likelihood has no finite maximum: coefficient(s) \(diverging.map { "\"\(names[$0])\"" }.joined(separator: ", ")) grow without bound (perfect or quasi-perfect separation); estimates and SEs are not meaningful")
        }
        let variance = chol.inverse()
        let zq = Distributions.normalQuantile(1 - (1 - options.confidenceLevel) / 2)
        self.names = names; self.ties = ties; coef = beta
        se = (0..<p).map { variance[$0 * p + $0].squareRoot() }
        z = zip(beta, se).map { $0 / $1 }
        self.p = z.map { Distributions.chiSquareSF($0 * $0, df: 1) }
        hrLower = zip(beta, se).map { exp($0 - zq * $1) }
        hrUpper = zip(beta, se).map { exp($0 + zq * $1) }
        self.variance = variance
        logLikelihood = cur.ll; nullLogLikelihood = ll0
        likelihoodRatioTest = ChiSquareTest(statistic: 2 * (cur.ll - ll0), df: p)
        scoreTest = ChiSquareTest(statistic: score, df: p)
        // βᵀ I β: the information is V⁻¹, i.e. −H at the estimate.
        var hb = [Double](repeating: 0, count: p)
        for a in 0..<p { for b in 0..<p { hb[a] -= cur.hessian[a * p + b] * beta[b] } }
        waldTest = ChiSquareTest(statistic: zip(beta, hb).reduce(0) { $0 + $1.0 * $1.1 }, df: p)
        linearPredictor = (0..<n).map { i in (0..<p).reduce(0) { $0 + columns[$1][i] * beta[$1] } }
        concordance = (try? Concordance.harrell(time: time, event: event, risk: linearPredictor).c) ?? .nan
        self.iterations = iterations; self.converged = converged; self.warnings = warnings
        self.n = n; self.events = events
    }
}
