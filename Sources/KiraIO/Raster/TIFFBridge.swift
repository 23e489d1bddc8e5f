import CTiff
import Foundation
import KiraCore

/// The only Swift owner of a libtiff `TIFF *` and of the buffer its error handler writes
/// into; closes the file, then frees the buffer, on deinit.
private final class TIFFHandle {
    let tif: OpaquePointer
    private let messageBuffer: UnsafeMutablePointer<CChar>

    init(path: String) throws {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(KIRA_TIFF_MESSAGE_SIZE))
        buffer.initialize(repeating: 0, count: Int(KIRA_TIFF_MESSAGE_SIZE))
        guard let t = kira_tiff_open(path, buffer) else {
            let message = String(cString: buffer)
            buffer.deallocate()
            throw KiraError.unsupportedFormat(path: path, reason: "libtiff cannot open it as TIFF: \(message.isEmpty ? "unknown error" : message)")
        }
        tif = t
        messageBuffer = buffer
    }

    deinit {
        TIFFClose(tif)
        messageBuffer.deallocate()
    }

    /// The first error libtiff reported, if any.
    var message: String { String(cString: messageBuffer) }

    func u32(_ tag: Int32) -> UInt32? {
        var v: UInt32 = 0
        return kira_tiff_get_u32(tif, UInt32(tag), &v) == 1 ? v : nil
    }

    func u16(_ tag: Int32, defaulted: Bool = false) -> UInt16? {
        var v: UInt16 = 0
        let ok = defaulted ? kira_tiff_get_u16_defaulted(tif, UInt32(tag), &v) : kira_tiff_get_u16(tif, UInt32(tag), &v)
        return ok == 1 ? v : nil
    }

    func float(_ tag: Int32) -> Float? {
        var v: Float = 0
        return kira_tiff_get_float(tif, UInt32(tag), &v) == 1 ? v : nil
    }

    /// The colour map's three 2^bits-entry tables, copied out of libtiff's storage.
    func colormap(bits: Int) -> (r: [UInt16], g: [UInt16], b: [UInt16])? {
        var r: UnsafeMutablePointer<UInt16>?
        var g: UnsafeMutablePointer<UInt16>?
        var b: UnsafeMutablePointer<UInt16>?
        guard kira_tiff_get_colormap(tif, &r, &g, &b) == 1, let r, let g, let b else { return nil }
        let n = 1 << bits
        return (Array(UnsafeBufferPointer(start: r, count: n)), Array(UnsafeBufferPointer(start: g, count: n)),
                Array(UnsafeBufferPointer(start: b, count: n)))
    }

    var extraSampleCount: Int {
        var count: UInt16 = 0
        var types: UnsafeMutablePointer<UInt16>?
        return kira_tiff_get_extrasamples(tif, &count, &types) == 1 ? Int(count) : 0
    }
}

