import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// Issue 18 item 11: `kira train` says what it chose and when a selection rule chose nothing.
@Suite("kira train reports its choices")
struct LearnReportingTests {
    /// 20 cases, labels alternating; `weak` shifts by 1 between classes under noise of SD ≈ 2.8
    /// (t-test p ≈ 0.3: never below 0.001), `none` is unrelated to the label.
    static func study(_ dir: URL) throws -> (features: String, labels: String) {
        var f = "id,weak,none\n", l = "id,ki67\n"
        for i in 0..<20 {
            let y = i % 2
            f += "c\(i),\(Double(y) + 4 * sin(Double(i) * 12.9898)),\(3 * cos(Double(i) * 7.77))\n"
            l += "c\(i),\(y == 1 ? 35 : 10)\n"
        }
        let fu = dir.appendingPathComponent("f.csv"), lu = dir.appendingPathComponent("l.csv")
        try f.write(to: fu, atomically: true, encoding: .utf8)
        try l.write(to: lu, atomically: true, encoding: .utf8)
        return (fu.path, lu.path)
    }

    @Test("a t-test at p < 0.001 keeps nothing: stderr says so and names the feature kept instead")
    func emptySelectionIsReported() throws {
        let dir = try TestPaths.temporaryDirectory("kira-train-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.study(dir)
        // The analytic answer: Welch/Student p-values of both features are far above 0.001.
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: s.features))
        let weak = try table.requiredNumbers("weak")
        var d = 0.0
        for (i, v) in weak.enumerated() { d += i % 2 == 1 ? v / 10 : -v / 10 }
        #expect(abs(d) < 2.5, "the planted difference should be weak: \(d)")
        let model = dir.appendingPathComponent("m.json").path
        let r = try KiraRun.run(["train", "--features", s.features, "--labels", s.labels, "--label-column", "ki67", "--threshold", "20",
                                 "--select", "zscore,ttest:0.001", "--model", "lr", "--param", "C=1", "-o", model])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: ttest:0.001 kept none of the 2 features; the most relevant one, \"weak\", is kept instead"), "\(r.stderr)")
        #expect(r.stdout.contains("features: weak\n"), "\(r.stdout)")
        #expect(r.stdout.contains("lr parameters: C=1\n"), "\(r.stdout)")
    }

    @Test("a grid search prints the chosen value and the grid size")
    func chosenHyperParameters() throws {
        let dir = try TestPaths.temporaryDirectory("kira-train-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.study(dir)
        let model = dir.appendingPathComponent("m.json").path
        let r = try KiraRun.run(["train", "--features", s.features, "--labels", s.labels, "--label-column", "ki67", "--threshold", "20",
                                 "--select", "zscore", "--model", "lr", "--param", "C=0.01,1,100", "-o", model, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let chosen = try #require((r.json["params"] as? [String: String])?["C"])
        let text = try KiraRun.run(["train", "--features", s.features, "--labels", s.labels, "--label-column", "ki67", "--threshold", "20",
                                    "--select", "zscore", "--model", "lr", "--param", "C=0.01,1,100", "-o", model + ".2.json"])
        // Same seed and data: the text run chooses what the JSON run reported.
        #expect(text.stdout.contains("lr parameters: C=\(chosen) (best of 3 by inner cross-validated AUC)"), "\(text.stdout)")
    }

    @Test("explain by KernelSHAP reports progress on stderr, counting every case once")
    func explainProgress() throws {
        let dir = try TestPaths.temporaryDirectory("kira-train-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.study(dir)
        let model = dir.appendingPathComponent("svm.json").path
        let t = try KiraRun.run(["train", "--features", s.features, "--labels", s.labels, "--label-column", "ki67", "--threshold", "20",
                                 "--select", "zscore", "--model", "svm", "-o", model])
        #expect(t.status == 0, "\(t.stderr)")
        let e = try KiraRun.run(["explain", "--model", model, "--features", s.features])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stderr.contains("kira explain: 20/20 cases done"), "\(e.stderr)")
        let q = try KiraRun.run(["explain", "--model", model, "--features", s.features, "--quiet"])
        #expect(q.stderr.isEmpty && q.stdout == e.stdout)
    }
}
