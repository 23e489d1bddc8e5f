import Foundation
import KiraCore
import KiraLearn
import Logging

/// One candidate's repeated stratified cross-validation on the training split.
public struct ModelComparison: Sendable, Codable, Equatable {
    public var model: String
    public var aucMean: Double
    public var aucSD: Double
    public var aucPerRepeat: [Double]
    public var cv: Evaluation
    public var selectionFrequency: [String: Int]

    enum CodingKeys: String, CodingKey {
        case model, aucMean = "auc_mean", aucSD = "auc_sd", aucPerRepeat = "auc_per_repeat", cv, selectionFrequency = "selection_frequency"
    }
}

/// One case's prediction by the frozen model.
public struct StudyPrediction: Sendable, Equatable {
    public var id: String
    public var split: String
    public var probability: Double
    public var label: Bool?
    /// Training split only: the out-of-fold probability of the chosen model (mean over repeats).
    public var cvProbability: Double?
}

/// Model comparison, the frozen model and its one evaluation per held-out split.
struct ModelStage {
    static let thresholdRule = "Youden's J on the training cases' out-of-fold cross-validated probabilities of the chosen model"
    static let rule = "highest mean AUC over the repeats of stratified cross-validation on the training split; ties go to the model listed first in the study file"

    struct Outcome {
        var comparisons: [ModelComparison]
        var best: CandidateModel
        var file: ModelFile
        var predictions: [StudyPrediction]
        var evaluations: [String: Evaluation]
    }

    static func run(study: StudySpec, fused: FusedTable, cases: [String: StudyCase], logger: Logger) throws -> Outcome {
        let rows = fused.ids.indices
        let train = rows.filter { cases[fused.ids[$0]]!.split == "train" }
        guard !fused.names.isEmpty else { throw KiraError.invalidData("no feature is left for the model (after the ICC filter and undefined values)") }
        let all = LabeledData(ids: fused.ids, featureNames: fused.names, x: Matrix(fused.x), y: fused.ids.map { cases[$0]!.label ?? false })
        let trainData = all.subset(train)
        guard trainData.positives >= study.validation.folds, trainData.count - trainData.positives >= study.validation.folds else {
            throw KiraError.invalidData("the training split has \(trainData.positives) high and \(trainData.count - trainData.positives) low case(s); \(study.validation.folds)-fold stratified cross-validation needs at least \(study.validation.folds) of each")
        }
        let cv = CrossValidation(folds: study.validation.folds, repeats: study.validation.repeats, seed: study.validation.seed)
        var comparisons: [ModelComparison] = []
        var oof: [String: [Double]] = [:]
        for candidate in study.models {
            logger.info("model \(candidate.name): \(study.validation.folds)-fold cross-validation × \(study.validation.repeats) on \(trainData.count) training cases")
            let r = try cv.run(candidate.spec, on: trainData)
            comparisons.append(ModelComparison(model: candidate.name, aucMean: r.aucMean, aucSD: r.aucSD, aucPerRepeat: r.aucPerRepeat,
                                               cv: r.evaluation, selectionFrequency: r.selectionFrequency))
            oof[candidate.name] = r.probabilities
        }
        var bestIndex = 0
        for (k, c) in comparisons.enumerated() where c.aucMean > comparisons[bestIndex].aucMean { bestIndex = k }
        let best = study.models[bestIndex]
        logger.info("best model: \(best.name) (mean CV AUC \(String(format: "%.4f", comparisons[bestIndex].aucMean)))")
        var fitted = try best.spec.fit(trainData)
        // The threshold is Youden's J on the training cases' out-of-fold probabilities, not on
        // the refitted model's own training predictions: forests fit their training cases
        // almost perfectly, so that threshold is degenerate (often 1). Still training data only.
        fitted.threshold = ROCCurve(scores: oof[best.name]!, labels: trainData.y).youdenThreshold
        let provenance = ModelFile.Provenance(
            featureFiles: ["features.csv"], labelsFile: study.cohort.lastPathComponent, idColumn: "id", labelColumn: study.label.column,
            ki67Threshold: study.label.threshold, prefixes: nil, cases: trainData.count, positives: trainData.positives,
            created: "study \(study.file.lastPathComponent)")
        let file = ModelFile(kiraVersion: KiraVersion.current, training: provenance, spec: best.spec, pipeline: fitted, trainingX: trainData.x)
        let p = try fitted.probabilities(all.x)
        let trainOOF = oof[best.name]!
        var oofByRow: [Int: Double] = [:]
        for (k, r) in train.enumerated() { oofByRow[r] = trainOOF[k] }
        var predictions: [StudyPrediction] = []
        for r in rows {
            let c = cases[fused.ids[r]]!
            predictions.append(StudyPrediction(id: c.id, split: c.split, probability: p[r], label: c.label, cvProbability: oofByRow[r]))
        }
        var evaluations: [String: Evaluation] = [:]
        for split in StudyCohort.splits where split != "train" {
            let idx = rows.filter { cases[fused.ids[$0]]!.split == split }
            guard !idx.isEmpty else { continue }
            let y = idx.map { all.y[$0] }
            guard y.contains(true), y.contains(false) else {
                logger.warning("split \(split): only one class among \(idx.count) case(s); no AUC")
                continue
            }
            evaluations[split] = try Evaluation(probabilities: idx.map { p[$0] }, labels: y, threshold: fitted.threshold)
        }
        return Outcome(comparisons: comparisons, best: best, file: file, predictions: predictions, evaluations: evaluations)
    }

    static func predictionsCSV(_ p: [StudyPrediction], threshold: Double, training: Bool) -> String {
        var w = CSVWriter(header: ["id", "probability", "predicted_high", "label"] + (training ? ["cv_probability"] : []))
        for x in p {
            var row = [x.id, CSVWriter.format(x.probability), x.probability >= threshold ? "1" : "0", x.label.map { $0 ? "1" : "0" } ?? ""]
            if training { row.append(x.cvProbability.map(CSVWriter.format) ?? "") }
            w.append(row)
        }
        return w.text
    }
}
