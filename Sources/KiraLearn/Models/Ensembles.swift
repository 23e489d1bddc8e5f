import Foundation
import KiraCore

/// Tree ensembles and how their trees combine into a probability.
public struct TreeEnsemble: Sendable, Codable, Equatable {
    public enum Combination: String, Sendable, Codable {
        /// Mean of the trees' leaf probabilities (random forest, extra trees).
        case average
        /// σ(base + Σ weightₜ·treeₜ(x)) (gradient boosting: leaves hold log-odds steps).
        case logit
        /// SAMME: σ(2 Σ αₜ sₜ(x) / Σ αₜ), sₜ = ±1 the tree's vote (AdaBoost).
        case samme
    }
    public var combination: Combination
    public var trees: [Tree]
    public var weights: [Double]
    public var base: Double

    public init(combination: Combination, trees: [Tree], weights: [Double], base: Double) {
        self.combination = combination; self.trees = trees; self.weights = weights; self.base = base
    }

    /// The raw score before the link: mean leaf value, or the log-odds.
    public func raw(_ x: ArraySlice<Double>) -> Double {
        switch combination {
        case .average:
            var s = 0.0
            for t in trees { s += t.predict(x) }
            return s / Double(trees.count)
        case .logit:
            var s = base
            for (t, w) in zip(trees, weights) { s += w * t.predict(x) }
            return s
        case .samme:
            var s = 0.0, total = 0.0
            for (t, w) in zip(trees, weights) { s += w * (t.predict(x) > 0.5 ? 1 : -1); total += w }
            return 2 * s / total
        }
    }

    public func probabilities(_ x: Matrix) -> [Double] {
        (0..<x.rows).map { i in
            let r = raw(x.row(i))
            return combination == .average ? r : sigmoid(r)
        }
    }
}

public struct ForestTrainer: Sendable, Codable, Equatable {
    public var nEstimators: Int = 100
    public var maxDepth: Int? = nil
    /// nil: ⌊√p⌋ (scikit-learn's "sqrt").
    public var maxFeatures: Int? = nil
    public var minSamplesLeaf: Int = 1
    public var extraTrees = false

    public init(nEstimators: Int = 100, maxDepth: Int? = nil, maxFeatures: Int? = nil, minSamplesLeaf: Int = 1, extraTrees: Bool = false) {
        self.nEstimators = nEstimators; self.maxDepth = maxDepth; self.maxFeatures = maxFeatures
        self.minSamplesLeaf = minSamplesLeaf; self.extraTrees = extraTrees
    }

    public func fit(_ x: Matrix, _ y: [Bool], seed: UInt64) throws -> TreeEnsemble {
        guard nEstimators >= 1 else { throw KiraError.invalidArgument("n_estimators must be ≥ 1, got \(nEstimators)") }
        let target = y.map { $0 ? 1.0 : 0.0 }
        let mf = maxFeatures ?? max(1, Int(Double(x.cols).squareRoot()))
        let grower = TreeGrower(criterion: .gini, maxDepth: maxDepth, maxFeatures: mf, minSamplesLeaf: minSamplesLeaf,
                                randomSplits: extraTrees)
        var rng = SeededGenerator(seed: seed)
        let seeds = (0..<nEstimators).map { _ in rng.split() }
        // Trees are independent: grow them on both cores.
        var trees = [Tree](repeating: Tree(), count: nEstimators)
        let n = x.rows
        trees.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: nEstimators) { t in
                var r = SeededGenerator(seed: seeds[t])
                var w = [Double](repeating: extraTrees ? 1 : 0, count: n)
                if !extraTrees { for _ in 0..<n { w[r.below(n)] += 1 } }
                out[t] = grower.grow(x, target: target, weight: w, rng: &r)
            }
        }
        return TreeEnsemble(combination: .average, trees: trees, weights: [Double](repeating: 1, count: nEstimators), base: 0)
    }
}

/// Gradient boosting with log-loss, scikit-learn's GradientBoostingClassifier algorithm:
/// start from the prior log-odds, fit a Friedman-MSE regression tree to the residuals
/// y − p, set each leaf to the Newton step Σ r / Σ p(1 − p), shrink by the learning rate.
public struct BoostingTrainer: Sendable, Codable, Equatable {
    public var nEstimators: Int = 100
    public var learningRate: Double = 0.1
    public var maxDepth: Int = 3
    public var minSamplesLeaf: Int = 1

