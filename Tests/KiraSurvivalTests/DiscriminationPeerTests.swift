import Foundation
import KiraCore
import KiraSurvival
import KiraTestSupport
import Testing

/// Uno's C and cumulative/dynamic AUC against scikit-survival, cut-offs against lifelines'
/// log-rank on every candidate split, on the GBSG-2 breast-cancer Cox score (1e-8 relative).
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct DiscriminationPeerTests {
    static func data() throws -> SurvivalTable {
        try SurvivalTable(table: try PeerReference.table("gbsg2_scored"), time: "time", event: "cens", numeric: ["score"])
    }
    static func num(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }

    @Test(.enabled(if: PeerReference.sksurvAvailable, Comment(rawValue: PeerReference.sksurvMissing)))
    func unoMatchesSksurv() throws {
        let ref = PeerReference.dict("uno")
        try #require(!ref.isEmpty, "scikit-survival missing")
        let t = try Self.data()
        let all = try Concordance.uno(time: t.time, event: t.event, risk: t.numeric[0])
        let tau = try Concordance.uno(time: t.time, event: t.event, risk: t.numeric[0], tau: 1825)
        print("Uno's C: \(all.c) vs \(Self.num(ref["all"])); tau 1825: \(tau.c) vs \(Self.num(ref["tau_1825"]))")
        #expect(relativeDifference(all.c, Self.num(ref["all"])) <= 1e-8)
        #expect(relativeDifference(tau.c, Self.num(ref["tau_1825"])) <= 1e-8)
    }

    @Test(.enabled(if: PeerReference.sksurvAvailable, Comment(rawValue: PeerReference.sksurvMissing)))
    func cumulativeDynamicAUCMatchesSksurv() throws {
        let ref = PeerReference.dict("tdauc")
        try #require(!ref.isEmpty, "scikit-survival missing")
        let t = try Self.data()
        let times = doubles(ref["times"]).map { $0! }
        let r = try TimeDependentAUC(time: t.time, event: t.event, score: t.numeric[0], at: times)
        let d = maxAbsDifference(r.auc, doubles(ref["auc"]))
        print("td-AUC: max |Δ| \(d); mean \(r.meanAUC!) vs \(Self.num(ref["mean_auc"]))")
        #expect(d <= 1e-8)
        #expect(relativeDifference(r.meanAUC!, Self.num(ref["mean_auc"])) <= 1e-8)
    }

    @Test func xtileMatchesBruteForceLogRank() throws {
        let ref = PeerReference.dict("cutoff", "xtile")
        try #require(!ref.isEmpty)
        let t = try Self.data()
        let r = try CutoffResult(time: t.time, event: t.event, score: t.numeric[0], method: .xtile(trim: 0.1))
        print("X-tile: cut \(r.cutoff) p \(r.logRank.p) (ref \(Self.num(ref["p"]))), corrected \(r.correctedP!) (ref \(Self.num(ref["p_corrected"])))")
        // pandas reads the CSV scores back to within 1 ulp of Swift's parse.
        #expect(relativeDifference(r.cutoff, Self.num(ref["cutoff"])) <= 1e-14)
        #expect(r.candidates == ref["candidates"] as? Int)
        #expect(relativeDifference(r.logRank.p, Self.num(ref["p"])) <= 1e-8)
        #expect(r.minimalP == r.logRank.p)
        #expect(relativeDifference(r.correctedP!, Self.num(ref["p_corrected"])) <= 1e-8)
    }

    @Test func medianSplitMatchesLifelines() throws {
        let ref = PeerReference.dict("cutoff", "median")
        let t = try Self.data()
        let r = try CutoffResult(time: t.time, event: t.event, score: t.numeric[0], method: .median)
        #expect(relativeDifference(r.cutoff, Self.num(ref["cutoff"])) <= 1e-14)
        #expect(relativeDifference(r.logRank.p, Self.num(ref["p"])) <= 1e-8)
        #expect(r.nLow == 343 && r.nHigh == 343)
    }
}

/// Hand-computed cases: Youden's J, Uno's C without censoring (= Harrell), the
/// Lausen–Schumacher formula against Altman et al.'s (1994) published approximation.
struct DiscriminationAnalyticTests {
    @Test func youdenOnAHandComputedCase() throws {
        // Times 1..8, all events except 6 (censored); scores. At t = 4.5: cases = subjects with time ≤ 4.5
        // (times 1–4), controls = times 5–8. No censoring before 4.5, so Ĝ = 1 and weights are 1.
        let time: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let event = [true, true, true, true, true, false, true, true]
        let score: [Double] = [0.9, 0.8, 0.3, 0.7, 0.4, 0.2, 0.75, 0.1]
        let r = try CutoffResult(time: time, event: event, score: score, method: .youden(4.5))
        // Cut 0.4 (high = > 0.4): cases 0.9, 0.8, 0.7 high (sens 3/4); controls 0.4, 0.2, 0.1 low, 0.75 high (spec 3/4): J = 0.5.
        // Cut 0.2: sens 1, spec 2/4 → J = 0.5; cut 0.3: sens 3/4, spec 2/4. Ties go to the lowest cut: 0.2.
        #expect(r.cutoff == 0.2)
        #expect(r.sensitivity == 1 && r.specificity == 0.5 && r.youdenJ == 0.5)
        #expect(r.nHigh == 6 && r.nLow == 2)
    }

    @Test func unoEqualsHarrellWithoutCensoring() throws {
        let time: [Double] = [5, 3, 9, 1, 7, 2]
        let event = [Bool](repeating: true, count: 6)
        let risk: [Double] = [0.2, 0.5, 0.1, 0.9, 0.3, 0.5]
        let h = try Concordance.harrell(time: time, event: event, risk: risk)
        let u = try Concordance.uno(time: time, event: event, risk: risk)
        // 15 pairs: (t=2, 0.5) vs (t=3, 0.5) tied → ½; (t=5, 0.2) vs (t=7, 0.3) discordant;
        // the other 13 concordant → 13.5/15.
        #expect(h.c == 13.5 / 15)
        #expect(h.concordant == 13 && h.discordant == 1 && h.tiedRisk == 1)
        #expect(u.c == h.c)
    }

    @Test(arguments: [0.001, 0.01, 0.04])
    func lausenSchumacherNearAltmanApproximation(_ p: Double) {
        // Altman et al. 1994 (JNCI 86:829): for ε = 10 %, p_cor ≈ −1.63 p (1 + 2.35 ln p); for ε = 5 %,
        // p_cor ≈ −3.13 p (1 + 1.65 ln p) — approximations of the Lausen–Schumacher formula.
        let ls10 = CutoffResult.lausenSchumacher(pMin: p, trim: 0.1)
        let ls5 = CutoffResult.lausenSchumacher(pMin: p, trim: 0.05)
        let a10 = -1.63 * p * (1 + 2.35 * log(p)), a5 = -3.13 * p * (1 + 1.65 * log(p))
        print("p \(p): LS10 \(ls10) Altman \(a10); LS5 \(ls5) Altman \(a5)")
        #expect(abs(ls10 - a10) / a10 < 0.06)
        #expect(abs(ls5 - a5) / a5 < 0.06)
    }
}
