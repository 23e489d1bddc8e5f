import Foundation
import KiraCore

/// pyradiomics' voxel-wise image types (Square, SquareRoot, Logarithm, Exponential), each
/// rescaled by the image's largest absolute value as pyradiomics defines them; output in
/// double precision as pyradiomics keeps it.
enum IntensityTransform: String, Sendable {
    case square, squareroot, logarithm, exponential

    func apply(_ image: Volume, kind: ImageTypeSpec.Kind) throws -> Volume {
        var grid = try FilterGrid(image)
        let maxAbs = grid.values.reduce(0) { max($0, abs($1)) }
        guard maxAbs > 0, maxAbs.isFinite else {
            throw KiraError.invalidArgument("imageType \(kind.rawValue): the image's largest absolute value is \(maxAbs); the transform's scaling needs a finite non-zero one")
        }
        switch self {
        case .square:
            let c = 1 / maxAbs.squareRoot()
            grid.map { let t = c * $0; return t * t }
        case .squareroot:
            grid.map { $0 > 0 ? ($0 * maxAbs).squareRoot() : $0 < 0 ? -(-$0 * maxAbs).squareRoot() : $0 }
        case .logarithm:
            grid.map { $0 > 0 ? log($0 + 1) : $0 < 0 ? -log(-($0 - 1)) : $0 }
            let logMax = grid.values.reduce(0) { max($0, abs($1)) }
            let scale = maxAbs / logMax
            grid.map { $0 * scale }
        case .exponential:
            let c = log(maxAbs) / maxAbs
            grid.map { exp(c * $0) }
        }
        return try grid.volume(like: image)
    }
}
