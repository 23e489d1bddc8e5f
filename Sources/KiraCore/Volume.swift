/// One image: a 3D grid, optionally repeated over time (DCE phases, echoes), with voxels
/// in one contiguous buffer. Everything downstream of the adapters works on this type.
public struct Volume: Sendable {
    public var geometry: Geometry
    /// Number of time points (t); 1 for a 3D image.
    public var timepoints: Int
    /// Samples per voxel: 1 for grey levels, 3 for RGB kept on request.
    public var components: Int
    public var voxels: VoxelBuffer
    /// Acquisition parameters and provenance for sidecars; never patient identity
    /// unless the reader was asked to keep it.
    public var metadata: [String: MetaValue]

    public init(geometry: Geometry, timepoints: Int = 1, components: Int = 1,
                voxels: VoxelBuffer, metadata: [String: MetaValue] = [:]) throws {
        let expected = geometry.voxelCount * timepoints * components
        guard voxels.count == expected else {
            throw KiraError.invalidData(
                "voxel buffer holds \(voxels.count) values but the grid \(geometry.size.x)×\(geometry.size.y)×\(geometry.size.z)×\(timepoints)×\(components) needs \(expected)")
        }
        self.geometry = geometry
        self.timepoints = timepoints
        self.components = components
        self.voxels = voxels
        self.metadata = metadata
    }

    public var size4D: [Int] { [geometry.size.x, geometry.size.y, geometry.size.z, timepoints] }

    /// Linear index of voxel (x, y, z, t), component 0.
    @inlinable
    public func linearIndex(x: Int, y: Int, z: Int, t: Int = 0) -> Int {
        let s = geometry.size
        return (((t * s.z + z) * s.y + y) * s.x + x) * components
    }

    @inlinable
    public subscript(x: Int, y: Int, z: Int, t: Int) -> Double {
        voxels[linearIndex(x: x, y: y, z: z, t: t)]
    }
}
