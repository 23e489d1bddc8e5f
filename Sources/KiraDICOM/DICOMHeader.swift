import Foundation
import KiraCore

/// Where one frame sits and how its stored values map to output, gathered while scanning
/// so that loading only has to decode pixels.
struct FrameInfo: Sendable {
    var fileIndex: Int
    var frame: Int
    var position: SIMD3<Double>?
    /// Row direction then column direction (ImageOrientationPatient).
    var orientation: [Double]?
    /// (row spacing, column spacing) in mm, DICOM order.
    var pixelSpacing: [Double]?
    var sliceThickness: Double?
    var slope: Double = 1
    var intercept: Double = 0
    /// Sort key inside one position: temporal position, trigger time, acquisition time, instance, frame.
    var temporalKey = TemporalKey()
    /// Acquisition time of the frame in seconds since midnight, when known.
    var acquisitionSeconds: Double?
    var triggerTimeMs: Double?
    var echoNumber: String = ""
    var echoTime: Double?
    var imageKind: String = ""
    /// Philips' private ScaleSlope (2005,100E), which `--philips-precise` divides by; nil
    /// for other vendors and for field maps, whose rescaled values are already in Hz.
    var philipsScaleSlope: Double?
    /// Tile of a Siemens mosaic frame that holds this slice.
    var tile: Int?
}

/// Orders the frames at one position: (temporal position, trigger time, acquisition time,
/// instance, frame), compared as `lexicographicallyPrecedes` compares arrays. Stored inline:
/// an array per frame cost a heap block for every file of an archive.
struct TemporalKey: Sendable {
    var temporal = 0.0, trigger = 0.0, time = 0.0, instance = 0.0, frame = 0.0

    /// `then` breaks ties after the five keys (the file, for projection images).
    func precedes(_ o: TemporalKey, then a: Double = 0, _ b: Double = 0) -> Bool {
        for (x, y) in zip([temporal, trigger, time, instance, frame, a], [o.temporal, o.trigger, o.time, o.instance, o.frame, b]) {
            if x < y { return true }
            if y < x { return false }
        }
        return false
    }
}

/// What grouping, sorting and decoding need of one file, and nothing more: an archive's
/// scan holds one per image file until its series is converted, so the sidecar's metadata
/// is read again from the series' first file when the series is planned (see
/// `HeaderReader.metadata`), and repeated strings and arrays are shared between files
/// (see `ScanInterner`).
struct FileHeader: Sendable {
    var path: String
    var url: URL { URL(fileURLWithPath: path, isDirectory: false) }
    var seriesUID: String
    var transferSyntax: String
    var sopClassUID: String
    var modality: String
    /// Size of one output slice (a mosaic tile for Siemens mosaics).
    var rows: Int
    var columns: Int
    /// Size of the stored frame, which differs from rows/columns only for mosaics.
    var storedRows: Int
    var storedColumns: Int
    /// Tiles per mosaic row; nil when the file is not a mosaic.
    var mosaicTilesPerRow: Int?
    var samplesPerPixel: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var highBit: Int
    var pixelRepresentation: Int
    var photometric: String
    var planarConfiguration: Int
    var numberOfFrames: Int
    var isEnhanced: Bool
    var hasPixelData: Bool
    var spacingSource: String
    var frameTimeMs: Double?
    var ultrasoundSpacing: [Double]?
    var frames: [FrameInfo]
    /// Set when the file's frames carried one position between them and were stacked as
    /// slices this far apart (SpacingBetweenSlices), as dcm2niix does.
    var stackedAtSpacing: Double? = nil
    /// SeriesNumber and SeriesDescription, which name the series in keys and messages.
    var seriesNumber: Int?
    var seriesDescription: String
    /// The scan's open dcmtk handle, handed to the first decoder so that the file is
    /// parsed once; nil when the scan kept none.
    var openFile: OpenFile? = nil
    /// Where the frames of native greyscale pixel data start in the file, so that decoding
    /// reads them there instead of parsing the file a second time (see `NativeFrames`).
    var pixelDataOffset: Int? = nil
}

