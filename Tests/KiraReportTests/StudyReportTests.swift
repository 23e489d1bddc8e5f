import Foundation
import KiraCore
import KiraIO
import KiraReport
import KiraTestSupport
import Testing

/// `kira report study` on a case of a real run: the page in headless Chromium (no console
/// message, no request, not blank), its probability equal to the run's prediction, the JSON
/// equal to the page; bad inputs still get a report naming the problem, and exit 2.
@Suite("Per-study report", .serialized)
struct StudyReportTests {
    static let chromium = Chromium.find() != nil
    static let noChromium = Comment(rawValue: Chromium.missingMessage + " (make peers installs it)")

    static func prediction(_ fx: ReportFixture, _ id: String) throws -> (p: Double, split: String) {
        for split in ["train", "internal", "external"] {
            let t = try CSVTable(contentsOf: fx.results.appendingPathComponent("predictions_\(split).csv"))
            if let k = try t.strings("id").firstIndex(of: id) { return (try t.requiredNumbers("probability")[k], split) }
        }
        throw ReportFixture.FixtureError(message: "no prediction for \(id)")
    }

    @Test("A case's report: loads cleanly, its probability and class are the run's, the JSON says the same", .enabled(if: chromium, noChromium))
    func caseReport() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-study")
        let html = work.appendingPathComponent("case.html")
        let r = try KiraRun.run(["report", "study", "--model", fx.results.appendingPathComponent("model.json").path, "--case", "case030",
                                 "--results", fx.results.path, "-o", html.path])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try BrowserCheck.load(html, work: work)
        #expect(page.console.isEmpty, "console: \(page.console)")
        #expect(page.pageRequests.isEmpty, "requests: \(page.pageRequests)")
        try CohortReportBrowserTests.expectNotBlank(page.screenshot)
        #expect(page.dom.contains("Research use only, not for clinical decisions."))
        #expect(page.dom.contains("src=\"data:image/png;base64,"))

