import Foundation
import KiraCore

/// IBSI-2 Laplacian of Gaussian: ∇²G with the Gaussian sampled per axis on a kernel of radius
/// ⌊truncate·σ/h + ½⌋ voxels (σ in mm, h the axis' spacing), normalised to unit sum, the
/// second derivative taken as G·(x²/σ⁴ − 1/σ²) (scipy.ndimage's Gaussian kernels), applied
/// separably and summed over the axes in mm⁻² (each axis' term divided by h²). Not
/// scale-normalised (IBSI-2's kernel, unlike pyradiomics' σ²-normalised LoG).
enum GaussianLoG {
    static func apply(_ image: Volume, sigma: Double, truncate: Double, boundary: BoundaryMode) throws -> Volume {
        let input = try FilterGrid(image)
        let spacing = image.geometry.spacing
        var sum = [Double](repeating: 0, count: input.count)
        for d in 0..<3 {
            var work = input
            for a in 0..<3 {
                let sv = sigma / spacing[a]
                work.apply(.centred(kernel(sigma: sv, order: a == d ? 2 : 0, truncate: truncate)), axis: a, boundary: boundary)
            }
            let w = 1 / (spacing[d] * spacing[d])
            for i in 0..<sum.count { sum[i] += w * work.values[i] }
        }
        return try FilterGrid(size: input.size, values: sum).volume(like: image)
    }

    /// Sampled Gaussian (order 0) or its second derivative (order 2), σ in voxels.
    static func kernel(sigma: Double, order: Int, truncate: Double) -> [Double] {
        let radius = Int(truncate * sigma + 0.5)
        let xs = (-radius...radius).map(Double.init)
        var phi = xs.map { exp(-0.5 / (sigma * sigma) * $0 * $0) }
        let total = phi.reduce(0, +)
        phi = phi.map { $0 / total }
        if order == 2 {
            let s2 = sigma * sigma
            phi = zip(phi, xs).map { p, x in p * (x * x / (s2 * s2) - 1 / s2) }
        }
        return phi
    }

    static func prefix(_ sigma: MetaValue) -> String {
        RecursiveLoG.prefix(sigma).replacingOccurrences(of: "log-sigma-", with: "log-ibsi-sigma-")
    }
}
