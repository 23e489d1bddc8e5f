import CDcmtk
import Foundation
import KiraCore
import KiraDICOM
import KiraTestSupport
import Testing

/// A single-fragment RLE frame is decoded through a 256 KiB window over the fragment, not
/// loaded whole. This frame (720 × 720, 16 bits, written with dump2dcm and compressed with
/// dcmcrle) has byte planes of ~340 KiB each, mostly literal runs with a constant row every
/// third row, so the window is refilled several times with runs of both kinds cut at its
/// edge. Expected values are the generator's.
@Suite struct RLEWindowTests {
    static let side = 720

    static func values(side: Int = Self.side) -> [UInt16] {
        var rng = SplitMix64(seed: 67)
        return (0..<(side * side)).map { i in
            let y = i / side
            return y % 3 == 0 ? UInt16(1000 + y) : UInt16(truncatingIfNeeded: rng.next())
        }
    }

    /// A one-frame 16-bit CT file of `values` (side × side) written with dump2dcm, and its
    /// RLE copy from dcmcrle: one fragment when `fragmentKiB` is nil, else fragments of that
    /// size (dcmcrle's non-standard +fs). `intercept` adds a rescale (slope 1).
    static func writeFrame(in dir: URL, side: Int, values: [UInt16], intercept: Int? = nil,
                           fragmentKiB: Int? = nil) throws -> (plain: URL, rle: URL) {
        let raw = dir.appendingPathComponent("pixels.raw")
        try values.withUnsafeBytes { try Data($0).write(to: raw) }
        var lines = [
            "(0008,0016) UI =CTImageStorage",
            "(0008,0018) UI [1.2.826.0.1.3680043.8.498.91.1]",
            "(0008,0060) CS [CT]",
            "(0020,000e) UI [1.2.826.0.1.3680043.8.498.91]",
            "(0020,0032) DS [0\\0\\0]",
            "(0020,0037) DS [1\\0\\0\\0\\1\\0]",
            "(0028,0002) US 1", "(0028,0004) CS [MONOCHROME2]",
            "(0028,0010) US \(side)", "(0028,0011) US \(side)", "(0028,0030) DS [0.5\\0.5]",
            "(0028,0100) US 16", "(0028,0101) US 16", "(0028,0102) US 15", "(0028,0103) US 0",
        ]
        if let intercept { lines += ["(0028,1052) DS [\(intercept)]", "(0028,1053) DS [1]"] }
        lines.append("(7fe0,0010) OW =\(raw.path)")
        let dump = dir.appendingPathComponent("frame.dump")
        try (lines.joined(separator: "\n") + "\n").write(to: dump, atomically: true, encoding: .utf8)
        let plain = dir.appendingPathComponent("plain").appendingPathComponent("frame.dcm")
        let rle = dir.appendingPathComponent("rle").appendingPathComponent("frame_rle.dcm")
        for f in [plain, rle] {
            try FileManager.default.createDirectory(at: f.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        try RescaleNarrowingTests.run("dump2dcm", ["--write-xfer-little", dump.path, plain.path])
        try RescaleNarrowingTests.run("dcmcrle", (fragmentKiB.map { ["+fs", String($0)] } ?? []) + [plain.path, rle.path])
        return (plain, rle)
    }

    /// `fragmentKiB` nil: one fragment (read through the window); 64: the frame split into
    /// 64 KiB fragments, which are joined before decoding.
    @Test(.enabled(if: RescaleNarrowingTests.tools, "dcmtk's dump2dcm and dcmcrle are not installed"),
          arguments: [nil, 64] as [Int?])
    func largeFrameDecodesThroughTheWindow(fragmentKiB: Int?) throws {
        let dir = try TestPaths.temporaryDirectory("kira-rle-window")
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = Self.values()
        let rle = try Self.writeFrame(in: dir, side: Self.side, values: expected, fragmentKiB: fragmentKiB).rle
        let size = try #require(try FileManager.default.attributesOfItem(atPath: rle.path)[.size] as? Int)
        #expect(size > 2 * (256 << 10), "each byte plane should outgrow the window; the file is \(size) bytes")

        let v = try loadSingleSeries([rle])
        #expect(v.geometry.size == SIMD3(Self.side, Self.side, 1))
        guard case let .uint16(decoded) = v.voxels else {
            Issue.record("expected uint16 voxels, got \(v.voxels.scalarType)")
            return
        }
        let mismatches = zip(decoded, expected).filter { $0 != $1 }.count
        #expect(decoded.count == expected.count && mismatches == 0, "\(mismatches) samples differ")
    }
}

/// The windowed decoder on frames encoded here (an independent PackBits encoder that also
/// writes the −128 no-op), at window sizes that cut literal runs, replicate runs and
/// control bytes at every offset, against the generator's samples.
@Suite struct RLEWindowSizeTests {
    /// PackBits: replicate runs of 2…128 equal bytes, literal runs of up to 128, and a no-op
    /// control byte after every 97th run.
    static func packBits(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0, runs = 0
        while i < b.count {
            var r = 1
            while i + r < b.count && r < 128 && b[i + r] == b[i] { r += 1 }
            if r >= 2 {
                out += [UInt8(bitPattern: Int8(1 - r)), b[i]]
                i += r
            } else {
                var j = i
                while j < b.count && j - i < 128 && !(j + 1 < b.count && b[j + 1] == b[j]) { j += 1 }
                if j == i { j += 1 }
                out.append(UInt8(j - i - 1))
                out += b[i..<j]
                i = j
            }
            runs += 1
            if runs % 97 == 0 { out.append(0x80) }
        }
        if out.count % 2 == 1 { out.append(0x80) }
        return out
    }

    /// An RLE frame (64-byte header, then one segment per byte, most significant first).
    static func frame(_ samples: [UInt32], bytes: Int) -> [UInt8] {
        let segments = (0..<bytes).map { k in
            packBits(samples.map { UInt8(truncatingIfNeeded: $0 >> (8 * UInt32(bytes - 1 - k))) })
        }
        var header = [UInt32](repeating: 0, count: 16)
        header[0] = UInt32(bytes)
        var offset = 64
        for k in 0..<bytes { header[k + 1] = UInt32(offset); offset += segments[k].count }
        var out = header.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        for s in segments { out += s }
        return out
    }

    static func samples(count: Int, bytes: Int) -> [UInt32] {
        var rng = SplitMix64(seed: 2024)
        let mask: UInt64 = bytes == 4 ? 0xFFFF_FFFF : (1 << (8 * UInt64(bytes))) - 1
        return (0..<count).map { i in
            // Stretches of noise, of constants and of slow ramps (runs in the high byte only).
            switch (i / 700) % 3 {
            case 0: UInt32(rng.next() & mask)
            case 1: UInt32(UInt64(1000 + i / 700) & mask)
            default: UInt32(UInt64(i * 3) & mask)
            }
        }
    }

    static func decode(_ f: [UInt8], pixels: Int, bytes: Int, window: Int) -> (status: Int32, out: [UInt8], message: String) {
        var out = [UInt8](repeating: 0, count: pixels * bytes)
        var msg = [CChar](repeating: 0, count: 256)
        let rc = kira_dcm_rle_decode(f, f.count, pixels, UInt32(bytes), window, &out, &msg, msg.count)
        return (rc, out, String(cString: msg))
    }

    @Test(arguments: [1, 2, 4], [0, 258, 259, 300, 1000, 4097, 65536])
    func windowedEqualsGenerator(bytes: Int, window: Int) throws {
        let pixels = 20_000
        let expected = Self.samples(count: pixels, bytes: bytes)
        let r = Self.decode(Self.frame(expected, bytes: bytes), pixels: pixels, bytes: bytes, window: window)
        try #require(r.status == Int32(KIRA_DCM_OK), "\(r.message)")
        let decoded = (0..<pixels).map { i in
            (0..<bytes).reduce(UInt32(0)) { $0 | UInt32(r.out[i * bytes + $1]) << (8 * UInt32($1)) }
        }
        let mismatches = zip(decoded, expected).filter { $0 != $1 }.count
        #expect(mismatches == 0, "\(mismatches) of \(pixels) samples differ")
    }

    static func decodeBands(_ f: [UInt8], pixels: Int, bytes: Int, window: Int, band: Int) -> (status: Int32, out: [UInt8], message: String) {
        var out = [UInt8](repeating: 0, count: pixels * bytes)
        var msg = [CChar](repeating: 0, count: 256)
        let rc = kira_dcm_rle_decode_bands(f, f.count, pixels, UInt32(bytes), window, band, &out, &msg, msg.count)
        return (rc, out, String(cString: msg))
    }

    /// Bands of every size from one sample to more than the frame, each cutting literal and
    /// replicate runs somewhere else, through small and large windows.
    @Test(arguments: [1, 2, 4], [1, 7, 127, 128, 129, 700, 4096, 19_999, 20_000, 50_000])
    func bandedEqualsGenerator(bytes: Int, band: Int) throws {
        let pixels = 20_000
        let expected = Self.samples(count: pixels, bytes: bytes)
        let f = Self.frame(expected, bytes: bytes)
        for window in [258, 65536] {
            let r = Self.decodeBands(f, pixels: pixels, bytes: bytes, window: window, band: band)
            try #require(r.status == Int32(KIRA_DCM_OK), "window \(window): \(r.message)")
            let decoded = (0..<pixels).map { i in
                (0..<bytes).reduce(UInt32(0)) { $0 | UInt32(r.out[i * bytes + $1]) << (8 * UInt32($1)) }
            }
            let mismatches = zip(decoded, expected).filter { $0 != $1 }.count
            #expect(mismatches == 0, "window \(window): \(mismatches) of \(pixels) samples differ")
        }
    }

    /// A frame asked for fewer or more samples than it holds is accepted or refused by the
    /// banded decoder exactly as by the whole-frame one (a step running past the end is an
    /// error; bytes after the last sample are padding), with the same samples when accepted.
    @Test(arguments: [-3, -2, -1, 0, 1, 2])
    func bandedAcceptsWhatWholeFrameAccepts(extra: Int) {
        let encoded = 5_000
        let f = Self.frame(Self.samples(count: encoded, bytes: 2), bytes: 2)
        let pixels = encoded + extra
        let whole = Self.decode(f, pixels: pixels, bytes: 2, window: 0)
        for band in [1, 333, 4096, pixels] {
            let banded = Self.decodeBands(f, pixels: pixels, bytes: 2, window: 258, band: band)
            #expect((banded.status == Int32(KIRA_DCM_OK)) == (whole.status == Int32(KIRA_DCM_OK)),
                    "band \(band), \(pixels) samples: banded \(banded.message), whole \(whole.message)")
            if whole.status == Int32(KIRA_DCM_OK) { #expect(banded.out == whole.out, "band \(band)") }
        }
    }

    /// A segment cut short is reported, windowed or not, never read past.
    @Test(arguments: [0, 258, 4097])
    func truncatedSegmentIsAnError(window: Int) {
        let pixels = 5_000
        let f = Self.frame(Self.samples(count: pixels, bytes: 2), bytes: 2)
        let r = Self.decode(Array(f.dropLast(40)), pixels: pixels, bytes: 2, window: window)
        #expect(r.status != Int32(KIRA_DCM_OK))
        #expect(r.message.contains("RLE segment 2 does not decode to 5000 bytes"), "\(r.message)")
    }
}
