import ArgumentParser
import Foundation
import KiraCore
import KiraLearn

struct LearnCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "DeLong's test of two models' AUCs on the same cases.",
        discussion: """
        Both predictions CSVs must score the same ids (order may differ). Prints the two AUCs,
        DeLong's Z for their difference and its two-sided p-value (pROC's roc.test(method =
        "delong")). JSON keys: auc_a, auc_b, auc_ci95_a, auc_ci95_b, z, p, diff_ci95 (95% CI of
        AUC A − AUC B), n.

        \(KiraExit.helpText)
        """
    )

    @Option(parsing: .upToNextOption, help: "Two predictions CSVs (id column and probability).")
    var predictions: [String]

    @OptionGroup var outcome: LabelOptions

    @OptionGroup var input: LearnInputOptions

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard predictions.count == 2 else { throw ValidationError("--predictions takes exactly two files, got \(predictions.count)") }
        for f in predictions where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.compare")
        do {
            let a = try PredictionsFile(predictions[0], idColumn: input.idColumn)
            let b = try PredictionsFile(predictions[1], idColumn: input.idColumn)
            let bIndex = Dictionary(uniqueKeysWithValues: b.ids.enumerated().map { ($1, $0) })
            let missing = a.ids.filter { bIndex[$0] == nil } + b.ids.filter { !Set(a.ids).contains($0) }
            if !missing.isEmpty {
                throw KiraError.invalidData("the two predictions files score different cases: \(missing.count) id(s) in only one (\(missing.prefix(5).joined(separator: ", ")))")
            }
            let lab = try outcome.load(idColumn: input.idColumn)
            let y = try a.aligned(with: lab, source: predictions[0])
            let pb = a.ids.map { b.probabilities[bIndex[$0]!] }
            let t = try DeLongPairedTest(scoresA: a.probabilities, scoresB: pb, labels: y)
            let ca = try DeLongAUC(scores: a.probabilities, labels: y), cb = try DeLongAUC(scores: pb, labels: y)
            if json {
                print(try LearnOutput.json(["auc_a": t.aucA, "auc_b": t.aucB, "z": t.z, "p": t.p, "n": y.count,
                                            "auc_ci95_a": ca.ci95, "auc_ci95_b": cb.ci95,
                                            "diff_ci95": t.differenceCI95]))
            } else {
                print(String(format: "AUC A %.4f, AUC B %.4f, DeLong Z = %.4f, p = %.4g", t.aucA, t.aucB, t.z, t.p))
            }
        } catch {
            throw LearnOutput.fail("compare", error)
        }
    }
}
