import Foundation
import KiraCore

/// Decodes frames of one file into stored sample values (pixel-interleaved Int32), with
/// bits-stored masking, sign extension and planar configuration resolved.
final class FrameDecoder {
    let header: FileHeader
    /// dcmtk's handle on the file: the scan's, or the file parsed again when first needed.
    private var dcmtk: DcmtkFile?
    /// True when `dcmtk` came from the scan and goes back to it.
    private var borrowed = false
    /// Native greyscale frames, read without dcmtk; nil when dcmtk decodes every frame.
    private let native: NativeFrames?
    private var scratch: [UInt8] = []
    private(set) var palette: Palette?

    init(header: FileHeader, needsPalette: Bool) throws {
        self.header = header
        if let open = header.openFile?.take() {
            dcmtk = open
            borrowed = true
        }
        native = needsPalette ? nil : NativeFrames(header)
        if needsPalette { palette = try Palette(try file(), path: header.url.path) }
    }

    deinit {
        if borrowed, let dcmtk { header.openFile?.giveBack(dcmtk) }
    }

    /// The dcmtk handle, parsing the file if the scan kept none open.
    private func file() throws -> DcmtkFile {
        if let dcmtk { return dcmtk }
        do {
            let f = try DcmtkFile(url: header.url, maxReadLength: 4096)
            dcmtk = f
            return f
        } catch {
            throw Self.kiraError(error, path: header.url.path)
        }
    }

    static func kiraError(_ e: DcmtkFailure, path: String) -> KiraError {
        switch e {
        case let .truncated(m): .truncated(path: path, reason: m)
        case let .notDICOM(m): .unsupportedFormat(path: path, reason: m)
        case let .notFound(m), let .other(m):
            m.contains("premature") || m.contains("end of stream") ? .truncated(path: path, reason: m) : .unreadable(path: path, reason: m)
        }
    }

    /// Decodes `frame` into `out` (rows*columns*samples values); returns the colour model
    /// of the samples ("RGB" once a decoder has converted YCbCr).
    func decode(frame: Int, tile: Int?, into out: inout [Int32]) throws -> String {
        guard let tile, let per = header.mosaicTilesPerRow else { return try decode(frame: frame, into: &out) }
        if cachedFrame != frame {
            cachedModel = try decode(frame: frame, into: &mosaic)
            cachedFrame = frame
        }
        let h = header, spp = h.samplesPerPixel
        let tr = h.rows, tc = h.columns
        if out.count != tr * tc * spp { out = [Int32](repeating: 0, count: tr * tc * spp) }
        let y0 = (tile / per) * tr, x0 = (tile % per) * tc
        for y in 0..<tr {
            let src = ((y0 + y) * h.storedColumns + x0) * spp
            for x in 0..<(tc * spp) { out[y * tc * spp + x] = mosaic[src + x] }
        }
        return cachedModel
    }

