import Foundation
import KiraTestSupport
import Testing

/// A small synthetic study: two feature files (us_, mg_), a Ki-67 percentage label.
private func writeStudy(_ dir: URL, n: Int = 90, constantColumn: Bool = false, missingCell: Bool = false,
                        dropLastIdFromSecond: Bool = false) throws -> (us: String, mg: String, labels: String) {
    var state: UInt64 = 42
    func uniform() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1.0p-53
    }
    var us = "id,size,margin\n", mg = "id,density,calc" + (constantColumn ? ",flat" : "") + "\n", lab = "id,ki67\n"
    for i in 0..<n {
        let signal = uniform()
        let ki67 = 5 + 40 * signal + 10 * uniform()
        let size = missingCell && i == 3 ? "" : "\(signal * 3 + uniform())"
        us += "p\(i),\(size),\(uniform())\n"
        if !(dropLastIdFromSecond && i == n - 1) {
            mg += "p\(i),\(signal + 0.5 * uniform()),\(uniform())" + (constantColumn ? ",7" : "") + "\n"
        }
        lab += "p\(i),\(ki67)\n"
    }
    let u = dir.appendingPathComponent("us.csv"), m = dir.appendingPathComponent("mg.csv"), l = dir.appendingPathComponent("labels.csv")
    try us.write(to: u, atomically: true, encoding: .utf8)
    try mg.write(to: m, atomically: true, encoding: .utf8)
    try lab.write(to: l, atomically: true, encoding: .utf8)
    return (u.path, m.path, l.path)
}

@Suite("kira train / predict / evaluate / compare / explain")
struct LearnCommandTests {
    @Test("Train with CV, predict, evaluate, compare and explain: documented keys, files written atomically")
    func roundTrip() throws {
        let dir = try TestPaths.temporaryDirectory("kira-learn")
        let s = try writeStudy(dir)
        let model = dir.appendingPathComponent("model.json").path
        let train = try KiraRun.run(["train", "--features", s.us, s.mg, "--prefix", "us_", "mg_", "--labels", s.labels,
                                     "--label-column", "ki67", "--threshold", "20", "--select", "zscore,ttest:0.2,corr:0.9",
                                     "--model", "lr", "--param", "C=1", "--cv", "5", "--repeats", "2", "--seed", "3", "-o", model, "--json"])
        #expect(train.status == 0, "\(train.stderr)")
        let cv = train.json["cv"] as? [String: Any] ?? [:]
        for key in ["auc", "auc_ci95", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1", "brier", "threshold",
                    "confusion", "calibration", "decision_curve", "auc_per_repeat"] {
            #expect(cv[key] != nil, "cv.\(key) missing")
        }
        #expect((cv["auc"] as? Double ?? 0) > 0.8)
        #expect((train.json["selected_features"] as? [String] ?? []).contains("us_size"))
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any] ?? [:]
        #expect(file["format"] as? String == "kira-model")
        #expect(file["version"] as? Int == 1)
        #expect(file["kira_version"] != nil && file["training"] != nil)

        let preds = dir.appendingPathComponent("p.csv").path
        let predict = try KiraRun.run(["predict", "--model", model, "--features", s.us, s.mg, "-o", preds])
        #expect(predict.status == 0, "\(predict.stderr)")
        let text = try String(contentsOfFile: preds, encoding: .utf8)
        #expect(text.hasPrefix("id,probability,class\n"))
        let pj = try KiraRun.run(["predict", "--model", model, "--features", s.us, s.mg, "--json"])
        #expect((pj.json["predictions"] as? [[String: Any]])?.count == 90)