/// TIFF decoding through libtiff: the first image of the file, 8/16-bit unsigned, 16-bit
/// signed or 32-bit float grey, 8/16-bit RGB(A) and 8-bit palette images, stripped or tiled,
/// contiguous or planar.
enum TIFFBridge {
    static func decode(_ path: String) throws -> DecodedRaster {
        let h = try TIFFHandle(path: path)
        func fail(_ reason: String) -> KiraError {
            let lib = h.message
            return .unsupportedFormat(path: path, reason: lib.isEmpty ? reason : "\(reason) (libtiff: \(lib))")
        }
        guard let w = h.u32(TIFFTAG_IMAGEWIDTH), let ht = h.u32(TIFFTAG_IMAGELENGTH), w > 0, ht > 0 else {
            throw fail("TIFF image width or length missing")
        }
        let width = Int(w), height = Int(ht)
        let bits = Int(h.u16(TIFFTAG_BITSPERSAMPLE, defaulted: true) ?? 1)
        let spp = Int(h.u16(TIFFTAG_SAMPLESPERPIXEL, defaulted: true) ?? 1)
        let format = Int32(h.u16(TIFFTAG_SAMPLEFORMAT, defaulted: true) ?? UInt16(SAMPLEFORMAT_UINT))
        let planar = Int32(h.u16(TIFFTAG_PLANARCONFIG, defaulted: true) ?? UInt16(PLANARCONFIG_CONTIG))
        guard let photometricTag = h.u16(TIFFTAG_PHOTOMETRIC) else { throw fail("TIFF has no PhotometricInterpretation tag") }
        let photometric = Int32(photometricTag)

        var layout: String
        switch (photometric, spp) {
        case (PHOTOMETRIC_MINISBLACK, 1), (PHOTOMETRIC_MINISWHITE, 1): layout = "grey"
        case (PHOTOMETRIC_MINISBLACK, 2), (PHOTOMETRIC_MINISWHITE, 2): layout = "grey+alpha"
        case (PHOTOMETRIC_RGB, 3): layout = "RGB"
        case (PHOTOMETRIC_RGB, 4...): layout = "RGBA"
        case (PHOTOMETRIC_PALETTE, 1): layout = "palette"
        default:
            throw fail("TIFF photometric interpretation \(photometric) with \(spp) samples per pixel is not supported (grey, RGB, RGBA and palette are)")
        }
        switch (bits, format) {
        case (8, SAMPLEFORMAT_UINT), (16, SAMPLEFORMAT_UINT): break
        case (16, SAMPLEFORMAT_INT) where spp == 1 && layout == "grey": break
        case (32, SAMPLEFORMAT_IEEEFP) where spp == 1 && layout == "grey": break
        default:
            throw fail("TIFF with \(bits)-bit samples of sample format \(format) in layout \(layout) is not supported")
        }
        if layout == "palette", bits != 8 { throw fail("TIFF palette images must have 8-bit indices (this has \(bits))") }

        // Read every row into one interleaved byte buffer.
        let bytesPerSample = bits / 8
        // Width and length are header tags: a tiny file can declare 2^32 × 2^32 pixels.
        try AllocationBudget.check("\(path): TIFF pixels (width × length × samples × bytes)",
                                   factors: [width, height, spp, bytesPerSample], elementBytes: 1, unit: "bytes")
        let rowBytes = width * spp * bytesPerSample
        var bytes = [UInt8](repeating: 0, count: rowBytes * height)
        try bytes.withUnsafeMutableBytes { out in
            if TIFFIsTiled(h.tif) != 0 {
                guard planar == PLANARCONFIG_CONTIG else { throw fail("tiled TIFF with separate planes is not supported") }
                guard let tw = h.u32(TIFFTAG_TILEWIDTH), let tl = h.u32(TIFFTAG_TILELENGTH), tw > 0, tl > 0 else {
                    throw fail("tiled TIFF without tile size")
                }
                // Tile width and length are header tags as well: a 1-pixel image can declare
                // a 22 GB tile.
                try AllocationBudget.check("\(path): TIFF tile (tile width × length × samples × bytes)",
                                           factors: [Int(tw), Int(tl), spp, bytesPerSample], elementBytes: 1, unit: "bytes")
                let tileSize = Int(TIFFTileSize64(h.tif))
                let tileRowBytes = Int(tw) * spp * bytesPerSample
                // The rows are copied out of the tile below, so it must hold them all.
                guard tileSize >= Int(tl) * tileRowBytes else { throw fail("TIFF tile of \(tileSize) bytes is smaller than \(tl) rows of \(tileRowBytes)") }
                var tile = [UInt8](repeating: 0, count: tileSize)
                for y0 in stride(from: 0, to: height, by: Int(tl)) {
                    for x0 in stride(from: 0, to: width, by: Int(tw)) {
                        let n = tile.withUnsafeMutableBytes { TIFFReadTile(h.tif, $0.baseAddress, UInt32(x0), UInt32(y0), 0, 0) }
                        guard n >= 0 else {
                            throw readFailure(h, path: path, what: "tile at (\(x0), \(y0))",
                                              strile: TIFFComputeTile(h.tif, UInt32(x0), UInt32(y0), 0, 0))
                        }
                        let copyBytes = min(Int(tw), width - x0) * spp * bytesPerSample
                        for r in 0..<min(Int(tl), height - y0) {
                            let src = r * tileRowBytes
                            let dst = (y0 + r) * rowBytes + x0 * spp * bytesPerSample
                            tile.withUnsafeBytes { t in
                                out.baseAddress!.advanced(by: dst).copyMemory(from: t.baseAddress!.advanced(by: src), byteCount: copyBytes)
                            }
                        }
                    }
                }
            } else if planar == PLANARCONFIG_CONTIG || spp == 1 {
                guard Int(TIFFScanlineSize64(h.tif)) == rowBytes else { throw fail("unexpected TIFF scanline size") }
                for y in 0..<height {
                    let r = TIFFReadScanline(h.tif, out.baseAddress!.advanced(by: y * rowBytes), UInt32(y), 0)
                    guard r == 1 else { throw readFailure(h, path: path, what: "row \(y)", strile: TIFFComputeStrip(h.tif, UInt32(y), 0)) }
                }
            } else {
                let planeRow = width * bytesPerSample
                guard Int(TIFFScanlineSize64(h.tif)) == planeRow else { throw fail("unexpected TIFF scanline size") }
                var line = [UInt8](repeating: 0, count: planeRow)
                for s in 0..<spp {
                    for y in 0..<height {
                        let r = line.withUnsafeMutableBytes { TIFFReadScanline(h.tif, $0.baseAddress, UInt32(y), UInt16(s)) }
                        guard r == 1 else {
                            throw readFailure(h, path: path, what: "row \(y) of plane \(s)", strile: TIFFComputeStrip(h.tif, UInt32(y), UInt16(s)))
                        }
                        for x in 0..<width {
                            for b in 0..<bytesPerSample {
                                out[y * rowBytes + (x * spp + s) * bytesPerSample + b] = line[x * bytesPerSample + b]
                            }
                        }
                    }
                }
            }
        }

        var channels = spp
        var samples: RasterSamples
        func typed<T: FixedWidthInteger>(_: T.Type) -> [T] {
            var a = [T](repeating: 0, count: bytes.count / MemoryLayout<T>.size)
            a.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
            return a
        }
        switch (bits, format) {
        case (8, _): samples = .uint8(bytes)
        case (16, SAMPLEFORMAT_INT): samples = .int16(typed(Int16.self))
        case (16, _): samples = .uint16(typed(UInt16.self))
        default: samples = .float32(typed(UInt32.self).map(Float.init(bitPattern:)))
        }
        var notes: [String: MetaValue] = [:]
        if layout == "palette" {
            guard let map = h.colormap(bits: 8) else { throw fail("palette TIFF without a colour map") }
            // Colour maps are 16-bit; old writers stored 8-bit values, recognisable as all ≤ 255.
            let eightBit = (map.r + map.g + map.b).allSatisfy { $0 <= 255 }
            func to8(_ v: UInt16) -> UInt8 { eightBit ? UInt8(v) : UInt8(v >> 8) }
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                let idx = Int(bytes[i])
                rgb[3 * i] = to8(map.r[idx]); rgb[3 * i + 1] = to8(map.g[idx]); rgb[3 * i + 2] = to8(map.b[idx])
            }
            samples = .uint8(rgb)
            channels = 3
        }
        if photometric == PHOTOMETRIC_MINISWHITE {
            // Stored with 0 = white: invert so that larger values are brighter, as everywhere else.
            switch samples {
            case let .uint8(a): samples = .uint8(a.enumerated().map { $0.offset % spp == 0 ? 255 - $0.element : $0.element })
            case let .uint16(a): samples = .uint16(a.enumerated().map { $0.offset % spp == 0 ? 65535 - $0.element : $0.element })
            default: throw fail("MinIsWhite TIFF with signed or float samples is not supported")
            }
            notes["TIFFPhotometric"] = "MinIsWhite (inverted to MinIsBlack)"
        }
        if TIFFNumberOfDirectories(h.tif) > 1 {
            notes["TIFFPagesIgnored"] = .integer(Int(TIFFNumberOfDirectories(h.tif)) - 1)
        }
        if h.extraSampleCount > 0 { notes["TIFFExtraSamples"] = .integer(h.extraSampleCount) }

