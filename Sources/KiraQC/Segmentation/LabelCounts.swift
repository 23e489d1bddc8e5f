import KiraCore

/// The distinct values of a label map and how many voxels hold each.
public struct LabelCount: Sendable, Equatable {
    public var value: Double
    public var voxels: Int
}

public enum LabelCounts {
    /// Every distinct finite value (0 included), ascending, and the number of NaN or infinite voxels.
    public static func of(_ v: VoxelBuffer) -> (labels: [LabelCount], nonFinite: Int) {
        func table<T: BinaryInteger>(_ a: [T], offset: Int, range: Int) -> ([LabelCount], Int) {
            var c = [Int](repeating: 0, count: range)
            a.withUnsafeBufferPointer { for x in $0 { c[Int(x) + offset] += 1 } }
            return (c.indices.filter { c[$0] > 0 }.map { LabelCount(value: Double($0 - offset), voxels: c[$0]) }, 0)
        }
        func hashed(_ values: some Sequence<Double>) -> ([LabelCount], Int) {
            var counts: [Double: Int] = [:]
            var nonFinite = 0
            // Label maps hold long runs of one value; skip the hash for repeats.
            var last = Double.nan, run = 0
            for x in values {
                guard x.isFinite else { nonFinite += 1; continue }
                if x == last { run += 1; continue }
                if run > 0 { counts[last, default: 0] += run }
                last = x; run = 1
            }
            if run > 0 { counts[last, default: 0] += run }
            return (counts.map { LabelCount(value: $0.key, voxels: $0.value) }.sorted { $0.value < $1.value }, nonFinite)
        }
        switch v {
        case let .uint8(a): return table(a, offset: 0, range: 256)
        case let .int16(a): return table(a, offset: 32768, range: 65536)
        case let .uint16(a): return table(a, offset: 0, range: 65536)
        case let .int32(a): return hashed(a.lazy.map(Double.init))
        case let .float32(a): return hashed(a.lazy.map(Double.init))
        case let .float64(a): return hashed(a)
        }
    }

    /// 1 where the value is non-zero (or equal to `label` when given), else 0.
    public static func binary(_ v: VoxelBuffer, label: Double? = nil) -> [UInt8] {
        func map<T: BinaryInteger>(_ a: [T]) -> [UInt8] {
            if let label { return a.map { Double($0) == label ? 1 : 0 } }
            return a.map { $0 != 0 ? 1 : 0 }
        }
        func mapF<T: BinaryFloatingPoint>(_ a: [T]) -> [UInt8] {
            if let label { return a.map { Double($0) == label ? 1 : 0 } }
            return a.map { $0 != 0 ? 1 : 0 }
        }
        switch v {
        case let .uint8(a): return map(a)
        case let .int16(a): return map(a)
        case let .uint16(a): return map(a)
        case let .int32(a): return map(a)
        case let .float32(a): return mapF(a)
        case let .float64(a): return mapF(a)
        }
    }
}
