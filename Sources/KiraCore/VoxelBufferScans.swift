/// Whole-buffer passes on the stored type: no conversion of the image to doubles first,
/// and no per-voxel switch over the storage case (the subscript's cost in a hot loop).
extension VoxelBuffer {
    /// Number of non-zero voxels.
    public func nonZeroCount() -> Int {
        func count<T: Numeric>(_ a: [T]) -> Int {
            a.withUnsafeBufferPointer { p in
                var n = 0
                // Branch-free so the loop vectorises.
                for x in p { n &+= x != 0 ? 1 : 0 }
                return n
            }
        }
        return switch self {
        case let .uint8(a): Self.nonZeroBytes(a)
        case let .int16(a): count(a)
        case let .uint16(a): count(a)
        case let .int32(a): count(a)
        case let .float32(a): count(a)
        case let .float64(a): count(a)
        }
    }

    /// Non-zero bytes counted eight at a time (masks are uint8 and counted often): a byte's
    /// high bit in `(w & 0x7F…) + 0x7F…) | w` is set exactly when the byte is non-zero.
    static func nonZeroBytes(_ a: [UInt8]) -> Int {
        a.withUnsafeBytes { raw in
            let words = raw.count / 8
            let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F, high: UInt64 = 0x8080_8080_8080_8080
            var n = 0
            for k in 0..<words {
                let w = raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)
                n &+= ((((w & low) &+ low) | w) & high).nonzeroBitCount
            }
            for i in (8 * words)..<raw.count where raw[i] != 0 { n &+= 1 }
            return n
        }
    }

    /// Non-zero voxels as 1, others 0 (NaN counts as non-zero, as `x != 0` says).
    public func nonZeroMask() -> [UInt8] { mapNonZero(one: 1, zero: 0) }

    /// Non-zero voxels as true.
    public func nonZeroFlags() -> [Bool] { mapNonZero(one: true, zero: false) }

    private func mapNonZero<R>(one: R, zero: R) -> [R] {
        func map<T: Numeric>(_ a: [T]) -> [R] {
            [R](unsafeUninitializedCapacity: a.count) { out, n in
                a.withUnsafeBufferPointer { p in
                    for i in 0..<p.count { out.initializeElement(at: i, to: p[i] != 0 ? one : zero) }
                }
                n = a.count
            }
        }
        return switch self {
        case let .uint8(a): map(a)
        case let .int16(a): map(a)
        case let .uint16(a): map(a)
        case let .int32(a): map(a)
        case let .float32(a): map(a)
        case let .float64(a): map(a)
        }
    }

    /// NaN and infinite voxels where `mask` is non-zero (same length as the buffer). Integer
    /// buffers have none.
    public func nonFiniteCounts(inside mask: [UInt8]) -> (nan: Int, infinite: Int) {
        func scan<T: BinaryFloatingPoint>(_ a: [T]) -> (Int, Int) {
            precondition(a.count == mask.count)
            var nan = 0, inf = 0
            a.withUnsafeBufferPointer { p in
                mask.withUnsafeBytes { m in
                    // The region is a small part of the grid: the mask is read eight bytes at
                    // a time, and only voxels of words holding the region are looked at.
                    var i = 0
                    while i < p.count {
                        if i + 8 <= p.count, m.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8; continue }
                        if m[i] != 0 && !p[i].isFinite {
                            if p[i].isNaN { nan += 1 } else { inf += 1 }
                        }
                        i += 1
                    }
                }
            }
            return (nan, inf)
        }
        return switch self {
        case let .float32(a): scan(a)
        case let .float64(a): scan(a)
        default: (0, 0)
        }
    }

    /// Sum (in voxel order, as a Double accumulator), minimum and maximum of all voxels.
    /// NaN voxels make the sum NaN and are skipped by min/max, as `Swift.min`/`Swift.max` do.
    public func sumMinMax() -> (sum: Double, min: Double, max: Double) {
        func scan<T>(_ a: [T], _ d: (T) -> Double) -> (Double, Double, Double) {
            var s = 0.0, lo = Double.infinity, hi = -Double.infinity
            a.withUnsafeBufferPointer { p in
                for x in p {
                    let v = d(x)
                    s += v; lo = Swift.min(lo, v); hi = Swift.max(hi, v)
                }
            }
            return (s, lo, hi)
        }
        return switch self {
        case let .uint8(a): scan(a) { Double($0) }
        case let .int16(a): scan(a) { Double($0) }
        case let .uint16(a): scan(a) { Double($0) }
        case let .int32(a): scan(a) { Double($0) }
        case let .float32(a): scan(a) { Double($0) }
        case let .float64(a): scan(a) { $0 }
        }
    }

    /// The voxels of the box `lo ..< lo + size` of a grid of `gridSize` (x fastest), as doubles.
    public func doubles(box lo: SIMD3<Int>, size: SIMD3<Int>, gridSize: SIMD3<Int>) -> [Double] {
        func pick<T>(_ a: [T], _ d: (T) -> Double) -> [Double] {
            let n = size.x * size.y * size.z
            return [Double](unsafeUninitializedCapacity: n) { out, count in
                a.withUnsafeBufferPointer { p in
                    var j = 0
                    for z in lo.z..<(lo.z + size.z) {
                        for y in lo.y..<(lo.y + size.y) {
                            let row = (z * gridSize.y + y) * gridSize.x + lo.x
                            for x in 0..<size.x { out[j] = d(p[row + x]); j += 1 }
                        }
                    }
                }
                count = n
            }
        }
        return switch self {
        case let .uint8(a): pick(a) { Double($0) }
        case let .int16(a): pick(a) { Double($0) }
        case let .uint16(a): pick(a) { Double($0) }
        case let .int32(a): pick(a) { Double($0) }
        case let .float32(a): pick(a) { Double($0) }
        case let .float64(a): pick(a) { $0 }
        }
    }

    /// The same box as a buffer of the stored type; every time point and component of a
    /// voxel is kept (interleaved components, time slowest).
    public func cropped(box lo: SIMD3<Int>, size: SIMD3<Int>, gridSize: SIMD3<Int>,
                        timepoints: Int = 1, components c: Int = 1) -> VoxelBuffer {
        func pick<T>(_ a: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(size.x * size.y * size.z * timepoints * c)
            for t in 0..<timepoints {
                for z in lo.z..<(lo.z + size.z) {
                    for y in lo.y..<(lo.y + size.y) {
                        let row = (((t * gridSize.z + z) * gridSize.y + y) * gridSize.x + lo.x) * c
                        out.append(contentsOf: a[row..<(row + size.x * c)])
                    }
                }
            }
            return out
        }
        return switch self {
        case let .uint8(a): .uint8(pick(a))
        case let .int16(a): .int16(pick(a))
        case let .uint16(a): .uint16(pick(a))
        case let .int32(a): .int32(pick(a))
        case let .float32(a): .float32(pick(a))
        case let .float64(a): .float64(pick(a))
        }
    }
}

