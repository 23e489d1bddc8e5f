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
        AdaBoost trees (log-odds). SVM and KNN models are not explained yet (exit 1).
        Without --json a CSV with one row per case (id, then one column per feature) is
        printed; the JSON has method, output, features, base_value, values, mean_abs,
        ids and, for logistic models, nomogram {axes, intercept, points_to_log_odds, case_points}.

        \(KiraExit.helpText)
        """
    )

    @OptionGroup var source: ModelInputOptions

    @Flag(help: "Print JSON on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        _ = logging.makeLogger(label: "kira.explain")
        do {
            let (file, table, inputs) = try source.load()
            let x = file.pipeline.transform(inputs)
            let names = file.pipeline.selectedFeatures
            let m = file.pipeline.model
            let shap: ShapExplanation
            var nomogram: Nomogram? = nil
            if let lr = m.logistic {
                shap = ShapExplanation.linear(lr, x: x, background: file.inputMean, features: names)
                nomogram = try? Nomogram(lr, features: names, min: file.inputMin, max: file.inputMax, x: x)
            } else if let trees = m.trees {
                shap = ShapExplanation.trees(trees, x: x, features: names)
            } else {
                throw KiraError.invalidArgument("explain: \(m.kind.rawValue) models have no SHAP explainer yet (lr, rf, et, gbm, ada do)")
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
}
