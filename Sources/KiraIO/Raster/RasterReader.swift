import Foundation
import KiraCore

/// Reads 2D raster images (`.png`, `.jpg`/`.jpeg`, `.tif`/`.tiff`) into a single-slice `Volume`.
///
/// - Grey images (8- or 16-bit; TIFF also signed 16-bit and 32-bit float) keep their values
///   and type; an alpha channel is dropped.
/// - Colour images (RGB, RGBA, palette) become grey by the ITU-R BT.601 luma weights
///   `Y = 0.299 R + 0.587 G + 0.114 B`, stored as float32 and recorded in the metadata
///   (`GreyConversion`), unless `keepRGB` is set: then 3 components are kept (palette expanded,
///   alpha dropped) in the file's sample type.
/// - Row 0 of the file is y = 0, the direction is the identity and the origin 0.
/// - Spacing: `spacing` (x, y in mm) when given (`SpacingSource: "user"`), else a TIFF's
///   resolution tags in centimetres or inches when present (recorded), else 1 mm
///   (`SpacingSource: "none"`). The z spacing is 1 mm.
public enum RasterReader {
    public static let lumaWeights: SIMD3<Double> = [0.299, 0.587, 0.114]
    public static let lumaFormula = "ITU-R BT.601 luma: Y = 0.299 R + 0.587 G + 0.114 B"

    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff"]

    public static func read(_ url: URL, spacing: SIMD2<Double>?, keepRGB: Bool = false) throws -> Volume {
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw KiraError.unreadable(path: path, reason: "no such file")
        }
        if let s = spacing, !(s.x > 0 && s.y > 0 && s.x.isFinite && s.y.isFinite) {
            throw KiraError.invalidArgument("\(path): pixel spacing \(s.x) × \(s.y) mm is not positive")
        }
        let decoded: DecodedRaster
        switch try sniff(path, extension: url.pathExtension.lowercased()) {
        case "png": decoded = try RasterBridge.decode(path, codec: .png)
        case "jpeg": decoded = try RasterBridge.decode(path, codec: .jpeg)
        default: decoded = try TIFFBridge.decode(path)
        }
        return try volume(from: decoded, url: url, spacing: spacing, keepRGB: keepRGB)
    }

    /// The format by signature, falling back to the extension; refuses anything else.
    private static func sniff(_ path: String, extension ext: String) throws -> String {
        let head: Data
        do {
            let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? h.close() }
            head = try h.read(upToCount: 8) ?? Data()
        } catch {
            throw KiraError.unreadable(path: path, reason: error.localizedDescription)
        }
        let b = [UInt8](head)
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpeg" }
        if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || b.starts(with: [0x49, 0x49, 0x2B, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2B]) { return "tiff" }
        if b.isEmpty { throw KiraError.truncated(path: path, reason: "empty file") }
        switch ext {
        case "png", "jpg", "jpeg", "tif", "tiff":
            throw KiraError.unsupportedFormat(path: path, reason: "the .\(ext) file does not start with a \(ext.uppercased()) signature")
        default:
            throw KiraError.unsupportedFormat(path: path, reason: "not a PNG, JPEG or TIFF image")
        }
    }

    static func volume(from d: DecodedRaster, url: URL, spacing: SIMD2<Double>?, keepRGB: Bool) throws -> Volume {
        var meta: [String: MetaValue] = [
            "SourceFile": .string(url.lastPathComponent),
            "RasterFormat": .string(d.format),
            "SourceLayout": .string(d.sourceLayout),
            "SourceBitDepth": .integer(d.sourceBitDepth),
        ]
        for (k, v) in d.notes { meta[k] = v }
        let pixelCount = d.width * d.height
        let colour = d.channels >= 3
        if d.channels == 2 || d.channels == 4 { meta["AlphaDropped"] = true }

        var components = 1
        let voxels: VoxelBuffer
        if colour && keepRGB {
            components = 3
            voxels = pick(d.samples, channels: d.channels, keep: 3, pixels: pixelCount)
            meta["ColourKept"] = "RGB"
        } else if colour {
            voxels = .float32(luma(d.samples, channels: d.channels, pixels: pixelCount))
            meta["GreyConversion"] = .string(lumaFormula)
        } else {
            voxels = pick(d.samples, channels: d.channels, keep: 1, pixels: pixelCount)
            if keepRGB { meta["ColourKept"] = "none (grey image)" }
        }

        let pixelSpacing: SIMD2<Double>
        if let s = spacing {
            pixelSpacing = s
            meta["SpacingSource"] = "user"
        } else if let f = d.fileSpacing {
            pixelSpacing = f.spacing
            meta["SpacingSource"] = .string(f.source)
        } else {
            pixelSpacing = [1, 1]
            meta["SpacingSource"] = "none"
        }
        let g = Geometry(size: [d.width, d.height, 1], spacing: [pixelSpacing.x, pixelSpacing.y, 1],
                         origin: [0, 0, 0], direction: .identity)
        let problems = g.validationErrors()
        guard problems.isEmpty else {
            throw KiraError.invalidGeometry(path: url.path, reason: problems.joined(separator: "; "))
        }
        return try Volume(geometry: g, timepoints: 1, components: components, voxels: voxels, metadata: meta)
    }

    /// The first `keep` samples of every pixel.
    /// Grey from the first three channels, one pass over each sample type's own buffer.
    private static func luma(_ s: RasterSamples, channels c: Int, pixels: Int) -> [Float] {
        func grey<T>(_ a: [T], _ value: (T) -> Double) -> [Float] {
            let w = lumaWeights
            return [Float](unsafeUninitializedCapacity: pixels) { out, count in
                a.withUnsafeBufferPointer { s in
                    for i in 0..<pixels {
                        out[i] = Float(w.x * value(s[i * c]) + w.y * value(s[i * c + 1]) + w.z * value(s[i * c + 2]))
                    }
                }
                count = pixels
            }
        }
        switch s {
        case let .uint8(a): return grey(a) { Double($0) }
        case let .uint16(a): return grey(a) { Double($0) }
        case let .int16(a): return grey(a) { Double($0) }
        case let .float32(a): return grey(a) { Double($0) }
        }
    }

    private static func pick(_ s: RasterSamples, channels: Int, keep: Int, pixels: Int) -> VoxelBuffer {
        func sel<T>(_ a: [T]) -> [T] {
            if channels == keep { return a }
            return [T](unsafeUninitializedCapacity: pixels * keep) { out, count in
                a.withUnsafeBufferPointer { s in
                    for i in 0..<pixels { for k in 0..<keep { (out.baseAddress! + i * keep + k).initialize(to: s[i * channels + k]) } }
                }
                count = pixels * keep
            }
        }
        switch s {
        case let .uint8(a): return .uint8(sel(a))
        case let .uint16(a): return .uint16(sel(a))
        case let .int16(a): return .int16(sel(a))
        case let .float32(a): return .float32(sel(a))
        }
    }
}