        let eval = try KiraRun.run(["evaluate", "--predictions", preds, "--labels", s.labels, "--label-column", "ki67", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        for key in ["auc", "auc_ci95", "accuracy", "sensitivity", "specificity", "ppv", "npv", "f1", "brier", "threshold",
                    "confusion", "calibration", "decision_curve"] {
            #expect(eval.json[key] != nil, "evaluate.\(key) missing")
        }
        let cmp = try KiraRun.run(["compare", "--predictions", preds, preds, "--labels", s.labels, "--label-column", "ki67", "--json"])
        #expect(cmp.status == 0, "\(cmp.stderr)")
        #expect(cmp.json["auc_a"] as? Double == cmp.json["auc_b"] as? Double)
        #expect(cmp.json["p"] as? Double == 1)

        let ex = try KiraRun.run(["explain", "--model", model, "--features", s.us, s.mg, "--json"])
        #expect(ex.status == 0, "\(ex.stderr)")
        #expect((ex.json["values"] as? [[Double]])?.count == 90)
        #expect(ex.json["nomogram"] != nil)
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    @Test("Explain an SVM by KernelSHAP: base + Σφ equals kira predict's probability for every case")
    func explainSVM() throws {
        let dir = try TestPaths.temporaryDirectory("kira-learn")
        let s = try writeStudy(dir, n: 60)
        let model = dir.appendingPathComponent("model.json").path
        let t = try KiraRun.run(["train", "--features", s.us, s.mg, "--labels", s.labels, "--label-column", "ki67",
                                 "--select", "zscore", "--model", "svm", "-o", model])
        #expect(t.status == 0, "\(t.stderr)")
        let p = try KiraRun.run(["predict", "--model", model, "--features", s.us, s.mg, "--json"])
        let probs = (p.json["predictions"] as? [[String: Any]] ?? []).map { $0["probability"] as? Double ?? .nan }
        for extra in [[String](), ["--background", s.us, s.mg, "--background-size", "20"]] {
            let ex = try KiraRun.run(["explain", "--model", model, "--features", s.us, s.mg, "--json"] + extra)
            #expect(ex.status == 0, "\(ex.stderr)")
            #expect((ex.json["method"] as? String)?.hasPrefix("KernelSHAP") == true)
            let base = ex.json["base_value"] as? Double ?? .nan
            let values = ex.json["values"] as? [[Double]] ?? []
            #expect(values.count == 60 && probs.count == 60)
            for (phi, prob) in zip(values, probs) { #expect(abs(base + phi.reduce(0, +) - prob) < 1e-12) }
        }
    }

    @Test("More bad input: header-only file, unlabelled ids, duplicate ids, a non-number cell: message names the file, exit 1",
          arguments: ["empty", "unlabelled", "duplicate", "text"])
    func moreBadInput(kind: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-learn")
        let s = try writeStudy(dir, n: 40)
        let f = dir.appendingPathComponent("bad.csv")
        var lines = try String(contentsOfFile: s.us, encoding: .utf8).split(separator: "\n").map(String.init)
        var labels = s.labels
        switch kind {
        case "empty": lines = [lines[0]]
        case "unlabelled":
            let l = dir.appendingPathComponent("short.csv")
            try (try String(contentsOfFile: s.labels, encoding: .utf8).split(separator: "\n").prefix(31).joined(separator: "\n") + "\n")
                .write(to: l, atomically: true, encoding: .utf8)
            labels = l.path
        case "duplicate": lines[5] = lines[4]
        default: lines[7] = "p6,big,0.5"
        }
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("model.json").path
        let r = try KiraRun.run(["train", "--features", f.path, "--labels", labels, "--label-column", "ki67", "-o", model])
        #expect(r.status == 1, "\(kind): \(r.status) \(r.stderr)")
        let expected = ["empty": "bad.csv: no cases", "unlabelled": "10 id(s) of", "duplicate": "appears twice",
                        "text": "\"big\" is not a number"][kind]!
        #expect(r.stderr.contains(expected), "\(kind): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    @Test("Predict names missing and extra feature columns")
    func columnMismatch() throws {
        let dir = try TestPaths.temporaryDirectory("kira-learn")
        let s = try writeStudy(dir)
        let model = dir.appendingPathComponent("model.json").path
        let t = try KiraRun.run(["train", "--features", s.us, "--labels", s.labels, "--label-column", "ki67", "--select", "zscore", "-o", model])
        #expect(t.status == 0, "\(t.stderr)")
        let r = try KiraRun.run(["predict", "--model", model, "--features", s.mg])
        #expect(r.status == 1)
        #expect(r.stderr.contains("size") && r.stderr.contains("density"), "\(r.stderr)")
    }

    @Test("Bad input gets a message and exit 1, never a crash",
          arguments: ["single class", "id mismatch", "nan", "too few", "constant"])
    func badInput(kind: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-learn")
        let s = try writeStudy(dir, n: kind == "too few" ? 8 : 60, constantColumn: kind == "constant",
                               missingCell: kind == "nan", dropLastIdFromSecond: kind == "id mismatch")
        let model = dir.appendingPathComponent("model.json").path
        var args = ["train", "--features", s.us, s.mg, "--labels", s.labels, "--label-column", "ki67", "--select", "zscore",
                    "-o", model, "--cv", "5"]
        if kind == "single class" { args += ["--threshold", "99"] }
        let r = try KiraRun.run(args)
        switch kind {
        case "constant":
            // A constant column is harmless: z-score keeps it at 0.
            #expect(r.status == 0, "\(r.stderr)")
        default:
            #expect(r.status == 1, "\(kind): \(r.status) \(r.stderr)")
            let expected = ["single class": "single class", "id mismatch": "p59", "nan": "impute", "too few": "at least 5 cases"][kind]!
            #expect(r.stderr.contains(expected), "\(kind): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: model))
        }
    }
}
