import Foundation
import KiraCore

/// Kernel SHAP (Lundberg & Lee 2017) for models without an exact explainer (SVM, KNN): for
/// each case, the Shapley values are the weighted least-squares fit of the model's expected
/// output over coalitions of features — features in the coalition take the case's value, the
/// others the background rows' values — with the Shapley kernel
///   π(S) = (M − 1) / (C(M, |S|) · |S| · (M − |S|))
/// as weights and Σφ = f(x) − E f(background) imposed exactly. With M ≤ `exactLimit` varying
/// features every coalition is used and the values are the exact Shapley values of that
/// background game; beyond it the coalition sizes are filled as the shap package does
/// (whole sizes while the budget allows, then seeded paired samples of the rest).
public struct KernelSHAP: Sendable {
    public var exactLimit: Int
    /// Coalitions per case when sampling; nil: 2M + 2048 (shap's default).
    public var samples: Int?
    public var seed: UInt64

    public init(exactLimit: Int = 12, samples: Int? = nil, seed: UInt64 = 0) {
        self.exactLimit = exactLimit
        self.samples = samples
        self.seed = seed
    }

    /// `model` maps rows to the explained output (here: probabilities). `progress` is told
    /// after each case (cases done, cases in all): sampled coalitions take seconds a case.
    public func explain(_ model: (Matrix) -> [Double], x: Matrix, background: Matrix, features: [String],
                        output: String, progress: ((Int, Int) -> Void)? = nil) throws -> ShapExplanation {
        guard background.rows > 0, background.cols == x.cols else {
            throw KiraError.invalidArgument("KernelSHAP: the background needs rows with the model's \(x.cols) inputs (got \(background.rows) × \(background.cols))")
        }
        let fBackground = model(background)
        let base = fBackground.reduce(0, +) / Double(background.rows)
        let fx = model(x)
        var rng = SeededGenerator(seed: seed)
        let values = (0..<x.rows).map { i in
            defer { progress?(i + 1, x.rows) }
            return caseValues(model, Array(x.row(i)), fx: fx[i], base: base, background: background, rng: &rng)
        }
        let exact = values.isEmpty || x.cols <= exactLimit
        return ShapExplanation(method: exact ? "KernelSHAP (all coalitions)" : "KernelSHAP (sampled coalitions)", output: output,
                               features: features, baseValue: base, values: values)
    }

    private func caseValues(_ model: (Matrix) -> [Double], _ row: [Double], fx: Double, base: Double,
                            background: Matrix, rng: inout SeededGenerator) -> [Double] {
        let p = row.count
        var phi = [Double](repeating: 0, count: p)
        // A feature equal to every background row's value cannot change the output: φ = 0
        // (the dummy axiom), and it is left out of the coalitions.
        let varying = (0..<p).filter { j in (0..<background.rows).contains { background[$0, j] != row[j] } }
        let m = varying.count
        if m == 0 { return phi }
        if m == 1 { phi[varying[0]] = fx - base; return phi }
        let (masks, weights) = coalitions(m, rng: &rng)
        let ey = expectedOutputs(model, row, varying: varying, masks: masks, background: background)
        // Σφ = f(x) − base is imposed by writing the last φ as the remainder and fitting the
        // other m − 1 by weighted least squares (normal equations).
        let delta = fx - base, q = m - 1
        var a = [Double](repeating: 0, count: q * q), rhs = [Double](repeating: 0, count: q)
        var xk = [Double](repeating: 0, count: q)
        for (k, mask) in masks.enumerated() {
            let last = mask[m - 1] ? 1.0 : 0.0
            for j in 0..<q { xk[j] = (mask[j] ? 1 : 0) - last }
            let yk = ey[k] - base - last * delta, w = weights[k]
            for j in 0..<q where xk[j] != 0 {
                rhs[j] += w * xk[j] * yk
                for l in 0...j where xk[l] != 0 { a[j * q + l] += w * xk[j] * xk[l] }
            }
        }
        for j in 0..<q { for l in 0..<j { a[l * q + j] = a[j * q + l] } }
        let solution = Cholesky(a, n: q, relativePivotTolerance: 1e-14)?.solve(rhs) ?? [Double](repeating: delta / Double(m), count: q)
        var rest = delta
        for j in 0..<q { phi[varying[j]] = solution[j]; rest -= solution[j] }
        phi[varying[m - 1]] = rest
        return phi
    }

