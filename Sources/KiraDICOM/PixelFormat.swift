import Foundation
import KiraCore

/// How a series' stored samples become output voxels.
struct OutputPlan {
    enum Colour { case monochrome, rgb, palette }
    var scalar: ScalarType
    var components: Int
    var colour: Colour
    var invert: Bool
    var rescale: Bool
    /// Rescale with integral slope and intercept: output as int16 when every value fits,
    /// else uint16, else int32 (decided after decoding, as dcm2niix does).
    var integerRescale = false
    var notes: [String: MetaValue] = [:]

    static let jpeg2000 = ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92",
                           "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202",
                           "1.2.840.10008.1.2.4.203"]

    static func make(_ s: DICOMSeries, frames: [FrameInfo], options: DICOMReadOptions) throws -> OutputPlan {
        let h = s.headers[0]
        for o in s.headers.dropFirst() where o.bitsAllocated != h.bitsAllocated || o.pixelRepresentation != h.pixelRepresentation
            || o.samplesPerPixel != h.samplesPerPixel || o.photometric != h.photometric {
            throw KiraError.inconsistentSeries(series: s.displayName,
                reason: "\(o.url.lastPathComponent) stores pixels differently from \(h.url.lastPathComponent) (bits, sign, samples or photometric interpretation)")
        }
        guard [8, 16, 32].contains(h.bitsAllocated) else {
            throw KiraError.unsupportedFormat(path: h.url.path, reason: "BitsAllocated \(h.bitsAllocated) is not supported")
        }
        // The decoders build shifts and masks from these; a BitsStored of 0 made a negative
        // shift count, a HighBit beyond the allocated bits an unrepresentable one (both trapped).
        for o in s.headers {
            guard o.samplesPerPixel == 1 || o.samplesPerPixel == 3 else {
                throw KiraError.unsupportedFormat(path: o.url.path, reason: "SamplesPerPixel \(o.samplesPerPixel) is not supported (1 or 3)")
            }
            guard o.bitsStored >= 1 else {
                throw KiraError.unsupportedFormat(path: o.url.path, reason: "BitsStored \(o.bitsStored) is not a positive number of bits")
            }
            guard (0..<o.bitsAllocated).contains(o.highBit) else {
                throw KiraError.unsupportedFormat(path: o.url.path, reason: "HighBit \(o.highBit) is outside the \(o.bitsAllocated) allocated bits")
            }
        }
        let pi = h.photometric
        var plan: OutputPlan
        if pi == "PALETTE COLOR" || h.samplesPerPixel == 3 {
            let colour: Colour = pi == "PALETTE COLOR" ? .palette : .rgb
            guard colour == .palette || ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT", "YBR_PARTIAL_420"].contains(pi) else {
                throw KiraError.unsupportedFormat(path: h.url.path, reason: "photometric interpretation \(pi) is not supported")
            }
            let wide = colour == .palette ? paletteBits(s) > 8 : h.bitsAllocated > 8
            if options.keepRGB {
                plan = OutputPlan(scalar: wide ? .uint16 : .uint8, components: 3, colour: colour, invert: false, rescale: false)
                plan.notes["ColourConversion"] = "RGB kept"
            } else {
                plan = OutputPlan(scalar: .float32, components: 1, colour: colour, invert: false, rescale: false)
                plan.notes["ColourConversion"] = "luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601)"
            }
        } else {
            let rescale = frames.contains { $0.slope != 1 || $0.intercept != 0 }
            let signed = h.pixelRepresentation == 1
            // Integer slope and intercept give integer values: keep them exact in int32
            // (narrowed to int16 after decoding when they fit, as CT's -1024 offset does)
            // instead of doubling the output with float32.
            let integral = frames.allSatisfy { f in
                f.slope == f.slope.rounded() && f.intercept == f.intercept.rounded()
                    && abs(f.slope) * 65536 + abs(f.intercept) < Double(Int32.max)
            }
            let scalar: ScalarType
            if rescale { scalar = integral && h.bitsStored <= 16 ? .int32 : .float32 }
            else if h.bitsStored <= 8 && !signed { scalar = .uint8 }
            else if h.bitsStored <= 16 { scalar = signed ? .int16 : .uint16 }
            else { scalar = .int32 }
            plan = OutputPlan(scalar: scalar, components: 1, colour: .monochrome, invert: pi == "MONOCHROME1", rescale: rescale)
            plan.integerRescale = rescale && scalar == .int32
            if plan.invert {
                plan.notes["MONOCHROME1"] = .string(signed ? "inverted: -1 - stored value" : "inverted: \((1 << h.bitsStored) - 1) - stored value")
            }
        }
        return plan
    }

    static func paletteBits(_ s: DICOMSeries) -> Int {
        guard let f = try? DcmtkFile(url: s.headers[0].url, maxReadLength: 4096) else { return 8 }
        return DICOMValue.doubles(f.string("(0028,1101)")).flatMap { $0.count >= 3 ? Int($0[2]) : nil } ?? 8
    }
}

