import Foundation
import KiraCore

/// Penalised (elastic-net) Cox regression by cyclic coordinate descent.
///
/// Objective, on covariates standardised to mean 0 and SD 1 (n − 1 denominator):
///
///     minimise  −ℓ(β)/n + λ · [ α‖β‖₁ + (1 − α)/2 · ‖β‖₂² ]
///
/// with ℓ the Efron (or Breslow) log partial likelihood. This is glmnet's and scikit-survival's
/// Coxnet objective, and lifelines' `CoxPHFitter(penalizer: λ, l1_ratio: α)` with its smoothed
/// |β| replaced by the exact one. Coefficients are reported on the covariates' own scale.
///
/// Each outer step replaces ℓ by its second-order expansion in the linear predictor η with the
/// diagonal of the Hessian (glmnet's working weights), minimises that surrogate by coordinate
/// descent over an active set, and halves the step when the true objective would rise.
public struct PenalizedCox: Sendable {
    public var names: [String]
    public var lambda: Double
    public var l1Ratio: Double
    public var ties: CoxTies
    /// Coefficients per unit of each covariate.
    public var coef: [Double]
    /// Coefficients per SD of each covariate (the penalised scale).
    public var standardizedCoef: [Double]
    /// ℓ(β̂), unpenalised.
    public var logLikelihood: Double
    public var objective: Double
    public var iterations: Int
    public var converged: Bool
    /// Xβ per input row: the Rad-score.
    public var linearPredictor: [Double]
    public var concordance: Double
    public var crossValidation: CrossValidation?
    public var n: Int
    public var events: Int

    /// Cross-validated partial likelihood (Verweij & van Houwelingen 1993) along the λ path:
    /// CVPL(λ) = Σₖ [ℓ(β̂₋ₖ) − ℓ₋ₖ(β̂₋ₖ)], larger is better.
    public struct CrossValidation: Sendable {
        public var folds: Int
        public var lambdas: [Double]
        public var cvpl: [Double]
        public var best: Double
    }

    /// The standardised problem, shared by the single fit and the cross-validation.
    struct Problem {
        var design: CoxDesign
        /// Column-major copy of the standardised covariates, rows in sorted order.
        var columns: [Double]
        let ties: CoxTies

        init(design: CoxDesign, ties: CoxTies) {
            self.design = design
            self.ties = ties
            var c = [Double](repeating: 0, count: design.n * design.p)
            for i in 0..<design.n { for j in 0..<design.p { c[j * design.n + i] = design.x[i * design.p + j] } }
            columns = c
        }

        var n: Int { design.n }
        var p: Int { design.p }

        func eta(_ beta: [Double]) -> [Double] { design.linearPredictor(beta) }

        /// ℓ, ∂ℓ/∂ηᵢ and −∂²ℓ/∂ηᵢ² (sorted order).
        func derivatives(_ eta: [Double]) -> (ll: Double, r: [Double], w: [Double]) {
            let n = design.n, starts = design.groupStart, ev = design.event
            let shift = eta.max() ?? 0
            var e = [Double](repeating: 0, count: n)
            for i in 0..<n { e[i] = exp(eta[i] - shift) }
            let groups = starts.count - 1
            var a = [Double](repeating: 0, count: groups), b = a, aTie = a, bTie = a
            var ll = 0.0, s0 = 0.0
            for g in stride(from: groups - 1, through: 0, by: -1) {
                var t0 = 0.0, d = 0
                for i in starts[g]..<starts[g + 1] {
                    s0 += e[i]
                    if ev[i] { t0 += e[i]; d += 1; ll += eta[i] - shift }
                }
                guard d > 0 else { continue }
                let dd = Double(d)
                for l in 0..<d {
                    let phi = ties == .efron ? Double(l) / dd : 0
                    let den = s0 - phi * t0
                    ll -= log(den)
                    let inv = 1 / den, c = 1 - phi
                    a[g] += inv; b[g] += inv * inv
                    aTie[g] += c * inv; bTie[g] += c * c * inv * inv
                }
            }
            var r = [Double](repeating: 0, count: n), w = r
            var ca = 0.0, cb = 0.0
            for g in 0..<groups {
                for i in starts[g]..<starts[g + 1] {
                    let ai = ca + (ev[i] ? aTie[g] : a[g]), bi = cb + (ev[i] ? bTie[g] : b[g])
                    r[i] = (ev[i] ? 1 : 0) - e[i] * ai
                    w[i] = e[i] * ai - e[i] * e[i] * bi
                }
                ca += a[g]; cb += b[g]
            }
            return (ll, r, w)
        }

        func logLikelihood(_ beta: [Double]) -> Double { derivatives(eta(beta)).ll }

        func penalty(_ beta: [Double], lambda: Double, alpha: Double) -> Double {
            var l1 = 0.0, l2 = 0.0
            for b in beta { l1 += abs(b); l2 += b * b }
            return lambda * (alpha * l1 + 0.5 * (1 - alpha) * l2)
        }

