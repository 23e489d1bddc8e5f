/// Neighbour directions: the 13 unique 3D directions (each with its opposite implied), the
/// first 4 of which lie in the slice plane.
enum Directions {
    static let all3D: [SIMD3<Int>] = [
        [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, -1, 0],
        [0, 0, 1], [1, 0, 1], [1, 0, -1], [0, 1, 1], [0, 1, -1],
        [1, 1, 1], [1, 1, -1], [1, -1, 1], [1, -1, -1],
    ]
    static let inPlane: [SIMD3<Int>] = Array(all3D.prefix(4))
}

/// Which voxels a matrix counts: one slice (2D) or the whole grid (3D).
enum TextureRegion: Sendable {
    case slice(Int)
    case volume

    func zRange(_ nz: Int) -> Range<Int> {
        switch self {
        case let .slice(z): z..<(z + 1)
        case .volume: 0..<nz
        }
    }

    var isSlice: Bool { if case .slice = self { return true }; return false }
}
