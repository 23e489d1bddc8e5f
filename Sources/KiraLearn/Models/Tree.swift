import Foundation
import KiraCore

/// A binary decision tree in flat arrays (node 0 is the root; a leaf has feature −1).
/// A case goes left when x[feature], rounded to single precision as scikit-learn's trees
/// store their inputs, is ≤ threshold. `cover` is the training weight that
/// reached each node, which TreeSHAP needs.
public struct Tree: Sendable, Codable, Equatable {
    public var feature: [Int] = []
    public var threshold: [Double] = []
    public var left: [Int] = []
    public var right: [Int] = []
    public var value: [Double] = []
    public var cover: [Double] = []

    public init() {}

    public init(feature: [Int], threshold: [Double], left: [Int], right: [Int], value: [Double], cover: [Double]) {
        self.feature = feature; self.threshold = threshold; self.left = left; self.right = right
        self.value = value; self.cover = cover
    }

    @inline(__always) public func leaf(for x: ArraySlice<Double>) -> Int {
        var node = 0
        let base = x.startIndex
        while feature[node] >= 0 {
            node = Double(Float(x[base + feature[node]])) <= threshold[node] ? left[node] : right[node]
        }
        return node
    }

    public func predict(_ x: ArraySlice<Double>) -> Double { value[leaf(for: x)] }
}

/// Grows CART trees the way scikit-learn does (best split by impurity decrease, midpoint
/// thresholds, a node splits while its impurity exceeds machine epsilon), so a tree grown
/// on the same data with all features considered is the same tree.
struct TreeGrower {
    enum Criterion { case gini, friedmanMSE }
    var criterion: Criterion
    var maxDepth: Int?
    var maxFeatures: Int?
    var minSamplesLeaf = 1
    var randomSplits = false

    static let featureThreshold = 1e-7
    static let epsilon = Double.ulpOfOne

    /// `target`: 0/1 for gini, the residual for regression; `weight`: sample weights
    /// (bootstrap counts, boosting weights); rows with weight 0 are left out.
    func grow(_ x: Matrix, target: [Double], weight: [Double], rng: inout SeededGenerator) -> Tree {
        var x = x
        for i in x.values.indices { x.values[i] = Double(Float(x.values[i])) }
        var tree = Tree()
        let rows = (0..<x.rows).filter { weight[$0] > 0 }
        var stack: [(rows: [Int], depth: Int, parent: Int, isLeft: Bool)] = [(rows, 0, -1, false)]
        while let item = stack.popLast() {
            let node = tree.feature.count
            if item.parent >= 0 {
                if item.isLeft { tree.left[item.parent] = node } else { tree.right[item.parent] = node }
            }
            var w = 0.0, s = 0.0
            for i in item.rows { w += weight[i]; s += weight[i] * target[i] }
            let mean = s / w
            var impurity: Double
            switch criterion {
            case .gini: impurity = 1 - (mean * mean + (1 - mean) * (1 - mean))
            case .friedmanMSE:
                var q = 0.0
                for i in item.rows { q += weight[i] * target[i] * target[i] }
                impurity = q / w - mean * mean
            }
            tree.feature.append(-1); tree.threshold.append(0); tree.left.append(-1); tree.right.append(-1)
            tree.value.append(mean); tree.cover.append(w)
            let n = item.rows.count
            let isLeaf = (maxDepth.map { item.depth >= $0 } ?? false) || n < 2 || n < 2 * minSamplesLeaf
                || impurity <= Self.epsilon
            if isLeaf { continue }
            guard let split = bestSplit(x, item.rows, target, weight, &rng) else { continue }
            tree.feature[node] = split.feature
            tree.threshold[node] = split.threshold
            let l = item.rows.filter { x[$0, split.feature] <= split.threshold }
            let r = item.rows.filter { x[$0, split.feature] > split.threshold }
            // Right first on the stack so the left subtree gets the lower node numbers.
            stack.append((r, item.depth + 1, node, false))
            stack.append((l, item.depth + 1, node, true))
        }
        return tree
    }

    private func bestSplit(_ x: Matrix, _ rows: [Int], _ target: [Double], _ weight: [Double],
                           _ rng: inout SeededGenerator) -> (feature: Int, threshold: Double)? {
        let p = x.cols
        var features = Array(0..<p)
        let want = min(maxFeatures ?? p, p)
        if want < p || randomSplits { rng.shuffle(&features) }
        var best: (feature: Int, threshold: Double)? = nil
        var bestProxy = -Double.infinity
        var visited = 0, totalW = 0.0, totalS = 0.0
        for i in rows { totalW += weight[i]; totalS += weight[i] * target[i] }
        var values = [(Double, Int)]()
        values.reserveCapacity(rows.count)
        // Draw features until `want` non-constant ones were examined (scikit-learn's rule).
        for f in features {
            if visited >= want { break }
            values.removeAll(keepingCapacity: true)
            for i in rows { values.append((x[i, f], i)) }
            var lo = values[0].0, hi = values[0].0
            for v in values { lo = min(lo, v.0); hi = max(hi, v.0) }
            if hi <= lo + Self.featureThreshold { continue }
            visited += 1
            if randomSplits {
                let t = lo + rng.uniform() * (hi - lo)
                var wl = 0.0, sl = 0.0, nl = 0
                for (v, i) in values where v <= t { wl += weight[i]; sl += weight[i] * target[i]; nl += 1 }
                guard nl >= minSamplesLeaf, values.count - nl >= minSamplesLeaf else { continue }
                let proxy = self.proxy(wl, sl, totalW - wl, totalS - sl)
                if proxy > bestProxy { bestProxy = proxy; best = (f, t) }
                continue
            }
            values.sort { $0.0 < $1.0 }
            var wl = 0.0, sl = 0.0
            let n = values.count
            var k = 0
            while k < n - 1 {
                let i = values[k].1
                wl += weight[i]; sl += weight[i] * target[i]
                if values[k + 1].0 <= values[k].0 + Self.featureThreshold { k += 1; continue }
                let nl = k + 1
                if nl >= minSamplesLeaf && n - nl >= minSamplesLeaf {
                    let proxy = self.proxy(wl, sl, totalW - wl, totalS - sl)
                    if proxy > bestProxy {
                        bestProxy = proxy
                        var t = values[k].0 / 2 + values[k + 1].0 / 2
                        if t == values[k + 1].0 || !t.isFinite { t = values[k].0 }
                        best = (f, t)
                    }
                }
                k += 1
            }
        }
        return best
    }

    /// The quantity scikit-learn maximises to rank splits of one node.
    @inline(__always) private func proxy(_ wl: Double, _ sl: Double, _ wr: Double, _ sr: Double) -> Double {
        switch criterion {
        case .gini:
            let pl = sl / wl, pr = sr / wr
            let gl = 1 - (pl * pl + (1 - pl) * (1 - pl)), gr = 1 - (pr * pr + (1 - pr) * (1 - pr))
            return -wr * gr - wl * gl
        case .friedmanMSE:
            let diff = wr * sl - wl * sr
            return diff * diff / (wl * wr)
        }
    }
}