        var spacing: (SIMD2<Double>, String)?
        if let xr = h.float(TIFFTAG_XRESOLUTION), let yr = h.float(TIFFTAG_YRESOLUTION), xr > 0, yr > 0, xr.isFinite, yr.isFinite {
            // ResolutionUnit defaults to inch when absent (TIFF 6.0).
            let unit = Int32(h.u16(TIFFTAG_RESOLUTIONUNIT) ?? UInt16(RESUNIT_INCH))
            if unit == RESUNIT_CENTIMETER {
                spacing = (SIMD2(10 / Double(xr), 10 / Double(yr)), "TIFF resolution tags (pixels per centimetre)")
            } else if unit == RESUNIT_INCH {
                spacing = (SIMD2(25.4 / Double(xr), 25.4 / Double(yr)), "TIFF resolution tags (pixels per inch)")
            }
        }
        return DecodedRaster(format: "TIFF", width: width, height: height, channels: channels, samples: samples,
                             sourceLayout: layout, sourceBitDepth: bits, fileSpacing: spacing, notes: notes)
    }

    private static func readFailure(_ h: TIFFHandle, path: String, what: String, strile: UInt32) -> KiraError {
        let m = h.message
        // libtiff fails silently when a strip or tile lies past the end of the file.
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? Int.max
        let offset = Int(TIFFGetStrileOffset(h.tif, strile)), count = Int(TIFFGetStrileByteCount(h.tif, strile))
        if offset + count > fileSize {
            return .truncated(path: path, reason: "TIFF data for \(what) needs bytes \(offset)..<\(offset + count), the file has \(fileSize)")
        }
        let lower = m.lowercased()
        if lower.contains("read error") || lower.contains("unexpected end") || lower.contains("premature") {
            return .truncated(path: path, reason: "TIFF data for \(what) cannot be read: \(m)")
        }
        return .unreadable(path: path, reason: "TIFF data for \(what) cannot be decoded\(m.isEmpty ? "" : ": \(m)")")
    }
}