    /// Coalitions (true = the case's value) and their kernel weights (summing to 1).
    func coalitions(_ m: Int, rng: inout SeededGenerator) -> (masks: [[Bool]], weights: [Double]) {
        if m <= exactLimit {
            var masks: [[Bool]] = [], weights: [Double] = []
            for bits in 1..<((1 << m) - 1) {
                let mask = (0..<m).map { bits & (1 << $0) != 0 }
                let s = mask.filter { $0 }.count
                masks.append(mask)
                weights.append(Double(m - 1) / (binomial(m, s) * Double(s) * Double(m - s)))
            }
            let total = weights.reduce(0, +)
            return (masks, weights.map { $0 / total })
        }
        // Subset sizes s and m − s share one weight mass, (m − 1)/(s(m − s)) each.
        let sizes = (m - 1 + 1) / 2, paired = (m - 1) / 2
        var mass = (1...sizes).map { s in Double(m - 1) / Double(s * (m - s)) * (s <= paired ? 2 : 1) }
        let totalMass = mass.reduce(0, +)
        mass = mass.map { $0 / totalMass }
        let budget = min(samples ?? (2 * m + 2048), Int(min(Double(Int.max / 2), pow(2, Double(m)) - 2)))
        var masks: [[Bool]] = [], weights: [Double] = []
        var left = Double(budget), remaining = mass
        var full = 0
        for s in 1...sizes {
            let count = binomial(m, s) * (s <= paired ? 2 : 1)
            guard left * remaining[s - 1] / count >= 1 - 1e-8 else { break }
            full = s
            left -= count
            if remaining[s - 1] < 1 { remaining = remaining.map { $0 / (1 - remaining[s - 1]) } }
            let w = mass[s - 1] / count
            forEachSubset(m, s) { mask in
                masks.append(mask); weights.append(w)
                if s <= paired { masks.append(mask.map { !$0 }); weights.append(w) }
            }
        }
        if full < sizes {
            // Sizes drawn by their remaining mass (paired sizes count each draw twice), a uniform
            // subset of that size, and its complement; repeats add weight.
            var draw = (full + 1...sizes).map { s in mass[s - 1] / (s <= paired ? 2 : 1) }
            let dt = draw.reduce(0, +)
            draw = draw.map { $0 / dt }
            var index: [[Bool]: Int] = [:]
            let fixed = masks.count
            var slots = budget - fixed
            var attempts = 0
            while slots > 0 && attempts < 4 * budget {
                attempts += 1
                var u = rng.uniform(), k = 0
                while k < draw.count - 1 && u >= draw[k] { u -= draw[k]; k += 1 }
                let s = full + 1 + k
                var mask = [Bool](repeating: false, count: m)
                var chosen = 0
                while chosen < s {
                    let j = rng.below(m)
                    if !mask[j] { mask[j] = true; chosen += 1 }
                }
                for candidate in s <= paired ? [mask, mask.map { !$0 }] : [mask] where slots > 0 || index[candidate] != nil {
                    if let at = index[candidate] { weights[at] += 1 } else {
                        index[candidate] = masks.count; masks.append(candidate); weights.append(1); slots -= 1
                    }
                }
            }
            let sampledMass = (full + 1...sizes).reduce(0.0) { $0 + mass[$1 - 1] }
            let drawn = weights[fixed...].reduce(0, +)
            for k in fixed..<weights.count { weights[k] *= sampledMass / drawn }
        }
        return (masks, weights)
    }

    /// E over the background rows of the model on rows mixing the case (coalition) and the
    /// background row (the rest); evaluated in blocks to bound memory.
    private func expectedOutputs(_ model: (Matrix) -> [Double], _ row: [Double], varying: [Int], masks: [[Bool]],
                                 background: Matrix) -> [Double] {
        let nb = background.rows, p = row.count
        let perBlock = max(1, 65_536 / nb)
        var out = [Double](repeating: 0, count: masks.count)
        var start = 0
        while start < masks.count {
            let end = min(masks.count, start + perBlock)
            var values = [Double]()
            values.reserveCapacity((end - start) * nb * p)
            for k in start..<end {
                for b in 0..<nb {
                    var r = Array(background.row(b))
                    for (v, j) in varying.enumerated() where masks[k][v] { r[j] = row[j] }
                    values.append(contentsOf: r)
                }
            }
            let f = model(Matrix(rows: (end - start) * nb, cols: p, values: values))
            for k in start..<end {
                var s = 0.0
                for b in 0..<nb { s += f[(k - start) * nb + b] }
                out[k] = s / Double(nb)
            }
            start = end
        }
        return out
    }
}

private func binomial(_ n: Int, _ k: Int) -> Double {
    var r = 1.0
    for i in 0..<min(k, n - k) { r = r * Double(n - i) / Double(i + 1) }
    return r.rounded()
}

/// Calls body with every subset of size s of 0..<m, in lexicographic order.
private func forEachSubset(_ m: Int, _ s: Int, _ body: ([Bool]) -> Void) {
    var idx = Array(0..<s)
    while true {
        var mask = [Bool](repeating: false, count: m)
        for i in idx { mask[i] = true }
        body(mask)
        var i = s - 1
        while i >= 0 && idx[i] == m - s + i { i -= 1 }
        if i < 0 { return }
        idx[i] += 1
        for j in (i + 1)..<s { idx[j] = idx[j - 1] + 1 }
    }
}