/// A parsed file waiting for its decoders. Pixel data and other long values stay on disk
/// until decoded. One decoder at a time holds the handle; a file shared by several stacks
/// (an enhanced file holding magnitude and phase) is handed back after each, so it is
/// parsed once for all of them.
final class OpenFile: @unchecked Sendable {
    private var file: DcmtkFile?
    private var users = 1
    private let lock = NSLock()
    /// The dataset's estimated weight, as counted against the scan's open budget.
    let bytes: Int
    init(_ file: DcmtkFile, bytes: Int) { self.file = file; self.bytes = bytes }

    /// Number of stacks (series) that will decode from this file.
    func setUsers(_ n: Int) {
        lock.lock(); users = n; lock.unlock()
    }

    /// Runs `body` on the handle while no decoder holds it; nil when one does or it is gone.
    func withFile<R>(_ body: (DcmtkFile) -> R) -> R? {
        lock.lock()
        defer { lock.unlock() }
        return file.map(body)
    }

    func take() -> DcmtkFile? {
        lock.lock()
        defer { lock.unlock() }
        let f = file
        file = nil
        return f
    }

    /// Keeps the handle for the next stack, if one still needs it, with the decoder's
    /// caches dropped (an open file, decoded values); otherwise lets it go.
    func giveBack(_ f: DcmtkFile) {
        lock.lock()
        defer { lock.unlock() }
        users -= 1
        if users > 0 && file == nil && f.releaseDecodingState() { file = f }
    }
}

enum DICOMValue {
    static func doubles(_ s: String?) -> [Double]? {
        guard let s, !s.isEmpty else { return nil }
        var v: [Double] = []
        for part in s.utf8.split(separator: UInt8(ascii: "\\"), omittingEmptySubsequences: false) {
            var t = part[...]
            while let c = t.first, c == 0x20 || c == 0x09 { t = t.dropFirst() }
            while let c = t.last, c == 0x20 || c == 0x09 { t = t.dropLast() }
            // "nan" and "inf" are kept, not dropped: a PixelSpacing of nan\0.8 dropped to one
            // value would read as no spacing at all, and 1 mm would be guessed. The geometry
            // checks refuse them; whole numbers go through `int`, which cannot trap.
            if let d = Double(Substring(t)) { v.append(d) }
        }
        return v.isEmpty ? nil : v
    }

    static func double(_ s: String?) -> Double? { doubles(s)?.first }

    /// A number as a message shows it: "2.5", "3".
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
    /// A whole number's digits ("5"); a value beyond Int's range as `format` writes it.
    static func integerText(_ x: Double) -> String {
        Int(exactly: x.rounded(.towardZero)).map(String.init) ?? format(x)
    }

    /// Truncated toward zero like `Int(_:)`, but nil beyond Int's range instead of a trap.
    static func int(_ s: String?) -> Int? { double(s).flatMap { Int(exactly: $0.rounded(.towardZero)) } }

    /// DICOM TM (HHMMSS.frac) to seconds since midnight.
    static func seconds(time s: String?) -> Double? {
        guard let s else { return nil }
        if let fast = DICOMTime.seconds(time: s) { return fast.value }
        return secondsByCharacters(time: s)
    }

    /// DICOM DT (YYYYMMDDHHMMSS.frac…) to seconds since midnight (the date part is ignored
    /// unless frames span midnight, which ordering tolerates).
    static func seconds(dateTime s: String?) -> Double? {
        guard let s else { return nil }
        if let fast = DICOMTime.seconds(dateTime: s) { return fast.value }
        return secondsByCharacters(dateTime: s)
    }

