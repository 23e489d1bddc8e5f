import KiraCore

/// IBSI-2 mean filter: the average over a cube (3D) or square (2D, in-plane per slice) of
/// `support` voxels a side, centred on the voxel, the image continued by `boundary`
/// (scipy.ndimage.uniform_filter for odd supports).
enum MeanFilter {
    static func apply(_ image: Volume, support: Int, dimensions: Int, boundary: BoundaryMode) throws -> Volume {
        var grid = try FilterGrid(image)
        let kernel = LineKernel.centred([Double](repeating: 1 / Double(support), count: support))
        for axis in 0..<dimensions { grid.apply(kernel, axis: axis, boundary: boundary) }
        return try grid.volume(like: image)
    }

    static func prefix(support: Int, dimensions: Int) -> String { "mean-support-\(support)-\(dimensions)D" }
}
