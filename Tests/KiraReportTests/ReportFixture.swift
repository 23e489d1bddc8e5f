import Foundation
import KiraCore
import KiraIO
import KiraReport
import KiraTestSupport

/// A real study run to report on, made once per test process: a small cohort of MR-like
/// NIfTI volumes (two readers, a planted signal: the tumour's intensity spread is larger in
/// high Ki-67 cases, with overlap; follow-up shorter for them), clinical columns (age,
/// grade, centre), three sets, analysed by `kira study run` with a light study file.
struct ReportFixture: Sendable {
    let dir: URL
    var results: URL { dir.appendingPathComponent("results") }
    var cases: URL { dir.appendingPathComponent("cases.csv") }
    var study: URL { dir.appendingPathComponent("study.yaml") }

    static let count = 48
    static let geometry = Geometry(size: [20, 20, 10], spacing: [1, 1, 1.5], origin: [-10, -10, -7.5])

    static let studyText = """
    cohort: cases.csv
    id: case_id
    label: {column: ki67, threshold: 20}
    split: {column: set}
    survival: {time: dfs_months, event: dfs_event}
    modalities:
      mr: {image: mr_path, masks: [mr_r1, mr_r2], features: {preset: default}}
    regions: [tumour]
    reproducibility: {form: ICC2, min: 0.80}
    selection: [zscore, mwu:0.2, corr:0.9, lasso:min]
    models: {lr: {C: [0.1, 1]}}
    validation: {cv: 3, repeats: 2, seed: 0}
    output: results/

    """

    static func split(_ i: Int) -> String { i < count * 6 / 10 ? "train" : i < count * 8 / 10 ? "internal" : "external" }

    static func write(to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        var csv = CSVWriter(header: ["case_id", "ki67", "set", "dfs_months", "dfs_event", "age", "grade", "centre", "mr_path", "mr_r1", "mr_r2"])
        let g = geometry
        for i in 0..<count {
            var rng = SplitMix64(seed: 4242 &+ UInt64(i))
            func normal() -> Double {
                let u = max(rng.unit(), 1e-12), v = rng.unit()
                return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
            }
            let high = i % 2 == 0
            let ki67 = high ? 25 + 40 * rng.unit() : 3 + 15 * rng.unit()
            let spread = high ? 18 + 24 * rng.unit() : 8 + 20 * rng.unit()
            let radius = 3.2 + rng.unit()
            let centre = SIMD3<Double>(10 + rng.unit() - 0.5, 10 + rng.unit() - 0.5, 5)
            var image = [Float](repeating: 0, count: g.voxelCount)
            var r1 = [UInt8](repeating: 0, count: g.voxelCount), r2 = r1
            for z in 0..<g.size.z { for y in 0..<g.size.y { for x in 0..<g.size.x {
                let k = x + g.size.x * (y + g.size.y * z)
                let d = SIMD3<Double>(Double(x) - centre.x, Double(y) - centre.y, (Double(z) - centre.z) * 1.5)
                let r = (d * d).sum().squareRoot()
                image[k] = Float(r <= radius ? 200 + spread * normal() : 100 + 6 * normal())
                if r <= radius { r1[k] = 1 }
                if r <= radius + (i % 2 == 1 ? 0.6 : 0) { r2[k] = 1 }
            } } }
            let id = String(format: "case%03d", i)
            let img = "images/\(id)_mr.nii.gz", m1 = "images/\(id)_r1.nii.gz", m2 = "images/\(id)_r2.nii.gz"
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(image)), to: dir.appendingPathComponent(img))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(r1)), to: dir.appendingPathComponent(m1))
            try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(r2)), to: dir.appendingPathComponent(m2))
            let t = -log(max(rng.unit(), 1e-12)) / (high ? 0.04 : 0.012)
            let age = 52 + 9 * normal() + (high ? -3 : 0)
            let grade = high ? (rng.unit() < 0.6 ? "3" : "2") : (rng.unit() < 0.3 ? "3" : rng.unit() < 0.5 ? "1" : "2")
            csv.append([id, String(format: "%.1f", ki67), split(i), String(format: "%.1f", min(t, 60)), t < 60 ? "1" : "0",
                        String(format: "%.0f", age), grade, i % 3 == 0 ? "B" : "A", img, m1, m2])
        }
        try csv.write(to: dir.appendingPathComponent("cases.csv"))
        try Data(studyText.utf8).write(to: dir.appendingPathComponent("study.yaml"))
    }

    static let shared: Result<ReportFixture, Error> = Result {
        let dir = try TestPaths.temporaryDirectory("kira-report")
        try write(to: dir)
        let run = try KiraRun.run(["study", "run", dir.appendingPathComponent("study.yaml").path, "--jobs", "2", "--quiet"])
        guard run.status == 0 else { throw FixtureError(message: "kira study run: \(run.stderr)") }
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