    /// `seconds(time:)` by Swift characters: the definition `DICOMTime` follows byte by
    /// byte for ASCII values, and what non-ASCII values still go through.
    static func secondsByCharacters(time s: String?) -> Double? {
        guard var s = s?.trimmingBlanks, !s.isEmpty else { return nil }
        s.removeAll { $0 == ":" }
        let (main, frac) = s.split(separator: ".", maxSplits: 1).map(String.init).splitPair()
        let digits = Array(main)
        guard digits.count >= 2 else { return nil }
        func part(_ i: Int) -> Double { i + 2 <= digits.count ? Double(String(digits[i..<i + 2])) ?? 0 : 0 }
        var t = part(0) * 3600 + part(2) * 60 + part(4)
        if let frac, let f = Double("0." + frac) { t += f }
        return t
    }

    /// `seconds(dateTime:)` by Swift characters (see `secondsByCharacters(time:)`).
    static func secondsByCharacters(dateTime s: String?) -> Double? {
        guard let s = s?.trimmingBlanks, s.count >= 10 else { return nil }
        let day = Double(String(s.prefix(8))) ?? 0
        // Only separators after the date ("++") leave no time part: no seconds.
        let rest = String(s.dropFirst(8)).split(separator: "+").first?.split(separator: "-").first ?? ""
        return (secondsByCharacters(time: String(rest)) ?? 0) + day * 86400
    }
}

private extension Array where Element == String {
    func splitPair() -> (String, String?) { (self.first ?? "", count > 1 ? self[1] : nil) }
}

/// Reads a file's header into `FileHeader`; pixel data is not loaded.
enum HeaderReader {
    static let perFrame = "(5200,9230)"
    static let shared = "(5200,9229)[0]"

