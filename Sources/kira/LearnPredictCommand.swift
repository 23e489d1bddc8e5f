import ArgumentParser
import Foundation
import KiraCore
import KiraLearn

struct LearnPredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Apply a saved model to feature CSVs: probability and class per case.",
        discussion: """
        The feature files must have exactly the columns the model was trained on (after the
        same prefixes); missing or extra columns are named. The class is 1 when the
        probability is at least the model's training (Youden) threshold. The CSV has the
        columns id, probability, class; --json prints {"predictions": [...]}. A case whose
        features cannot be used (missing values without an imputation step) is reported and
        skipped (exit 2).

        \(KiraExit.helpText)
        """
    )

    @OptionGroup var source: ModelInputOptions

    @Option(name: .shortAndLong, help: "Predictions CSV to write (default: CSV on stdout).")
    var output: String?

    @Flag(help: "Print the predictions as JSON on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let output {
            try replace.check([.init(output, option: "--output", format: .csv)], inputs: source.features + [source.model])
        }
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.predict")
        var failed: [(String, String)] = []
        var rows: [(id: String, p: Double, c: Int)] = []
        do {
            let (file, table, x) = try source.load()
            // Case by case, so one unusable row does not stop the others.
            for i in 0..<x.rows {
                do {
                    let p = try file.pipeline.probabilities(x.selecting(rows: [i]))[0]
                    rows.append((table.ids[i], p, p >= file.pipeline.threshold ? 1 : 0))
                } catch {
                    failed.append((table.ids[i], (error as? KiraError)?.description ?? "\(error)"))
                }
            }
            if json {
                let preds = rows.map { ["id": $0.id, "probability": $0.p, "class": $0.c] as [String: Any] }
                var doc: [String: Any] = ["predictions": preds, "threshold": file.pipeline.threshold]
                if !failed.isEmpty { doc["failures"] = failed.map { ["id": $0.0, "reason": $0.1] } }
                print(try LearnOutput.json(doc))
            }
            var w = CSVWriter(header: [source.input.idColumn, "probability", "class"])
            for r in rows { w.append([r.id, CSVWriter.format(r.p), "\(r.c)"]) }
            if let output {
                try w.write(to: URL(fileURLWithPath: output))
            } else if !json {
                print(w.text, terminator: "")
            }
        } catch {
            throw LearnOutput.fail("predict", error)
        }
        for f in failed { LearnOutput.stderr("kira predict: case \(f.0): \(f.1)") }
        if rows.isEmpty { throw ExitCode(KiraExit.failure.rawValue) }
        if !failed.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
