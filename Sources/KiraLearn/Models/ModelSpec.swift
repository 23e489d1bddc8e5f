import KiraCore

/// A model family and its hyperparameters, named as scikit-learn names them.
public struct ModelSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case lr, svm, knn, rf, et, gbm, ada }

    public var kind: Kind
    public var params: [String: String]

    public init(kind: Kind, params: [String: String] = [:]) {
        self.kind = kind
        self.params = params
    }

    /// The parameters each family understands (with aliases), for messages and validation.
    public static let knownParams: [Kind: [String]] = [
        .lr: ["C", "penalty", "l1_ratio"],
        .svm: ["C", "gamma", "kernel"],
        .knn: ["k", "n_neighbors"],
        .rf: ["n_estimators", "max_depth", "max_features", "min_samples_leaf"],
        .et: ["n_estimators", "max_depth", "max_features", "min_samples_leaf"],
        .gbm: ["n_estimators", "learning_rate", "max_depth", "min_samples_leaf"],
        .ada: ["n_estimators", "learning_rate", "max_depth"],
    ]

    public func validate() throws {
        let known = Self.knownParams[kind]!
        for key in params.keys where !known.contains(key) {
            throw KiraError.invalidArgument("--param \(key): not a parameter of \(kind.rawValue) (known: \(known.joined(separator: ", ")))")
        }
        _ = try trainer()
    }

    private func number(_ key: String, _ d: Double) throws -> Double {
        guard let s = params[key] else { return d }
        guard let v = Double(s), v.isFinite else {
            throw KiraError.invalidArgument("--param \(key)=\(s): not a number")
        }
        return v
    }

    private func integer(_ key: String, _ d: Int?) throws -> Int? {
        guard let s = params[key] else { return d }
        if s.lowercased() == "none" { return nil }
        guard let v = Int(s), v >= 1 else { throw KiraError.invalidArgument("--param \(key)=\(s): must be a whole number ≥ 1 (or none)") }
        return v
    }

    enum Trainer {
        case lr(LogisticRegression), svm(SVMTrainer), knn(Int), forest(ForestTrainer), gbm(BoostingTrainer), ada(AdaBoostTrainer)
    }

    func trainer() throws -> Trainer {
        switch kind {
        case .lr:
            let penaltyName = params["penalty"] ?? "l2"
            guard let penalty = LogisticRegression.Penalty(rawValue: penaltyName.lowercased()) else {
                throw KiraError.invalidArgument("--param penalty=\(penaltyName): one of none, l1, l2, elasticnet")
            }
            let lr = LogisticRegression(penalty: penalty, C: try number("C", 1), l1Ratio: try number("l1_ratio", 0.5))
            try lr.validate()
            return .lr(lr)
        case .svm:
            let kernelName = params["kernel"] ?? "rbf"
            guard let kernel = SVMTrainer.Kernel(rawValue: kernelName.lowercased()) else {
                throw KiraError.invalidArgument("--param kernel=\(kernelName): one of linear, rbf")
            }
            var gamma: Double? = nil, auto = false
            switch params["gamma"]?.lowercased() {
            case nil, "scale": break
            case "auto": auto = true
            default: gamma = try number("gamma", 0)
            }
            let C = try number("C", 1)
            guard C > 0 else { throw KiraError.invalidArgument("--param C=\(C): must be positive") }
            if let gamma, gamma <= 0 { throw KiraError.invalidArgument("--param gamma=\(gamma): must be positive (or scale, auto)") }
            return .svm(SVMTrainer(kernel: kernel, C: C, gamma: gamma, gammaAuto: auto))
        case .knn:
            return .knn(try integer("k", nil) ?? integer("n_neighbors", 5) ?? 5)
        case .rf, .et:
            return .forest(ForestTrainer(nEstimators: try integer("n_estimators", 100) ?? 100, maxDepth: try integer("max_depth", nil),
                                         maxFeatures: try integer("max_features", nil),
                                         minSamplesLeaf: try integer("min_samples_leaf", 1) ?? 1, extraTrees: kind == .et))
        case .gbm:
            let lr = try number("learning_rate", 0.1)
            guard lr > 0 else { throw KiraError.invalidArgument("--param learning_rate: must be positive") }
            return .gbm(BoostingTrainer(nEstimators: try integer("n_estimators", 100) ?? 100, learningRate: lr,
                                        maxDepth: try integer("max_depth", 3) ?? 3, minSamplesLeaf: try integer("min_samples_leaf", 1) ?? 1))
        case .ada:
            let lr = try number("learning_rate", 1)
            guard lr > 0 else { throw KiraError.invalidArgument("--param learning_rate: must be positive") }
            return .ada(AdaBoostTrainer(nEstimators: try integer("n_estimators", 50) ?? 50, learningRate: lr,
                                        maxDepth: try integer("max_depth", 1) ?? 1))
        }
    }

    /// `rankingOnly`: the caller needs scores that rank cases (grid search), not calibrated
    /// probabilities, so the SVM skips libsvm's internal Platt cross-validation.
    public func fit(_ x: Matrix, _ y: [Bool], seed: UInt64, rankingOnly: Bool = false) throws -> FittedModel {
        var m = FittedModel(kind: kind)
        switch try trainer() {
        case let .lr(t): m.logistic = try t.fit(x, y)
        case var .svm(t):
            t.probability = !rankingOnly
            m.svm = try t.fit(x, y, seed: seed)
        case let .knn(k): m.knn = try KNNModel(k: k, x: x, y: y)
        case let .forest(t): m.trees = try t.fit(x, y, seed: seed)
        case let .gbm(t): m.trees = try t.fit(x, y, seed: seed)
        case let .ada(t): m.trees = try t.fit(x, y, seed: seed)
        }
        return m
    }
}

/// A fitted model of any family; exactly one of the optional fields is set.
public struct FittedModel: Sendable, Codable, Equatable {
    public var kind: ModelSpec.Kind
    public var logistic: LogisticModel?
    public var svm: SVMModel?
    public var knn: KNNModel?
    public var trees: TreeEnsemble?

    public init(kind: ModelSpec.Kind) { self.kind = kind }

    public func probabilities(_ x: Matrix) -> [Double] {
        if let logistic { return logistic.probabilities(x) }
        if let svm { return svm.probabilities(x) }
        if let knn { return knn.probabilities(x) }
        if let trees { return trees.probabilities(x) }
        return [Double](repeating: 0.5, count: x.rows)
    }
}
