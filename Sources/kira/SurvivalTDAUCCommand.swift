import ArgumentParser
import Foundation
import KiraCore
import KiraSurvival

struct SurvivalTDAUCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tdauc",
        abstract: "Time-dependent AUC (cumulative/dynamic) at given times, with Harrell's and Uno's C.",
        discussion: """
        At each time t, cases are subjects with an event by t, weighted by 1/G(t_i) (G: Kaplan–Meier
        of the censoring times), controls are subjects still event-free after t; AUC(t) is the
        weighted share of case–control pairs ranked correctly (ties ½). Times must lie within the
        follow-up [min time, max time). mean_auc integrates AUC(t) over the Kaplan–Meier estimate.
        Uno's C weights comparable pairs by 1/G(t_i)², counting events before --tau only.

        \(SurvivalExit.helpText)
        """
    )

    @OptionGroup var input: SurvivalInputOptions

    @Option(help: "Column with the risk score (higher = higher risk).")
    var score: String

    @Option(help: "Comma-separated times, e.g. 6,12.")
    var at: String

    @Option(help: "Truncation time for Uno's C (events at or after tau are not the earlier member of a pair).")
    var tau: Double?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws { _ = try parseTimes(at, option: "--at") }

    func run() throws {
        try survivalRun("tdauc") {
            let t = try input.load(numeric: [score])
            let r = try TimeDependentAUC(time: t.time, event: t.event, score: t.numeric[0], at: try parseTimes(at, option: "--at"))
            let harrell = try Concordance.harrell(time: t.time, event: t.event, risk: t.numeric[0])
            let uno = try Concordance.uno(time: t.time, event: t.event, risk: t.numeric[0], tau: tau)
            let out: [String: Any] = [
                "times": r.times, "auc": r.auc, "cases": r.cases, "controls": r.controls, "mean_auc": JSONOut.num(r.meanAUC),
                "harrell_c": harrell.c, "uno_c": uno.c, "tau": JSONOut.num(tau), "n": t.count, "dropped_rows": t.dropped.count,
            ]
            if json { try JSONOut.print(out); return }
            for (k, time) in r.times.enumerated() {
                print("AUC(\(format(time))) = \(format(r.auc[k], 6))  (\(r.cases[k]) cases, \(r.controls[k]) controls)")
            }
            if let m = r.meanAUC { print("mean AUC = \(format(m, 6))") }
            print("Harrell's C = \(format(harrell.c, 6)); Uno's C = \(format(uno.c, 6))\(tau.map { " (tau \(format($0)))" } ?? "")")
        }
    }
}
