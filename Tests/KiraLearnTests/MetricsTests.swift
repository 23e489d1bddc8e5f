import Foundation
import KiraCore
import KiraLearn
import Testing

/// Predictions with ties and a real signal, the same on every run.
func syntheticPredictions(n: Int, seed: UInt64, ties: Bool) -> (p: [Double], y: [Bool]) {
    var rng = SeededGenerator(seed: seed)
    var p = [Double](), y = [Bool]()
    for _ in 0..<n {
        let label = rng.uniform() < 0.4
        var score = 1 / (1 + exp(-(rng.uniform() * 4 - 2 + (label ? 1.2 : 0))))
        if ties { score = (score * 20).rounded() / 20 }
        p.append(score); y.append(label)
    }
    return (p, y)
}

@Suite("Metrics against scikit-learn and an independent DeLong")
struct MetricsTests {
    @Test("AUC, Brier, threshold metrics, confusion equal scikit-learn's to 1e-12",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing), arguments: [(57, false), (200, true), (1000, true)])
    func thresholdMetrics(n: Int, ties: Bool) throws {
        let (p, y) = syntheticPredictions(n: n, seed: UInt64(n), ties: ties)
        let ref = try Peer.run("""
        import numpy as np
        from sklearn import metrics as M
        p = np.array(IN['p']); y = np.array(IN['y'], dtype=int)
        fpr, tpr, thr = M.roc_curve(y, p)
        t = float(thr[np.argmax(tpr - fpr)])
        yp = (p >= t).astype(int)
        tn, fp, fn, tp = M.confusion_matrix(y, yp).ravel()
        print(json.dumps(dict(auc=M.roc_auc_score(y, p), brier=M.brier_score_loss(y, p), t=t,
            acc=M.accuracy_score(y, yp), sens=M.recall_score(y, yp), spec=M.recall_score(1 - y, 1 - yp),
            ppv=M.precision_score(y, yp), npv=M.precision_score(1 - y, 1 - yp), f1=M.f1_score(y, yp),
            logloss=M.log_loss(y, p), cm=[int(tp), int(fp), int(tn), int(fn)])))
        """, input: ["p": p, "y": y.map { $0 ? 1 : 0 }]) as! [String: Any]
        let e = try Evaluation(probabilities: p, labels: y)
        #expect(abs(e.auc - double(ref["auc"])) < 1e-12)
        #expect(abs(e.brier - double(ref["brier"])) < 1e-12)
        // Foundation's JSON parser on Linux can be one ulp off Python's repr.
        #expect(abs(e.threshold - double(ref["t"])) <= 2e-16)
        #expect(abs(e.accuracy - double(ref["acc"])) < 1e-12)
        #expect(abs(e.sensitivity - double(ref["sens"])) < 1e-12)
        #expect(abs(e.specificity - double(ref["spec"])) < 1e-12)
        #expect(abs(e.ppv - double(ref["ppv"])) < 1e-12)
        #expect(abs(e.npv - double(ref["npv"])) < 1e-12)
        #expect(abs(e.f1 - double(ref["f1"])) < 1e-12)
        #expect(abs(ThresholdMetrics.logLoss(probabilities: p, labels: y) - double(ref["logloss"])) < 1e-12)
        let c = e.confusion
        #expect([c.tp, c.fp, c.tn, c.fn].map(Double.init) == doubles(ref["cm"]))
    }

    /// The reference is DeLong's definition written out directly in numpy: the full
    /// positive × negative ψ matrix, not the mid-rank shortcut Kira uses.
    static let numpyDeLong = """
    import numpy as np
    from scipy.stats import norm
    def comps(s, y):
        X = s[y == 1][:, None]; Y = s[y == 0][None, :]
        psi = (X > Y) + 0.5 * (X == Y)
        return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)
    y = np.array(IN['y'])
    out = {}
    A = []
    for key in ('a', 'b'):
        s = np.array(IN[key]); auc, v10, v01 = comps(s, y)
        A.append((auc, v10, v01))
        var = v10.var(ddof=1) / len(v10) + v01.var(ddof=1) / len(v01)
        se = np.sqrt(var)
        out[key] = dict(auc=auc, var=var, lo=max(0, auc - norm.ppf(0.975) * se), hi=min(1, auc + norm.ppf(0.975) * se))
    (a1, p1, n1), (a2, p2, n2) = A
    S10 = np.cov(np.vstack([p1, p2])); S01 = np.cov(np.vstack([n1, n2]))
    S = S10 / len(p1) + S01 / len(n1)
    z = (a1 - a2) / np.sqrt(S[0, 0] + S[1, 1] - 2 * S[0, 1])
    out['z'] = z; out['p'] = 2 * norm.sf(abs(z))
    print(json.dumps(out))
    """

    @Test("DeLong variance, 95% CI and paired test equal a direct numpy implementation to 1e-12",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing), arguments: [40, 300])
    func delong(n: Int) throws {
        let (a, y) = syntheticPredictions(n: n, seed: 7 + UInt64(n), ties: true)
        // A second, correlated model: the first one's scores plus noise.
        var rng = SeededGenerator(seed: 99)
        let b = a.map { $0 + 0.3 * (rng.uniform() - 0.5) }
        let ref = try Peer.run(Self.numpyDeLong, input: ["a": a, "b": b, "y": y.map { $0 ? 1 : 0 }]) as! [String: Any]
        let da = try DeLongAUC(scores: a, labels: y)
        let ra = ref["a"] as! [String: Any]
        #expect(abs(da.auc - double(ra["auc"])) < 1e-12)
        #expect(abs(da.variance - double(ra["var"])) < 1e-12)
        #expect(abs(da.ci95[0] - double(ra["lo"])) < 1e-12)
        #expect(abs(da.ci95[1] - double(ra["hi"])) < 1e-12)
        let t = try DeLongPairedTest(scoresA: a, scoresB: b, labels: y)
        #expect(abs(t.z - double(ref["z"])) < 1e-9)
        #expect(abs(t.p - double(ref["p"])) < 1e-12)
    }

    /// Hanley & McNeil (1982, Radiology 143:29, Table 1): 109 CT images rated 1–5 by a
    /// radiologist, 58 normal and 51 abnormal; the published AUC is 0.893.
    @Test("Hanley–McNeil CT ratings: published AUC 0.893")
    func hanleyMcNeil() throws {
        let normal = [33, 6, 6, 11, 2], abnormal = [3, 2, 2, 11, 33]
        var s = [Double](), y = [Bool]()
        for r in 0..<5 {
            for _ in 0..<normal[r] { s.append(Double(r + 1)); y.append(false) }
            for _ in 0..<abnormal[r] { s.append(Double(r + 1)); y.append(true) }
        }
        let d = try DeLongAUC(scores: s, labels: y)
        #expect((d.auc * 1000).rounded() / 1000 == 0.893)
        // DeLong's SE is close to Hanley–McNeil's exponential-model SE of 0.032.
        #expect(abs(d.standardError - 0.032) < 0.004)
    }

    @Test("Calibration curve, recalibration slope/intercept, Hosmer–Lemeshow vs scikit-learn/scipy",
          .enabled(if: Peer.sklearn, Peer.sklearnMissing))
    func calibration() throws {
        let (p, y) = syntheticPredictions(n: 400, seed: 3, ties: false)
        let ref = try Peer.run("""
        import numpy as np
        from scipy.stats import chi2
        from sklearn.calibration import calibration_curve
        from sklearn.linear_model import LogisticRegression
        p = np.array(IN['p']); y = np.array(IN['y'])
        pt, pp = calibration_curve(y, p, n_bins=10)
        lp = np.log(p / (1 - p)).reshape(-1, 1)
        m = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(lp, y)
        # Hosmer–Lemeshow over deciles of the sorted predictions.
        order = np.argsort(p, kind='stable'); H = 0.0
        for g in np.array_split(order, 10):
            o = y[g].sum(); e = p[g].sum(); n = len(g)
            H += (o - e) ** 2 / (e * (1 - e / n))
        # Calibration-in-the-large: intercept with logit(p) as an offset, by Newton.
        a = 0.0
        for _ in range(100):
            mu = 1 / (1 + np.exp(-(a + lp[:, 0]))); a += (y - mu).sum() / (mu * (1 - mu)).sum()
        print(json.dumps(dict(pt=pt.tolist(), pp=pp.tolist(), slope=float(m.coef_[0, 0]),
            intercept=float(m.intercept_[0]), H=H, hp=chi2.sf(H, 8), citl=a)))
        """, input: ["p": p, "y": y.map { $0 ? 1 : 0 }]) as! [String: Any]
        let c = try CalibrationReport(probabilities: p, labels: y)
        #expect(maxAbsDiff(c.curve.map(\.observed), doubles(ref["pt"])) < 1e-12)
        #expect(maxAbsDiff(c.curve.map(\.meanPredicted), doubles(ref["pp"])) < 1e-12)
        #expect(abs(c.slope - double(ref["slope"])) < 1e-6)
        #expect(abs(c.intercept - double(ref["intercept"])) < 1e-6)
        #expect(abs(c.interceptInTheLarge - double(ref["citl"])) < 1e-10)
        #expect(abs(c.hosmerLemeshow.statistic - double(ref["H"])) < 1e-10)
        #expect(abs(c.hosmerLemeshow.p - double(ref["hp"])) < 1e-10)
        #expect(c.hosmerLemeshow.df == 8)
    }

    @Test("Decision curve: net benefit by hand")
    func decisionCurve() {
        // 10 cases, 4 events. At pt = 0.25, the cases with p ≥ 0.25 are 6: 3 events, 3 non-events.
        let p = [0.9, 0.8, 0.7, 0.6, 0.3, 0.25, 0.2, 0.1, 0.05, 0.01]
        let y = [true, true, false, false, true, false, true, false, false, false]
        let d = DecisionCurve(probabilities: p, labels: y, thresholds: [0.25, 0.5])
        #expect(abs(d.model[0] - (3.0 / 10 - 3.0 / 10 * (0.25 / 0.75))) < 1e-15)
        #expect(abs(d.model[1] - (2.0 / 10 - 2.0 / 10 * 1)) < 1e-15)
        #expect(abs(d.treatAll[0] - (0.4 - 0.6 / 3)) < 1e-15)
        #expect(d.treatNone == [0, 0])
    }

    @Test("Bootstrap CI is seeded and agrees with DeLong's on a large sample")
    func bootstrap() throws {
        let (p, y) = syntheticPredictions(n: 600, seed: 11, ties: false)
        let a = try BootstrapAUC.ci(scores: p, labels: y, replicates: 1000, seed: 5)
        let b = try BootstrapAUC.ci(scores: p, labels: y, replicates: 1000, seed: 5)
        #expect(a == b)
        let d = try DeLongAUC(scores: p, labels: y)
        #expect(abs(a[0] - d.ci95[0]) < 0.01 && abs(a[1] - d.ci95[1]) < 0.01)
    }

    @Test("Distribution functions vs scipy", .enabled(if: Peer.sklearn, Peer.sklearnMissing))
    func distributions() throws {
        let ref = try Peer.run("""
        from scipy import stats
        print(json.dumps(dict(q=stats.norm.ppf([0.975, 0.001, 0.6]).tolist(), c=[stats.chi2.sf(x, d) for x, d in [(3.2, 8), (25.0, 8), (0.5, 1), (120.0, 30)]],
            t=[2 * stats.t.sf(abs(x), d) for x, d in [(2.1, 10), (-0.3, 3), (6.0, 200), (1.0, 1)]])))
        """) as! [String: Any]
        let q = [0.975, 0.001, 0.6].map(Distributions.normalQuantile)
        #expect(maxAbsDiff(q, doubles(ref["q"])) < 1e-13)
        let c = [(3.2, 8.0), (25.0, 8.0), (0.5, 1.0), (120.0, 30.0)].map { Distributions.chiSquareSF($0.0, df: $0.1) }
        #expect(zip(c, doubles(ref["c"])).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) && abs($0 - $1) / $1 < 1e-10 })
        let t = [(2.1, 10.0), (-0.3, 3.0), (6.0, 200.0), (1.0, 1.0)].map { Distributions.studentTwoSidedP($0.0, df: $0.1) }
        #expect(zip(t, doubles(ref["t"])).allSatisfy { abs($0 - $1) / $1 < 1e-10 })
    }

    @Test("One class only: a clear error, not NaN")
    func singleClass() {
        #expect(throws: Error.self) { try DeLongAUC(scores: [0.1, 0.2, 0.3], labels: [true, true, true]) }
        #expect(throws: Error.self) { try DeLongAUC(scores: [0.1, .nan, 0.3, 0.4], labels: [true, false, true, false]) }
    }
}
