import Foundation
import KiraCore

extension StepSpec {
    /// Fits the step on training rows (already transformed by the earlier steps).
    /// Selection steps always keep at least one feature: the most relevant one.
    public func fit(_ d: LabeledData, seed: UInt64) throws -> FittedStep {
        let x = d.x, p = x.cols
        let columns = (0..<p).map { x.column($0) }
        func selection(_ keep: [Int]) -> FittedStep {
            guard keep.isEmpty else { return FittedStep(kind: kind, keep: keep, outputNames: keep.map { d.featureNames[$0] }) }
            let rel = columns.map { Univariate.relevance($0, d.y) }
            let best = rel.indices.max { rel[$0] < rel[$1] || (rel[$0] == rel[$1] && $0 > $1) } ?? 0
            var step = FittedStep(kind: kind, keep: [best], outputNames: [d.featureNames[best]])
            step.fallback = "\(label) kept none of the \(p) features; the most relevant one, \"\(d.featureNames[best])\", is kept instead"
            return step
        }
        if kind != .impute, let j = columns.firstIndex(where: { $0.contains(where: \.isNaN) }) {
            throw KiraError.invalidData("feature \"\(d.featureNames[j])\" has missing values; put 'impute' first in --select")
        }
        switch kind {
        case .impute:
            let fill = try columns.enumerated().map { j, c -> Double in
                let present = c.filter { !$0.isNaN }.sorted()
                guard !present.isEmpty else {
                    throw KiraError.invalidData("feature \"\(d.featureNames[j])\" has no value in the training rows; it cannot be imputed")
                }
                if option == "mean" { return present.reduce(0, +) / Double(present.count) }
                let m = present.count / 2
                return present.count % 2 == 1 ? present[m] : (present[m - 1] + present[m]) / 2
            }
            return FittedStep(kind: kind, fill: fill, outputNames: d.featureNames)
        case .zscore:
            var mean = [Double](), scale = [Double]()
            for c in columns {
                let m = c.reduce(0, +) / Double(c.count)
                let v = c.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c.count)
                mean.append(m)
                // A constant column keeps scale 1 (as StandardScaler) and stays constant.
                scale.append(v > 0 ? v.squareRoot() : 1)
            }
            return FittedStep(kind: kind, center: mean, scale: scale, outputNames: d.featureNames)
        case .variance:
            let t = value ?? 0
            return selection(columns.indices.filter { j in
                let c = columns[j], m = c.reduce(0, +) / Double(c.count)
                return c.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(c.count) > t
            })
        case .ttest, .mwu:
            let t = value ?? 0.05
            return selection(columns.indices.filter { j in
                (kind == .ttest ? Univariate.tTestP(columns[j], d.y) : Univariate.mannWhitneyP(columns[j], d.y)) < t
            })
        case .corr:
            let t = value ?? 0.9
            let data = option == "pearson" ? columns : columns.map(Ranks.midranks)
            let rel = columns.map { Univariate.relevance($0, d.y) }
            let order = rel.indices.sorted { rel[$0] > rel[$1] || (rel[$0] == rel[$1] && $0 < $1) }
            var kept: [Int] = []
            for j in order where kept.allSatisfy({ abs(Univariate.pearson(data[j], data[$0])) <= t }) {
                kept.append(j)
            }
            return selection(kept.sorted())
        case .keep:
            let wanted = names ?? []
            let missing = wanted.filter { !d.featureNames.contains($0) }
            if !missing.isEmpty && missing.count == wanted.count {
                throw KiraError.invalidData("keep list: none of its \(wanted.count) features is in the table (first: \(wanted.prefix(3).joined(separator: ", ")))")
            }
            let set = Set(wanted)
            return selection(d.featureNames.indices.filter { set.contains(d.featureNames[$0]) })
        case .mrmr:
            let k = min(Int(value ?? 10), p)
            let f = columns.map { Univariate.fStatistic($0, d.y) }
            var chosen: [Int] = [], redundancy = [Double](repeating: 0, count: p)
            while chosen.count < k {
                var best = -1, bestScore = -Double.infinity
                for j in 0..<p where !chosen.contains(j) {
                    let s = f[j] - (chosen.isEmpty ? 0 : redundancy[j] / Double(chosen.count))
                    if s > bestScore { best = j; bestScore = s }
                }
                guard best >= 0 else { break }
                chosen.append(best)
                for j in 0..<p { redundancy[j] += abs(Univariate.pearson(columns[j], columns[best])) }
            }
            return selection(chosen.sorted())
        case .pca:
            return try PCA.fit(d, components: Int(value ?? 2))
        case .lasso:
            let keep = try LassoSelection(rule: option == "min" ? .min : .oneSE, seed: seed).select(d)
            return selection(keep)
        }
    }
}

enum PCA {
    /// Components from the training covariance (or the Gram matrix when there are fewer
    /// rows than features), signed as scikit-learn does: each component's largest-magnitude
    /// loading is positive.
    static func fit(_ d: LabeledData, components k: Int) throws -> FittedStep {
        let n = d.x.rows, p = d.x.cols
        guard k <= min(n, p) else {
            throw KiraError.invalidArgument("pca:\(k): only \(min(n, p)) components exist for \(n) training rows × \(p) features")
        }
        // The eigen-decomposition holds three min(n, p)² matrices: a wide CSV asks for them.
        let side = min(n, p)
        try AllocationBudget.check("pca:\(k) on \(n) training rows × \(p) features: \(p <= n ? "covariance" : "Gram") matrix",
                                   factors: [side, side], elementBytes: 3 * MemoryLayout<Double>.size, unit: "entries")
        let mean = (0..<p).map { j in d.x.column(j).reduce(0, +) / Double(n) }
        var xc = d.x
        for i in 0..<n { for j in 0..<p { xc[i, j] -= mean[j] } }
        var comps = Matrix(rows: k, cols: p)
        if p <= n {
            var cov = [Double](repeating: 0, count: p * p)
            for i in 0..<n { for a in 0..<p { let v = xc[i, a]; for b in a..<p { cov[a * p + b] += v * xc[i, b] } } }
            for a in 0..<p { for b in a..<p { cov[b * p + a] = cov[a * p + b] } }
            let e = SymmetricEigen.decompose(cov, n: p)
            for c in 0..<k { for j in 0..<p { comps[c, j] = e.vectors[c * p + j] } }
        } else {
            var gram = [Double](repeating: 0, count: n * n)
            for a in 0..<n { for b in a..<n { var s = 0.0; for j in 0..<p { s += xc[a, j] * xc[b, j] }; gram[a * n + b] = s; gram[b * n + a] = s } }
            let e = SymmetricEigen.decompose(gram, n: n)
            for c in 0..<k {
                let sv = max(e.values[c], 1e-300).squareRoot()
                for j in 0..<p {
                    var s = 0.0
                    for i in 0..<n { s += e.vectors[c * n + i] * xc[i, j] }
                    comps[c, j] = s / sv
                }
            }
        }
        for c in 0..<k {
            var big = 0
            for j in 0..<p where abs(comps[c, j]) > abs(comps[c, big]) { big = j }
            if comps[c, big] < 0 { for j in 0..<p { comps[c, j] = -comps[c, j] } }
        }
        return FittedStep(kind: .pca, center: mean, components: comps, outputNames: (1...k).map { "PC\($0)" })
    }
}
