import Foundation
import KiraCore
import KiraIO
import KiraReport
import KiraTestSupport
import Testing

/// The cohort report of a real study run, loaded in headless Chromium: no console message,
/// no request, a screenshot that is not blank, and the numbers on the page equal to what
/// `kira evaluate` and `kira survival km` print for the same predictions.
@Suite("Cohort report in a browser", .serialized)
struct CohortReportBrowserTests {
    static let chromium = Chromium.find() != nil
    static let noChromium = Comment(rawValue: Chromium.missingMessage + " (make peers installs it)")

    static func threshold(_ results: URL) throws -> Double {
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: results.appendingPathComponent("metrics.json"))) as! [String: Any]
        return (m["threshold"] as! NSNumber).doubleValue
    }

    @Test("Loads with no console message and no request; AUC and log-rank p equal kira evaluate's and kira survival km's",
          .enabled(if: chromium, noChromium))
    func cohortReport() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-cohort")
        let html = work.appendingPathComponent("cohort.html")
        let r = try KiraRun.run(["report", "cohort", "--results", fx.results.path, "-o", html.path, "--clinical-table", fx.cases.path,
                            "--group-by", "set", "--normal", "age", "--nonnormal", "ki67,dfs_months", "--categorical", "grade,centre,dfs_event",
                                 "--clinical", "age,grade"])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try BrowserCheck.load(html, work: work)
        #expect(page.console.isEmpty, "console: \(page.console)")
        #expect(page.pageRequests.isEmpty, "requests: \(page.pageRequests)")
        try Self.expectNotBlank(page.screenshot)

        let cells = page.cells
        let threshold = try Self.threshold(fx.results)
        var checked = 0
        for split in ["internal", "external"] {
            let predictions = fx.results.appendingPathComponent("predictions_\(split).csv")
            let e = try KiraRun.run(["evaluate", "--predictions", predictions.path, "--labels", predictions.path, "--label-column", "label",
                                "--cutoff", "\(threshold)", "--json"])
            try #require(e.status == 0, "\(e.stderr)")
            let auc = (e.json["auc"] as! NSNumber).doubleValue
            let ci = (e.json["auc_ci95"] as! [NSNumber]).map(\.doubleValue)
            let cell = try #require(cells["auc:\(split)"], "no AUC cell for \(split)")
            // Within 1e-12: the same numbers summed in another order (evaluate aligns by id).
            #expect(abs((cell.value ?? .nan) - auc) <= 1e-12, "table AUC \(String(describing: cell.value)) vs kira evaluate \(auc)")
            let legend = "AUC \(ReportNumber.fixed(auc, 3)) (\(ReportNumber.interval(ci, 3)))"
            #expect(page.legends.contains { $0.hasSuffix(legend) }, "legend \(page.legends) lacks '\(legend)'")
            checked += 1
        }
        #expect(checked == 2)

        // The SHAP summary against `kira explain` on the same model and feature table.
        let ex = try KiraRun.run(["explain", "--model", fx.results.appendingPathComponent("model.json").path,
                                  "--features", fx.results.appendingPathComponent("features.csv").path, "--json"])
        try #require(ex.status == 0, "\(ex.stderr)")
        let names = ex.json["features"] as! [String], meanAbs = (ex.json["mean_abs"] as! [NSNumber]).map(\.doubleValue)
        var shapChecked = 0
        for (name, v) in zip(names, meanAbs) {
            guard let cell = cells["shap:\(name)"] else { continue }
            #expect(abs((cell.value ?? .nan) - v) <= 1e-12 * max(1, v), "\(name): report \(String(describing: cell.value)), kira explain \(v)")
            shapChecked += 1
        }
        #expect(shapChecked == min(15, names.count) && shapChecked > 0)

        // The LASSO path reproduced in the report keeps exactly the features the study's frozen
        // LASSO step kept (model.json).
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.results.appendingPathComponent("model.json"))) as! [String: Any]
        let steps = (model["pipeline"] as! [String: Any])["steps"] as! [[String: Any]]
        let kept = try #require(steps.first { $0["kind"] as? String == "lasso" }?["outputNames"] as? [String])
        #expect(cells["lasso_selected"]?.text == kept.joined(separator: ", "), "report \(String(describing: cells["lasso_selected"]?.text)), model \(kept)")

        // Log-rank p per set against `kira survival km` on the cases' follow-up by predicted group.
        let cases = try CSVTable(contentsOf: fx.cases)
        let ids = try cases.strings("case_id"), months = try cases.strings("dfs_months"), events = try cases.strings("dfs_event")
        for split in ["train", "internal", "external"] {
            let p = try CSVTable(contentsOf: fx.results.appendingPathComponent("predictions_\(split).csv"))
            let high = Dictionary(uniqueKeysWithValues: zip(try p.strings("id"), try p.strings("predicted_high")))
            var w = CSVWriter(header: ["id", "time", "event", "group"])
            for (k, id) in ids.enumerated() { if let h = high[id] { w.append([id, months[k], events[k], h == "1" ? "high" : "low"]) } }
            let data = work.appendingPathComponent("km_\(split).csv")
            try w.write(to: data)
            let km = try KiraRun.run(["survival", "km", "--data", data.path, "--time", "time", "--event", "event", "--group", "group", "--json"])
            try #require(km.status == 0, "\(km.stderr)")
            guard let lr = km.json["logrank"] as? [String: Any], let pv = (lr["p"] as? NSNumber)?.doubleValue else { continue }
            let cell = try #require(cells["logrank_p:\(split)"], "no log-rank cell for \(split)")
            #expect(abs((cell.value ?? .nan) - pv) <= 1e-12 * max(1, pv), "\(split): report \(String(describing: cell.value)), kira survival km \(pv)")
            #expect(cell.text == ReportNumber.p(pv))
        }
    }

    @Test("kira study run wrote results/report.html: it loads cleanly and has the same AUC cells", .enabled(if: chromium, noChromium))
    func runWritesReport() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-run")
        let page = try BrowserCheck.load(fx.results.appendingPathComponent("report.html"), work: work)
        #expect(page.console.isEmpty, "console: \(page.console)")
        #expect(page.pageRequests.isEmpty, "requests: \(page.pageRequests)")
        let html = work.appendingPathComponent("again.html")
        let r = try KiraRun.run(["report", "cohort", "--results", fx.results.path, "-o", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let again = try BrowserCheck.load(html, work: work)
        for split in ["internal", "external"] {
            #expect(page.cells["auc:\(split)"]?.value != nil && page.cells["auc:\(split)"]?.value == again.cells["auc:\(split)"]?.value)
        }
    }

    /// The detector itself: a page that fetches an image and runs a script is caught twice.
    @Test("A page that fetches and runs a script is caught: CSP console messages and the request", .enabled(if: chromium, noChromium))
    func detectorCatchesFetches() throws {
        let work = try TestPaths.temporaryDirectory("kira-report-detector")
        let bad = work.appendingPathComponent("bad.html")
        try Data("""
        <!DOCTYPE html><html><head><title>t</title></head><body><p>x</p><img src="http://127.0.0.1:9/x.png"><script>console.log("hi")</script></body></html>
        """.utf8).write(to: bad)
        let page = try BrowserCheck.load(bad, work: work)
        #expect(page.pageRequests == ["http://127.0.0.1:9/x.png"])
        #expect(page.console.contains { $0.contains("hi") })
    }

    /// Not blank: more than 2% of the pixels are not white, and there are many grey levels.
    static func expectNotBlank(_ png: URL) throws {
        let v = try RasterReader.read(png, spacing: nil)
        let values = (0..<v.geometry.voxelCount).map { v.voxels[$0] }
        let dark = values.filter { $0 < 250 }.count
        #expect(Double(dark) / Double(values.count) > 0.02, "only \(dark) of \(values.count) pixels are not white")
        #expect(Set(values.map { Int($0) }).count > 20)
    }

    @Test("--pdf writes a PDF through Chromium", .enabled(if: chromium, noChromium))
    func pdf() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-pdf")
        let html = work.appendingPathComponent("c.html"), pdf = work.appendingPathComponent("c.pdf")
        let r = try KiraRun.run(["report", "cohort", "--results", fx.results.path, "-o", html.path, "--pdf", pdf.path])
        #expect(r.status == 0, "\(r.stderr)")
        let head = try Data(contentsOf: pdf).prefix(5)
        #expect(String(decoding: head, as: UTF8.self) == "%PDF-")
    }

    @Test("--pdf without Chromium on PATH: exit 1 before anything is written, naming the package")
    func pdfWithoutChromium() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-nochromium")
        let html = work.appendingPathComponent("c.html"), pdf = work.appendingPathComponent("c.pdf")
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                               ["PATH=/nonexistent", TestPaths.kiraExecutable.path, "report", "cohort", "--results", fx.results.path,
                                "-o", html.path, "--pdf", pdf.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("chromium"))
        #expect(!FileManager.default.fileExists(atPath: html.path))
    }

    @Test("A results folder missing metrics.json: the report is still written, lists the problem, exit 2")
    func missingFile() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-missing")
        let copy = work.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for name in ["summary.json", "predictions_internal.csv"] {
            try FileManager.default.copyItem(at: fx.results.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let html = work.appendingPathComponent("c.html")
        let r = try KiraRun.run(["report", "cohort", "--results", copy.path, "-o", html.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("metrics.json does not exist"))
        let text = try String(contentsOf: html, encoding: .utf8)
        #expect(text.contains("id=\"problems\"") && text.contains("metrics.json does not exist"))
    }
}
