import Foundation
import KiraCore

/// Selection steps, a model and an optional hyperparameter grid: everything needed to fit,
/// and nothing fitted. The only way to get a fitted step or model is `fit` on training rows,
/// so cross-validation cannot let held-out rows inform selection.
public struct PipelineSpec: Sendable, Codable, Equatable {
    public var steps: [StepSpec]
    public var model: ModelSpec
    /// Candidate values per hyperparameter; with more than one combination, the best by
    /// inner stratified CV AUC on the training rows is used. The grid's inner CV tunes the
    /// model only: the steps are fitted once on the (outer) training rows, as a scikit-learn
    /// Pipeline(steps…, GridSearchCV(model)) does; held-out rows still never reach them.
    public var grid: [String: [String]]
    public var innerFolds: Int
    public var seed: UInt64

    public init(steps: [StepSpec], model: ModelSpec, grid: [String: [String]] = [:], innerFolds: Int = 5, seed: UInt64 = 0) {
        self.steps = steps
        self.model = model
        self.grid = grid
        self.innerFolds = innerFolds
        self.seed = seed
    }

    /// Every combination of the grid, each merged over the fixed parameters.
    public var candidates: [ModelSpec] {
        var combos: [[String: String]] = [model.params]
        for key in grid.keys.sorted() {
            combos = combos.flatMap { c in grid[key]!.map { v in var d = c; d[key] = v; return d } }
        }
        return combos.map { ModelSpec(kind: model.kind, params: $0) }
    }

    public func validate() throws {
        for c in candidates { try c.validate() }
    }

    public func fit(_ train: LabeledData) throws -> FittedPipeline {
        guard train.positives > 0, train.positives < train.count else {
            throw KiraError.invalidData("the training rows hold only one class (\(train.positives) positive of \(train.count)); a classifier needs both")
        }
        var data = train
        var fitted: [FittedStep] = []
        var rng = SeededGenerator(seed: seed)
        for step in steps {
            let f = try step.fit(data, seed: rng.split())
            data = LabeledData(ids: data.ids, featureNames: f.outputNames, x: f.apply(data.x), y: data.y)
            fitted.append(f)
        }
        if let j = (0..<data.x.cols).first(where: { c in (0..<data.x.rows).contains { data.x[$0, c].isNaN } }) {
            let missing = (0..<data.x.rows).filter { data.x[$0, j].isNaN }.map { "\"\(data.ids[$0])\"" }
            let named = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? " and \(missing.count - 5) more" : "")
            throw KiraError.invalidData("feature \"\(data.featureNames[j])\" has missing values (id \(named)); add 'impute' to --select")
        }
        let modelSeed = rng.split()
        var chosen = model
        var gridScores: [GridScore] = []
        let cands = candidates
        if cands.count > 1 {
            let k = min(innerFolds, data.positives, data.count - data.positives)
            guard k >= 2 else {
                throw KiraError.invalidData("grid search needs at least 2 cases of each class in the training rows")
            }
            let folds = Folds.stratified(labels: data.y, k: k, seed: rng.split())
            // Scored as scikit-learn's GridSearchCV(scoring="roc_auc"): the mean of the folds' AUCs.
            for c in cands {
                var total = 0.0
                for test in folds {
                    let testSet = Set(test)
                    let tr = data.subset((0..<data.count).filter { !testSet.contains($0) })
                    let m = try c.fit(tr.x, tr.y, seed: modelSeed, rankingOnly: true)
                    let pr = m.probabilities(data.x.selecting(rows: test))
                    total += (try? DeLongAUC(scores: pr, labels: test.map { data.y[$0] }).auc) ?? 0.5
                }
                gridScores.append(GridScore(params: c.params, auc: total / Double(folds.count)))
            }
            let best = gridScores.indices.max { gridScores[$0].auc < gridScores[$1].auc || (gridScores[$0].auc == gridScores[$1].auc && $0 > $1) }!
            chosen = cands[best]
        }
        let m = try chosen.fit(data.x, data.y, seed: modelSeed)
        let trainP = m.probabilities(data.x)
        let threshold = ROCCurve(scores: trainP, labels: data.y).youdenThreshold
        return FittedPipeline(inputFeatures: train.featureNames, steps: fitted, selectedFeatures: data.featureNames,
                              model: m, params: chosen.params, threshold: threshold, gridSearch: gridScores.isEmpty ? nil : gridScores)
    }
}

public struct GridScore: Sendable, Codable, Equatable {
    public var params: [String: String]
    public var auc: Double
}

/// A pipeline fitted on training rows: applies its steps and model to new rows.
public struct FittedPipeline: Sendable, Codable, Equatable {
    /// The columns the pipeline reads, in order.
    public var inputFeatures: [String]
    public var steps: [FittedStep]
    /// The model's inputs after the steps (feature names, or PC1…PCk).
    public var selectedFeatures: [String]
    public var model: FittedModel
    /// The hyperparameters used (after any grid search).
    public var params: [String: String]
    /// Youden's threshold on the training predictions.
    public var threshold: Double
    public var gridSearch: [GridScore]?

    enum CodingKeys: String, CodingKey {
        case inputFeatures = "input_features", steps, selectedFeatures = "selected_features", model, params,
             threshold, gridSearch = "grid_search"
    }

    /// The model's input matrix for rows given in `inputFeatures` order.
    public func transform(_ x: Matrix) -> Matrix {
        var m = x
        for s in steps { m = s.apply(m) }
        return m
    }

    public func probabilities(_ x: Matrix) throws -> [Double] {
        guard x.cols == inputFeatures.count else {
            throw KiraError.invalidArgument("the model reads \(inputFeatures.count) features, the table has \(x.cols)")
        }
        let t = transform(x)
        if let j = (0..<t.cols).first(where: { c in (0..<t.rows).contains { t[$0, c].isNaN } }) {
            throw KiraError.invalidData("feature \"\(selectedFeatures[j])\" has missing values and the model has no imputation step")
        }
        return model.probabilities(t)
    }
}