    public init(nEstimators: Int = 100, learningRate: Double = 0.1, maxDepth: Int = 3, minSamplesLeaf: Int = 1) {
        self.nEstimators = nEstimators; self.learningRate = learningRate; self.maxDepth = maxDepth; self.minSamplesLeaf = minSamplesLeaf
    }

    public func fit(_ x: Matrix, _ y: [Bool], seed: UInt64) throws -> TreeEnsemble {
        guard nEstimators >= 1, learningRate > 0 else {
            throw KiraError.invalidArgument("gbm: n_estimators must be ≥ 1 and learning_rate > 0")
        }
        let n = x.rows
        let t = y.map { $0 ? 1.0 : 0.0 }
        let prior = t.reduce(0, +) / Double(n)
        let base = log(prior / (1 - prior))
        var raw = [Double](repeating: base, count: n)
        let grower = TreeGrower(criterion: .friedmanMSE, maxDepth: maxDepth, maxFeatures: nil, minSamplesLeaf: minSamplesLeaf)
        var rng = SeededGenerator(seed: seed)
        let ones = [Double](repeating: 1, count: n)
        var trees: [Tree] = []
        for _ in 0..<nEstimators {
            let p = raw.map(sigmoid)
            let residual = (0..<n).map { t[$0] - p[$0] }
            var tree = grower.grow(x, target: residual, weight: ones, rng: &rng)
            // Newton step per leaf.
            var num = [Double](repeating: 0, count: tree.value.count), den = num
            var leafOf = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let l = tree.leaf(for: x.row(i)); leafOf[i] = l
                num[l] += residual[i]; den[l] += p[i] * (1 - p[i])
            }
            for l in tree.value.indices where tree.feature[l] < 0 {
                tree.value[l] = abs(den[l]) < 1e-150 ? 0 : num[l] / den[l]
            }
            for i in 0..<n { raw[i] += learningRate * tree.value[leafOf[i]] }
            trees.append(tree)
        }
        return TreeEnsemble(combination: .logit, trees: trees, weights: [Double](repeating: learningRate, count: trees.count), base: base)
    }
}

/// AdaBoost (SAMME, scikit-learn's AdaBoostClassifier) over depth-limited trees.
public struct AdaBoostTrainer: Sendable, Codable, Equatable {
    public var nEstimators: Int = 50
    public var learningRate: Double = 1
    public var maxDepth: Int = 1

    public init(nEstimators: Int = 50, learningRate: Double = 1, maxDepth: Int = 1) {
        self.nEstimators = nEstimators; self.learningRate = learningRate; self.maxDepth = maxDepth
    }

    public func fit(_ x: Matrix, _ y: [Bool], seed: UInt64) throws -> TreeEnsemble {
        let n = x.rows
        let t = y.map { $0 ? 1.0 : 0.0 }
        var w = [Double](repeating: 1 / Double(n), count: n)
        let grower = TreeGrower(criterion: .gini, maxDepth: maxDepth, maxFeatures: nil)
        var rng = SeededGenerator(seed: seed)
        var trees: [Tree] = [], alphas: [Double] = []
        for m in 0..<nEstimators {
            let total = w.reduce(0, +)
            w = w.map { $0 / total }
            let tree = grower.grow(x, target: t, weight: w, rng: &rng)
            var err = 0.0
            var wrong = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let vote = tree.predict(x.row(i)) > 0.5
                if vote != y[i] { wrong[i] = true; err += w[i] }
            }
            if err <= 0 { trees.append(tree); alphas.append(1); break }
            if err >= 0.5 {
                if trees.isEmpty { throw KiraError.invalidData("ada: the first weak learner is no better than chance; AdaBoost cannot be fitted") }
                break
            }
            let alpha = learningRate * log((1 - err) / err)
            trees.append(tree); alphas.append(alpha)
            if m < nEstimators - 1 {
                for i in 0..<n where wrong[i] && w[i] > 0 { w[i] = exp(log(w[i]) + alpha) }
            }
        }
        return TreeEnsemble(combination: .samme, trees: trees, weights: alphas, base: 0)
    }
}