    /// Decodes a greyscale frame straight into the output when the output type has the
    /// stored sample size: dcmtk writes into `dst` (or, for a mosaic tile, into a buffer
    /// holding the whole mosaic, decoded once), then masking, sign extension, MONOCHROME1
    /// inversion and an integer rescale happen on the way, and `range` takes in the
    /// values before clamping to T. Returns false when the frame needs the general path
    /// (colour, JPEG 2000, odd byte count).
    func decodeDirect<T: FixedWidthInteger>(frame: Int, tile: Int?, into dst: UnsafeMutablePointer<T>, invert: Bool,
                                            rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange) throws -> Bool {
        guard let conversion = DirectConversion(header, T.self, tile: tile, invert: invert, rescale: rescale) else { return false }
        let h = header
        let bytes = conversion.bytes
        let stored = h.storedRows * h.storedColumns
        func convert(_ src: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<T>, _ n: Int) {
            conversion.apply(src, out, n, range: &range)
        }
        guard let tile, let per = h.mosaicTilesPerRow else {
            let raw = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(dst), count: stored * bytes)
            _ = try decodeRaw(frame, into: raw)
            convert(raw.baseAddress!, dst, stored)
            return true
        }
        if mosaicRawFrame != frame {
            if mosaicRaw.count < stored * bytes { mosaicRaw = [UInt8](repeating: 0, count: stored * bytes) }
            do {
                _ = try mosaicRaw.withUnsafeMutableBytes { b in
                    try decodeRaw(frame, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<(stored * bytes)]))
                }
            } catch {
                mosaicRawFrame = -1
                throw error
            }
            mosaicRawFrame = frame
        }
        let tr = h.rows, tc = h.columns
        let y0 = (tile / per) * tr, x0 = (tile % per) * tc
        mosaicRaw.withUnsafeMutableBytes { m in
            for y in 0..<tr {
                convert(m.baseAddress! + ((y0 + y) * h.storedColumns + x0) * bytes, dst + y * tc, tc)
            }
        }
        return true
    }

    /// `decodeDirect` a band at a time, for output that goes to disk frame by frame: `emit`
    /// gets each band of output values with the index of its first sample, in order. False,
    /// before any band, when the frame must be decoded whole (see `decodeDirect`, and
    /// `DcmtkFile.decodeFrameBands`), or when decoding failed part-way: dcmtk's more lenient
    /// decoder then gets the whole frame, whose output replaces the bands already emitted.
    func decodeDirectBands<T: FixedWidthInteger>(frame: Int, tile: Int?, bandBytes: Int, invert: Bool,
                                                 rescale: (slope: Int64, intercept: Int64)?, range: inout ValueRange,
                                                 emit: (UnsafeBufferPointer<T>, Int) throws -> Void) throws -> Bool {
        guard tile == nil, let conversion = DirectConversion(header, T.self, tile: tile, invert: invert, rescale: rescale) else {
            return false
        }
        let capacity = max(1, bandBytes / conversion.bytes)
        let band = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        defer { band.deallocate() }
        var bandRange = ValueRange()
        do {
            let done = try decodeBands(frame, bandBytes: capacity * conversion.bytes) { samples, first, count in
                guard count <= capacity else { throw KiraError.invalidData("\(self.header.url.path): a band of \(count) samples overflows its buffer") }
                conversion.apply(UnsafeMutableRawPointer(mutating: samples), band, count, range: &bandRange)
                try emit(UnsafeBufferPointer(start: band, count: count), first)
            }
            if done { range.merge(bandRange) }
            return done
        } catch is DcmtkFailure {
            return false
        }
    }

    /// `DcmtkFile.decodeFrameBands`, with native frames read a band at a time from the file.
    private func decodeBands(_ frame: Int, bandBytes: Int, _ body: (UnsafeRawPointer, Int, Int) throws -> Void) throws -> Bool {
        guard let native else { return try file().decodeFrameBands(frame, bandBytes: bandBytes, body) }
        let bytes = header.bitsAllocated / 8
        let pixels = native.frameBytes / bytes
        let bandPixels = max(1, bandBytes / bytes)
        let band = UnsafeMutableRawPointer.allocate(byteCount: min(pixels, bandPixels) * bytes, alignment: 16)
        defer { band.deallocate() }
        for first in stride(from: 0, to: pixels, by: bandPixels) {
            let n = min(bandPixels, pixels - first)
            // As when dcmtk's band reader fails: the whole frame is decoded instead.
            guard native.read(frame: frame, from: first * bytes, count: n * bytes, into: band) else { return false }
            try body(UnsafeRawPointer(band), first, n)
        }
        return true
    }

    private var mosaicRaw: [UInt8] = []
    private var mosaicRawFrame = -1

    /// Stored bit pattern (R) → value (bits below `shift` dropped, `bits` kept, sign-extended
    /// when signed) → a·v + b → T, clamped. R and T have the same size; src may be dst.
    @inline(__always)
    fileprivate static func storedToOutput<R: FixedWidthInteger & UnsignedInteger, T: FixedWidthInteger>(
        _ src: UnsafeMutablePointer<R>, _ dst: UnsafeMutablePointer<T>, _ n: Int, shift: Int, bits: Int, signed: Bool,
        a: Int64, b: Int64, range: inout ValueRange
    ) {
        // Masking shifts and wrapping arithmetic keep the loops free of overflow checks,
        // so they vectorise; Int32 is used whenever |a|·2^bits + |b| cannot overflow it.
        if bits <= 16, a.magnitude < 1 << 31, b.magnitude < 1 << 32,
           a.magnitude << UInt64(bits) + b.magnitude < UInt64(Int32.max) {
            let a32 = Int32(a), b32 = Int32(b)
            if R.self == UInt16.self, T.self == Int16.self || T.self == UInt16.self {
                let lowest = Int32(T.min), highest = Int32(T.max)
                let (lo, hi) = Self.convert16(UnsafeRawPointer(src), UnsafeMutableRawPointer(dst), n, shift: shift, bits: bits,
                                              signed: signed, a: a32, b: b32, lowest: lowest, highest: highest)
                if n > 0 { range.lo = min(range.lo, Int64(lo)); range.hi = max(range.hi, Int64(hi)) }
                return
            }
            let s32 = UInt32(shift), mask = UInt32((1 << bits) - 1), ext = UInt32(32 - bits)
            var lo = Int32.max, hi = Int32.min
            if signed {
                for i in 0..<n {
                    let u = (UInt32(truncatingIfNeeded: src[i]) &>> s32) & mask
                    let v = (Int32(bitPattern: u &<< ext) &>> Int32(ext)) &* a32 &+ b32
                    lo = min(lo, v); hi = max(hi, v)
                    dst[i] = T(clamping: v)
                }
            } else {
                for i in 0..<n {
                    let v = Int32(bitPattern: (UInt32(truncatingIfNeeded: src[i]) &>> s32) & mask) &* a32 &+ b32
                    lo = min(lo, v); hi = max(hi, v)
                    dst[i] = T(clamping: v)
                }
            }
            if n > 0 { range.lo = min(range.lo, Int64(lo)); range.hi = max(range.hi, Int64(hi)) }
            return
        }
        var lo = range.lo, hi = range.hi
        let s = UInt64(shift)
        let mask: UInt64 = (1 << UInt64(bits)) - 1
        let ext = UInt64(64 - bits)
        for i in 0..<n {
            let u = (UInt64(truncatingIfNeeded: src[i]) &>> s) & mask
            let w = signed ? Int64(bitPattern: u &<< ext) &>> Int64(ext) : Int64(bitPattern: u)
            let v = w * a + b
            lo = min(lo, v); hi = max(hi, v)
            dst[i] = T(clamping: v)
        }
        range.lo = lo; range.hi = hi
    }

    /// The 16-bit case (CT, MR, mammography), eight samples at a time with SIMD types;
    /// the output is 16-bit, clamped to [lowest, highest]. Returns the unclamped range.
    private static func convert16(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ n: Int, shift: Int, bits: Int,
                                  signed: Bool, a: Int32, b: Int32, lowest: Int32, highest: Int32) -> (Int32, Int32) {
        let s = UInt32(shift), mask = UInt32((1 << bits) - 1), ext = UInt32(32 - bits)
        let vs = SIMD8<UInt32>(repeating: s), vmask = SIMD8<UInt32>(repeating: mask), vext = SIMD8<UInt32>(repeating: ext)
        let va = SIMD8<Int32>(repeating: a), vb = SIMD8<Int32>(repeating: b)
        let vlow = SIMD8<Int32>(repeating: lowest), vhigh = SIMD8<Int32>(repeating: highest)
        var vlo = SIMD8<Int32>(repeating: .max), vhi = SIMD8<Int32>(repeating: .min)
        var i = 0
        while i + 8 <= n {
            let raw = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            let u = (SIMD8<UInt32>(truncatingIfNeeded: raw) &>> vs) & vmask
            var v = signed ? SIMD8<Int32>(truncatingIfNeeded: u &<< vext) &>> SIMD8<Int32>(truncatingIfNeeded: vext)
                           : SIMD8<Int32>(truncatingIfNeeded: u)
            v = v &* va &+ vb
            vlo = pointwiseMin(vlo, v)
            vhi = pointwiseMax(vhi, v)
            let c = pointwiseMax(pointwiseMin(v, vhigh), vlow)
            dst.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: c), toByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            i += 8
        }
        var lo = vlo.min(), hi = vhi.max()
        while i < n {
            let u = (UInt32(src.load(fromByteOffset: 2 * i, as: UInt16.self)) &>> s) & mask
            var v = signed ? Int32(bitPattern: u &<< ext) &>> Int32(ext) : Int32(bitPattern: u)
            v = v &* a &+ b
            lo = min(lo, v); hi = max(hi, v)
            dst.storeBytes(of: UInt16(truncatingIfNeeded: max(lowest, min(highest, v))), toByteOffset: 2 * i, as: UInt16.self)
            i += 1
        }
        return (lo, hi)
    }

    private var mosaic: [Int32] = []
    private var cachedFrame = -1
    private var cachedModel = ""

    private func decode(frame: Int, into out: inout [Int32]) throws -> String {
        let h = header
        let npix = h.storedRows * h.storedColumns
        let spp = h.samplesPerPixel
        if out.count != npix * spp { out = [Int32](repeating: 0, count: npix * spp) }
        if OutputPlan.jpeg2000.contains(h.transferSyntax) {
            return try decodeJ2K(frame: frame, into: &out)
        }
        let bytes = max(1, h.bitsAllocated / 8)
        let need = (npix * spp * bytes + 1) & ~1
        if scratch.count < need { scratch = [UInt8](repeating: 0, count: need) }
        let model = try decodeRaw(frame)
        // dcmtk's JPEG decoders are registered to emit colour-by-pixel.
        let ts = h.transferSyntax
        let fromJPEG = ts.hasPrefix("1.2.840.10008.1.2.4.")
        let planar = spp > 1 && !fromJPEG && h.planarConfiguration == 1
        let shift = max(0, h.highBit + 1 - h.bitsStored)
        let bitsStored = min(h.bitsStored, h.bitsAllocated)
        let mask: UInt32 = bitsStored >= 32 ? .max : (1 << UInt32(bitsStored)) - 1
        let signBit: UInt32 = bitsStored >= 32 ? 0 : 1 << UInt32(bitsStored - 1)
        let signed = h.pixelRepresentation == 1
        let full: Int64 = 1 << Int64(bitsStored)
        scratch.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                @inline(__always) func put(_ i: Int, _ u: UInt32) {
                    var v = (u >> UInt32(shift)) & mask
                    if signed && signBit != 0 && v & signBit != 0 {
                        dst[i] = Int32(truncatingIfNeeded: Int64(v) - full)
                        return
                    }
                    if signed && bitsStored >= 32 { dst[i] = Int32(bitPattern: v); return }
                    v = min(v, UInt32(Int32.max))
                    dst[i] = Int32(v)
                }
                let n = npix * spp
                switch bytes {
                case 1:
                    let p = raw.bindMemory(to: UInt8.self)
                    // Colour and palette frames are mostly whole bytes in pixel order.
                    if !planar && shift == 0 && !signed && bitsStored == 8 {
                        for i in 0..<n { dst[i] = Int32(p[i]) }
                    } else {
                        for i in 0..<n { put(planar ? (i % npix) * spp + i / npix : i, UInt32(p[i])) }
                    }
                case 2:
                    let p = raw.bindMemory(to: UInt16.self)
                    if !planar && shift == 0 && !signed && bitsStored == 16 {
                        for i in 0..<n { dst[i] = Int32(p[i]) }
                    } else {
                        for i in 0..<n { put(planar ? (i % npix) * spp + i / npix : i, UInt32(p[i])) }
                    }
                default:
                    let p = raw.bindMemory(to: UInt32.self)
                    for i in 0..<n { put(planar ? (i % npix) * spp + i / npix : i, p[i]) }
                }
            }
        }
        return model.isEmpty ? h.photometric : model.uppercased()
    }

    private func decodeRaw(_ frame: Int) throws -> String {
        try scratch.withUnsafeMutableBytes { try decodeRaw(frame, into: $0) }
    }

    /// One stored frame into `raw` as dcmtk gives it; returns dcmtk's colour model, empty
    /// for a native frame read directly (its model is the header's).
    private func decodeRaw(_ frame: Int, into raw: UnsafeMutableRawBufferPointer) throws -> String {
        if let native, raw.count >= native.frameBytes,
           native.read(frame: frame, count: native.frameBytes, into: raw.baseAddress!) {
            return ""
        }
        let f = try file()
        do {
            return try f.decodeFrame(frame, into: raw)
        } catch {
            throw Self.kiraError(error, path: header.url.path)
        }
    }

    /// Frames of at least this many samples are decoded on every core. Such a frame (a
    /// radiograph) is mostly a series of its own, decoded by one worker while the other
    /// cores wait; smaller frames come many to a series and keep the cores busy already.
    static let threadedJ2KSamples = 1 << 19

    private func openJ2K(frame: Int) throws -> J2KImage {
        let f = try file()
        let samples = header.storedRows * header.storedColumns * header.samplesPerPixel
        let threads = samples >= Self.threadedJ2KSamples ? ProcessInfo.processInfo.activeProcessorCount : 1
        do {
            return try J2KImage(try f.encapsulatedFrame(frame, of: header.numberOfFrames), threads: threads)
        } catch {
            throw Self.kiraError(error, path: header.url.path)
        }
    }

    private func decodeJ2K(frame: Int, into out: inout [Int32]) throws -> String {
        let h = header
        let img = try openJ2K(frame: frame)
        guard img.width == h.storedColumns, img.height == h.storedRows, img.components >= h.samplesPerPixel else {
            throw KiraError.invalidData("\(h.url.path): JPEG 2000 frame \(frame + 1) is \(img.width)×\(img.height)×\(img.components), header says \(h.columns)×\(h.rows)×\(h.samplesPerPixel)")
        }
        let spp = h.samplesPerPixel
        let signed = h.pixelRepresentation == 1
        let bits = min(h.bitsStored, 31)
        let full = Int32(1) << Int32(bits), half = full >> 1
        // Some encoders store signed data as unsigned codestreams: sign-extend those.
        let extend = signed && !img.isSigned
        for c in 0..<spp {
            guard let src = img.component(c) else {
                throw KiraError.unsupportedFormat(path: h.url.path, reason: "JPEG 2000 component \(c) is subsampled")
            }
            for i in 0..<src.count {
                let v = src[i]
                out[i * spp + c] = extend && v >= half ? v - full : v
            }
        }
        withExtendedLifetime(img) {}
        // OpenJPEG applies the inverse colour transform of YBR_RCT/YBR_ICT itself.
        return spp == 3 ? "RGB" : h.photometric
    }
}

