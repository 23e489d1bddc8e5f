import KiraCore

/// Where a resampled grid sits relative to the original one. The policy is written into
/// every output so a reader knows which convention produced the voxels.
public enum GridPolicy: String, Sendable, CaseIterable, Codable {
    /// Keep the original origin and direction (ITK / pyradiomics style): voxel (0,0,0) stays put.
    case origin
    /// IBSI: the new grid is centred on the centre of the original grid.
    case center
}

/// The output grid of a resampling: same direction cosines, new spacing, and a size that
/// covers the original extent (IBSI rounds the fractional size up).
public enum ResampleGrid {
    /// `spacing` entries that are 0 or negative keep the original spacing along that axis
    /// (for in-plane 2D resampling such as IBSI configuration B). A grid whose Float32 voxels
    /// would exceed `AllocationBudget` is refused; `source` names the image in that error.
    public static func make(from g: Geometry, spacing requested: SIMD3<Double>, policy: GridPolicy,
                            source: String = "the image") throws -> Geometry {
        var newSpacing = g.spacing
        var newSize = g.size
        var startIndex = SIMD3<Double>(repeating: 0)
        let oldSize = SIMD3<Double>(Double(g.size.x), Double(g.size.y), Double(g.size.z))
        for a in 0..<3 {
            guard requested[a] > 0 else { continue }
            newSpacing[a] = requested[a]
            // The tiny slack keeps an exact ratio such as 3 mm → 1 mm from rounding up to one voxel more.
            let extent = (oldSize[a] * g.spacing[a] / requested[a] - 1e-9).rounded(.up)
            guard let whole = AllocationBudget.count(extent) else {
                throw KiraError.tooLarge(subject: "resampled grid of \(source)",
                                         reason: "axis \(a): \(g.size[a]) voxels of \(g.spacing[a]) mm at \(requested[a]) mm give \(extent) voxels")
            }
            let n = max(1, whole)
            newSize[a] = n
            if policy == .center {
                // Index (in the old grid) of the new grid's first voxel, so both grid centres coincide.
                startIndex[a] = 0.5 * (oldSize[a] - 1) - 0.5 * Double(n - 1) * requested[a] / g.spacing[a]
            }
        }
        try AllocationBudget.check("resampled grid of \(source) (spacing \(requested.x), \(requested.y), \(requested.z) mm)",
                                   size: newSize, elementBytes: MemoryLayout<Float>.size)
        var out = g
        out.spacing = newSpacing
        out.size = newSize
        out.origin = g.physicalPoint(index: startIndex)
        return out
    }
}
