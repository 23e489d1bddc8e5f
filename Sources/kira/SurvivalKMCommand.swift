import ArgumentParser
import Foundation
import KiraCore
import KiraSurvival

struct SurvivalKMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "km",
        abstract: "Kaplan–Meier curves with 95% log(−log) Greenwood bands, medians, numbers at risk, log-rank test.",
        discussion: """
        Without --group the whole table is one curve ("all"). With --group, one curve per value
        and the log-rank test of all groups (k − 1 df); --strata makes it a stratified log-rank
        test (observed − expected and variances summed over strata).

        \(SurvivalExit.helpText)
        """
    )

    @OptionGroup var input: SurvivalInputOptions

    @Option(help: "Column whose values define the groups.")
    var group: String?

    @Option(help: "Column whose values define strata for a stratified log-rank test (needs --group).")
    var strata: String?

    @Option(help: "Comma-separated times at which to report survival, e.g. 12,36,60.")
    var at: String?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws {
        if strata != nil && group == nil { throw ValidationError("--strata needs --group") }
        if let at { _ = try parseTimes(at, option: "--at") }
    }

    func run() throws {
        try survivalRun("km") {
            let text = (group.map { [$0] } ?? []) + (strata.map { [$0] } ?? [])
            let t = try input.load(text: text)
            let labels = group == nil ? [String](repeating: "all", count: t.count) : t.text[0]
            let keys = Array(Set(labels)).sorted { LogRankTestOrder.before($0, $1) }
            let times = try at.map { try parseTimes($0, option: "--at") } ?? []
            var groups: [String: Any] = [:]
            var lines: [String] = []
            for key in keys {
                let rows = t.time.indices.filter { labels[$0] == key }
                let km = KaplanMeier(time: rows.map { t.time[$0] }, event: rows.map { t.event[$0] })
                let ci = km.medianInterval
                var g: [String: Any] = [
                    "n": km.n, "events": km.eventCount, "median": JSONOut.num(km.median),
                    "median_ci95": [JSONOut.num(ci.lower), JSONOut.num(ci.upper)],
                    "timeline": km.timeline, "survival": JSONOut.nums(km.survival),
                    "ci95_lower": JSONOut.nums(km.lower), "ci95_upper": JSONOut.nums(km.upper), "at_risk": km.atRisk,
                ]
                if !times.isEmpty {
                    g["at"] = times.map { x in
                        ["time": x, "survival": JSONOut.num(km.survival(at: x)), "ci95_lower": JSONOut.num(km.lower(at: x)),
                         "ci95_upper": JSONOut.num(km.upper(at: x)), "at_risk": km.atRisk(at: x)] as [String: Any]
                    }
                }
                groups[key] = g
                var line = "\(key): n=\(km.n) events=\(km.eventCount) median=\(format(km.median)) (95% CI \(format(ci.lower)) to \(format(ci.upper)))"
                for x in times { line += "  S(\(format(x)))=\(format(km.survival(at: x))) [\(format(km.lower(at: x))), \(format(km.upper(at: x)))] at risk \(km.atRisk(at: x))" }
                lines.append(line)
            }
            var logrank: Any = NSNull()
            // Without events the curves are S = 1 throughout, a real answer; only the
            // comparison of groups has nothing to go on.
            let hasEvents = t.event.contains(true)
            if !hasEvents {
                FileHandle.standardError.write(Data("kira survival km: warning: no events among the \(t.count) subjects of \(input.data): survival is 1 throughout\(group == nil ? "" : " and the log-rank test is undefined")\n".utf8))
            }
            if group != nil && !hasEvents {
                logrank = ["undefined": "no events"] as [String: Any]
                lines.append("log-rank: undefined (no events)")
            } else if group != nil {
                let test = try LogRankTest(time: t.time, event: t.event, group: labels, strata: strata == nil ? nil : t.text[1])
                logrank = ["statistic": test.statistic, "df": test.df, "p": test.p, "stratified": strata != nil] as [String: Any]
                lines.append("log-rank\(strata != nil ? " (stratified by \(strata!))" : ""): chi2=\(format(test.statistic, 6)) df=\(test.df) p=\(format(test.p, 4))")
            }
            if json {
                try JSONOut.print(["groups": groups, "logrank": logrank, "n": t.count, "dropped_rows": t.dropped.count])
            } else {
                print(lines.joined(separator: "\n"))
            }
        }
    }
}

/// Group labels: numbers in numeric order, then text.
enum LogRankTestOrder {
    static func before(_ a: String, _ b: String) -> Bool {
        switch (Double(a), Double(b)) {
        case let (x?, y?): return x != y ? x < y : a < b
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }
}
