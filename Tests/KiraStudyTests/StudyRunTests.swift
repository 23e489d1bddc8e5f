import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Issue 19: `kira study run` end to end on a synthetic cohort with a planted signal, its
/// values checked against `kira features`, scikit-learn and pingouin; reruns and the ledger.
@Suite(.serialized) struct StudyRunTests {
    func lines(_ text: String, containing s: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.contains(s) }
    }

    func table(_ url: URL) throws -> CSVTable { try CSVTable(contentsOf: url) }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    @Test func endToEnd() throws {
        let f = try StudyFixture.make(cases: 30)
        defer { f.remove() }
        let started = Date()
        let r = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        let seconds = Date().timeIntervalSince(started)
        print("kira study run, 30 cases × 1 modality × 2 readers (50 branches), tumour + ring:2mm, --jobs 2: \(String(format: "%.1f", seconds)) s")
        #expect(r.status == 0, "\(r.stderr)")
        guard r.status == 0 else { return }
        // 30 primary-reader branches and 20 second-reader ones (every third case has none).
        #expect(lines(r.stderr, containing: "features computed").count == 50)
        for name in ["features.csv", "features_mr_reader1.csv", "features_mr_reader2.csv", "icc.csv", "model.json", "metrics.json",
                     "survival.json", "summary.json", "failures.csv", "predictions_train.csv", "predictions_internal.csv",
                     "predictions_external.csv", "ledger.sqlite"] {
            #expect(FileManager.default.fileExists(atPath: f.results.appendingPathComponent(name).path), "\(name)")
        }

        // The per-reader table equals `kira features` on the same case, bit for bit, and the
        // fused table's columns are those values under the modality prefix.
        let reader1 = try table(f.results.appendingPathComponent("features_mr_reader1.csv"))
        let fused = try table(f.results.appendingPathComponent("features.csv"))
        let one = try KiraRun.run(["features", "--image", f.dir.appendingPathComponent("images/case004_mr.nii.gz").path,
                                   "--mask", f.dir.appendingPathComponent("images/case004_r1.nii.gz").path,
                                   "--region", "tumour", "--region", "ring:2mm"])
        #expect(one.status == 0, "\(one.stderr)")
        let reference = try CSVTable(text: one.stdout, source: "kira features")
        let names = try reference.strings("name"), values = try reference.strings("value")
        let row4 = try reader1.strings("id").firstIndex(of: "case004")!
        let fusedRow = try fused.strings("id").firstIndex(of: "case004")!
        var compared = 0, fusedCompared = 0
        for (name, value) in zip(names, values) {
            let mine = reader1.rows[row4][try reader1.columnIndex(name)]
            #expect(Double(mine) == Double(value) || (mine.isEmpty && value.isEmpty), "\(name): \(mine) vs \(value)")
            compared += 1
            if fused.hasColumn("mr_" + name) {
                #expect(fused.rows[fusedRow][try fused.columnIndex("mr_" + name)] == mine)
                fusedCompared += 1
            }
        }
        #expect(compared == reader1.header.count - 1)
        #expect(fusedCompared == fused.header.count - 1)

        // The ICC of every feature equals pingouin's on the two written reader tables.
        let icc = try table(f.results.appendingPathComponent("icc.csv"))
        if PythonPeer.has("pingouin") {
            let out = try PythonPeer.run("""
            import sys, warnings, pandas as pd, pingouin as pg
            warnings.filterwarnings("ignore")
            a = pd.read_csv(sys.argv[1]); b = pd.read_csv(sys.argv[2]); icc = pd.read_csv(sys.argv[3])
            common = sorted(set(a.id) & set(b.id)); a = a.set_index("id").loc[common]; b = b.set_index("id").loc[common]
            worst = 0.0; n = 0
            for _, r in icc.dropna(subset=["icc2"]).iterrows():
                f = r.feature
                d = pd.DataFrame({"t": list(range(len(common))) * 2, "r": [0] * len(common) + [1] * len(common),
                                  "v": list(a[f]) + list(b[f])})
                v = pg.intraclass_corr(d, targets="t", raters="r", ratings="v")["ICC"].iloc[1]  # ICC(A,1) = ICC2
                worst = max(worst, abs(v - r.icc2)); n += 1
            print(worst, n)
            """, arguments: [f.results.appendingPathComponent("features_mr_reader1.csv").path,
                             f.results.appendingPathComponent("features_mr_reader2.csv").path,
                             f.results.appendingPathComponent("icc.csv").path])
            let parts = out.split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
            print("ICC2 vs pingouin: \(Int(parts[1])) features, largest difference \(parts[0])")
            #expect(parts[0] < 1e-9, "largest |ICC − pingouin| = \(parts[0])")
            #expect(parts[1] > 100)
        }
        // The ICC filter keeps some features and drops the unstable ones (reader 2 grows odd cases' masks).
        let kept = try icc.strings("kept")
        #expect(kept.contains("1") && kept.contains("0"))

        // Held-out and cross-validated AUCs equal scikit-learn's on the written predictions.
        let metrics = try json(f.results.appendingPathComponent("metrics.json"))
        let held = metrics["held_out"] as! [String: Any]
        let external = held["external"] as! [String: Any], internalSplit = held["internal"] as! [String: Any]
        let best = metrics["best"] as! String
        let models = metrics["models"] as! [[String: Any]]
        let bestCV = (models.first { $0["model"] as! String == best }!["cv"] as! [String: Any])["auc"] as! Double
        #expect(models.allSatisfy { ($0["auc_mean"] as! Double) <= (models.first { $0["model"] as! String == best }!["auc_mean"] as! Double) })
        if PythonPeer.has("sklearn") {
            let out = try PythonPeer.run("""
            import sys, pandas as pd
            from sklearn.metrics import roc_auc_score
            for path, col in [(sys.argv[1], "probability"), (sys.argv[2], "probability"), (sys.argv[3], "cv_probability")]:
                d = pd.read_csv(path); print(repr(roc_auc_score(d.label, d[col])))
            """, arguments: ["external", "internal", "train"].map { f.results.appendingPathComponent("predictions_\($0).csv").path })
            let auc = out.split(separator: "\n").map { Double($0)! }
            print("AUC vs scikit-learn: external \(auc[0]) / \(external["auc"]!), internal \(auc[1]) / \(internalSplit["auc"]!), CV \(auc[2]) / \(bestCV)")
            #expect(abs(auc[0] - (external["auc"] as! Double)) < 1e-12)
            #expect(abs(auc[1] - (internalSplit["auc"] as! Double)) < 1e-12)
            #expect(abs(auc[2] - bestCV) < 1e-12)
        }
        // The planted signal is recovered on the external split.
        #expect((external["auc"] as! Double) > 0.75, "external AUC \(external["auc"]!)")
        let survival = try json(f.results.appendingPathComponent("survival.json"))
        let trainSurvival = (survival["splits"] as! [String: Any])["train"] as! [String: Any]
        #expect((trainSurvival["logrank_p"] as? Double) != nil)
        // Log-rank p and the Cox hazard ratio of the predicted groups equal lifelines' on the
        // written predictions and the cohort's survival columns.
        if PythonPeer.has("lifelines") {
            let out = try PythonPeer.run("""
            import sys, json, pandas as pd
            from lifelines.statistics import logrank_test
            from lifelines import CoxPHFitter
            p = pd.read_csv(sys.argv[1]); c = pd.read_csv(sys.argv[2]).set_index("case_id")
            d = p.assign(t=c.loc[p.id, "dfs_months"].values, e=c.loc[p.id, "dfs_event"].values)
            hi, lo = d[d.predicted_high == 1], d[d.predicted_high == 0]
            lr = logrank_test(hi.t, lo.t, event_observed_A=hi.e, event_observed_B=lo.e)
            cph = CoxPHFitter().fit(d[["t", "e", "predicted_high"]], duration_col="t", event_col="e")
            print(json.dumps([lr.p_value, float(cph.hazard_ratios_["predicted_high"])]))
            """, arguments: [f.results.appendingPathComponent("predictions_train.csv").path, f.cohortFile.path])
            let ref = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [Double]
            let p = trainSurvival["logrank_p"] as! Double, hr = trainSurvival["hazard_ratio"] as! Double
            print("survival (train) vs lifelines: log-rank p \(p) / \(ref[0]), HR \(hr) / \(ref[1])")
            #expect(abs(p - ref[0]) < 1e-9 * max(1, ref[0]))
            #expect(abs(hr - ref[1]) < 1e-5 * ref[1])
        }

        // Rerun with nothing changed: every branch and the analysis reused, outputs identical.
        let before = try f.outputs()
        let again = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(lines(again.stderr, containing: "features reused").count == 50)
        #expect(lines(again.stderr, containing: "features computed").isEmpty)
        #expect(lines(again.stderr, containing: "analysis: reused").count == 1)
        #expect(try f.outputs() == before)

        // A changed mask recomputes only its branch (and the analysis).
        var v = StudyFixture.caseVolumes(7)
        let edge = v.r1.firstIndex(of: 1)!
        v.r1[edge] = 0
        try NIfTIWriter.write(try Volume(geometry: StudyFixture.geometry, voxels: .uint8(v.r1)),
                              to: f.dir.appendingPathComponent("images/case007_r1.nii.gz"))
        let changed = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        #expect(changed.status == 0, "\(changed.stderr)")
        let computed = lines(changed.stderr, containing: "features computed")
        #expect(computed.count == 1 && computed[0].contains("case007 mr reader 1"), "\(computed)")
        #expect(lines(changed.stderr, containing: "features reused").count == 49)
        #expect(lines(changed.stderr, containing: "analysis: reused").isEmpty)

        // The ledger: one row per branch, each done or reused, and the cohort steps.
        let status = try KiraRun.run(["study", "status", f.studyFile.path, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let steps = status.json["steps"] as! [[String: Any]]
        let branches = steps.filter { $0["step"] as! String == "features" }
        #expect(branches.count == 50)
        // Each branch has its own row and one per step (no resampling here: no preprocess step).
        for step in ["branch", "load", "qc", "regions"] { #expect(steps.filter { $0["step"] as! String == step }.count == 50, "\(step)") }
        #expect(steps.filter { $0["step"] as! String == "preprocess" }.isEmpty)
        #expect(Set(branches.map { "\($0["case"]!) \($0["reader"]!)" }).count == 50)
        #expect(branches.filter { $0["status"] as! String == "done" }.map { "\($0["case"]!) \($0["reader"]!)" } == ["case007 1"])
        #expect(branches.filter { $0["status"] as! String == "reused" }.count == 49)
        #expect(Set(steps.filter { $0["case"] as! String == "*" }.map { $0["step"] as! String }) == ["icc", "fuse", "model", "evaluate", "survival", "analysis"])
        #expect((status.json["runs"] as! [Any]).count == 3)

        // predict: the frozen model on the external cases given as a new cohort (no labels)
        // gives the study's own external predictions.
        let cohort = try table(f.cohortFile)
        var newCSV = CSVWriter(header: ["case_id", "mr_path", "mr_r1"])
        for row in cohort.rows where row[2] == "external" { newCSV.append([row[0], row[5], row[6]]) }
        let newCohort = f.dir.appendingPathComponent("new.csv")
        try newCSV.write(to: newCohort)
        let p = try KiraRun.run(["study", "predict", f.studyFile.path, "--model", f.results.appendingPathComponent("model.json").path,
                                 "--cohort", newCohort.path])
        #expect(p.status == 0, "\(p.stderr)")
        let predicted = try CSVTable(text: p.stdout, source: "predict")
        let study = try table(f.results.appendingPathComponent("predictions_external.csv"))
        #expect(try predicted.strings("id") == (try study.strings("id")))
        #expect(try predicted.strings("probability") == (try study.strings("probability")))
        #expect(try predicted.strings("predicted_high") == (try study.strings("predicted_high")))
        #expect(try predicted.strings("status").allSatisfy { $0 == "ok" })
    }
}
