import Foundation
import KiraReport
import KiraTestSupport

/// A real study run to report on, made once per test process: `kira synth` writes a small
/// synthetic cohort and `kira study run` analyses it with a light study file (ultrasound only,
/// the tumour region, one logistic model, 3-fold CV twice), about half a minute in debug.
struct ReportFixture: Sendable {
    let dir: URL
    var results: URL { dir.appendingPathComponent("results") }
    var cases: URL { dir.appendingPathComponent("cases.csv") }

    static let study = """
    cohort: cases.csv
    id: case_id
    label: {column: ki67, threshold: 20}
    split: {column: set}
    survival: {time: dfs_months, event: dfs_event}
    modalities:
      us: {image: us_path, masks: [us_r1, us_r2], features: {preset: default}}
    regions: [tumour]
    reproducibility: {form: ICC2, min: 0.80}
    selection: [zscore, corr:0.9, lasso]
    models: {lr: {}}
    validation: {cv: 3, repeats: 2, seed: 0}
    output: results/

    """

    static let shared: Result<ReportFixture, Error> = Result {
        let dir = try TestPaths.temporaryDirectory("kira-report")
        let synth = try KiraRun.run(["synth", "-o", dir.path, "--cases", "90", "--seed", "5", "--overwrite"])
        guard synth.status == 0 else { throw FixtureError(message: "kira synth: \(synth.stderr)") }
        try Data(study.utf8).write(to: dir.appendingPathComponent("study.yaml"))
        let run = try KiraRun.run(["study", "run", dir.appendingPathComponent("study.yaml").path, "--jobs", "2", "--quiet"])
        guard run.status == 0 || run.status == 2 else { throw FixtureError(message: "kira study run: \(run.stderr)") }
        return ReportFixture(dir: dir)
    }

    struct FixtureError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}

/// What headless Chromium saw when it loaded a page: its console messages, the requests the
/// page made (the browser's own background requests, marked "not an origin" in the net log,
/// are not the page's), the DOM after load, and a screenshot.
struct BrowserCheck {
    var console: [String]
    var pageRequests: [String]
    var dom: String
    var screenshot: URL

    static func load(_ page: URL, work: URL) throws -> BrowserCheck {
        let chromium = try requireChromium()
        let netLog = work.appendingPathComponent("net.json"), shot = work.appendingPathComponent("screenshot.png")
        let a = try chromium.run(["--enable-logging=stderr", "--v=0", "--log-net-log=\(netLog.path)", "--dump-dom"], page: page)
        let b = try chromium.run(["--screenshot=\(shot.path)", "--window-size=1280,2000"], page: page)
        guard a.status == 0, b.status == 0 else { throw ReportFixture.FixtureError(message: "chromium: \(a.stderr)\n\(b.stderr)") }
        let console = a.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return BrowserCheck(console: console, pageRequests: try requests(netLog), dom: a.stdout, screenshot: shot)
    }

    static func requireChromium() throws -> Chromium {
        guard let c = Chromium.find() else { throw ReportFixture.FixtureError(message: Chromium.missingMessage) }
        return c
    }

    /// URLs of requests started on behalf of a page (initiator other than "not an origin").
    static func requests(_ netLog: URL) throws -> [String] {
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: netLog)) as! [String: Any]
        let constants = doc["constants"] as! [String: Any]
        let types = constants["logEventTypes"] as! [String: Int]
        let start = types["URL_REQUEST_START_JOB"]!
        var out: [String] = []
        for e in doc["events"] as? [[String: Any]] ?? [] where (e["type"] as? Int) == start {
            guard let p = e["params"] as? [String: Any], let url = p["url"] as? String else { continue }
            if (p["initiator"] as? String) != "not an origin" { out.append(url) }
        }
        return out
    }

    /// Cells with a data-key: key → (text, data-value).
    var cells: [String: (text: String, value: Double?)] {
        var out: [String: (String, Double?)] = [:]
        let pattern = try! NSRegularExpression(pattern: #"<td data-key="([^"]+)"(?: data-value="([^"]+)")?>([^<]*)</td>"#)
        let ns = dom as NSString
        for m in pattern.matches(in: dom, range: NSRange(location: 0, length: ns.length)) {
            let key = ns.substring(with: m.range(at: 1))
            let value = m.range(at: 2).location == NSNotFound ? nil : Double(ns.substring(with: m.range(at: 2)))
            out[key] = (ns.substring(with: m.range(at: 3)), value)
        }
        return out
    }

    /// The texts of legend entries.
    var legends: [String] {
        let pattern = try! NSRegularExpression(pattern: #"<text [^>]*data-series="\d+"[^>]*>([^<]*)</text>"#)
        let ns = dom as NSString
        return pattern.matches(in: dom, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }
}
