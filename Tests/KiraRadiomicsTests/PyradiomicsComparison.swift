import KiraRadiomics

/// Kira's rows against pyradiomics' `{name: value or null}`: every feature pyradiomics
/// reports, relative difference ≤ `tolerance`; NaN (null) in pyradiomics must be an
/// undefined value in Kira. Returns the misses (one line each) and the worst difference.
enum PyradiomicsComparison {
    static func compare(_ peer: [String: Any], _ set: FeatureSet, tolerance: Double) -> (misses: [String], worst: Double) {
        let kira = Dictionary(set.rows.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        var misses: [String] = [], worst = 0.0
        for (feature, value) in peer.sorted(by: { $0.key < $1.key }) {
            guard let k = kira[feature] else { misses.append("\(feature): not computed"); continue }
            guard let expected = value as? Double else {
                if k.number != nil { misses.append("\(feature): pyradiomics NaN, Kira \(k)") }
                continue
            }
            guard let x = k.number else { misses.append("\(feature): Kira \(k), pyradiomics \(expected)"); continue }
            let rel = abs(x - expected) / max(abs(expected), 1e-9)
            worst = max(worst, rel)
            if rel > tolerance { misses.append("\(feature): Kira \(x), pyradiomics \(expected), relative \(rel)") }
        }
        return (misses, worst)
    }
}