    static func read(_ f: DcmtkFile, url: URL) throws -> FileHeader {
        let ts = f.transferSyntax
        let s = { (tag: String) in f.string(tag) }
        let sop = s("(0008,0016)") ?? ""
        let modality = s("(0008,0060)") ?? ""
        let rows = DICOMValue.int(s("(0028,0010)")) ?? 0
        let cols = DICOMValue.int(s("(0028,0011)")) ?? 0
        let bitsAllocated = DICOMValue.int(s("(0028,0100)")) ?? 16
        let bitsStored = DICOMValue.int(s("(0028,0101)")) ?? bitsAllocated
        let nframes = max(1, DICOMValue.int(s("(0028,0008)")) ?? 1)
        let samplesPerPixel = DICOMValue.int(s("(0028,0002)")) ?? 1
        // NumberOfFrames sizes the frame table below; Rows × Columns × frames sizes the pixels.
        try AllocationBudget.check("\(url.path): NumberOfFrames \(nframes)", factors: [nframes],
                                   elementBytes: MemoryLayout<FrameInfo>.stride, unit: "frames")
        // Samples per pixel count too: the scanner's size check multiplies them all (a mangled
        // VR can turn the 16-bit value into any integer, and the product then overflowed).
        try AllocationBudget.check("\(url.path): pixel data (Rows × Columns × NumberOfFrames × SamplesPerPixel)",
                                   factors: [max(0, rows), max(0, cols), nframes, max(0, samplesPerPixel)],
                                   elementBytes: max(1, bitsAllocated / 8), unit: "samples")
        let perFrameCount = f.sequenceCount(perFrame)
        let enhanced = perFrameCount > 0 || f.sequenceCount("(5200,9229)") > 0
        let hasPixels = rows > 0 && cols > 0

        // Top-level values, used for classic files and as fallback for enhanced ones.
        let topPosition = DICOMValue.doubles(s("(0020,0032)"))
        let topOrientation = DICOMValue.doubles(s("(0020,0037)"))
        var spacingSource = "none"
        var topSpacing: [Double]?
        if let ps = DICOMValue.doubles(s("(0028,0030)")), ps.count >= 2 {
            topSpacing = ps; spacingSource = "PixelSpacing"
        } else if let ips = DICOMValue.doubles(s("(0018,1164)")), ips.count >= 2 {
            if let m = DICOMValue.double(s("(0018,1114)")), m > 0 {
                topSpacing = ips.map { $0 / m }
                spacingSource = "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor"
            } else {
                topSpacing = ips; spacingSource = "ImagerPixelSpacing"
            }
        }
        var usSpacing: [Double]?
        if topSpacing == nil, f.sequenceCount("(0018,6011)") > 0 {
            // Region units code 3 is cm; Kira works in mm.
            let ux = DICOMValue.int(s("(0018,6011)[0].(0018,6024)"))
            let uy = DICOMValue.int(s("(0018,6011)[0].(0018,6026)"))
            if let dx = DICOMValue.double(s("(0018,6011)[0].(0018,602C)")),
               let dy = DICOMValue.double(s("(0018,6011)[0].(0018,602E)")), ux == 3, uy == 3 {
                usSpacing = [abs(dy) * 10, abs(dx) * 10]
                topSpacing = usSpacing
                spacingSource = "SequenceOfUltrasoundRegions"
            }
        }
        let topSlope = DICOMValue.double(s("(0028,1053)")) ?? 1
        let topIntercept = DICOMValue.double(s("(0028,1052)")) ?? 0
        let instance = Double(DICOMValue.int(s("(0020,0013)")) ?? 0)
        let temporalId = DICOMValue.double(s("(0020,0100)"))
        let trigger = DICOMValue.double(s("(0018,1060)"))
        let acqTime = DICOMValue.seconds(time: s("(0008,0032)")) ?? DICOMValue.seconds(dateTime: s("(0008,002A)"))
        let contentTime = DICOMValue.seconds(time: s("(0008,0033)"))
        let echoNumber = s("(0018,0086)") ?? ""
        let echoTime = DICOMValue.double(s("(0018,0081)"))
        let imageType = (s("(0008,0008)") ?? "").split(separator: "\\").map(String.init)
        let kind = imageType.count > 2 ? imageType[2] : ""
        let thickness = DICOMValue.double(s("(0018,0050)"))
        let philips = (s("(0008,0070)") ?? "").uppercased().contains("PHILIPS")
        let topScaleSlope = philips && !isFieldMap(imageType) ? philipsScaleSlope(f, "(2005,100E)") : nil

        var frames: [FrameInfo] = []
        frames.reserveCapacity(nframes)
        for i in 0..<nframes {
            // Frames past the per-frame items all take the shared values, so the first of them
            // is read and the rest are copies: NumberOfFrames is just a header number, and
            // reading the same shared paths again for each of 8,243 frames took seconds.
            if enhanced, i > perFrameCount, var copy = frames.last {
                copy.frame = i
                copy.temporalKey.frame = Double(i)
                frames.append(copy)
                continue
            }
            var fr = FrameInfo(fileIndex: 0, frame: i)
            fr.position = topPosition.flatMap { $0.count >= 3 ? SIMD3($0[0], $0[1], $0[2]) : nil }
            fr.orientation = topOrientation.flatMap { $0.count >= 6 ? Array($0.prefix(6)) : nil }
            fr.pixelSpacing = topSpacing
            fr.sliceThickness = thickness
            fr.slope = topSlope
            fr.intercept = topIntercept
            fr.echoNumber = echoNumber
            fr.echoTime = echoTime
            fr.imageKind = kind
            fr.triggerTimeMs = trigger
            fr.acquisitionSeconds = acqTime ?? contentTime
            fr.philipsScaleSlope = topScaleSlope
            var temporal = temporalId ?? 0
            var frameTime = acqTime ?? contentTime ?? 0
            if enhanced {
                // Per-frame functional groups override the shared ones.
                func group(_ seq: String, _ tag: String) -> String? {
                    if i < perFrameCount, let v = s("\(perFrame)[\(i)].\(seq)[0].\(tag)") { return v }
                    return s("\(shared).\(seq)[0].\(tag)")
                }
                if let p = DICOMValue.doubles(group("(0020,9113)", "(0020,0032)")), p.count >= 3 {
                    fr.position = SIMD3(p[0], p[1], p[2])
                }
                if let o = DICOMValue.doubles(group("(0020,9116)", "(0020,0037)")), o.count >= 6 {
                    fr.orientation = Array(o.prefix(6))
                }
                if let ps = DICOMValue.doubles(group("(0028,9110)", "(0028,0030)")), ps.count >= 2 {
                    fr.pixelSpacing = ps
                    spacingSource = "PixelSpacing"
                }
                if let t = DICOMValue.double(group("(0028,9110)", "(0018,0050)")) { fr.sliceThickness = t }
                if let v = DICOMValue.double(group("(0028,9145)", "(0028,1053)")) { fr.slope = v }
                if let v = DICOMValue.double(group("(0028,9145)", "(0028,1052)")) { fr.intercept = v }
                if let v = DICOMValue.double(group("(0020,9111)", "(0020,9128)")) { temporal = v }
                if let v = DICOMValue.seconds(dateTime: group("(0020,9111)", "(0018,9074)")) {
                    frameTime = v
                    fr.acquisitionSeconds = v
                }
                if let v = DICOMValue.double(group("(0018,9114)", "(0018,9082)")) { fr.echoTime = v }
                if let v = DICOMValue.double(group("(0018,9118)", "(0020,9153)")) { fr.triggerTimeMs = v }
                let frameType = (group("(0018,9226)", "(0008,9007)") ?? group("(0008,9226)", "(0008,9007)") ?? "")
                    .split(separator: "\\").map(String.init)
                let complex = group("(0018,9226)", "(0008,9208)") ?? ""
                let k = frameType.count > 2 ? frameType[2] : kind
                fr.imageKind = complex.isEmpty ? k : "\(k)_\(complex)"
                if philips {
                    // Philips keeps the scale slope in a private per-frame item.
                    let item = "(2005,140F)[0].(2005,100E)"
                    let v = i < perFrameCount ? philipsScaleSlope(f, "\(perFrame)[\(i)].\(item)") : nil
                    fr.philipsScaleSlope = isFieldMap(frameType.isEmpty ? imageType : frameType)
                        ? nil : v ?? philipsScaleSlope(f, "\(shared).\(item)") ?? topScaleSlope
                }
            }
            fr.temporalKey = TemporalKey(temporal: temporal, trigger: fr.triggerTimeMs ?? 0, time: frameTime, instance: instance, frame: Double(i))
            frames.append(fr)
        }

        // Frames sharing one position and orientation, with no frame time to make them a cine
        // loop, are slices SpacingBetweenSlices apart along the normal (dcm2niix's reading of
        // such files); without this they would load as time points at one position.
        var stackedAt: Double?
        if nframes > 1, let p = frames[0].position, let o = frames[0].orientation, frames.allSatisfy({ $0.position == p }),
           DICOMValue.double(s("(0018,1063)")) == nil,
           let dz = DICOMValue.double(s("(0018,0088)")) ?? DICOMValue.double(s("\(shared).(0028,9110)[0].(0018,0088)")), dz > 0 {
            let normal = cross(SIMD3(o[0], o[1], o[2]), SIMD3(o[3], o[4], o[5]))
            if norm(normal) > 0.5 {
                let n = normal / norm(normal)
                for k in frames.indices { frames[k].position = p + n * dz * Double(k) }
                stackedAt = dz
            }
        }

        var tileRows = rows, tileCols = cols, tilesPerRow: Int?
        if imageType.contains("MOSAIC"), let n = mosaicCount(f), n > 1,
           let base = frames.first, let p = base.position, let o = base.orientation, let ps = base.pixelSpacing {
            // Siemens mosaic: N slices tiled in a square grid; the stored position is the
            // corner of the whole mosaic, so it is moved to the first tile's corner.
            let per = Int(Double(n).squareRoot().rounded(.up))
            tileRows = rows / per; tileCols = cols / per
            let row = SIMD3(o[0], o[1], o[2]), col = SIMD3(o[3], o[4], o[5])
            var normal = cross(row, col)
            if let v = CSAHeader.vector(f, name: "SliceNormalVector"), v.count == 3 {
                let csa = SIMD3(v[0], v[1], v[2])
                if dot(csa, normal) < 0 { normal = -normal }
            }
            let corner = p + row * ps[1] * Double(cols - tileCols) / 2 + col * ps[0] * Double(rows - tileRows) / 2
            let dz = DICOMValue.double(s("(0018,0088)")) ?? thickness ?? 1
            frames = (0..<n).map { k in
                var fr = base
                fr.tile = k
                fr.position = corner + normal * dz * Double(k)
                return fr
            }
            tilesPerRow = per
        }
        return FileHeader(
            path: url.path, seriesUID: s("(0020,000E)") ?? "", transferSyntax: ts, sopClassUID: sop, modality: modality,
            rows: tileRows, columns: tileCols, storedRows: rows, storedColumns: cols, mosaicTilesPerRow: tilesPerRow, samplesPerPixel: samplesPerPixel,
            bitsAllocated: bitsAllocated, bitsStored: bitsStored,
            highBit: DICOMValue.int(s("(0028,0102)")) ?? (bitsStored - 1),
            pixelRepresentation: DICOMValue.int(s("(0028,0103)")) ?? 0,
            photometric: (s("(0028,0004)") ?? "MONOCHROME2").uppercased(),
            planarConfiguration: DICOMValue.int(s("(0028,0006)")) ?? 0,
            numberOfFrames: nframes, isEnhanced: enhanced, hasPixelData: hasPixels,
            spacingSource: spacingSource, frameTimeMs: DICOMValue.double(s("(0018,1063)")),
            ultrasoundSpacing: usSpacing, frames: frames, stackedAtSpacing: stackedAt,
            seriesNumber: DICOMValue.int(s("(0020,0011)")), seriesDescription: s("(0008,103E)") ?? "")
    }