/// One file's palette: 3 tables indexed by stored value minus the first mapped value.
struct Palette {
    var first: Int
    var r: [UInt16], g: [UInt16], b: [UInt16]

    init(_ f: DcmtkFile, path: String) throws {
        var tables: [[UInt16]] = []
        var first = 0
        for (d, data, segmented) in [("(0028,1101)", "(0028,1201)", "(0028,1221)"), ("(0028,1102)", "(0028,1202)", "(0028,1222)"),
                                     ("(0028,1103)", "(0028,1203)", "(0028,1223)")] {
            guard let desc = DICOMValue.doubles(f.string(d)), desc.count >= 3 else {
                throw KiraError.unsupportedFormat(path: path, reason: "PALETTE COLOR without a lookup table descriptor")
            }
            let words: [UInt16]
            if let w = f.uint16Array(data) {
                words = w
            } else if let seg = f.uint16Array(segmented) {
                words = try Self.expandSegmented(seg, path: path)
            } else {
                throw KiraError.unsupportedFormat(path: path, reason: "PALETTE COLOR without lookup table data")
            }
            var entries = Int(desc[0]); if entries == 0 { entries = 65536 }
            first = Int(desc[1])
            let bits = Int(desc[2])
            var table: [UInt16]
            if bits == 8 && words.count * 2 == entries {
                // Two 8-bit entries per 16-bit word, low byte first.
                table = words.flatMap { [$0 & 0xFF, $0 >> 8] }
            } else if bits == 8 {
                let highUsed = words.contains { $0 > 0xFF }
                table = words.map { highUsed ? $0 >> 8 : $0 & 0xFF }
            } else {
                table = words
            }
            if table.isEmpty { throw KiraError.unsupportedFormat(path: path, reason: "empty palette table") }
            tables.append(table)
        }
        self.first = first
        r = tables[0]; g = tables[1]; b = tables[2]
    }

    /// Segmented palette data (PS3.3 C.7.9.2): discrete runs (opcode 0), linear ramps
    /// from the previous value (1) and references to earlier segments (2).
    static func expandSegmented(_ w: [UInt16], path: String) throws -> [UInt16] {
        var out: [UInt16] = []
        func bad() -> KiraError { .unsupportedFormat(path: path, reason: "malformed segmented palette lookup table") }
        func run(_ from: Int, _ to: Int, depth: Int) throws {
            var i = from
            while i < to {
                guard i + 1 < w.count else { throw bad() }
                let op = w[i], n = Int(w[i + 1])
                switch op {
                case 0:
                    guard i + 2 + n <= w.count else { throw bad() }
                    out.append(contentsOf: w[(i + 2)..<(i + 2 + n)])
                    i += 2 + n
                case 1:
                    guard i + 2 < w.count, let y0 = out.last else { throw bad() }
                    let y1 = Double(w[i + 2]), a = Double(y0)
                    for k in 1...max(1, n) { out.append(UInt16((a + (y1 - a) * Double(k) / Double(n)).rounded())) }
                    i += 3
                case 2:
                    guard depth == 0, i + 3 < w.count else { throw bad() }
                    let offset = Int(w[i + 2]) | Int(w[i + 3]) << 16
                    guard offset < w.count else { throw bad() }
                    // Copy n segments starting at the segment at `offset` words.
                    var j = offset, copied = 0
                    while copied < n, j < w.count {
                        let len = w[j] == 0 ? 2 + Int(w[j + 1]) : (w[j] == 1 ? 3 : 4)
                        try run(j, j + len, depth: 1)
                        j += len; copied += 1
                    }
                    i += 4
                default:
                    throw bad()
                }
            }
        }
        try run(0, w.count, depth: 0)
        return out
    }

    @inline(__always) func lookup(_ v: Int32) -> (Double, Double, Double) {
        let i = max(0, min(r.count - 1, Int(v) - first))
        let j = min(i, g.count - 1), k = min(i, b.count - 1)
        return (Double(r[i]), Double(g[j]), Double(b[k]))
    }
}
