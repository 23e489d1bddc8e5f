import Foundation

/// How tied event times enter the Cox partial likelihood.
public enum CoxTies: String, Sendable, CaseIterable {
    /// Efron's approximation: the tied deaths leave the risk set in equal fractions.
    case efron
    /// Breslow's approximation: every tied death sees the full risk set.
    case breslow
}

/// Survival data sorted by time with covariates in a contiguous row-major matrix, ready for
/// repeated partial-likelihood evaluations.
struct CoxDesign {
    let n: Int
    let p: Int
    /// Row-major n×p, rows in ascending time order.
    var x: [Double]
    let time: [Double]
    let event: [Bool]
    /// Original row of each sorted row.
    let order: [Int]
    /// Start index (in sorted rows) of each distinct time, plus n at the end.
    let groupStart: [Int]

    /// `columns[j][i]` is covariate j of subject i.
    init(time: [Double], event: [Bool], columns: [[Double]]) {
        n = time.count
        p = columns.count
        let order = time.indices.sorted { time[$0] < time[$1] || (time[$0] == time[$1] && $0 < $1) }
        self.order = order
        self.time = order.map { time[$0] }
        self.event = order.map { event[$0] }
        var x = [Double](repeating: 0, count: n * p)
        for (r, i) in order.enumerated() { for j in 0..<p { x[r * p + j] = columns[j][i] } }
        self.x = x
        var starts: [Int] = []
        for r in 0..<n where r == 0 || self.time[r] != self.time[r - 1] { starts.append(r) }
        starts.append(n)
        groupStart = starts
    }

    /// A design over a subset of subjects (row indices in sorted order), keeping the order.
    func subset(_ rows: [Int]) -> CoxDesign {
        var cols = [[Double]](repeating: [], count: p)
        for j in 0..<p { cols[j] = rows.map { x[$0 * p + j] } }
        return CoxDesign(time: rows.map { time[$0] }, event: rows.map { event[$0] }, columns: cols)
    }

    var eventCount: Int { event.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// η = Xβ in sorted order.
    func linearPredictor(_ beta: [Double]) -> [Double] {
        var eta = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            for i in 0..<n {
                var s = 0.0
                let row = i * p
                for j in 0..<p { s += xp[row + j] * beta[j] }
                eta[i] = s
            }
        }
        return eta
    }

    /// Log partial likelihood, its gradient and (optionally) its Hessian (row-major p×p).
    func evaluate(_ beta: [Double], ties: CoxTies, hessian wantHessian: Bool = true) -> (ll: Double, gradient: [Double], hessian: [Double]) {
        let eta = linearPredictor(beta)
        // exp(η − max η): the shift cancels between numerator and denominators.
        let shift = eta.max() ?? 0
        var ll = 0.0
        var grad = [Double](repeating: 0, count: p)
        var hess = [Double](repeating: 0, count: wantHessian ? p * p : 0)
        var s1 = [Double](repeating: 0, count: p), t1 = s1, d1 = s1
        var s2 = [Double](repeating: 0, count: wantHessian ? p * p : 0), t2 = s2
        var s0 = 0.0
        x.withUnsafeBufferPointer { xp in
        s1.withUnsafeMutableBufferPointer { s1p in
        s2.withUnsafeMutableBufferPointer { s2p in
        t1.withUnsafeMutableBufferPointer { t1p in
        t2.withUnsafeMutableBufferPointer { t2p in
        d1.withUnsafeMutableBufferPointer { d1p in
        grad.withUnsafeMutableBufferPointer { gp in
        hess.withUnsafeMutableBufferPointer { hp in
            var g = groupStart.count - 2
            while g >= 0 {
                let lo = groupStart[g], hi = groupStart[g + 1]
                var t0 = 0.0, deaths = 0
                for j in 0..<p { t1p[j] = 0 }
                if wantHessian { for j in 0..<(p * p) { t2p[j] = 0 } }
                for i in lo..<hi {
                    let w = exp(eta[i] - shift)
                    let row = i * p
                    s0 += w
                    for a in 0..<p { s1p[a] += w * xp[row + a] }
                    if wantHessian {
                        for a in 0..<p {
                            let wa = w * xp[row + a]
                            for b in 0...a { s2p[a * p + b] += wa * xp[row + b] }
                        }
                    }
                    if event[i] {
                        deaths += 1
                        t0 += w
                        ll += eta[i] - shift
                        for a in 0..<p { t1p[a] += w * xp[row + a]; gp[a] += xp[row + a] }
                        if wantHessian {
                            for a in 0..<p {
                                let wa = w * xp[row + a]
                                for b in 0...a { t2p[a * p + b] += wa * xp[row + b] }
                            }
                        }
                    }
                }
                if deaths > 0 {
                    let d = Double(deaths)
                    for l in 0..<deaths {
                        let phi = ties == .efron ? Double(l) / d : 0
                        let d0 = s0 - phi * t0
                        ll -= log(d0)
                        for a in 0..<p {
                            d1p[a] = s1p[a] - phi * t1p[a]
                            gp[a] -= d1p[a] / d0
                        }
                        if wantHessian {
                            let inv = 1 / d0, inv2 = inv * inv
                            for a in 0..<p {
                                for b in 0...a {
                                    hp[a * p + b] -= (s2p[a * p + b] - phi * t2p[a * p + b]) * inv - d1p[a] * d1p[b] * inv2
                                }
                            }
                        }
                    }
                }
                g -= 1
            }
        }}}}}}}}
        if wantHessian {
            for a in 0..<p { for b in 0..<a { hess[b * p + a] = hess[a * p + b] } }
        }
        return (ll, grad, hess)
    }
}
