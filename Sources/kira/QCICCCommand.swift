import ArgumentParser
import Foundation
import KiraCore
import KiraQC

struct QCICCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icc",
        abstract: "Intraclass correlation (ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k) from long-format ratings.",
        discussion: """
        FILE.csv has one row per target × rater. The six Shrout–Fleiss / McGraw–Wong forms are \
        computed with their F test and 95% confidence interval, as pingouin's intraclass_corr. \
        Missing ratings (no row, or an empty/NA/NaN cell): every target lacking a rating is \
        dropped, and the number dropped is reported. A target rated twice by one rater, fewer \
        than 2 raters or complete targets, or ratings without variance are errors.

        \(QCOutput.exitText)
        """
    )

    @Option(help: "Long-format CSV file.")
    var data: String

    @Option(help: "Column naming the target (case, subject).")
    var targets: String

    @Option(help: "Column naming the rater (reader).")
    var raters: String

    @Option(help: "Column holding the numeric rating.")
    var ratings: String

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws {
        guard FileManager.default.fileExists(atPath: data) else { throw ValidationError("--data '\(data)' does not exist") }
    }

    struct Report: Encodable {
        struct Form: Encodable {
            var icc: JSONNumber, f: JSONNumber, df1: Double, df2: Double, p: JSONNumber, ci95: [JSONNumber]
            var description: String
        }
        var forms: [String: Form]
        var targets: Int
        var raters: Int
        var dropped_targets: Int
        var dropped_target_ids: [String]
        var rater_ids: [String]

        func encode(to encoder: Encoder) throws {
            // The six forms sit at the top level (ICC1 … ICC3k) beside the counts.
            var c = encoder.container(keyedBy: Key.self)
            for (k, v) in forms { try c.encode(v, forKey: Key(k)) }
            try c.encode(targets, forKey: Key("targets"))
            try c.encode(raters, forKey: Key("raters"))
            try c.encode(dropped_targets, forKey: Key("dropped_targets"))
            try c.encode(dropped_target_ids, forKey: Key("dropped_target_ids"))
            try c.encode(rater_ids, forKey: Key("rater_ids"))
        }
        struct Key: CodingKey {
            var stringValue: String
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
    }

    func run() throws {
        let table: RatingsTable
        let result: ICCResult
        do {
            table = try RatingsTable(CSVTable(contentsOf: URL(fileURLWithPath: data)), targets: targets, raters: raters, ratings: ratings)
            result = try table.icc()
        } catch { throw QCOutput.fail("icc", error) }
        if !table.droppedTargets.isEmpty {
            let shown = table.droppedTargets.prefix(10).joined(separator: ", ") + (table.droppedTargets.count > 10 ? ", …" : "")
            QCOutput.warn("icc", "dropped \(table.droppedTargets.count) target(s) with missing ratings: \(shown)")
        }
        if json {
            var forms: [String: Report.Form] = [:]
            for e in result.estimates {
                forms[e.form.rawValue] = .init(icc: JSONNumber(e.icc), f: JSONNumber(e.f), df1: e.df1, df2: e.df2, p: JSONNumber(e.p),
                                               ci95: [JSONNumber(e.ci95?.lowerBound), JSONNumber(e.ci95?.upperBound)],
                                               description: e.form.description)
            }
            try QCOutput.printJSON(Report(forms: forms, targets: result.targets, raters: result.raters,
                                          dropped_targets: result.droppedTargets, dropped_target_ids: table.droppedTargets,
                                          rater_ids: table.raters))
            return
        }
        print("\(result.targets) targets × \(result.raters) raters" + (result.droppedTargets > 0 ? " (\(result.droppedTargets) dropped)" : ""))
        print("form    ICC        F          df1    df2    p            95% CI")
        for e in result.estimates {
            let ci = e.ci95.map { "[\(QCOutput.format($0.lowerBound, digits: 4)), \(QCOutput.format($0.upperBound, digits: 4))]" } ?? "n/a"
            print([e.form.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0),
                   QCOutput.format(e.icc, digits: 4).padding(toLength: 10, withPad: " ", startingAt: 0),
                   QCOutput.format(e.f, digits: 5).padding(toLength: 10, withPad: " ", startingAt: 0),
                   QCOutput.format(e.df1).padding(toLength: 6, withPad: " ", startingAt: 0),
                   QCOutput.format(e.df2).padding(toLength: 6, withPad: " ", startingAt: 0),
                   QCOutput.format(e.p, digits: 4).padding(toLength: 12, withPad: " ", startingAt: 0), ci].joined(separator: " "))
        }
    }
}
