import ArgumentParser
import Foundation
import KiraCore
import KiraLearn

struct LearnExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "SHAP values per case and summary (and a nomogram for logistic models).",
        discussion: """
        SHAP values are computed on the model's inputs (the features left after selection,
        or the principal components): exact for logistic regression (φ = w·(x − training
        mean), in log-odds), TreeSHAP for forests (probability), gradient boosting and
        AdaBoost trees (log-odds), KernelSHAP for SVM and KNN (probability): every coalition
        of the model's inputs when there are at most 12, otherwise 2M + 2048 coalitions
        sampled with --seed; Σφ = f(x) − E f holds exactly either way. KernelSHAP's
        background is a seeded sample of at most --background-size rows of the --background
        CSVs (for example the training table), or, without --background, the training means
        stored in the model file (one row).
        Without --json a CSV with one row per case (id, then one column per feature) is
        printed; the JSON has method, output, features, base_value, values, mean_abs,
        ids and, for logistic models, nomogram {axes, intercept, points_to_log_odds, case_points,
        case_probability, total_points_max, probability_axis, points_for_probability}.

        \(KiraExit.helpText)
        """
    )

    @OptionGroup var source: ModelInputOptions

    @Option(parsing: .upToNextOption, help: "Feature CSVs whose rows are KernelSHAP's background (SVM, KNN); default: the training means.")
    var background: [String] = []

    @Option(name: .customLong("background-size"), help: "At most this many background rows (a seeded sample).")
    var backgroundSize = 100

    @Option(help: "Seed for the background sample and for sampled coalitions.")
    var seed: UInt64 = 0

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        for f in background where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
        guard backgroundSize >= 1 else { throw ValidationError("--background-size must be at least 1") }
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.explain")
        let quiet = logging.quiet
        do {
            let (file, table, inputs) = try source.load()
            let x = file.pipeline.transform(inputs)
            let names = file.pipeline.selectedFeatures
            let m = file.pipeline.model
            let shap: ShapExplanation
            var nomogram: Nomogram? = nil
            if let exact = file.exactSHAP(x) {
                shap = exact
                if let lr = m.logistic { nomogram = try? Nomogram(lr, features: names, min: file.inputMin, max: file.inputMax, x: x) }
            } else {
                let bg = try backgroundRows(file)
                let progress = CohortProgress(total: x.rows, quiet: quiet, label: "kira explain")
                shap = try KernelSHAP(seed: seed).explain(m.probabilities, x: x, background: bg, features: names, output: "probability") { _, _ in
                    progress.finished(failed: false)
                }
                progress.end()
            }
            if json {
                var doc = try LearnOutput.object(shap) as! [String: Any]
                doc["ids"] = table.ids
                if let nomogram { doc["nomogram"] = try LearnOutput.object(nomogram) }
                print(try LearnOutput.json(doc))
            } else {
                var w = CSVWriter(header: [source.input.idColumn] + names)
                for (i, id) in table.ids.enumerated() { w.append([id] + shap.values[i].map(CSVWriter.format)) }
                print(w.text, terminator: "")
            }
        } catch {
            throw LearnOutput.fail("explain", error)
        }
    }

    /// The background in the model's input space.
    private func backgroundRows(_ file: ModelFile) throws -> Matrix {
        guard !background.isEmpty else {
            return Matrix(rows: 1, cols: file.inputMean.count, values: file.inputMean)
        }
        let prefixes = source.prefix.isEmpty ? (file.training.prefixes ?? []) : source.prefix
        let table = try FeatureTable.load(background.map { URL(fileURLWithPath: $0) }, idColumn: source.input.idColumn, prefixes: prefixes)
        let raw = try table.columns(for: file.pipeline.inputFeatures, source: background.joined(separator: " + "))
        var rows = Array(0..<raw.rows)
        if rows.count > backgroundSize {
            var rng = SeededGenerator(seed: seed)
            rows.shuffle(using: &rng)
            rows = Array(rows.prefix(backgroundSize)).sorted()
        }
        let t = file.pipeline.transform(raw.selecting(rows: rows))
        if let j = (0..<t.cols).first(where: { c in (0..<t.rows).contains { !t[$0, c].isFinite } }) {
            throw KiraError.invalidData("--background: feature \"\(file.pipeline.selectedFeatures[j])\" has missing values and the model has no imputation step")
        }
        return t
    }
}
