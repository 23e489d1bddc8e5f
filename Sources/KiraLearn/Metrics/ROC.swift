import KiraCore

/// ROC AUC with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988), computed from
/// mid-ranks in O(N log N) (Sun & Xu 2014). Higher scores mean "positive"; ties count ½.
public struct DeLongAUC: Sendable, Codable, Equatable {
    public var auc: Double
    public var variance: Double
    public var standardError: Double { variance.squareRoot() }
    /// AUC ± z·SE, clipped to [0, 1]: pROC's `ci.auc(method = "delong")`.
    public var ci95: [Double]
    public var positives: Int
    public var negatives: Int
    /// Structural components: one per positive case (V10), one per negative case (V01).
    public var v10: [Double]
    public var v01: [Double]

    public init(scores: [Double], labels: [Bool], level: Double = 0.95) throws {
        try Self.check(scores: scores, labels: labels)
        let pos = zip(scores, labels).filter { $0.1 }.map(\.0)
        let neg = zip(scores, labels).filter { !$0.1 }.map(\.0)
        let m = pos.count, n = neg.count
        let all = Ranks.midranks(pos + neg)
        let rPos = Ranks.midranks(pos), rNeg = Ranks.midranks(neg)
        // A positive's rank among all minus its rank among positives = negatives below it (ties ½).
        v10 = (0..<m).map { (all[$0] - rPos[$0]) / Double(n) }
        v01 = (0..<n).map { 1 - (all[m + $0] - rNeg[$0]) / Double(m) }
        auc = v10.reduce(0, +) / Double(m)
        let s10 = Self.sampleVariance(v10), s01 = Self.sampleVariance(v01)
        variance = s10 / Double(m) + s01 / Double(n)
        positives = m
        negatives = n
        let z = Distributions.normalQuantile(0.5 + level / 2)
        let se = variance.squareRoot()
        ci95 = [max(0, auc - z * se), min(1, auc + z * se)]
    }

    static func check(scores: [Double], labels: [Bool]) throws {
        guard scores.count == labels.count else {
            throw KiraError.invalidArgument("AUC: \(scores.count) scores for \(labels.count) labels")
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) {
            throw KiraError.invalidData("AUC: score \(i + 1) is not a finite number (\(scores[i]))")
        }
        let m = labels.filter { $0 }.count
        guard m >= 2, labels.count - m >= 2 else {
            throw KiraError.invalidData("AUC needs at least two cases of each class; got \(m) positive and \(labels.count - m) negative")
        }
    }

    static func sampleVariance(_ v: [Double]) -> Double {
        guard v.count > 1 else { return 0 }
        let mean = v.reduce(0, +) / Double(v.count)
        return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
    }
}

/// DeLong's test of two correlated AUCs: two models' scores on the same cases.
public struct DeLongPairedTest: Sendable, Codable, Equatable {
    public var aucA: Double
    public var aucB: Double
    public var z: Double
    public var p: Double
    public var covariance: Double
    public var varianceA: Double
    public var varianceB: Double
    /// 95% CI of AUC A − AUC B from the same variance (pROC prints it with the test).
    public var differenceCI95: [Double]

    public init(scoresA: [Double], scoresB: [Double], labels: [Bool]) throws {
        guard scoresA.count == scoresB.count else {
            throw KiraError.invalidArgument("DeLong test: \(scoresA.count) scores for model A, \(scoresB.count) for model B; both must score the same cases")
        }
        let a = try DeLongAUC(scores: scoresA, labels: labels)
        let b = try DeLongAUC(scores: scoresB, labels: labels)
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            var s = 0.0
            for i in x.indices { s += (x[i] - mx) * (y[i] - my) }
            return s / Double(x.count - 1)
        }
        covariance = cov(a.v10, b.v10) / Double(a.positives) + cov(a.v01, b.v01) / Double(a.negatives)
        aucA = a.auc
        aucB = b.auc
        varianceA = a.variance
        varianceB = b.variance
        let v = a.variance + b.variance - 2 * covariance
        let zq = Distributions.normalQuantile(0.975), half = zq * max(v, 0).squareRoot()
        differenceCI95 = [aucA - aucB - half, aucA - aucB + half]
        if v <= 0 {
            // Identical rankings: no difference can be shown (pROC reports Z = NaN here; a
            // number is more useful to scripts).
            z = 0
            p = 1
        } else {
            z = (aucA - aucB) / v.squareRoot()
            p = Distributions.normalTwoSidedP(z)
        }
    }
}

/// Stratified percentile bootstrap of the AUC (cases and controls resampled separately, as
/// pROC's default), seeded.
public enum BootstrapAUC {
    public static func ci(scores: [Double], labels: [Bool], replicates: Int = 2000, seed: UInt64 = 0,
                          level: Double = 0.95) throws -> [Double] {
        try DeLongAUC.check(scores: scores, labels: labels)
        let pos = zip(scores, labels).filter { $0.1 }.map(\.0)
        let neg = zip(scores, labels).filter { !$0.1 }.map(\.0)
        var rng = SeededGenerator(seed: seed)
        var aucs = [Double]()
        aucs.reserveCapacity(replicates)
        for _ in 0..<replicates {
            let p = (0..<pos.count).map { _ in pos[rng.below(pos.count)] }
            let n = (0..<neg.count).map { _ in neg[rng.below(neg.count)] }
            aucs.append(aucFromClasses(p, n))
        }
        aucs.sort()
        return [quantile(aucs, (1 - level) / 2), quantile(aucs, 1 - (1 - level) / 2)]
    }

    static func aucFromClasses(_ pos: [Double], _ neg: [Double]) -> Double {
        let all = Ranks.midranks(pos + neg)
        var sum = 0.0
        for i in 0..<pos.count { sum += all[i] }
        let m = Double(pos.count), n = Double(neg.count)
        return (sum - m * (m + 1) / 2) / (m * n)
    }

    /// Linear interpolation between order statistics (R type 7, numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}

/// Points of the empirical ROC curve (one per distinct score, highest first).
public struct ROCCurve: Sendable, Codable, Equatable {
    public var thresholds: [Double]
    public var tpr: [Double]
    public var fpr: [Double]

    public init(scores: [Double], labels: [Bool]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let P = Double(labels.filter { $0 }.count), N = Double(labels.count) - P
        var tp = 0.0, fp = 0.0
        thresholds = [.infinity]; tpr = [0]; fpr = [0]
        var i = 0
        while i < order.count {
            let t = scores[order[i]]
            while i < order.count && scores[order[i]] == t {
                if labels[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            thresholds.append(t); tpr.append(P > 0 ? tp / P : 0); fpr.append(N > 0 ? fp / N : 0)
        }
    }

    /// The threshold maximising Youden's J = sensitivity + specificity − 1 (cases with
    /// score ≥ threshold are called positive); among equal J the highest threshold.
    public var youdenThreshold: Double {
        var best = -Double.infinity, bestT = thresholds.count > 1 ? thresholds[1] : 0.5
        for i in 1..<thresholds.count {
            let j = tpr[i] - fpr[i]
            if j > best { best = j; bestT = thresholds[i] }
        }
        return bestT
    }
}
