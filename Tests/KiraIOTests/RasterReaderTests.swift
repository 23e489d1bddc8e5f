import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Rasters made by TestData/scripts/make_io_testdata.py: 7 wide × 5 high, row 0 = y 0.
@Suite struct RasterReaderTests {
    static let w = 7, h = 5

    static func grey8(_ x: Int, _ y: Int) -> Double { Double((x * 37 + y * 11) % 256) }
    static func grey16(_ x: Int, _ y: Int) -> Double { Double(1000 * x + 97 * y + 300) }
    static func rgb8(_ x: Int, _ y: Int) -> SIMD3<Double> {
        SIMD3(Double((x * 40) % 256), Double((y * 60) % 256), Double((x * y * 9) % 256))
    }
    static func rgb16(_ x: Int, _ y: Int) -> SIMD3<Double> {
        SIMD3(Double(1000 * x + 7), Double(2000 * y + 11), Double(300 * (x + y) + 13))
    }
    static let palette: [SIMD3<Double>] = [[0, 0, 0], [255, 0, 0], [0, 128, 255], [12, 34, 56]]
    static func paletteRGB(_ x: Int, _ y: Int) -> SIMD3<Double> { palette[(x + 2 * y) % 4] }

    /// ITU-R BT.601 luma.
    static func luma(_ c: SIMD3<Double>) -> Double { 0.299 * c.x + 0.587 * c.y + 0.114 * c.z }

    static func expectPixels(_ v: Volume, width: Int = w, height: Int = h, tolerance: Double = 0,
                             _ expected: (Int, Int) -> Double) {
        #expect(v.geometry.size == [width, height, 1])
        var worst = 0.0
        for y in 0..<height { for x in 0..<width { worst = max(worst, abs(v[x, y, 0, 0] - expected(x, y))) } }
        #expect(worst <= tolerance, "largest difference \(worst)")
    }

