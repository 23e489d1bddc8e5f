import Foundation
import KiraCore
@testable import KiraSurvival
import KiraTestSupport
import Testing

/// Penalised Cox against lifelines (ridge, Efron ties: the same objective exactly) and
/// scikit-survival's Coxnet (elastic net/lasso, Breslow ties, exact |β|), on standardised
/// Rossi data, coefficients within 1e-6; plus the optimality (KKT) conditions.
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct PenalizedCoxPeerTests {
    static let covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]

    static func data() throws -> SurvivalTable {
        try SurvivalTable(table: try PeerReference.table("rossi_std"), time: "week", event: "arrest", numeric: covariates)
    }

    @Test(arguments: ["0.01", "0.1"])
    func ridgeMatchesLifelines(_ lam: String) throws {
        let ref = PeerReference.dict("penalized_l2", lam)
        try #require(!ref.isEmpty)
        let t = try Self.data()
        let m = try PenalizedCox(time: t.time, event: t.event, columns: t.numeric, names: Self.covariates,
                                 lambda: Double(lam)!, l1Ratio: 0, ties: .efron)
        let d = maxAbsDifference(m.coef, doubles(ref["coef"]))
        print("ridge λ=\(lam): max |Δcoef| vs lifelines \(d), Δℓ \(m.logLikelihood - ((ref["log_likelihood"] as? NSNumber)?.doubleValue ?? .nan))")
        #expect(m.converged)
        #expect(d <= 1e-6)
    }

    @Test(.enabled(if: PeerReference.sksurvAvailable, Comment(rawValue: PeerReference.sksurvMissing)),
          arguments: ["0.02/1", "0.05/0.5", "0.005/1"])
    func elasticNetMatchesCoxnet(_ key: String) throws {
        let ref = PeerReference.dict("coxnet_breslow", key)
        try #require(!ref.isEmpty, "scikit-survival missing: no Coxnet reference")
        let t = try Self.data()
        let lam = (ref["lambda"] as! NSNumber).doubleValue, l1 = (ref["l1_ratio"] as! NSNumber).doubleValue
        let m = try PenalizedCox(time: t.time, event: t.event, columns: t.numeric, names: Self.covariates,
                                 lambda: lam, l1Ratio: l1, ties: .breslow)
        let refCoef = doubles(ref["coef"])
        let d = maxAbsDifference(m.coef, refCoef)
        print("elastic net \(key) (Breslow): max |Δcoef| vs Coxnet \(d)")
        #expect(m.converged)
        #expect(d <= 1e-6)
        // Same zero pattern as Coxnet's exact lasso.
        #expect(m.coef.map { $0 == 0 } == refCoef.map { $0 == 0 })
    }

    /// lifelines' smoothed |β| cannot reach exact zeros; the fits agree to its smoothing error.
    @Test func lassoCloseToLifelinesSmoothedL1() throws {
        let ref = PeerReference.dict("penalized_l1_lifelines")
        let t = try Self.data()
        let m = try PenalizedCox(time: t.time, event: t.event, columns: t.numeric, names: Self.covariates,
                                 lambda: (ref["penalizer"] as! NSNumber).doubleValue, l1Ratio: 1, ties: .efron)
        let d = maxAbsDifference(m.coef, doubles(ref["coef"]))
        print("lasso vs lifelines smoothed L1: max |Δcoef| \(d)")
        #expect(d <= 1e-5)
    }
}

