import Foundation
import KiraCore

/// Reads a label map (`.nii`, `.nii.gz`, `.nrrd`, `.nhdr`; 2D rasters also work) and turns it
/// into a uint8 binary mask (1 inside, 0 outside).
///
/// - `label` nil: every non-zero voxel is inside; otherwise voxels equal to `label`.
///   A label absent from the file is an error listing the labels present.
/// - Values must be integers (float files holding whole numbers are accepted).
/// - `image`: the grid the mask must lie on. Any difference beyond
///   `GeometryTolerance.standard` throws `.gridMismatch` naming both files and each difference
///   (size, spacing, origin distance in mm, direction angle). No resampling is done.
///
/// Metadata: `SourceFile`, `MaskLabel` (the label or "non-zero"), `MaskLabelsPresent`,
/// `MaskVoxelCount`.
public enum MaskReader {
    public static func read(_ url: URL, label: Int?, matching image: Geometry?, imagePath: String?) throws -> Volume {
        let path = url.path
        if let label, label == 0 {
            throw KiraError.invalidArgument("mask label 0 is the background; choose a non-zero label for \(path)")
        }
        return try mask(from: try ImageFileReader.readLabels(url), url: url, label: label, matching: image, imagePath: imagePath)
    }

    /// `read` on a label map already read from `url` (e.g. read while the image is read too).
    /// A byte label map handed over whole becomes the mask in place.
    public static func mask(from source: consuming Volume, url: URL, label: Int?, matching image: Geometry?, imagePath: String?) throws -> Volume {
        let path = url.path
        if let label, label == 0 {
            throw KiraError.invalidArgument("mask label 0 is the background; choose a non-zero label for \(path)")
        }
        guard source.components == 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "a mask must have one value per voxel; this file has \(source.components) components")
        }
        guard source.timepoints == 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "a mask must be 3D; this file has \(source.timepoints) time points")
        }
        if let image { try checkGrid(source.geometry, of: path, on: image, imagePath: imagePath) }
        let counts = try labelCounts(source.voxels, path: path)
        let present = counts.keys.filter { $0 != 0 }.sorted()
        let presentText = present.isEmpty ? "none (the mask is empty)" : present.map(String.init).joined(separator: ", ")
        if let label {
            guard counts[label, default: 0] > 0 else {
                throw KiraError.invalidArgument("mask \(path) has no voxel with label \(label); labels present: \(presentText)")
            }
        } else if present.isEmpty {
            throw KiraError.invalidArgument("mask \(path) has no non-zero voxels")
        }
        let geometry = source.geometry
        let voxels = source.voxels
        source.voxels = .uint8([])
        let mask = binary(consume voxels, label: label)
        let inside = label.map { counts[$0, default: 0] } ?? present.reduce(0) { $0 + counts[$1, default: 0] }
        let meta: [String: MetaValue] = [
            "SourceFile": .string(url.lastPathComponent),
            "MaskLabel": label.map { .integer($0) } ?? .string("non-zero"),
            "MaskLabelsPresent": .array(present.map { .integer($0) }),
            "MaskVoxelCount": .integer(inside),
        ]
        return try Volume(geometry: geometry, voxels: .uint8(mask), metadata: meta)
    }

    /// `.gridMismatch` naming both files and each difference when `mask` (from `path`) is not
    /// on the image's grid within `GeometryTolerance.standard`.
    public static func checkGrid(_ mask: Geometry, of path: String, on image: Geometry, imagePath: String?) throws {
        let differences = mask.differences(from: image, tolerance: .standard)
        if !differences.isEmpty {
            throw KiraError.gridMismatch(mask: path, image: imagePath ?? "the image", differences: differences)
        }
    }

    /// Number of voxels per integer value; throws on a non-integer value. Counted in an array
    /// indexed by value (or, for a very wide range, by sorting), not by hashing every voxel.
    static func labelCounts(_ v: VoxelBuffer, path: String) throws -> [Int: Int] {
        func floats<T: BinaryFloatingPoint>(_ a: [T]) throws -> [Int: Int] {
            if let i = a.firstIndex(where: { !($0.isFinite && $0.rounded() == $0 && abs(Double($0)) < 1e15) }) {
                throw KiraError.unsupportedFormat(path: path, reason: "a label map must hold whole numbers; voxel \(i) is \(a[i])")
            }
            return tally(a.map { Int($0) })
        }
        switch v {
        case let .uint8(a): return tally(a)
        case let .int16(a): return tally(a)
        case let .uint16(a): return tally(a)
        case let .int32(a): return tally(a)
        case let .float32(a): return try floats(a)
        case let .float64(a): return try floats(a)
        }
    }

    /// Counts per value: in an array over the values' range when it is small (one pass for
    /// the range, one to count), otherwise by sorting.
    @inline(__always)
    static func tally<T: FixedWidthInteger>(_ a: [T]) -> [Int: Int] {
        a.withUnsafeBufferPointer { p -> [Int: Int] in
            guard var lo = p.first else { return [:] }
            var hi = lo
            for x in p { lo = Swift.min(lo, x); hi = Swift.max(hi, x) }
            let base = Int(lo), span = Int(hi) - base
            var out: [Int: Int] = [:]
            guard span < 1 << 22 else {
                let sorted = p.sorted()
                var i = 0
                while i < sorted.count {
                    var j = i
                    while j < sorted.count && sorted[j] == sorted[i] { j += 1 }
                    out[Int(sorted[i])] = j - i
                    i = j
                }
                return out
            }
            // A label map is mostly background: blocks of 32 zeros are counted at once (one
            // vectorised OR each). Other blocks go into four interleaved tallies, because one
            // counter incremented voxel after voxel waits on its own previous store each time.
            let width = span + 1
            var c = [Int](repeating: 0, count: 4 * width)
            c.withUnsafeMutableBufferPointer { c in
                let q = c.baseAddress!
                let n = p.count, blocks = n / 32
                var zeros = 0
                for b in 0..<blocks {
                    let s = b &* 32
                    var any: T = 0
                    for i in 0..<32 { any |= p[s &+ i] }
                    if any == 0 { zeros &+= 32; continue }
                    for k in stride(from: s, to: s &+ 32, by: 4) {
                        q[Int(p[k]) &- base] &+= 1
                        q[width &+ Int(p[k &+ 1]) &- base] &+= 1
                        q[2 &* width &+ Int(p[k &+ 2]) &- base] &+= 1
                        q[3 &* width &+ Int(p[k &+ 3]) &- base] &+= 1
                    }
                }
                for i in (32 * blocks)..<n { q[Int(p[i]) &- base] &+= 1 }
                // Zeros were seen, so 0 lies in [lo, hi].
                if zeros > 0 { q[0 &- base] &+= zeros }
            }
            for i in 0..<width {
                let n = c[i] + c[width + i] + c[2 * width + i] + c[3 * width + i]
                if n > 0 { out[i + base] = n }
            }
            return out
        }
    }

    static func binary(_ v: consuming VoxelBuffer, label: Int?) -> [UInt8] {
        /// `out[i]` = 1 where `p[i]` is inside; `out` may be `p`'s own storage (byte maps).
        func mark<T: FixedWidthInteger>(_ p: UnsafeBufferPointer<T>, equalTo label: Int?, _ out: UnsafeMutableBufferPointer<UInt8>) {
            if let label {
                // A label the type cannot hold matches no voxel.
                if let t = T(exactly: label) {
                    for i in 0..<p.count { out[i] = p[i] == t ? 1 : 0 }
                } else {
                    for i in 0..<p.count { out[i] = 0 }
                }
            } else {
                for i in 0..<p.count { out[i] = p[i] != 0 ? 1 : 0 }
            }
        }
        func inside<T: FixedWidthInteger>(_ a: [T], equalTo label: Int?) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: a.count) { out, n in
                a.withUnsafeBufferPointer { mark($0, equalTo: label, out) }
                n = a.count
            }
        }
        func inside<T: BinaryFloatingPoint>(_ a: [T], equalTo label: Int?) -> [UInt8] {
            if let label {
                let l = Double(label)
                return a.map { Double($0) == l ? 1 : 0 }
            }
            return a.map { $0 != 0 ? 1 : 0 }
        }
        switch consume v {
        case var .uint8(a):
            // Rewritten in place: the array is unique when the caller handed its buffer over.
            if label != 0 {
                // A mask is mostly 0, which stays 0 (no label is 0 here): words of eight zero
                // bytes are stepped over, and only the others are rewritten byte by byte.
                let wanted = label.map { UInt8(exactly: $0) }
                a.withUnsafeMutableBytes { b in
                    var i = 0
                    while i < b.count {
                        if i + 8 <= b.count, b.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8; continue }
                        let v = b[i]
                        switch wanted {
                        case nil: b[i] = v != 0 ? 1 : 0
                        case let t??: b[i] = v == t ? 1 : 0
                        case .some(nil): b[i] = 0   // a label a byte cannot hold matches no voxel
                        }
                        i += 1
                    }
                }
            } else {
                a.withUnsafeMutableBufferPointer { mark(UnsafeBufferPointer($0), equalTo: label, $0) }
            }
            return a
        case let .int16(a): return inside(a, equalTo: label)
        case let .uint16(a): return inside(a, equalTo: label)
        case let .int32(a): return inside(a, equalTo: label)
        case let .float32(a): return inside(a, equalTo: label)
        case let .float64(a): return inside(a, equalTo: label)
        }
    }
}
