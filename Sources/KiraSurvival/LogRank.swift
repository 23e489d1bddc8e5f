import Foundation
import KiraCore

/// The log-rank test of k ≥ 2 groups, optionally stratified: observed-minus-expected deaths
/// and their hypergeometric covariance are summed over the distinct event times (and over
/// strata), and U = (O−E)ᵀ V⁻¹ (O−E) over the first k−1 groups is χ² with k−1 df.
public struct LogRankTest: Sendable {
    public var statistic: Double
    public var df: Int
    public var p: Double
    /// Group labels in sorted order, with their observed and expected deaths.
    public var groups: [String]
    public var observed: [Double]
    public var expected: [Double]

    public init(time: [Double], event: [Bool], group: [String], strata: [String]? = nil) throws {
        precondition(time.count == event.count && time.count == group.count)
        let labels = Array(Set(group)).sorted(by: Self.labelOrder)
        guard labels.count >= 2 else {
            throw KiraError.invalidData("log-rank test needs at least two groups; found \(labels.count) (\(labels.joined(separator: ", ")))")
        }
        guard event.contains(true) else {
            throw KiraError.invalidData("log-rank test: no events in the data, so the groups cannot be compared")
        }
        let k = labels.count
        let gi: [Int] = { let m = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) }); return group.map { m[$0]! } }()
        var oMinusE = [Double](repeating: 0, count: k)
        var obs = oMinusE, exp = oMinusE
        var v = [Double](repeating: 0, count: k * k)
        let strataKeys = strata ?? [String](repeating: "", count: time.count)
        var members: [String: [Int]] = [:]
        for i in time.indices { members[strataKeys[i], default: []].append(i) }
        for (_, idx) in members {
            let order = idx.sorted { time[$0] < time[$1] }
            var atRisk = [Double](repeating: 0, count: k)
            for i in order { atRisk[gi[i]] += 1 }
            var total = Double(order.count)
            var p = 0
            var dj = [Double](repeating: 0, count: k), rj = dj
            while p < order.count {
                let t = time[order[p]]
                for j in 0..<k { dj[j] = 0; rj[j] = 0 }
                var q = p
                while q < order.count && time[order[q]] == t {
                    let i = order[q]
                    rj[gi[i]] += 1
                    if event[i] { dj[gi[i]] += 1 }
                    q += 1
                }
                let d = dj.reduce(0, +)
                if d > 0 {
                    let n = total
                    let tieFactor = n > 1 ? (n - d) / (n - 1) : 1
                    for a in 0..<k {
                        let ea = atRisk[a] * d / n
                        obs[a] += dj[a]; exp[a] += ea; oMinusE[a] += dj[a] - ea
                        for b in 0..<k {
                            let cov = (a == b ? atRisk[a] * (n - atRisk[a]) : -atRisk[a] * atRisk[b]) * d * tieFactor / (n * n)
                            v[a * k + b] += cov
                        }
                    }
                }
                for j in 0..<k { atRisk[j] -= rj[j] }
                total -= rj.reduce(0, +)
                p = q
            }
        }
        let m = k - 1
        var vm = [Double](repeating: 0, count: m * m)
        for a in 0..<m { for b in 0..<m { vm[a * m + b] = v[a * k + b] } }
        guard let chol = Cholesky(vm, n: m) else {
            throw KiraError.invalidData("log-rank test: the groups' covariance is singular (a group has no one at risk at any event time)")
        }
        statistic = chol.quadraticForm(Array(oMinusE.prefix(m)))
        df = m
        p = Distributions.chiSquareSF(statistic, df: Double(m))
        groups = labels; observed = obs; expected = exp
    }

    /// Numbers sort numerically, then text alphabetically, so "2" comes before "10".
    static func labelOrder(_ a: String, _ b: String) -> Bool {
        switch (Double(a), Double(b)) {
        case let (x?, y?): return x != y ? x < y : a < b
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }
}