/// KKT conditions of the elastic-net Cox objective at the solution, on synthetic data with more
/// features than subjects; and cross-validation picks the λ with the largest CVPL.
struct PenalizedCoxOptimalityTests {
    static func synthetic(n: Int, p: Int, seed: UInt64) -> (time: [Double], event: [Bool], columns: [[Double]]) {
        var s = seed
        func u() -> Double {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Double(s >> 11) + 0.5) / Double(1 << 53)
        }
        var cols = (0..<p).map { _ in (0..<n).map { _ in u() * 2 - 1 } }
        cols[1] = cols[0].map { $0 * 0.7 } .enumerated().map { $1 + 0.3 * cols[2][$0] }
        var time: [Double] = [], event: [Bool] = []
        for i in 0..<n {
            let eta = 1.5 * cols[0][i] - 1.0 * cols[3][i] + 0.5 * cols[4][i]
            let t = -log(u()) / exp(eta), c = -log(u()) * 2
            time.append((min(t, c) * 100).rounded() / 100 + 0.01); event.append(t <= c)
        }
        return (time, event, cols)
    }

    @Test(arguments: [(1.0, CoxTies.efron), (0.5, .breslow), (0.0, .efron)])
    func solutionSatisfiesKKT(_ alpha: Double, _ ties: CoxTies) throws {
        let d = Self.synthetic(n: 120, p: 200, seed: 7)
        let names = (0..<200).map { "f\($0)" }
        let s = try PenalizedCox.standardise(time: d.time, event: d.event, columns: d.columns, names: names, ties: ties)
        let lam = 0.3 * PenalizedCox.lambdaMax(s.problem, alpha: alpha)
        let m = try PenalizedCox(time: d.time, event: d.event, columns: d.columns, names: names, lambda: lam, l1Ratio: alpha, ties: ties)
        #expect(m.converged)
        // Gradient of ℓ/n w.r.t. standardised β: Xᵀr/n.
        let pr = s.problem
        let der = pr.derivatives(pr.eta(m.standardizedCoef))
        var worst = 0.0
        for j in 0..<pr.p {
            var g = 0.0
            for i in 0..<pr.n { g += pr.columns[j * pr.n + i] * der.r[i] }
            g /= Double(pr.n)
            let b = m.standardizedCoef[j]
            if b != 0 {
                worst = max(worst, abs(g - lam * (alpha * (b > 0 ? 1 : -1) + (1 - alpha) * b)))
            } else {
                worst = max(worst, max(0, abs(g) - lam * alpha))
            }
        }
        print("KKT α=\(alpha) \(ties): max violation \(worst), nonzero \(m.coef.filter { $0 != 0 }.count)")
        #expect(worst <= 1e-8)
        if alpha > 0 { #expect(m.coef.filter { $0 != 0 }.count < 200) }
    }

    @Test func aboveLambdaMaxEverythingIsZero() throws {
        let d = Self.synthetic(n: 80, p: 20, seed: 3)
        let names = (0..<20).map { "f\($0)" }
        let s = try PenalizedCox.standardise(time: d.time, event: d.event, columns: d.columns, names: names, ties: .efron)
        let lmax = PenalizedCox.lambdaMax(s.problem, alpha: 1)
        let above = try PenalizedCox(time: d.time, event: d.event, columns: d.columns, names: names, lambda: lmax * 1.0001, l1Ratio: 1)
        let below = try PenalizedCox(time: d.time, event: d.event, columns: d.columns, names: names, lambda: lmax * 0.95, l1Ratio: 1)
        #expect(above.coef.allSatisfy { $0 == 0 })
        #expect(below.coef.filter { $0 != 0 }.count >= 1)
    }

    @Test func crossValidationPicksTheLargestCVPL() throws {
        let d = Self.synthetic(n: 150, p: 30, seed: 11)
        let names = (0..<30).map { "f\($0)" }
        let m = try PenalizedCox.crossValidated(time: d.time, event: d.event, columns: d.columns, names: names,
                                                l1Ratio: 1, folds: 5, pathLength: 30, seed: 42)
        let cv = try #require(m.crossValidation)
        #expect(cv.cvpl.count == 30 && cv.lambdas.count == 30)
        #expect(cv.cvpl.max() == cv.cvpl[cv.lambdas.firstIndex(of: cv.best)!])
        #expect(m.lambda == cv.best)
        // The true signal (f0, f3) survives the chosen penalty.
        #expect(m.coef[0] > 0 && m.coef[3] < 0)
        let again = try PenalizedCox.crossValidated(time: d.time, event: d.event, columns: d.columns, names: names,
                                                    l1Ratio: 1, folds: 5, pathLength: 30, seed: 42)
        #expect(again.coef == m.coef)
    }
}
