import ArgumentParser
import Foundation
import KiraCore
import KiraSurvival

struct SurvivalCutoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutoff",
        abstract: "Split subjects into low/high risk by a score cut-off and compare the groups.",
        discussion: """
        High = score > cut-off, low = score ≤ cut-off. Methods: mean, median, value:X (or a number),
        youden:T (the cut maximising sensitivity + specificity − 1 of the cumulative/dynamic ROC at
        time T, cases weighted by inverse probability of censoring), xtile[:TRIM] (every distinct
        score leaving at least TRIM (default 0.1) of subjects in each group is tried; the split with
        the smallest log-rank p wins, and that minimal p is corrected for the search by
        Lausen & Schumacher (1992): p_cor = φ(z)(z − 1/z)·ln((1−ε)²/ε²) + 4φ(z)/z, z = Φ⁻¹(1 − p/2)).
        The score may be a model's predicted probability (the learning predictions file) or a Rad-score.
        --groups-out writes the table's rows used with a risk_group column.

        \(SurvivalExit.helpText)
        """
    )

    @OptionGroup var input: SurvivalInputOptions

    @Option(help: "Column with the risk score (higher = higher risk).")
    var score: String

    @Option(help: "mean, median, value:X, youden:T or xtile[:TRIM].")
    var method: String = "median"

    @Option(name: .customLong("groups-out"), help: "Write row, case id (see --id), time, event, score and risk_group (low/high) to this CSV.")
    var groupsOut: String?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        do { _ = try CutoffMethod(parsing: method) } catch let e as KiraError { throw ValidationError(e.description) }
        if let groupsOut { try replace.check([.init(groupsOut, option: "--groups-out", format: .csv)], inputs: [input.data]) }
    }

    func run() throws {
        try survivalRun("cutoff") {
            let (t, ids) = try input.loadWithIDs(numeric: [score])
            let m = try CutoffMethod(parsing: method)
            let r = try CutoffResult(time: t.time, event: t.event, score: t.numeric[0], method: m)
            var out: [String: Any] = [
                "method": m.name, "cutoff": r.cutoff, "score": score, "n": t.count, "dropped_rows": t.dropped.count,
                "groups": ["low": ["n": r.nLow, "events": r.eventsLow], "high": ["n": r.nHigh, "events": r.eventsHigh]],
                "logrank": ["statistic": r.logRank.statistic, "df": r.logRank.df, "p": r.logRank.p] as [String: Any],
                "hazard_ratio": JSONOut.num(r.hazardRatio), "hr_ci95": [JSONOut.num(r.hazardRatioCI.0), JSONOut.num(r.hazardRatioCI.1)],
            ]
            var lines = ["cut-off (\(m.name)): \(format(r.cutoff, 8)); low n=\(r.nLow) events=\(r.eventsLow), high n=\(r.nHigh) events=\(r.eventsHigh)",
                         "log-rank chi2=\(format(r.logRank.statistic, 6)) p=\(format(r.logRank.p, 4)); HR high vs low \(format(r.hazardRatio)) (95% CI \(format(r.hazardRatioCI.0)) to \(format(r.hazardRatioCI.1)))"]
            if case let .youden(time) = m {
                out["youden"] = ["time": time, "sensitivity": r.sensitivity!, "specificity": r.specificity!, "j": r.youdenJ!]
                lines.append("Youden at t=\(format(time)): sensitivity \(format(r.sensitivity)) specificity \(format(r.specificity)) J \(format(r.youdenJ))")
            }
            if case .xtile = m {
                out["xtile"] = ["candidates": r.candidates!, "trim": r.trim!, "p_min": r.minimalP!, "p_corrected": r.correctedP!,
                                "correction": "Lausen-Schumacher 1992"] as [String: Any]
                lines.append("X-tile: \(r.candidates!) candidate cuts, minimal p \(format(r.minimalP)), corrected (Lausen–Schumacher) p \(format(r.correctedP))")
            }
            if let groupsOut {
                var w = CSVWriter(header: ["row"] + (ids.map { [$0.column] } ?? []) + [input.time, input.event, score, "risk_group"])
                for i in 0..<t.count {
                    w.append([String(t.sourceRows[i])] + (ids.map { [$0.values[i]] } ?? [])
                             + [CSVWriter.format(t.time[i]), t.event[i] ? "1" : "0",
                                CSVWriter.format(t.numeric[0][i]), t.numeric[0][i] > r.cutoff ? "high" : "low"])
                }
                try w.write(to: URL(fileURLWithPath: groupsOut))
            }
            if json { try JSONOut.print(out) } else { print(lines.joined(separator: "\n")) }
        }
    }
}