    static func expectRGB(_ v: Volume, tolerance: Double = 0, width: Int = w, height: Int = h,
                          _ expected: (Int, Int) -> SIMD3<Double>) {
        #expect(v.components == 3)
        var worst = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let i = v.linearIndex(x: x, y: y, z: 0)
                let e = expected(x, y)
                for c in 0..<3 { worst = max(worst, abs(v.voxels[i + c] - e[c])) }
            }
        }
        #expect(worst <= tolerance, "largest difference \(worst)")
    }

    static func url(_ name: String) -> URL { TestPaths.testData("raster/\(name)") }

    // MARK: Grey

    @Test(arguments: ["grey8.png", "grey8.tif"])
    func grey8IsExact(name: String) throws {
        let v = try RasterReader.read(Self.url(name), spacing: nil)
        #expect(v.voxels.scalarType == .uint8)
        #expect(v.components == 1)
        Self.expectPixels(v, Self.grey8)
        #expect(v.geometry.spacing == [1, 1, 1])
        #expect(v.geometry.origin == [0, 0, 0])
        #expect(v.geometry.direction == .identity)
        #expect(v.metadata["SpacingSource"] == "none")
        #expect(v.metadata["GreyConversion"] == nil)
    }

    @Test func greyAlphaDropsAlpha() throws {
        let v = try RasterReader.read(Self.url("grey_alpha.png"), spacing: nil)
        #expect(v.voxels.scalarType == .uint8)
        #expect(v.components == 1)
        Self.expectPixels(v, Self.grey8)
        #expect(v.metadata["AlphaDropped"] == true)
        #expect(v.metadata["SourceLayout"] == "grey+alpha")
    }

    @Test(arguments: ["grey16.png", "grey16.tif"])
    func grey16IsExact(name: String) throws {
        let v = try RasterReader.read(Self.url(name), spacing: nil)
        #expect(v.voxels.scalarType == .uint16)
        Self.expectPixels(v, Self.grey16)
    }

    @Test func signedAndFloatTIFFKeepTheirType() throws {
        let i = try RasterReader.read(Self.url("grey_int16.tif"), spacing: nil)
        #expect(i.voxels.scalarType == .int16)
        Self.expectPixels(i) { x, y in Double(100 * x - 37 * y - 500) }
        let f = try RasterReader.read(Self.url("grey_float32.tif"), spacing: nil)
        #expect(f.voxels.scalarType == .float32)
        Self.expectPixels(f) { x, y in 0.5 * Double(x) - 1.25 * Double(y) }
    }

    @Test func minIsWhiteTIFFIsInverted() throws {
        let v = try RasterReader.read(Self.url("grey8_miniswhite.tif"), spacing: nil)
        Self.expectPixels(v) { x, y in 255 - Self.grey8(x, y) }
        #expect(v.metadata["TIFFPhotometric"] != nil)
    }

    @Test func tiledCompressedTIFFIsExact() throws {
        let v = try RasterReader.read(Self.url("tiled.tif"), spacing: nil)
        Self.expectPixels(v, width: 20, height: 18) { x, y in Double((3 * x + 5 * y) % 256) }
    }

    // MARK: Colour

    @Test(arguments: ["rgb.png", "rgb.tif", "rgba.png", "rgb_planar.tif"])
    func rgbBecomesBT601Grey(name: String) throws {
        let v = try RasterReader.read(Self.url(name), spacing: nil)
        #expect(v.voxels.scalarType == .float32)
        #expect(v.metadata["GreyConversion"] == .string(RasterReader.lumaFormula))
        // float32 storage: within 1e-4 of the double-precision luma.
        Self.expectPixels(v, tolerance: 1e-4) { x, y in Self.luma(Self.rgb8(x, y)) }
        if name == "rgba.png" { #expect(v.metadata["AlphaDropped"] == true) }
    }

    @Test(arguments: ["rgb.png", "rgb.tif", "rgba.png", "rgb_planar.tif"])
    func rgbKeptWhenAsked(name: String) throws {
        let v = try RasterReader.read(Self.url(name), spacing: nil, keepRGB: true)
        #expect(v.voxels.scalarType == .uint8)
        Self.expectRGB(v, Self.rgb8)
    }

    @Test func rgb16TIFFIsExact() throws {
        let v = try RasterReader.read(Self.url("rgb16.tif"), spacing: nil, keepRGB: true)
        #expect(v.voxels.scalarType == .uint16)
        Self.expectRGB(v, Self.rgb16)
        let grey = try RasterReader.read(Self.url("rgb16.tif"), spacing: nil)
        Self.expectPixels(grey, tolerance: 1e-3) { x, y in Self.luma(Self.rgb16(x, y)) }
    }

    @Test(arguments: ["palette.png", "palette.tif"])
    func paletteIsExpanded(name: String) throws {
        let rgb = try RasterReader.read(Self.url(name), spacing: nil, keepRGB: true)
        Self.expectRGB(rgb, Self.paletteRGB)
        #expect(rgb.metadata["SourceLayout"] == "palette")
        let grey = try RasterReader.read(Self.url(name), spacing: nil)
        Self.expectPixels(grey, tolerance: 1e-4) { x, y in Self.luma(Self.paletteRGB(x, y)) }
    }

    // MARK: JPEG (lossy)

    /// Written at quality 95 (4:4:4) from a smooth 16×16 gradient; measured decoding error
    /// is 0 for grey and ≤ 3 per channel for RGB, so the tolerances are 2 and 4 levels.
    @Test func jpegGreyWithinTwoLevels() throws {
        let v = try RasterReader.read(Self.url("grey8.jpg"), spacing: nil)
        #expect(v.voxels.scalarType == .uint8)
        Self.expectPixels(v, width: 16, height: 16, tolerance: 2) { x, y in Double(8 * x + 4 * y + 40) }
    }

    @Test func jpegRGBWithinFourLevels() throws {
        let expected: (Int, Int) -> SIMD3<Double> = { x, y in SIMD3(Double(8 * x + 40), Double(8 * y + 60), 120) }
        let rgb = try RasterReader.read(Self.url("rgb.jpg"), spacing: nil, keepRGB: true)
        Self.expectRGB(rgb, tolerance: 4, width: 16, height: 16, expected)
        let grey = try RasterReader.read(Self.url("rgb.jpg"), spacing: nil)
        Self.expectPixels(grey, width: 16, height: 16, tolerance: 2) { x, y in Self.luma(expected(x, y)) }
    }

    // MARK: Spacing

    @Test func userSpacingIsUsed() throws {
        let v = try RasterReader.read(Self.url("grey8.png"), spacing: [0.2, 0.3])
        #expect(v.geometry.spacing == [0.2, 0.3, 1])
        #expect(v.metadata["SpacingSource"] == "user")
    }

    @Test func tiffResolutionInCentimetres() throws {
        // 40 px/cm in x, 20 px/cm in y.
        let v = try RasterReader.read(Self.url("grey8_res_cm.tif"), spacing: nil)
        #expect(abs(v.geometry.spacing.x - 0.25) < 1e-9)
        #expect(abs(v.geometry.spacing.y - 0.5) < 1e-9)
        #expect(v.metadata["SpacingSource"]?.stringValue?.contains("centimetre") == true)
        Self.expectPixels(v, Self.grey8)
        // A user spacing wins over the tags.
        let u = try RasterReader.read(Self.url("grey8_res_cm.tif"), spacing: [1, 1])
        #expect(u.geometry.spacing == [1, 1, 1])
    }

    @Test func nonPositiveSpacingIsRefused() {
        #expect(throws: KiraError.self) { try RasterReader.read(Self.url("grey8.png"), spacing: [0, 1]) }
    }

    // MARK: Errors

    @Test func truncatedPNGIsReported() {
        let url = Self.url("truncated.png")
        #expect {
            try RasterReader.read(url, spacing: nil)
        } throws: { e in
            guard let k = e as? KiraError else { return false }
            switch k {
            case let .truncated(p, _), let .unreadable(p, _): return p == url.path
            default: return false
            }
        }
    }

    @Test func wrongContentIsUnsupported() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("fake.png")
        try Data("not an image at all".utf8).write(to: url)
        #expect {
            try RasterReader.read(url, spacing: nil)
        } throws: { e in
            guard let k = e as? KiraError, case let .unsupportedFormat(p, _) = k else { return false }
            return p == url.path
        }
    }

    @Test(arguments: ["rgb.jpg", "tiled.tif"])
    func truncatedRasterIsReported(name: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: Self.url(name))
        let url = dir.appendingPathComponent("cut-" + name)
        try data.prefix(data.count / 2).write(to: url)
        #expect {
            try RasterReader.read(url, spacing: nil)
        } throws: { e in
            guard let k = e as? KiraError, case let .truncated(p, _) = k else { return false }
            return p == url.path
        }
    }

    @Test(arguments: ["grey8.png", "grey8.tif", "grey8.jpg"])
    func imageFileReaderDispatchesRasters(name: String) throws {
        let v = try ImageFileReader.read(Self.url(name))
        #expect(v.geometry.size.z == 1)
        #expect(v.metadata["SourceFile"] == .string(name))
    }
}