    /// The sidecar's keys (and the identifying ones) of the file at `path`, read again: the
    /// scan keeps them for no file, since only a series' first file supplies them.
    // Kept out of line: Swift 6.3.1's release build crashed (OSSA lifetime check) compiling
    // `DICOMSeries.summary` with this call inlined under `guard let … = try?`.
    @inline(never)
    static func metadata(_ h: FileHeader) throws -> (meta: [String: MetaValue], phi: [String: MetaValue]) {
        if let kept = h.openFile?.withFile(DICOMMetadata.extract) { return kept }
        let f: DcmtkFile
        do { f = try DcmtkFile(url: h.url, maxReadLength: 4096) }
        catch { throw FrameDecoder.kiraError(error, path: h.path) }
        return DICOMMetadata.extract(f)
    }

    /// A B0 field map (FrameType or ImageType FIELD_MAP, or B0 and MAP), whose rescaled values are Hz.
    static func isFieldMap(_ type: [String]) -> Bool {
        type.contains("FIELD_MAP") || (type.contains("B0") && type.contains("MAP"))
    }

    /// A positive ScaleSlope (FL) at `path`: a number when the dictionary knows the private
    /// tag, four little-endian bytes (UN) when it does not.
    static func philipsScaleSlope(_ f: DcmtkFile, _ path: String) -> Double? {
        var v: Double?
        if let b = f.uint16Array(path), b.count == 4, b.allSatisfy({ $0 <= 0xFF }) {
            v = Double(Float(bitPattern: UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24))
        } else {
            v = DICOMValue.double(f.string(path))
        }
        guard let v, v.isFinite, v > 0 else { return nil }
        return v
    }

    /// NumberOfImagesInMosaic (0019,100A): US when the dictionary knows the private tag,
    /// raw little-endian bytes (UN) in implicit-VR files.
    private static func mosaicCount(_ f: DcmtkFile) -> Int? {
        guard let w = f.uint16Array("(0019,100A)") else { return nil }
        if w.count == 1 { return Int(w[0]) }
        if w.count == 2 { return Int(w[0]) | Int(w[1]) << 8 }
        return nil
    }
}
