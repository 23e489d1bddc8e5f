import Foundation
import KiraCore
import KiraSurvival
import KiraTestSupport
import Testing

/// Cox regression against lifelines' CoxPHFitter (Efron ties, fitted with tight convergence
/// options) and statsmodels' PHReg (Breslow ties) on public data: coefficients, SEs, likelihoods
/// and tests within 1e-6; Harrell's C within 1e-12; Schoenfeld PH tests within 1e-6 relative.
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct CoxPeerTests {
    static let data: [String: (csv: String, time: String, event: String, covariates: [String])] = [
        "rossi": ("rossi", "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro", "prio"]),
        "gbsg2": ("gbsg2", "time", "cens", ["age", "tsize", "pnodes", "progrec", "estrec"]),
        "regression": ("regression", "T", "E", ["var1", "var2", "var3"]),
    ]

    static func fit(_ key: String, ties: CoxTies) throws -> (CoxModel, SurvivalTable) {
        let d = data[key]!
        let t = try SurvivalTable(table: try PeerReference.table(d.csv), time: d.time, event: d.event, numeric: d.covariates)
        return (try CoxModel(time: t.time, event: t.event, columns: t.numeric, names: d.covariates,
                             options: .init(ties: ties)), t)
    }

    static func maxDiff(_ a: [Double], _ b: Any?) -> Double { maxAbsDifference(a, doubles(b)) }
    static func maxRel(_ a: [Double], _ b: Any?) -> Double {
        let r = doubles(b)
        guard r.count == a.count else { return .infinity }
        var m = 0.0
        for (x, y) in zip(a, r) { m = max(m, y.map { relativeDifference(x, $0) } ?? .infinity) }
        return m
    }
    static func num(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

    @Test(arguments: ["rossi", "gbsg2", "regression"])
    func efronMatchesLifelines(_ key: String) throws {
        let (m, t) = try Self.fit(key, ties: .efron)
        let ref = PeerReference.dict("cox_efron", key)
        try #require(!ref.isEmpty)
        #expect(m.converged && m.warnings.isEmpty)
        let dc = Self.maxDiff(m.coef, ref["coef"]), dse = Self.maxDiff(m.se, ref["se"])
        print("Cox Efron \(key): max |Δcoef| \(dc), |Δse| \(dse), Δll \(m.logLikelihood - Self.num(ref["log_likelihood"])), ΔC \(m.concordance - Self.num(ref["concordance"]))")
        #expect(dc <= 1e-6 && dse <= 1e-6)
        #expect(Self.maxRel(m.coef.map { exp($0) }, ref["hr"]) <= 1e-6)
        #expect(Self.maxRel(m.hrLower, ref["hr_lower"]) <= 1e-6 && Self.maxRel(m.hrUpper, ref["hr_upper"]) <= 1e-6)
        #expect(Self.maxDiff(m.z, ref["z"]) <= 1e-6)
        #expect(Self.maxRel(m.p, ref["p"]) <= 1e-6)
        #expect(abs(m.logLikelihood - Self.num(ref["log_likelihood"])) <= 1e-6)
        #expect(abs(m.likelihoodRatioTest.statistic - Self.num(ref["lr_statistic"])) <= 1e-6)
        #expect(relativeDifference(m.likelihoodRatioTest.p, Self.num(ref["lr_p"])) <= 1e-6)
        #expect(abs(m.scoreTest.statistic - Self.num(ref["score_statistic"])) <= 1e-8)
        #expect(abs(m.concordance - Self.num(ref["concordance"])) <= 1e-12)
        // Schoenfeld-residual PH test.
        let ph = ref["ph_test"] as? [String: Any] ?? [:]
        #expect(!ph.isEmpty)
        for (name, values) in ph {
            let tr = try #require(ProportionalHazardsTest.TimeTransform(rawValue: name))
            let test = ProportionalHazardsTest(model: m, time: t.time, event: t.event, columns: t.numeric, transform: tr)
            let v = values as? [String: Any] ?? [:]
            for (j, cov) in m.names.enumerated() {
                let r = v[cov] as? [String: Any] ?? [:]
                let rel = relativeDifference(test.statistic[j], Self.num(r["statistic"]))
                #expect(rel <= 1e-6, "PH test \(key) \(name) \(cov): \(test.statistic[j]) vs \(Self.num(r["statistic"]))")
                #expect(relativeDifference(test.p[j], Self.num(r["p"])) <= 1e-6)
            }
        }
    }

    @Test(.enabled(if: PeerReference.statsmodelsAvailable, Comment(rawValue: PeerReference.statsmodelsMissing)),
          arguments: ["rossi", "gbsg2"])
    func breslowMatchesStatsmodels(_ key: String) throws {
        let ref = PeerReference.dict("cox_breslow", key)
        try #require(!ref.isEmpty, "statsmodels missing: no Breslow reference")
        let (m, _) = try Self.fit(key, ties: .breslow)
        #expect(m.converged)
        let dc = Self.maxDiff(m.coef, ref["coef"]), dse = Self.maxDiff(m.se, ref["se"])
        print("Cox Breslow \(key): max |Δcoef| \(dc), |Δse| \(dse), Δll \(m.logLikelihood - Self.num(ref["log_likelihood"]))")
        #expect(dc <= 1e-6 && dse <= 1e-6)
        #expect(abs(m.logLikelihood - Self.num(ref["log_likelihood"])) <= 1e-6)
        #expect(abs(m.nullLogLikelihood - Self.num(ref["null_log_likelihood"])) <= 1e-8)
        #expect(abs(m.scoreTest.statistic - Self.num(ref["score_statistic"])) <= 1e-8)
    }
}
