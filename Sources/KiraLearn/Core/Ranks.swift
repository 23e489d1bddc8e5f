/// Mid-ranks (1-based; tied values share the mean of their ranks), the basis of the
/// Mann–Whitney statistic, Spearman's correlation and the fast DeLong algorithm.
public enum Ranks {
    public static func midranks(_ v: [Double]) -> [Double] {
        let n = v.count
        let order = (0..<n).sorted { v[$0] < v[$1] }
        var ranks = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && v[order[j + 1]] == v[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        return ranks
    }

    /// Σ (t³ − t) over groups of tied values: the tie correction of rank tests.
    public static func tieTerm(_ v: [Double]) -> Double {
        let s = v.sorted()
        var total = 0.0, i = 0
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[i] { j += 1 }
            let t = Double(j - i + 1)
            total += t * t * t - t
            i = j + 1
        }
        return total
    }
}