/// How stored samples become output values in `decodeDirect`: which bits are kept, sign,
/// MONOCHROME1 inversion and an integer rescale.
private struct DirectConversion<T: FixedWidthInteger> {
    let bytes: Int
    let shift: Int
    let bits: Int
    let signed: Bool
    let identity: Bool
    let a: Int64
    let b: Int64

    /// Nil when the frame needs the general path (colour, JPEG 2000, odd byte count, a
    /// mosaic without its tile layout, an output type of another size).
    init?(_ h: FileHeader, _: T.Type, tile: Int?, invert: Bool, rescale: (slope: Int64, intercept: Int64)?) {
        let bytes = h.bitsAllocated / 8
        let stored = h.storedRows * h.storedColumns
        guard h.samplesPerPixel == 1, MemoryLayout<T>.size == bytes, (stored * bytes) % 2 == 0,
              !OutputPlan.jpeg2000.contains(h.transferSyntax), tile == nil || h.mosaicTilesPerRow != nil else { return nil }
        self.bytes = bytes
        bits = min(h.bitsStored, h.bitsAllocated)
        shift = max(0, h.highBit + 1 - bits)
        signed = h.pixelRepresentation == 1
        identity = bits == h.bitsAllocated && shift == 0 && T.isSigned == signed && !invert && rescale == nil
        // Inversion folds into the rescale: a·(inv − v) + b = (−a)·v + (a·inv + b).
        let inv: Int64 = signed ? -1 : (Int64(1) << Int64(bits)) - 1
        var a = rescale?.slope ?? 1, b = rescale?.intercept ?? 0
        if invert { b += a * inv; a = -a }
        self.a = a
        self.b = b
    }

    func apply(_ src: UnsafeMutableRawPointer, _ out: UnsafeMutablePointer<T>, _ n: Int, range: inout ValueRange) {
        if identity {
            if src != UnsafeMutableRawPointer(out) { UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: n * bytes) }
            return
        }
        switch bytes {
        case 1: FrameDecoder.storedToOutput(src.assumingMemoryBound(to: UInt8.self), out, n, shift: shift, bits: bits, signed: signed, a: a, b: b, range: &range)
        case 2: FrameDecoder.storedToOutput(src.assumingMemoryBound(to: UInt16.self), out, n, shift: shift, bits: bits, signed: signed, a: a, b: b, range: &range)
        default: FrameDecoder.storedToOutput(src.assumingMemoryBound(to: UInt32.self), out, n, shift: shift, bits: bits, signed: signed, a: a, b: b, range: &range)
        }
    }
}