        /// Minimises the objective from `start`; returns β, ℓ(β), outer iterations and convergence.
        func solve(lambda: Double, alpha: Double, start: [Double], tolerance: Double = 1e-10, maxOuter: Int = 200)
            -> (beta: [Double], ll: Double, iterations: Int, converged: Bool) {
            let n = self.n, p = self.p, nd = Double(n)
            var beta = start
            var eta = self.eta(beta)
            var cur = derivatives(eta)
            var f = -cur.ll / nd + penalty(beta, lambda: lambda, alpha: alpha)
            var v = [Double](repeating: 0, count: p)
            for outer in 1...maxOuter {
                let r = cur.r, w = cur.w
                for j in 0..<p {
                    var s = 0.0
                    columns.withUnsafeBufferPointer { c in
                        let base = j * n
                        for i in 0..<n { s += w[i] * c[base + i] * c[base + i] }
                    }
                    v[j] = s / nd
                }
                // res = w(z − η̃), starting at η̃ = η.
                var res = r
                var nb = beta
                var active = Set((0..<p).filter { beta[$0] != 0 })
                func sweep(_ js: [Int]) -> Double {
                    var maxChange = 0.0
                    columns.withUnsafeBufferPointer { c in
                        res.withUnsafeMutableBufferPointer { rp in
                            for j in js {
                                let base = j * n
                                var u = 0.0
                                for i in 0..<n { u += c[base + i] * rp[i] }
                                u = u / nd + v[j] * nb[j]
                                let thr = lambda * alpha
                                let soft = u > thr ? u - thr : (u < -thr ? u + thr : 0)
                                let bj = soft / (v[j] + lambda * (1 - alpha))
                                let delta = bj - nb[j]
                                if delta != 0 {
                                    for i in 0..<n { rp[i] -= w[i] * c[base + i] * delta }
                                    nb[j] = bj
                                    maxChange = max(maxChange, abs(delta) * max(v[j], 1e-12).squareRoot())
                                    if bj != 0 { active.insert(j) }
                                }
                            }
                        }
                    }
                    return maxChange
                }
                for _ in 0..<10_000 {
                    let full = sweep(Array(0..<p))
                    if full < tolerance * 1e-2 { break }
                    for _ in 0..<10_000 {
                        if sweep(active.sorted()) < tolerance * 1e-2 { break }
                    }
                }
                // Step halving on the true objective.
                var step = 1.0
                var accepted = false
                var trial = nb, te = eta, td = cur, tf = f
                while step > 1e-8 {
                    trial = zip(beta, nb).map { $0 + step * ($1 - $0) }
                    te = self.eta(trial)
                    td = derivatives(te)
                    tf = -td.ll / nd + penalty(trial, lambda: lambda, alpha: alpha)
                    if tf.isFinite && tf <= f + 1e-15 * abs(f) { accepted = true; break }
                    step /= 2
                }
                let change = zip(beta, trial).reduce(0.0) { max($0, abs($1.0 - $1.1)) }
                if accepted { beta = trial; eta = te; cur = td; f = tf }
                if !accepted || change < tolerance { return (beta, cur.ll, outer, accepted || change < tolerance) }
            }
            return (beta, cur.ll, maxOuter, false)
        }
    }

    struct Standardised {
        var problem: Problem
        var means: [Double]
        var sds: [Double]
    }

