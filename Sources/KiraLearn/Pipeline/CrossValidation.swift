import Foundation
import KiraCore
import Logging

/// Stratified k-fold cross-validation, repeated with different shuffles: each fold fits the
/// whole pipeline (selection included) on its training rows and predicts its test rows.
public struct CrossValidation: Sendable {
    public var folds: Int
    public var repeats: Int
    public var seed: UInt64

    public init(folds: Int = 5, repeats: Int = 1, seed: UInt64 = 0) {
        self.folds = folds
        self.repeats = repeats
        self.seed = seed
    }

    public struct Result: Sendable, Codable, Equatable {
        /// Metrics on each case's out-of-fold probability averaged over the repeats, at the
        /// mean of the fold models' training thresholds.
        public var evaluation: Evaluation
        /// AUC of the pooled out-of-fold predictions of each repeat.
        public var aucPerRepeat: [Double]
        public var aucMean: Double
        public var aucSD: Double
        /// Out-of-fold probability per case (mean over repeats).
        public var probabilities: [Double]
        /// How often each selected feature was chosen across the folds.
        public var selectionFrequency: [String: Int]

        enum CodingKeys: String, CodingKey {
            case evaluation, aucPerRepeat = "auc_per_repeat", aucMean = "auc_mean", aucSD = "auc_sd",
                 probabilities, selectionFrequency = "selection_frequency"
        }
    }

    public func run(_ spec: PipelineSpec, on data: LabeledData, logger: Logger? = nil) throws -> Result {
        try Folds.check(labels: data.y, k: folds)
        guard repeats >= 1 else { throw KiraError.invalidArgument("--repeats must be ≥ 1") }
        var rng = SeededGenerator(seed: seed)
        var jobList: [(rep: Int, test: [Int], seed: UInt64)] = []
        for r in 0..<repeats {
            for test in Folds.stratified(labels: data.y, k: folds, seed: rng.split()) {
                jobList.append((r, test, rng.split()))
            }
        }
        let jobs = jobList
        let out = FoldOutputs(count: jobs.count)
        // Folds are independent fits: run them on every core.
        DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
            let job = jobs[j]
            let testSet = Set(job.test)
            let train = data.subset((0..<data.count).filter { !testSet.contains($0) })
            var s = spec
            s.seed = job.seed
            do {
                let fitted = try s.fit(train)
                let p = try fitted.probabilities(data.x.selecting(rows: job.test))
                let done = out.store(j, probabilities: p, threshold: fitted.threshold, selected: fitted.selectedFeatures)
                logger?.debug("cv: fold \(done)/\(jobs.count) done")
            } catch {
                out.fail(j, error)
            }
        }
        if let e = out.errors.compactMap({ $0 }).first { throw e }
        var probs = [[Double]](repeating: [Double](repeating: .nan, count: data.count), count: repeats)
        for (j, job) in jobs.enumerated() {
            for (i, r) in job.test.enumerated() { probs[job.rep][r] = out.probabilities[j][i] }
        }
        let thresholds = out.thresholds, selected = out.selected
        let aucs = try probs.map { try DeLongAUC(scores: $0, labels: data.y).auc }
        let mean = (0..<data.count).map { i in probs.reduce(0) { $0 + $1[i] } / Double(repeats) }
        let t = thresholds.reduce(0, +) / Double(thresholds.count)
        var freq: [String: Int] = [:]
        for s in selected { for f in s { freq[f, default: 0] += 1 } }
        let m = aucs.reduce(0, +) / Double(aucs.count)
        let sd = aucs.count > 1 ? (aucs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(aucs.count - 1)).squareRoot() : 0
        return Result(evaluation: try Evaluation(probabilities: mean, labels: data.y, threshold: t),
                      aucPerRepeat: aucs, aucMean: m, aucSD: sd, probabilities: mean, selectionFrequency: freq)
    }
}

/// Per-fold results written from concurrent fold fits, each slot by one fold only.
private final class FoldOutputs: @unchecked Sendable {
    var probabilities: [[Double]]
    var thresholds: [Double]
    var selected: [[String]]
    var errors: [Error?]
    private var done = 0
    private let lock = NSLock()

    init(count: Int) {
        probabilities = Array(repeating: [], count: count)
        thresholds = Array(repeating: 0, count: count)
        selected = Array(repeating: [], count: count)
        errors = Array(repeating: nil, count: count)
    }

    func store(_ j: Int, probabilities p: [Double], threshold: Double, selected s: [String]) -> Int {
        lock.lock(); defer { lock.unlock() }
        probabilities[j] = p; thresholds[j] = threshold; selected[j] = s
        done += 1
        return done
    }

    func fail(_ j: Int, _ e: Error) { lock.lock(); errors[j] = e; lock.unlock() }
}
