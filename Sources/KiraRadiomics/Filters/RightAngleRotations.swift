/// The right-angle rotations of a grid that IBSI-2 pools over for rotation invariance:
/// 24 in 3D (axis permutations with sign flips of determinant +1), 4 in-plane in 2D.
/// `source[a]` is the kernel axis that lands on image axis `a`, `flip[a]` whether it is
/// reversed there.
struct RightAngleRotation: Hashable {
    var source: [Int]
    var flip: [Bool]

    static func all(dimensions d: Int) -> [RightAngleRotation] {
        var out: [RightAngleRotation] = []
        for perm in permutations(Array(0..<d)) {
            for mask in 0..<(1 << d) {
                let flip = (0..<d).map { mask & (1 << $0) != 0 }
                let sign = (flip.filter { $0 }.count % 2 == 0 ? 1 : -1) * parity(perm)
                if sign == 1 { out.append(RightAngleRotation(source: perm, flip: flip)) }
            }
        }
        return out
    }

    private static func permutations(_ a: [Int]) -> [[Int]] {
        guard a.count > 1 else { return [a] }
        return a.indices.flatMap { i -> [[Int]] in
            var rest = a
            let head = rest.remove(at: i)
            return permutations(rest).map { [head] + $0 }
        }
    }

    private static func parity(_ p: [Int]) -> Int {
        var inversions = 0
        for i in 0..<p.count { for j in (i + 1)..<p.count where p[i] > p[j] { inversions += 1 } }
        return inversions % 2 == 0 ? 1 : -1
    }
}

/// How response maps of rotated kernels are pooled into one.
enum Pooling: String, CaseIterable {
    case average, max, min

    func pool(_ maps: [[Double]]) -> [Double] {
        guard var out = maps.first else { return [] }
        for m in maps.dropFirst() {
            switch self {
            case .average: for i in 0..<out.count { out[i] += m[i] }
            case .max: for i in 0..<out.count where m[i] > out[i] { out[i] = m[i] }
            case .min: for i in 0..<out.count where m[i] < out[i] { out[i] = m[i] }
            }
        }
        if self == .average { let n = Double(maps.count); for i in 0..<out.count { out[i] /= n } }
        return out
    }
}
