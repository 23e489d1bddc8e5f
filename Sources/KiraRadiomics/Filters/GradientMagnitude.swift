import KiraCore

/// pyradiomics' Gradient image type (SimpleITK's GradientMagnitude): central differences
/// (x[i+1] − x[i−1]) / 2, the edge value repeated beyond the image, divided by the spacing
/// unless `gradientUseSpacing: false`; single-precision output as SimpleITK gives it.
enum GradientMagnitude {
    static func apply(_ image: Volume, useSpacing: Bool) throws -> Volume {
        let input = try FilterGrid(image)
        var sum = [Double](repeating: 0, count: input.count)
        for axis in 0..<3 {
            var d = input
            let h = useSpacing ? image.geometry.spacing[axis] : 1
            d.apply(LineKernel(taps: [-0.5 / h, 0.5 / h], offsets: [-1, 1]), axis: axis, boundary: .nearest)
            for i in 0..<sum.count { sum[i] += d.values[i] * d.values[i] }
        }
        return try FilterGrid(size: input.size, values: sum.map { $0.squareRoot() }).volume(like: image, float32: true)
    }
}
