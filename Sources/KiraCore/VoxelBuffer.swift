/// The scalar type voxels are kept in; integer types keep DICOM's stored values exactly
/// and at their original size, float types hold rescaled or computed data.
public enum ScalarType: String, Sendable, Codable, CaseIterable {
    case uint8, int16, uint16, int32, float32, float64

    public var byteSize: Int {
        switch self {
        case .uint8: 1
        case .int16, .uint16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    public var isInteger: Bool { self != .float32 && self != .float64 }
}

/// Contiguous voxel storage, x fastest, then y, z, t; colour components innermost.
public enum VoxelBuffer: Sendable, Equatable {
    case uint8([UInt8])
    case int16([Int16])
    case uint16([UInt16])
    case int32([Int32])
    case float32([Float])
    case float64([Double])

    public var scalarType: ScalarType {
        switch self {
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .float32: .float32
        case .float64: .float64
        }
    }

    public var count: Int {
        switch self {
        case let .uint8(a): a.count
        case let .int16(a): a.count
        case let .uint16(a): a.count
        case let .int32(a): a.count
        case let .float32(a): a.count
        case let .float64(a): a.count
        }
    }

    public subscript(i: Int) -> Double {
        switch self {
        case let .uint8(a): Double(a[i])
        case let .int16(a): Double(a[i])
        case let .uint16(a): Double(a[i])
        case let .int32(a): Double(a[i])
        case let .float32(a): Double(a[i])
        case let .float64(a): a[i]
        }
    }

    public func toDoubles() -> [Double] {
        switch self {
        case let .uint8(a): a.map(Double.init)
        case let .int16(a): a.map(Double.init)
        case let .uint16(a): a.map(Double.init)
        case let .int32(a): a.map(Double.init)
        case let .float32(a): a.map(Double.init)
        case let .float64(a): a
        }
    }

    public func toFloats() -> [Float] {
        switch self {
        case let .uint8(a): a.map(Float.init)
        case let .int16(a): a.map(Float.init)
        case let .uint16(a): a.map(Float.init)
        case let .int32(a): a.map(Float.init)
        case let .float32(a): a
        case let .float64(a): a.map(Float.init)
        }
    }

    /// Minimum and maximum, or nil for an empty buffer.
    public func range() -> (min: Double, max: Double)? {
        func mm<T: Comparable>(_ a: [T], _ f: (T) -> Double) -> (Double, Double)? {
            guard var lo = a.first else { return nil }
            var hi = lo
            for v in a { if v < lo { lo = v } else if v > hi { hi = v } }
            return (f(lo), f(hi))
        }
        switch self {
        case let .uint8(a): return mm(a) { Double($0) }
        case let .int16(a): return mm(a) { Double($0) }
        case let .uint16(a): return mm(a) { Double($0) }
        case let .int32(a): return mm(a) { Double($0) }
        case let .float32(a): return mm(a) { Double($0) }
        case let .float64(a): return mm(a) { $0 }
        }
    }

    /// Calls `body` with the raw bytes of the storage (native byte order).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case let .uint8(a): try a.withUnsafeBytes(body)
        case let .int16(a): try a.withUnsafeBytes(body)
        case let .uint16(a): try a.withUnsafeBytes(body)
        case let .int32(a): try a.withUnsafeBytes(body)
        case let .float32(a): try a.withUnsafeBytes(body)
        case let .float64(a): try a.withUnsafeBytes(body)
        }
    }
}
