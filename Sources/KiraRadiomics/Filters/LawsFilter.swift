import KiraCore

/// IBSI-2 Laws kernels: the separable outer product of normalised 1D kernels (name order
/// x, y[, z]; two names filter in-plane per slice), applied as a convolution; optionally pooled
/// over the right-angle rotations, then optionally turned into an energy map, the mean of
/// |response| over a (2δ+1)-voxel cube (square in 2D). Every pass continues the image by
/// `boundary`.
enum LawsFilter {
    /// IBSI-2's 1D Laws kernels, each of unit L2 norm.
    static let kernels: [String: [Double]] = [
        "L3": [1, 2, 1].map { $0 / 6.0.squareRoot() },
        "E3": [-1, 0, 1].map { $0 / 2.0.squareRoot() },
        "S3": [-1, 2, -1].map { $0 / 6.0.squareRoot() },
        "L5": [1, 4, 6, 4, 1].map { $0 / 70.0.squareRoot() },
        "E5": [-1, -2, 0, 2, 1].map { $0 / 10.0.squareRoot() },
        "S5": [-1, 0, 2, 0, -1].map { $0 / 6.0.squareRoot() },
        "W5": [-1, 2, 0, -2, 1].map { $0 / 10.0.squareRoot() },
        "R5": [1, -4, 6, -4, 1].map { $0 / 70.0.squareRoot() },
    ]

    /// "L5E5E5" → ["L5", "E5", "E5"], nil when a part is unknown or the count is not 2 or 3.
    static func parse(_ name: String) -> [String]? {
        let chars = Array(name.uppercased())
        guard chars.count % 2 == 0 else { return nil }
        let parts = stride(from: 0, to: chars.count, by: 2).map { String(chars[$0..<($0 + 2)]) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ kernels[$0] != nil }) else { return nil }
        return parts
    }

    static func apply(_ image: Volume, kernel names: [String], rotationInvariant: Bool, pooling: Pooling,
                      energyDelta: Int?, boundary: BoundaryMode) throws -> Volume {
        let input = try FilterGrid(image)
        let d = names.count
        let rotations = rotationInvariant ? RightAngleRotation.all(dimensions: d) : [RightAngleRotation(source: Array(0..<d), flip: Array(repeating: false, count: d))]
        var cache: [[String]: [Double]] = [:]
        var maps: [[Double]] = []
        for r in rotations {
            // A flipped kernel is the same kernel (symmetric) or its negative (antisymmetric).
            let axisNames = (0..<d).map { names[r.source[$0]] }
            var sign = 1.0
            for a in 0..<d where r.flip[a] && kernels[axisNames[a]]!.first! != kernels[axisNames[a]]!.last! { sign = -sign }
            if cache[axisNames] == nil {
                var g = input
                for a in 0..<d { g.apply(.convolution(kernels[axisNames[a]]!), axis: a, boundary: boundary) }
                cache[axisNames] = g.values
            }
            maps.append(sign == 1 ? cache[axisNames]! : cache[axisNames]!.map { -$0 })
        }
        var response = FilterGrid(size: input.size, values: pooling.pool(maps))
        if let delta = energyDelta {
            response.map { abs($0) }
            let m = 2 * delta + 1
            let window = LineKernel.centred([Double](repeating: 1 / Double(m), count: m))
            for a in 0..<d { response.apply(window, axis: a, boundary: boundary) }
        }
        return try response.volume(like: image)
    }

    static func prefix(_ names: [String], rotationInvariant: Bool, pooling: Pooling, energyDelta: Int?) -> String {
        var p = "laws-\(names.joined())"
        if rotationInvariant { p += "-invariant-\(pooling.rawValue)" }
        if let delta = energyDelta { p += "-energy-delta-\(delta)" }
        return p
    }
}
