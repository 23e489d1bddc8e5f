import ArgumentParser
import Foundation
import KiraCore
import KiraLearn

struct LearnEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Metrics of predictions against labels: AUC with 95% CI, threshold metrics, calibration, decision curve.",
        discussion: """
        The predictions CSV has the id column and probability (as written by kira predict).
        AUC's 95% CI is DeLong's (AUC ± 1.96·SE, clipped to [0, 1], as pROC's ci.auc), or a
        stratified percentile bootstrap with --bootstrap N. Threshold metrics use --cutoff,
        else Youden's threshold on these predictions (report a model's training threshold
        with --cutoff for an honest external evaluation). A case is positive when its
        probability ≥ the threshold.

        JSON keys: auc, auc_ci95, auc_ci_method, accuracy, sensitivity, specificity, ppv, npv,
        f1, brier, threshold, confusion {tp, fp, tn, fn}, calibration {curve, slope, intercept,
        intercept_in_the_large, hosmer_lemeshow {statistic, df, p}}, decision_curve
        {thresholds, model, treat_all, treat_none}, n, positives.

        \(KiraExit.helpText)
        """
    )

    @Option(help: "Predictions CSV (id column and probability).")
    var predictions: String

    @OptionGroup var outcome: LabelOptions

    @OptionGroup var input: LearnInputOptions

    @Option(help: "Probability threshold for the class metrics (default: Youden's).")
    var cutoff: Double?

    @Option(help: "Bootstrap replicates for the AUC CI instead of DeLong's.")
    var bootstrap: Int?

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 0

    @Flag(help: "Print the metrics as JSON on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: predictions) else { throw ValidationError("'\(predictions)' does not exist") }
        if let b = bootstrap, b < 100 { throw ValidationError("--bootstrap \(b): use at least 100 replicates") }
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.evaluate")
        do {
            let p = try PredictionsFile(predictions, idColumn: input.idColumn)
            let lab = try outcome.load(idColumn: input.idColumn)
            let y = try p.aligned(with: lab, source: predictions)
            let e = try Evaluation(probabilities: p.probabilities, labels: y, threshold: cutoff,
                                   ci: bootstrap.map { .bootstrap(replicates: $0, seed: seed) } ?? .delong)
            if json {
                print(try LearnOutput.json(try e.reportObject()))
            } else {
                print(String(format: "n %d (%d positive)\nAUC %.4f (95%% CI %.4f–%.4f, %@)", e.n, e.positives, e.auc, e.aucCI95[0], e.aucCI95[1], e.aucCIMethod))
                print(String(format: "threshold %.4f: accuracy %.4f, sensitivity %.4f, specificity %.4f, PPV %.4f, NPV %.4f, F1 %.4f",
                             e.threshold, e.accuracy, e.sensitivity, e.specificity, e.ppv, e.npv, e.f1))
                print("confusion: TP \(e.confusion.tp) FP \(e.confusion.fp) TN \(e.confusion.tn) FN \(e.confusion.fn)")
                print(String(format: "Brier %.4f", e.brier))
                if let c = e.calibration {
                    print(String(format: "calibration: slope %.4f, intercept %.4f, Hosmer–Lemeshow %.3f (df %d, p %.4f)",
                                 c.slope, c.intercept, c.hosmerLemeshow.statistic, c.hosmerLemeshow.df, c.hosmerLemeshow.p))
                }
            }
        } catch {
            throw LearnOutput.fail("evaluate", error)
        }
    }
}
