import Foundation
import KiraCore

/// Output voxel types; integers clamp, so an out-of-range stored value cannot wrap.
protocol OutputSample: SendableMetatype {
    static func from(_ v: Int32) -> Self
    static func from(_ v: Double) -> Self
    /// Lets integer outputs take dcmtk's decoded frame in place; false for float.
    static func decodeDirect(_ d: FrameDecoder, frame: FrameInfo, to dst: UnsafeMutablePointer<Self>, invert: Bool,
                             rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange) throws -> Bool
    /// `decodeDirect` in bands handed to `emit` (band, index of its first sample); false for float.
    static func decodeDirectBands(_ d: FrameDecoder, frame: FrameInfo, bandBytes: Int, invert: Bool,
                                  rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange,
                                  emit: (UnsafeBufferPointer<Self>, Int) throws -> Void) throws -> Bool
}

extension OutputSample where Self: FixedWidthInteger {
    static func decodeDirect(_ d: FrameDecoder, frame: FrameInfo, to dst: UnsafeMutablePointer<Self>, invert: Bool,
                             rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange) throws -> Bool {
        try d.decodeDirect(frame: frame.frame, tile: frame.tile, into: dst, invert: invert, rescale: rescale, range: &range)
    }

    static func decodeDirectBands(_ d: FrameDecoder, frame: FrameInfo, bandBytes: Int, invert: Bool,
                                  rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange,
                                  emit: (UnsafeBufferPointer<Self>, Int) throws -> Void) throws -> Bool {
        try d.decodeDirectBands(frame: frame.frame, tile: frame.tile, bandBytes: bandBytes, invert: invert,
                                rescale: rescale, range: &range, emit: emit)
    }
}

/// Smallest and largest output value seen, before clamping to the output type.
struct ValueRange: Sendable {
    var lo = Int64.max
    var hi = Int64.min
    mutating func merge(_ o: ValueRange) { lo = min(lo, o.lo); hi = max(hi, o.hi) }
    func fits<T: FixedWidthInteger>(_: T.Type) -> Bool { lo > hi || (lo >= Int64(T.min) && hi <= Int64(T.max)) }
}

/// `v` rounded, saturating at Int's ends (NaN → 0): a rescale slope such as 1e300 that passes
/// as an integer made `Int(_:)` trap on the product (found by fuzzing).
@inline(__always) func saturatingInt(_ v: Double) -> Int {
    let r = v.rounded()
    if r >= 0x1p63 { return .max }
    if r < -0x1p63 { return .min }
    return r.isNaN ? 0 : Int(r)
}

extension UInt8: OutputSample {
    static func from(_ v: Int32) -> UInt8 { UInt8(clamping: v) }
    static func from(_ v: Double) -> UInt8 { UInt8(clamping: saturatingInt(v)) }
}
extension Int16: OutputSample {
    static func from(_ v: Int32) -> Int16 { Int16(clamping: v) }
    static func from(_ v: Double) -> Int16 { Int16(clamping: saturatingInt(v)) }
}
extension UInt16: OutputSample {
    static func from(_ v: Int32) -> UInt16 { UInt16(clamping: v) }
    static func from(_ v: Double) -> UInt16 { UInt16(clamping: saturatingInt(v)) }
}
extension Int32: OutputSample {
    static func from(_ v: Int32) -> Int32 { v }
    static func from(_ v: Double) -> Int32 { Int32(clamping: saturatingInt(v)) }
}
extension Float: OutputSample {
    static func decodeDirect(_ d: FrameDecoder, frame: FrameInfo, to dst: UnsafeMutablePointer<Float>, invert: Bool,
                             rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange) throws -> Bool { false }
    static func decodeDirectBands(_ d: FrameDecoder, frame: FrameInfo, bandBytes: Int, invert: Bool,
                                  rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange,
                                  emit: (UnsafeBufferPointer<Float>, Int) throws -> Void) throws -> Bool { false }
    static func from(_ v: Int32) -> Float { Float(v) }
    static func from(_ v: Double) -> Float { Float(v) }
}

