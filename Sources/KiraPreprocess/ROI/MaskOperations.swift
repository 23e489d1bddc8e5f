import KiraCore

/// Morphology on binary masks by exact Euclidean distance (in mm, honouring anisotropic
/// spacing, or in voxel units), and the regions the seed studies extract features from.
public enum MaskOperations {
    /// How far a dilation or erosion reaches.
    public enum Reach: Sendable, Equatable {
        case millimetres(Double)
        /// A Euclidean ball of N voxels (index units), e.g. 10 voxels on ultrasound.
        case voxels(Double)

        var radius: Double {
            switch self {
            case let .millimetres(d): d
            case let .voxels(n): n
            }
        }

        func spacing(_ g: Geometry) -> SIMD3<Double> {
            switch self {
            case .millimetres: g.spacing
            case .voxels: [1, 1, 1]
            }
        }

        public var description: String {
            switch self {
            case let .millimetres(d): "\(d) mm"
            case let .voxels(n): "\(n) voxels"
            }
        }
    }

    /// The 0/1 voxels of a mask volume (any non-zero voxel is inside).
    public static func binary(_ mask: Volume) -> [UInt8] {
        (0..<mask.geometry.voxelCount).map { mask.voxels[$0] != 0 ? 1 : 0 }
    }

    static func volume(_ values: [UInt8], like mask: Volume, note: String) throws -> Volume {
        var meta = mask.metadata
        meta["MaskOperation"] = .string(note)
        return try Volume(geometry: mask.geometry, voxels: .uint8(values), metadata: meta)
    }

    static func requireMask(_ mask: Volume, _ what: String) throws -> [UInt8] {
        guard mask.timepoints == 1, mask.components == 1 else {
            throw KiraError.invalidArgument("\(what): the mask must be one 3D scalar volume")
        }
        let b = binary(mask)
        guard b.contains(1) else { throw KiraError.invalidArgument("\(what): the mask is empty") }
        return b
    }

    /// Voxels within `reach` of the mask (distance between voxel centres ≤ reach), mask included.
    public static func dilate(_ mask: Volume, by reach: Reach) throws -> Volume {
        let b = try requireMask(mask, "dilate")
        let g = mask.geometry
        let d2 = EuclideanDistanceTransform.squaredDistances(to: b, size: g.size, spacing: reach.spacing(g))
        let r2 = reach.radius * reach.radius * (1 + 1e-12)
        return try volume(d2.map { $0 <= r2 ? 1 : 0 }, like: mask, note: "dilated by \(reach.description)")
    }

    /// Mask voxels farther than `reach` from every background voxel. Voxels beyond the image
    /// edge are not background (ITK's default), so a mask is not eaten from the image border.
    public static func erode(_ mask: Volume, by reach: Reach) throws -> Volume {
        let b = try requireMask(mask, "erode")
        let g = mask.geometry
        let d2 = EuclideanDistanceTransform.squaredDistancesToBackground(of: b, size: g.size, spacing: reach.spacing(g))
        let r2 = reach.radius * reach.radius * (1 + 1e-12)
        return try volume(d2.map { $0 > r2 ? 1 : 0 }, like: mask, note: "eroded by \(reach.description)")
    }

    /// The peritumoral ring: the dilation minus the tumour, clipped to the image (the grid is
    /// the image's, so nothing lies outside it).
    public static func ring(_ mask: Volume, width reach: Reach) throws -> Volume {
        let b = try requireMask(mask, "ring")
        let dilated = binary(try dilate(mask, by: reach))
        return try volume(zip(dilated, b).map { $0 == 1 && $1 == 0 ? 1 : 0 }, like: mask,
                          note: "peritumoral ring of \(reach.description)")
    }

    /// The largest 26-connected component (ties: the one met first in scan order).
    public static func largestComponent(_ mask: Volume) throws -> Volume {
        let b = try requireMask(mask, "largest component")
        let (labels, sizes) = ConnectedComponents.label(b, size: mask.geometry.size)
        let keep = Int32((sizes.indices.max { sizes[$0] < sizes[$1] || (sizes[$0] == sizes[$1] && $0 > $1) } ?? 0) + 1)
        return try volume(labels.map { $0 == keep ? 1 : 0 }, like: mask,
                          note: "largest of \(sizes.count) components (26-connected)")
    }

    /// A binary mask of the voxels carrying any of `labels`; the error lists labels present.
    public static func selectLabels(_ labelVolume: Volume, _ labels: Set<Int>) throws -> Volume {
        let n = labelVolume.geometry.voxelCount
        var out = [UInt8](repeating: 0, count: n)
        var present = Set<Int>()
        for i in 0..<n {
            let v = Int(labelVolume.voxels[i])
            if v != 0 { present.insert(v) }
            if labels.contains(v) { out[i] = 1 }
        }
        guard out.contains(1) else {
            let list = present.sorted().map(String.init).joined(separator: ", ")
            throw KiraError.invalidArgument("no voxel has label \(labels.sorted().map(String.init).joined(separator: ", ")); labels present: \(list.isEmpty ? "none" : list)")
        }
        return try volume(out, like: labelVolume, note: "labels \(labels.sorted())")
    }
}
