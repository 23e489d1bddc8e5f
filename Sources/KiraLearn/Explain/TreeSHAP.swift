/// Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2): exact Shapley values
/// of one tree's output with the training cover as the conditional distribution.
enum TreeSHAP {
    static func expectedValue(_ t: Tree) -> Double {
        var s = 0.0
        for i in t.value.indices where t.feature[i] < 0 { s += t.cover[i] * t.value[i] }
        return s / t.cover[0]
    }

    struct PathElement { var feature: Int; var zero: Double; var one: Double; var weight: Double }

    static func values(_ t: Tree, _ x: ArraySlice<Double>, features p: Int) -> [Double] {
        var phi = [Double](repeating: 0, count: p)
        let base = x.startIndex
        func extend(_ path: inout [PathElement], _ zero: Double, _ one: Double, _ feature: Int) {
            let l = path.count
            path.append(PathElement(feature: feature, zero: zero, one: one, weight: l == 0 ? 1 : 0))
            for i in stride(from: l - 1, through: 0, by: -1) {
                path[i + 1].weight += one * path[i].weight * Double(i + 1) / Double(l + 1)
                path[i].weight = zero * path[i].weight * Double(l - i) / Double(l + 1)
            }
        }
        func unwind(_ path: inout [PathElement], _ idx: Int) {
            let l = path.count - 1
            let one = path[idx].one, zero = path[idx].zero
            var n = path[l].weight
            for i in stride(from: l - 1, through: 0, by: -1) {
                if one != 0 {
                    let tmp = path[i].weight
                    path[i].weight = n * Double(l + 1) / (Double(i + 1) * one)
                    n = tmp - path[i].weight * zero * Double(l - i) / Double(l + 1)
                } else {
                    path[i].weight = path[i].weight * Double(l + 1) / (zero * Double(l - i))
                }
            }
            for i in idx..<l {
                path[i].feature = path[i + 1].feature; path[i].zero = path[i + 1].zero; path[i].one = path[i + 1].one
            }
            path.removeLast()
        }
        func unwoundSum(_ path: [PathElement], _ idx: Int) -> Double {
            let l = path.count - 1
            let one = path[idx].one, zero = path[idx].zero
            var n = path[l].weight, total = 0.0
            for i in stride(from: l - 1, through: 0, by: -1) {
                if one != 0 {
                    let tmp = n * Double(l + 1) / (Double(i + 1) * one)
                    total += tmp
                    n = path[i].weight - tmp * zero * Double(l - i) / Double(l + 1)
                } else {
                    total += path[i].weight / zero * Double(l + 1) / Double(l - i)
                }
            }
            return total
        }
        func recurse(_ node: Int, _ pathIn: [PathElement], _ zero: Double, _ one: Double, _ feature: Int) {
            var path = pathIn
            extend(&path, zero, one, feature)
            if t.feature[node] < 0 {
                for i in 1..<path.count {
                    let w = unwoundSum(path, i)
                    phi[path[i].feature] += w * (path[i].one - path[i].zero) * t.value[node]
                }
                return
            }
            let f = t.feature[node]
            let goLeft = Double(Float(x[base + f])) <= t.threshold[node]
            let hot = goLeft ? t.left[node] : t.right[node], cold = goLeft ? t.right[node] : t.left[node]
            var incomingZero = 1.0, incomingOne = 1.0
            if let k = path.indices.dropFirst().first(where: { path[$0].feature == f }) {
                incomingZero = path[k].zero; incomingOne = path[k].one
                unwind(&path, k)
            }
            let c = t.cover[node]
            recurse(hot, path, incomingZero * t.cover[hot] / c, incomingOne, f)
            recurse(cold, path, incomingZero * t.cover[cold] / c, 0, f)
        }
        recurse(0, [], 1, 1, -1)
        return phi
    }
}