        let (p, _) = try Self.prediction(fx, "case030")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.results.appendingPathComponent("model.json"))) as! [String: Any]
        let threshold = ((model["pipeline"] as! [String: Any])["threshold"] as! NSNumber).doubleValue
        let cells = page.cells
        #expect(cells["probability"]?.value == p)
        #expect(abs((cells["threshold"]?.value ?? .nan) - threshold) <= 1e-15)   // model.json read by JSONSerialization: last-bit rounding
        #expect(cells["class"]?.text == (p >= threshold ? "high Ki-67" : "low Ki-67"))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("case.json"))) as! [String: Any]
        #expect(abs(((json["probability"] as? NSNumber)?.doubleValue ?? .nan) - p) <= 1e-15)
        #expect((json["predicted_high"] as? Bool) == (p >= threshold))
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        let images = json["images"] as! [[String: Any]]
        #expect(images.count == 1 && (images[0]["roi_voxels"] as? Int ?? 0) > 0)
        // The largest cross-section: no slice of reader 1's mask has more voxels.
        let mask = try ImageFileReader.readLabels(fx.dir.appendingPathComponent("images/case030_r1.nii.gz"))
        let g = mask.geometry, plane = g.size.x * g.size.y
        let areas = (0..<g.size.z).map { z in (0..<plane).filter { mask.voxels[z * plane + $0] != 0 }.count }
        #expect(images[0]["slice"] as? Int == areas.firstIndex(of: areas.max()!))
        #expect((images[0]["areas"] as? [Int])?.first == areas.max())
        let contributions = json["contributions"] as! [[String: Any]]
        #expect(!contributions.isEmpty)
        // No patient-identifying key without --keep-phi.
        let identifiers = json["identifiers"] as! [String: String]
        #expect(!identifiers.keys.contains { $0.contains("Patient") || $0.contains("UID") })
    }

    @Test("kira study predict --reports writes one report per case whose probability is the predicted one")
    func predictWritesReports() throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-predict")
        let reports = work.appendingPathComponent("reports"), out = work.appendingPathComponent("p.csv")
        let r = try KiraRun.run(["study", "predict", fx.study.path, "--model", fx.results.appendingPathComponent("model.json").path,
                                 "--cohort", fx.cases.path, "-o", out.path, "--reports", reports.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try CSVTable(contentsOf: out)
        let ids = try t.strings("id"), p = try t.requiredNumbers("probability")
        #expect(ids.count == ReportFixture.count)
        for (k, id) in ids.enumerated() {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("\(id).json"))) as! [String: Any]
            // Within a few ulps: Foundation's JSON parser on Linux may round the last bit.
            #expect(abs(((json["probability"] as? NSNumber)?.doubleValue ?? .nan) - p[k]) <= 1e-15, "\(id)")
            #expect(!(json["contributions"] as! [Any]).isEmpty, "\(id)")
            #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent("\(id).html").path))
        }
    }

    @Test("kira study run wrote reports/<case>.json for every case: probability, threshold and class from the run's files; equal to kira report study's; a rerun leaves them untouched")
    func runWritesCaseReports() throws {
        let fx = try ReportFixture.shared.get()
        let reports = fx.results.appendingPathComponent("reports")
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: fx.results.appendingPathComponent("model.json"))) as! [String: Any]
        let pipeline = model["pipeline"] as! [String: Any]
        let threshold = (pipeline["threshold"] as! NSNumber).doubleValue
        var seen = 0
        for split in ["train", "internal", "external"] {
            let t = try CSVTable(contentsOf: fx.results.appendingPathComponent("predictions_\(split).csv"))
            let ids = try t.strings("id"), p = try t.requiredNumbers("probability")
            for (k, id) in ids.enumerated() {
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("\(id).json"))) as! [String: Any]
                // Within a few ulps: Foundation's JSON parser on Linux may round the last bit.
                #expect(abs(((json["probability"] as? NSNumber)?.doubleValue ?? .nan) - p[k]) <= 1e-15, "\(id)")
                #expect(abs(((json["threshold"] as? NSNumber)?.doubleValue ?? .nan) - threshold) <= 1e-15, "\(id)")
                #expect((json["predicted_high"] as? Bool) == (p[k] >= threshold), "\(id)")
                #expect((json["identifiers"] as? [String: String])?["set"] == split)
                #expect((json["problems"] as? [Any])?.isEmpty == true, "\(id): \(json["problems"] ?? "")")
                let names = Set((json["contributions"] as! [[String: Any]]).map { $0["feature"] as! String })
                #expect(!names.isEmpty && names.isSubset(of: Set(pipeline["selected_features"] as! [String])), "\(id)")
                seen += 1
            }
        }
        #expect(seen == ReportFixture.count)
        let problems = try String(contentsOf: reports.appendingPathComponent("problems.csv"), encoding: .utf8)
        #expect(problems == "case,problem\n")

        // The same case through kira report study: the same JSON, byte for byte.
        let work = try TestPaths.temporaryDirectory("kira-report-run-cases")
        let r = try KiraRun.run(["report", "study", "--model", fx.results.appendingPathComponent("model.json").path, "--case", "case041",
                                 "--results", fx.results.path, "-o", work.appendingPathComponent("c.html").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Data(contentsOf: work.appendingPathComponent("c.json")) == Data(contentsOf: reports.appendingPathComponent("case041.json")))

        // A rerun (in a copy, cache included) with nothing changed: every report left as it was.
        let copy = work.appendingPathComponent("study")
        try FileManager.default.copyItem(at: fx.dir, to: copy)
        let copied = copy.appendingPathComponent("results/reports")
        func snapshot() throws -> [String: (Data, Date)] {
            var out: [String: (Data, Date)] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: copied.path) {
                let url = copied.appendingPathComponent(name)
                out[name] = (try Data(contentsOf: url), try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as! Date)
            }
            return out
        }
        let before = try snapshot()
        let again = try KiraRun.run(["study", "run", copy.appendingPathComponent("study.yaml").path, "--jobs", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("study reports: 0 written, \(ReportFixture.count) unchanged, 0 with problems"), "\(again.stderr)")
        let after = try snapshot()
        #expect(before.count == 2 * ReportFixture.count + 1 && before.keys.sorted() == after.keys.sorted())
        for (name, (data, date)) in before {
            #expect(after[name]?.0 == data && after[name]?.1 == date, "\(name) changed")
        }
    }

    /// A second study file over a copied cohort in which case000 has no image, case002's
    /// reader-1 mask is of another size, and the rest are as run.
    static func badStudy(_ fx: ReportFixture) throws -> URL {
        let t = try CSVTable(contentsOf: fx.cases)
        var w = CSVWriter(header: t.header)
        let small = "images/small_mask.nii.gz"
        try NIfTIWriter.write(try Volume(geometry: Geometry(size: [8, 8, 4], spacing: [1, 1, 1.5], origin: [0, 0, 0]),
                                         voxels: .uint8([UInt8](repeating: 1, count: 256))), to: fx.dir.appendingPathComponent(small))
        let path = try t.columnIndex("mr_path"), r1 = try t.columnIndex("mr_r1")
        for var row in t.rows {
            if row[0] == "case000" { row[path] = "" }
            if row[0] == "case002" { row[r1] = small }
            w.append(row)
        }
        try w.write(to: fx.dir.appendingPathComponent("cases_bad.csv"))
        let study = fx.dir.appendingPathComponent("study_bad.yaml")
        try Data(ReportFixture.studyText.replacingOccurrences(of: "cohort: cases.csv", with: "cohort: cases_bad.csv").utf8).write(to: study)
        return study
    }

    @Test("Bad input still gets a report naming the problem, exit 2", arguments: ["missing modality", "another Kira's model", "mask off its image"])
    func badInput(_ what: String) throws {
        let fx = try ReportFixture.shared.get()
        let work = try TestPaths.temporaryDirectory("kira-report-bad")
        let study = try Self.badStudy(fx)
        var model = fx.results.appendingPathComponent("model.json")
        var caseID = "case004"
        var expected = ""
        switch what {
        case "missing modality":
            caseID = "case000"; expected = "case000: no mr image (column mr_path is empty); the model needs mr features"
        case "another Kira's model":
            var doc = try JSONSerialization.jsonObject(with: Data(contentsOf: model)) as! [String: Any]
            doc["kira_version"] = "0.0.1-old"
            model = work.appendingPathComponent("old_model.json")
            try JSONSerialization.data(withJSONObject: doc).write(to: model)
            expected = "written by Kira 0.0.1-old; this is Kira \(KiraVersion.current)"
        default:
            caseID = "case002"; expected = "the mask small_mask.nii.gz does not fit its image"
        }
        let html = work.appendingPathComponent("r.html")
        let r = try KiraRun.run(["report", "study", "--model", model.path, "--case", caseID, "--results", fx.results.path,
                                 "--study", study.path, "-o", html.path])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        let text = try String(contentsOf: html, encoding: .utf8)
        #expect(text.contains("id=\"problems\""))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("r.json"))) as! [String: Any]
        #expect((json["problems"] as! [String]).contains { $0.contains(expected) })
    }
}
