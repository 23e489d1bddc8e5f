/// What a volume is, without its voxels: enough to name, describe and lay out an output
/// file before (or without) holding the voxels in memory.
public struct VolumeHeader: Sendable {
    public var geometry: Geometry
    public var timepoints: Int
    public var components: Int
    public var scalarType: ScalarType
    public var metadata: [String: MetaValue]

    public init(geometry: Geometry, timepoints: Int = 1, components: Int = 1, scalarType: ScalarType,
                metadata: [String: MetaValue] = [:]) {
        self.geometry = geometry
        self.timepoints = timepoints
        self.components = components
        self.scalarType = scalarType
        self.metadata = metadata
    }

    public var size4D: [Int] { [geometry.size.x, geometry.size.y, geometry.size.z, timepoints] }

    /// Values in one frame (one z-slice of one time point, components included).
    public var frameValues: Int { geometry.size.x * geometry.size.y * components }

    /// Frames in the volume, in storage order (z fastest, then t).
    public var frameCount: Int { geometry.size.z * timepoints }
}

extension Volume {
    public var header: VolumeHeader {
        VolumeHeader(geometry: geometry, timepoints: timepoints, components: components,
                     scalarType: voxels.scalarType, metadata: metadata)
    }
}

/// Receives a volume frame by frame as a reader decodes it, so a series can go to disk
/// without ever being whole in memory. Frames arrive in any order and from several threads
/// at once; every byte of every frame arrives at least once per `begin` (a piece may come
/// again when a reader starts a frame over, with the same values).
public protocol FrameSink: AnyObject, Sendable {
    /// Called before the first frame, and again when the reader starts over in a wider
    /// scalar type (a rescaled series whose values turn out not to fit); frames written
    /// before a repeated `begin` are void.
    func begin(_ header: VolumeHeader) throws
    /// `bytes` belong to frame `index` (storage order), starting `byteOffset` bytes into it,
    /// in the scalar type of the last `begin`. A frame may come whole or in pieces.
    func write(frame index: Int, at byteOffset: Int, _ bytes: UnsafeRawBufferPointer) throws
}

extension FrameSink {
    /// A whole frame.
    public func write(frame index: Int, _ bytes: UnsafeRawBufferPointer) throws {
        try write(frame: index, at: 0, bytes)
    }
}