/// Turns one frame of stored samples into output voxels: MONOCHROME1 inversion,
/// rescale, colour model conversion and luminance.
enum SampleWriter {
    static func write<T: OutputSample>(_ s: [Int32], model: String, header h: FileHeader, frame f: FrameInfo,
                                       plan: OutputPlan, palette: Palette?, to dst: UnsafeMutablePointer<T>,
                                       range: inout ValueRange) throws {
        let npix = h.rows * h.columns
        switch plan.colour {
        case .monochrome:
            let spp = h.samplesPerPixel
            let inv: Int32? = plan.invert ? (h.pixelRepresentation == 1 ? -1 : Int32((Int64(1) << Int64(min(h.bitsStored, 31))) - 1)) : nil
            if plan.integerRescale {
                // Integer slope and intercept: exact in Int64, no rounding needed.
                let a = Int64(f.slope), b = Int64(f.intercept)
                var lo = range.lo, hi = range.hi
                for i in 0..<npix {
                    var v = s[i * spp]
                    if let inv { v = inv - v }
                    let r = Int64(v) * a + b
                    lo = min(lo, r); hi = max(hi, r)
                    dst[i] = T.from(Int32(clamping: r))
                }
                range.lo = lo; range.hi = hi
            } else if plan.rescale {
                let a = f.slope, b = f.intercept
                for i in 0..<npix {
                    var v = s[i * spp]
                    if let inv { v = inv - v }
                    dst[i] = T.from(Double(v) * a + b)
                }
            } else if let inv {
                for i in 0..<npix { dst[i] = T.from(inv - s[i * spp]) }
            } else {
                for i in 0..<npix { dst[i] = T.from(s[i * spp]) }
            }
        case .palette:
            guard let palette else { throw KiraError.invalidData("\(h.url.path): palette missing") }
            for i in 0..<npix { emit(palette.lookup(s[i]), i, plan, dst) }
        case .rgb:
            guard s.count >= npix * 3 else { throw KiraError.invalidData("\(h.url.path): colour frame has \(s.count) samples") }
            if model.hasPrefix("YBR_FULL") && model != "YBR_FULL_422" || model == "YBR_FULL" {
                // Full-range YCbCr (ITU-R BT.601), as PS3.3 C.7.6.3.1.2 defines YBR_FULL.
                let half = Double(1 << (h.bitsStored - 1)), top = Double((1 << h.bitsStored) - 1)
                for i in 0..<npix {
                    let y = Double(s[3 * i]), cb = Double(s[3 * i + 1]) - half, cr = Double(s[3 * i + 2]) - half
                    let r = min(top, max(0, y + 1.402 * cr))
                    let g = min(top, max(0, y - 0.344136 * cb - 0.714136 * cr))
                    let b = min(top, max(0, y + 1.772 * cb))
                    emit((r, g, b), i, plan, dst)
                }
            } else if model == "RGB" {
                for i in 0..<npix { emit((Double(s[3 * i]), Double(s[3 * i + 1]), Double(s[3 * i + 2])), i, plan, dst) }
            } else {
                throw KiraError.unsupportedFormat(path: h.url.path, reason: "decoded colour model \(model) is not supported")
            }
        }
    }

    @inline(__always)
    private static func emit<T: OutputSample>(_ c: (Double, Double, Double), _ i: Int, _ plan: OutputPlan, _ dst: UnsafeMutablePointer<T>) {
        if plan.components == 3 {
            dst[3 * i] = T.from(c.0); dst[3 * i + 1] = T.from(c.1); dst[3 * i + 2] = T.from(c.2)
        } else {
            // ITU-R BT.601 luma weights.
            dst[i] = T.from(0.299 * c.0 + 0.587 * c.1 + 0.114 * c.2)
        }
    }
}
