import ArgumentParser
import Foundation
import KiraCore
import KiraLearn
import Logging

struct LearnTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit feature selection and a classifier on feature CSVs; cross-validate; save the model.",
        discussion: """
        Feature CSVs are joined on the id column (early fusion); every file must hold the same ids.
        The label column is binary (0/1, yes/no, high/low, …) or a Ki-67 percentage, made binary
        with --threshold (default 20; high = above).

        Selection steps (--select, comma-separated, applied in order, always fitted on the
        training rows of each fold only): impute[:median|mean], zscore, variance[:T], ttest:P,
        mwu:P, corr:R[:spearman|pearson], pca:N, lasso[:1se|min], mrmr:K, keep:FILE (features
        listed in FILE's first column, e.g. the ICC-stable list from QC).

        Models: lr (C, penalty = none|l1|l2|elasticnet, l1_ratio), svm (C, gamma = number|scale|auto,
        kernel = rbf|linear), knn (k), rf and et (n_estimators, max_depth, max_features,
        min_samples_leaf), gbm (n_estimators, learning_rate, max_depth), ada (n_estimators,
        learning_rate, max_depth). A --param with several comma-separated values is a grid,
        searched by inner 5-fold CV AUC on each training set after the selection steps.

        With --cv K the whole pipeline is cross-validated (stratified, --repeats times, seeded);
        with --split-column, rows marked 'train' train the model and every other value
        (internal, external, a centre) is evaluated once by the frozen model, at the
        training Youden threshold. The final model is fitted on all training rows and written
        atomically to -o as versioned JSON.

        \(KiraExit.helpText)
        """
    )

    @Option(name: .customLong("features"), parsing: .upToNextOption, help: "Feature CSV files (joined on the id column).")
    var features: [String]

    @Option(parsing: .upToNextOption, help: "A column-name prefix per feature file, e.g. us_ mg_.")
    var prefix: [String] = []

    @OptionGroup var outcome: LabelOptions

    @OptionGroup var input: LearnInputOptions

    @Option(name: .customLong("split-column"), help: "Labels column with train / internal / external (or centre names).")
    var splitColumn: String?

    @Option(help: "Selection steps, comma-separated.")
    var select: String = ""

    @Option(help: "Model: lr, svm, knn, rf, et, gbm, ada.")
    var model: String = "lr"

    @Option(name: .customLong("param"), parsing: .upToNextOption, help: "Hyperparameters NAME=VALUE[,VALUE…].")
    var params: [String] = []

    @Option(help: "Folds of stratified cross-validation (0: none).")
    var cv: Int = 0

    @Option(help: "Repeats of the cross-validation.")
    var repeats: Int = 1

    @Option(help: "Seed of folds, bootstrap samples, forests and libsvm's Platt CV.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Model file to write (JSON).")
    var output: String

    @Flag(help: "Print the report as JSON on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard ModelSpec.Kind(rawValue: model) != nil else {
            throw ValidationError("--model \(model): one of \(ModelSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if cv == 1 || cv < 0 { throw ValidationError("--cv \(cv): give 0 (no cross-validation) or at least 2 folds") }
        if repeats < 1 { throw ValidationError("--repeats must be ≥ 1") }
        for f in features where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
        do { _ = try spec() } catch let e as KiraError { throw ValidationError(e.description) }
        let keepFiles = select.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.lowercased().hasPrefix("keep:") }.map { String($0.dropFirst(5)) }
        try replace.check([.init(output, option: "--output", format: .json)], inputs: features + [outcome.labels] + keepFiles)
    }

    func spec() throws -> PipelineSpec {
        var steps: [StepSpec] = []
        for part in select.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if part.lowercased().hasPrefix("keep:") {
                let path = String(part.dropFirst(5))
                let t = try CSVTable(contentsOf: URL(fileURLWithPath: path))
                // A header cell named feature/name is a header; anything else is the first name.
                let head = t.header[0]
                let first = ["feature", "features", "name"].contains(head.lowercased()) ? [] : [head]
                let names = (first + t.rows.map { $0[0].trimmingCharacters(in: .whitespaces) }).filter { !$0.isEmpty }
                steps.append(StepSpec(kind: .keep, names: names))
            } else {
                steps.append(try StepSpec.parse(part))
            }
        }
        var fixed: [String: String] = [:], grid: [String: [String]] = [:]
        for p in params {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty, !kv[1].isEmpty else {
                throw KiraError.invalidArgument("--param '\(p)': write NAME=VALUE, e.g. C=1")
            }
            let values = kv[1].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            if values.count == 1 { fixed[kv[0]] = values[0] } else { grid[kv[0]] = values }
        }
        let s = PipelineSpec(steps: steps, model: ModelSpec(kind: ModelSpec.Kind(rawValue: model)!, params: fixed),
                             grid: grid, seed: seed)
        try s.validate()
        return s
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.train")
        do {
            try train(logger: logger)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw LearnOutput.fail("train", error)
        }
    }

    private func train(logger: Logger) throws {
        let spec = try spec()
        let table = try FeatureTable.load(features.map { URL(fileURLWithPath: $0) }, idColumn: input.idColumn, prefixes: prefix)
        let lab = try outcome.load(idColumn: input.idColumn, splitColumn: splitColumn)
        let y = try lab.aligned(to: table.ids, source: features[0])
        let all = LabeledData(ids: table.ids, featureNames: table.names, x: table.x, y: y)
        var trainRows = Array(0..<all.count)
        var tests: [(name: String, rows: [Int])] = []
        if let split = lab.split {
            let f = try Folds.fixed(splitValues: table.ids.map { split[$0] ?? "" })
            trainRows = f.train
            tests = f.tests
        }
        let train = all.subset(trainRows)
        var report: [String: Any] = ["model_file": output, "cases": train.count, "positives": train.positives]
        if let t = lab.ki67Threshold { report["ki67_threshold"] = t }
        if cv >= 2 {
            logger.info("cross-validating: \(cv) folds × \(repeats) repeat(s)")
            let r = try CrossValidation(folds: cv, repeats: repeats, seed: seed).run(spec, on: train, logger: logger)
            var c = try r.evaluation.reportObject()
            c["folds"] = cv
            c["repeats"] = repeats
            c["auc_per_repeat"] = r.aucPerRepeat
            c["auc_mean"] = r.aucMean
            c["auc_sd"] = r.aucSD
            c["selection_frequency"] = r.selectionFrequency
            report["cv"] = c
        }
        let fitted = try spec.fit(train)
        for note in fitted.steps.compactMap(\.fallback) {
            FileHandle.standardError.write(Data("kira learn train: warning: \(note)\n".utf8))
        }
        let provenance = ModelFile.Provenance(
            featureFiles: features, labelsFile: outcome.labels, idColumn: input.idColumn, labelColumn: outcome.labelColumn,
            ki67Threshold: lab.ki67Threshold, prefixes: prefix.isEmpty ? nil : prefix, cases: train.count,
            positives: train.positives, created: ISO8601DateFormatter().string(from: Date()))
        let file = ModelFile(kiraVersion: KiraVersion.current, training: provenance, spec: spec, pipeline: fitted, trainingX: train.x)
        var splits: [String: Any] = [:]
        for t in tests {
            let d = all.subset(t.rows)
            let p = try fitted.probabilities(d.x)
            splits[t.name] = try Evaluation(probabilities: p, labels: d.y, threshold: fitted.threshold).reportObject()
        }
        if !splits.isEmpty { report["splits"] = splits }
        try file.write(to: URL(fileURLWithPath: output))
        report["selected_features"] = fitted.selectedFeatures
        report["params"] = fitted.params
        report["threshold"] = fitted.threshold
        if json {
            print(try LearnOutput.json(report))
        } else {
            print("model: \(output) (\(fitted.selectedFeatures.count) feature(s), threshold \(fitted.threshold))")
            print("features: " + fitted.selectedFeatures.joined(separator: ", "))
            let params = fitted.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            print("\(model) parameters: " + (params.isEmpty ? "defaults" : params.joined(separator: ", "))
                  + (fitted.gridSearch.map { " (best of \($0.count) by inner cross-validated AUC)" } ?? ""))
            if let c = report["cv"] as? [String: Any], let auc = c["auc"] as? Double, let ci = c["auc_ci95"] as? [Double] {
                print(String(format: "cv: AUC %.4f (95%% CI %.4f–%.4f), accuracy %.4f", auc, ci[0], ci[1], c["accuracy"] as? Double ?? 0))
            }
            for (name, v) in splits.sorted(by: { $0.key < $1.key }) {
                if let e = v as? [String: Any], let auc = e["auc"] as? Double { print(String(format: "%@: AUC %.4f", name, auc)) }
            }
        }
    }
}