    static func standardise(time: [Double], event: [Bool], columns: [[Double]], names: [String], ties: CoxTies) throws -> Standardised {
        let n = time.count
        guard !columns.isEmpty else { throw KiraError.invalidArgument("penalised Cox: no covariates given") }
        guard event.contains(true) else {
            throw KiraError.invalidData("penalised Cox: no events among the \(n) subjects, so no coefficient can be estimated")
        }
        var means: [Double] = [], sds: [Double] = [], std: [[Double]] = []
        for (j, col) in columns.enumerated() {
            let m = col.reduce(0, +) / Double(n)
            let sd = (col.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(n - 1, 1))).squareRoot()
            guard sd > 0 else { throw KiraError.invalidData("penalised Cox: covariate \"\(names[j])\" is constant") }
            means.append(m); sds.append(sd); std.append(col.map { ($0 - m) / sd })
        }
        return Standardised(problem: Problem(design: CoxDesign(time: time, event: event, columns: std), ties: ties), means: means, sds: sds)
    }

    /// The smallest λ at which every coefficient is 0 (for α > 0; for ridge, α is taken as 0.001).
    static func lambdaMax(_ problem: Problem, alpha: Double) -> Double {
        let d = problem.derivatives([Double](repeating: 0, count: problem.n))
        var m = 0.0
        for j in 0..<problem.p {
            var g = 0.0
            for i in 0..<problem.n { g += problem.columns[j * problem.n + i] * d.r[i] }
            m = max(m, abs(g))
        }
        return m / (Double(problem.n) * max(alpha, 1e-3))
    }

    /// A fit at one λ.
    public init(time: [Double], event: [Bool], columns: [[Double]], names: [String],
                lambda: Double, l1Ratio: Double, ties: CoxTies = .efron) throws {
        guard lambda >= 0, lambda.isFinite else { throw KiraError.invalidArgument("penalised Cox: λ must be ≥ 0, got \(lambda)") }
        guard (0...1).contains(l1Ratio) else { throw KiraError.invalidArgument("penalised Cox: the L1 ratio must be in [0, 1], got \(l1Ratio)") }
        let s = try Self.standardise(time: time, event: event, columns: columns, names: names, ties: ties)
        let sol = s.problem.solve(lambda: lambda, alpha: l1Ratio, start: [Double](repeating: 0, count: s.problem.p))
        self.init(s, sol: sol, time: time, event: event, columns: columns, names: names, lambda: lambda, l1Ratio: l1Ratio, cv: nil)
    }

    private init(_ s: Standardised, sol: (beta: [Double], ll: Double, iterations: Int, converged: Bool),
                 time: [Double], event: [Bool], columns: [[Double]], names: [String], lambda: Double, l1Ratio: Double,
                 cv: CrossValidation?) {
        self.names = names; self.lambda = lambda; self.l1Ratio = l1Ratio; ties = s.problem.ties
        standardizedCoef = sol.beta
        coef = zip(sol.beta, s.sds).map { $0 / $1 }
        logLikelihood = sol.ll
        objective = -sol.ll / Double(time.count) + s.problem.penalty(sol.beta, lambda: lambda, alpha: l1Ratio)
        iterations = sol.iterations; converged = sol.converged
        let c = coef
        linearPredictor = time.indices.map { i in c.indices.reduce(0) { $0 + columns[$1][i] * c[$1] } }
        concordance = (try? Concordance.harrell(time: time, event: event, risk: linearPredictor).c) ?? .nan
        crossValidation = cv
        n = time.count; events = event.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// λ chosen by k-fold cross-validated partial likelihood over a log-spaced path from λ_max
    /// down to λ_max·ε (ε = 1e-4 when n > p, else 1e-2, as glmnet), then refitted on all data.
    /// Folds: a seeded shuffle, so runs are reproducible. Covariates are standardised once on all data.
    public static func crossValidated(time: [Double], event: [Bool], columns: [[Double]], names: [String],
                                      l1Ratio: Double, ties: CoxTies = .efron, folds: Int = 5, pathLength: Int = 50,
                                      seed: UInt64 = 1) throws -> PenalizedCox {
        guard folds >= 2, folds <= time.count else { throw KiraError.invalidArgument("--cv needs between 2 and \(time.count) folds, got \(folds)") }
        guard (0...1).contains(l1Ratio) else { throw KiraError.invalidArgument("penalised Cox: the L1 ratio must be in [0, 1], got \(l1Ratio)") }
        let s = try standardise(time: time, event: event, columns: columns, names: names, ties: ties)
        let full = s.problem
        let lmax = lambdaMax(full, alpha: l1Ratio)
        let ratio = full.n > full.p ? 1e-4 : 1e-2
        let lambdas = (0..<pathLength).map { lmax * pow(ratio, Double($0) / Double(pathLength - 1)) }
        // Seeded shuffle of sorted rows into folds.
        var rng = SplitMix64(seed: seed)
        var perm = Array(0..<full.n)
        for i in stride(from: perm.count - 1, to: 0, by: -1) { perm.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var fold = [Int](repeating: 0, count: full.n)
        for (k, i) in perm.enumerated() { fold[i] = k % folds }
        var cvpl = [Double](repeating: 0, count: lambdas.count)
        for k in 0..<folds {
            let train = (0..<full.n).filter { fold[$0] != k }
            let sub = Problem(design: full.design.subset(train), ties: ties)
            guard sub.design.eventCount > 0 else { continue }
            var beta = [Double](repeating: 0, count: full.p)
            for (li, lam) in lambdas.enumerated() {
                beta = sub.solve(lambda: lam, alpha: l1Ratio, start: beta, tolerance: 1e-7).beta
                cvpl[li] += full.logLikelihood(beta) - sub.logLikelihood(beta)
            }
        }
        let bestIndex = cvpl.indices.max { cvpl[$0] < cvpl[$1] }!
        // Refit along the path to the chosen λ (warm starts), then tightly at it.
        var beta = [Double](repeating: 0, count: full.p)
        for lam in lambdas[...bestIndex] { beta = full.solve(lambda: lam, alpha: l1Ratio, start: beta, tolerance: 1e-7).beta }
        let sol = full.solve(lambda: lambdas[bestIndex], alpha: l1Ratio, start: beta)
        let cv = CrossValidation(folds: folds, lambdas: lambdas, cvpl: cvpl, best: lambdas[bestIndex])
        return PenalizedCox(s, sol: sol, time: time, event: event, columns: columns, names: names,
                            lambda: lambdas[bestIndex], l1Ratio: l1Ratio, cv: cv)
    }
}
