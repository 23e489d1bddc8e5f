import KiraCore

/// The region of interest cut out of the image: the bounding box of the masks, widened by a
/// margin (local intensity needs the image around the ROI), as contiguous buffers, x fastest.
///
/// IBSI keeps two masks: the morphological mask (shape, mesh, GLDZM distances) and the
/// intensity mask (the morphological mask after re-segmentation: every intensity and texture
/// feature). Both live here side by side on the same cropped grid.
public struct ROIGrid: Sendable {
    public let nx: Int, ny: Int, nz: Int
    /// Voxel spacing in mm (x, y, z).
    public let spacing: SIMD3<Double>
    /// Index of this grid's first voxel in the source image.
    public let offset: SIMD3<Int>
    public let intensities: [Double]
    public let morphologicalMask: [Bool]
    public let intensityMask: [Bool]

    public var count: Int { nx * ny * nz }
    public var sliceCount: Int { nx * ny }

    @inline(__always) public func index(_ x: Int, _ y: Int, _ z: Int) -> Int { (z * ny + y) * nx + x }

    public var morphologicalVoxelCount: Int { morphologicalMask.reduce(0) { $0 + ($1 ? 1 : 0) } }
    public var intensityVoxelCount: Int { intensityMask.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Intensities of the intensity mask, in grid order.
    public var roiIntensities: [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        for i in 0..<count where intensityMask[i] { out.append(intensities[i]) }
        return out
    }

    public init(nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>, offset: SIMD3<Int> = .zero,
                intensities: [Double], morphologicalMask: [Bool], intensityMask: [Bool]) {
        precondition(intensities.count == nx * ny * nz && morphologicalMask.count == intensities.count
                     && intensityMask.count == intensities.count)
        self.nx = nx; self.ny = ny; self.nz = nz
        self.spacing = spacing
        self.offset = offset
        self.intensities = intensities
        self.morphologicalMask = morphologicalMask
        self.intensityMask = intensityMask
    }

    /// Cuts the ROI out of `image`.
    ///
    /// - `morphologicalMask`: non-zero inside; must be on the image grid.
    /// - `intensityMask`: non-zero inside, or nil to derive it from the morphological mask by
    ///   the re-segmentation range `[lower, upper]` (either bound may be nil).
    /// - `margin`: voxels kept around the masks' bounding box, per axis.
    /// - `gridOffset`: index of `image`'s first voxel in the grid it was cut from, so that
    ///   `offset` (and the mesh's coordinates) do not depend on an earlier crop.
    public static func extract(image: Volume, morphologicalMask: Volume, intensityMask: Volume? = nil,
                               resegmentation: (lower: Double?, upper: Double?) = (nil, nil),
                               margin: SIMD3<Int> = .zero, gridOffset: SIMD3<Int> = .zero) throws -> ROIGrid {
        guard image.components == 1, image.timepoints == 1 else {
            throw KiraError.invalidArgument("radiomics needs a 3D grey-level image; this one has \(image.timepoints) time points and \(image.components) components")
        }
        let g = image.geometry
        for (name, mask) in [("morphological mask", morphologicalMask)] + (intensityMask.map { [("intensity mask", $0)] } ?? []) {
            guard mask.geometry.size == g.size, mask.voxels.count == g.voxelCount else {
                throw KiraError.invalidArgument("the \(name) grid \(mask.geometry.size) does not match the image grid \(g.size)")
            }
        }
        // Masks as bytes and the image only over the box: the passes over the whole grid
        // touch one byte per voxel, never a converted copy of the image.
        func bytes(_ v: Volume) -> [UInt8] {
            if case let .uint8(a) = v.voxels { return a }
            return v.voxels.nonZeroMask()
        }
        let morph = bytes(morphologicalMask)
        let inten = intensityMask.map(bytes)
        var union = morph
        if let inten { for k in union.indices where inten[k] != 0 { union[k] = 1 } }
        guard let box = nonZeroBoundingBox(union, size: g.size) else {
            throw KiraError.invalidArgument("the mask is empty: no voxel inside the region of interest")
        }
        let lo = pointwiseMax(box.lo &- margin, .zero)
        let hi = pointwiseMin(box.hi &+ margin, g.size &- 1)
        let n = hi &- lo &+ 1
        let count = n.x * n.y * n.z
        let values = image.voxels.doubles(box: lo, size: n, gridSize: g.size)
        var m = [Bool](repeating: false, count: count)
        var im = [Bool](repeating: false, count: count)
        var nanCount = 0
        var j = 0
        for z in lo.z...hi.z {
            for y in lo.y...hi.y {
                var src = (z * g.size.y + y) * g.size.x + lo.x
                for _ in 0..<n.x {
                    let v = values[j]
                    let inMorph = morph[src] != 0
                    m[j] = inMorph
                    var inInt = inten.map { $0[src] != 0 } ?? inMorph
                    if inInt && intensityMask == nil {
                        if let l = resegmentation.lower, !(v >= l) { inInt = false }
                        if let u = resegmentation.upper, !(v <= u) { inInt = false }
                    }
                    if inInt && !v.isFinite { nanCount += 1 }
                    im[j] = inInt
                    src += 1; j += 1
                }
            }
        }
        if nanCount > 0 {
            throw KiraError.invalidData("the image has \(nanCount) non-finite (NaN or infinite) voxel(s) inside the region of interest")
        }
        let roi = ROIGrid(nx: n.x, ny: n.y, nz: n.z, spacing: g.spacing, offset: gridOffset &+ lo,
                          intensities: values, morphologicalMask: m, intensityMask: im)
        if roi.intensityVoxelCount == 0 {
            throw KiraError.invalidArgument("no voxel of the region of interest is left after re-segmentation to [\(resegmentation.lower.map { "\($0)" } ?? "-inf"), \(resegmentation.upper.map { "\($0)" } ?? "inf")]")
        }
        return roi
    }
}
