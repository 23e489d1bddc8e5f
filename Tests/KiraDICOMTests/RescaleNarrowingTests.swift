import Foundation
import KiraCore
import KiraDICOM
import KiraTestSupport
import Testing

/// Integer rescale picks the narrowest output type that holds every rescaled value
/// (int16, else uint16, else int32), as dcm2niix does. Kira decodes into int16 first and
/// decodes again only when a value does not fit; these series, written at test time with
/// dcmtk's dump2dcm (and dcmcrle for RLE), reach each branch. Expected values are
/// analytic: stored = 2000 (x + 4 y) + 1000 z, output = slope · stored + intercept.
@Suite struct RescaleNarrowingTests {
    static let tools = ["dump2dcm", "dcmcrle"].allSatisfy { tool in
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    enum Encoding: String, CaseIterable { case explicitLittle, implicitLittle, rle }

    static func stored(_ x: Int, _ y: Int, _ z: Int) -> Int { 2000 * (x + 4 * y) + 1000 * z }

    /// 12 of 16 bits stored, signed, with junk in the top 4 bits: -700 … 1800.
    static func signed12(_ x: Int, _ y: Int, _ z: Int) -> Int { 100 * (x + 4 * y) - 700 + 1000 * z }

    /// Two 4×4 axial slices 2 mm apart with the given rescale.
    static func writeSeries(slope: Int, intercept: Int, encoding: Encoding, signed12bits: Bool = false,
                            photometric: String = "MONOCHROME2") throws -> URL {
        let dir = try TestPaths.temporaryDirectory("kira-rescale")
        let bits = signed12bits ? ["(0028,0100) US 16", "(0028,0101) US 12", "(0028,0102) US 11", "(0028,0103) US 1"]
                                : ["(0028,0100) US 16", "(0028,0101) US 16", "(0028,0102) US 15", "(0028,0103) US 0"]
        for z in 0..<2 {
            let words = (0..<16).map { i -> String in
                let word = signed12bits ? (Self.signed12(i % 4, i / 4, z) & 0x0FFF) | 0xA000 : stored(i % 4, i / 4, z)
                return String(format: "%04x", word)
            }.joined(separator: "\\")
            let lines = [
                "(0008,0016) UI =CTImageStorage",
                "(0008,0018) UI [1.2.826.0.1.3680043.8.498.90.\(slope).\(intercept + 50000).\(z)]",
                "(0008,0060) CS [CT]",
                "(0020,000e) UI [1.2.826.0.1.3680043.8.498.90.\(slope).\(intercept + 50000)]",
                "(0020,0013) IS [\(z + 1)]",
                "(0020,0032) DS [0\\0\\\(2 * z)]",
                "(0020,0037) DS [1\\0\\0\\0\\1\\0]",
                "(0028,0002) US 1", "(0028,0004) CS [\(photometric)]",
                "(0028,0010) US 4", "(0028,0011) US 4", "(0028,0030) DS [0.5\\0.5]",
            ] + bits + [
                "(0028,1052) DS [\(intercept)]", "(0028,1053) DS [\(slope)]",
                "(7fe0,0010) OW \(words)",
            ]
            let dump = dir.appendingPathComponent("s\(z).dump")
            try (lines.joined(separator: "\n") + "\n").write(to: dump, atomically: true, encoding: .utf8)
            let dcm = dir.appendingPathComponent("s\(z).dcm")
            let xfer = encoding == .implicitLittle ? "--write-xfer-implicit" : "--write-xfer-little"
            try run("dump2dcm", [xfer, dump.path, dcm.path])
            try FileManager.default.removeItem(at: dump)
            if encoding == .rle {
                let rle = dir.appendingPathComponent("s\(z)_rle.dcm")
                try run("dcmcrle", [dcm.path, rle.path])
                try FileManager.default.removeItem(at: dcm)
            }
        }
        return dir
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "\(tool) \(args.joined(separator: " ")) failed")
    }

    @Test(.enabled(if: tools, "dcmtk's dump2dcm and dcmcrle are not installed"),
          arguments: Encoding.allCases, [
              (1, -1024, ScalarType.int16),   // -1024 … 31976
              (2, 10, ScalarType.uint16),     // 10 … 64010
              (2, -1024, ScalarType.int32),   // -1024 … 62976
          ])
    func narrowestTypeHoldsEveryValue(encoding: Encoding, rescale: (Int, Int, ScalarType)) throws {
        let (slope, intercept, type) = rescale
        let dir = try Self.writeSeries(slope: slope, intercept: intercept, encoding: encoding)
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try loadSingleSeries([dir])
        #expect(v.voxels.scalarType == type)
        #expect(v.geometry.size == SIMD3(4, 4, 2))
        for z in 0..<2 { for y in 0..<4 { for x in 0..<4 {
            #expect(v[x, y, z, 0] == Double(slope * Self.stored(x, y, z) + intercept))
        } } }
    }

    /// Signed 12-bit samples under junk high bits, MONOCHROME1 or 2: masking, sign
    /// extension, inversion (−1 − v for signed data) and rescale together.
    @Test(.enabled(if: tools, "dcmtk's dump2dcm and dcmcrle are not installed"),
          arguments: Encoding.allCases, ["MONOCHROME2", "MONOCHROME1"])
    func signedTwelveBitsInvertedAndRescaled(encoding: Encoding, photometric: String) throws {
        let dir = try Self.writeSeries(slope: 3, intercept: -5, encoding: encoding, signed12bits: true, photometric: photometric)
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try loadSingleSeries([dir])
        #expect(v.voxels.scalarType == .int16)
        for z in 0..<2 { for y in 0..<4 { for x in 0..<4 {
            let stored = Self.signed12(x, y, z)
            let value = photometric == "MONOCHROME1" ? -1 - stored : stored
            #expect(v[x, y, z, 0] == Double(3 * value - 5))
        } } }
    }
}