extension Volume {
    /// The box `lo ..< lo + size` as a volume of the same type, placed where it was.
    public func cropped(lo: SIMD3<Int>, size: SIMD3<Int>) throws -> Volume {
        var g = geometry
        g.origin = geometry.physicalPoint(index: lo)
        g.size = size
        return try Volume(geometry: g, timepoints: timepoints, components: components,
                          voxels: voxels.cropped(box: lo, size: size, gridSize: geometry.size,
                                                 timepoints: timepoints, components: components),
                          metadata: metadata)
    }
}

/// Inclusive bounding box of the non-zero voxels of a mask on a grid of `size` (x fastest);
/// nil for an empty mask. Scans whole rows with a fast skip of empty ones.
public func nonZeroBoundingBox(_ mask: [UInt8], size: SIMD3<Int>) -> (lo: SIMD3<Int>, hi: SIMD3<Int>)? {
    var lo = SIMD3(Int.max, Int.max, Int.max), hi = SIMD3(-1, -1, -1)
    mask.withUnsafeBufferPointer { p in
        var row = 0
        for z in 0..<size.z {
            for y in 0..<size.y {
                var first = -1, last = -1
                for x in 0..<size.x where p[row + x] != 0 {
                    if first < 0 { first = x }
                    last = x
                }
                if first >= 0 {
                    lo = pointwiseMin(lo, SIMD3(first, y, z)); hi = pointwiseMax(hi, SIMD3(last, y, z))
                }
                row += size.x
            }
        }
    }
    return hi.x < 0 ? nil : (lo, hi)
}
