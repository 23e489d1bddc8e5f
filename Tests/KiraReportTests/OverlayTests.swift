import Foundation
import KiraCore
import KiraIO
import KiraReport
import KiraTestSupport
import Testing

@Suite("ROI overlay and PNG output")
struct OverlayTests {
    /// A 10×8×3 ramp image with a 3×3 square ROI in slice 1 (one voxel in slice 2): slice 1 is
    /// chosen, the square's edge pixels are orange, its centre a 25% orange blend of the grey,
    /// and a voxel outside stays grey.
    @Test("Largest cross-section, outline on the ROI's edge, blended interior, grey outside")
    func overlayPixels() throws {
        let g = Geometry(size: [10, 8, 3], spacing: [1, 1, 2], origin: [0, 0, 0])
        var image = [Float](repeating: 0, count: g.voxelCount), mask = [UInt8](repeating: 0, count: g.voxelCount)
        for z in 0..<3 { for y in 0..<8 { for x in 0..<10 { image[x + 10 * (y + 8 * z)] = Float(x * 10 + y) } } }
        for y in 3...5 { for x in 4...6 { mask[x + 10 * (y + 8 * 1)] = 1 } }
        mask[2 + 10 * (2 + 8 * 2)] = 1
        let o = try Overlay(image: Volume(geometry: g, voxels: .float32(image)),
                            layers: [.init(name: "r1", mask: Volume(geometry: g, voxels: .uint8(mask)))], minimumWidth: 40)
        #expect(o.slice == 1 && o.areas == [9] && o.voxels == 10)
        #expect(o.width == 40 && o.height == 32)   // zoom 4, square voxels in-plane
        func rgb(_ px: Int, _ py: Int) -> [UInt8] { Array(o.pixels[((py * o.width + px) * 3)..<((py * o.width + px) * 3 + 3)]) }
        let orange = Overlay.colours[0]
        #expect(rgb(4 * 4, 3 * 4 + 2) == [orange.0, orange.1, orange.2])        // left edge of voxel (4, 3)
        // Window: 1st–99th percentile of slice 1's 80 values (ranks 0 and 78 of the sorted ramp).
        let sorted = (0..<80).map { Double(($0 % 10) * 10 + $0 / 10) }.sorted()
        let lo = sorted[0], hi = sorted[78]
        func grey(_ v: Double) -> Double { max(0, min(255, ((v - lo) / (hi - lo) * 255).rounded())) }
        let centre = grey(5 * 10 + 4)
        let blended = [0.75 * centre + 0.25 * Double(orange.0), 0.75 * centre + 0.25 * Double(orange.1), 0.75 * centre + 0.25 * Double(orange.2)]
        #expect(rgb(5 * 4 + 2, 4 * 4 + 2) == blended.map { UInt8($0.rounded()) })
        let outside = UInt8(grey(1 * 10 + 1))
        #expect(rgb(1 * 4 + 1, 1 * 4 + 1) == [outside, outside, outside])
    }

    @Test("A mask of another size is refused with both sizes named")
    func offGrid() throws {
        let g = Geometry(size: [6, 6, 2], spacing: [1, 1, 1], origin: [0, 0, 0])
        let m = Geometry(size: [5, 6, 2], spacing: [1, 1, 1], origin: [0, 0, 0])
        #expect(throws: KiraError.self) {
            try Overlay(image: Volume(geometry: g, voxels: .float32([Float](repeating: 1, count: 72))),
                        layers: [.init(name: "r1", mask: Volume(geometry: m, voxels: .uint8([UInt8](repeating: 1, count: 60))))])
        }
    }

    @Test("PNG written by libpng reads back with the same pixels (RGB → luminance by the reader's rule)")
    func pngRoundTrip() throws {
        let w = 7, h = 5
        let grey = (0..<(w * h)).map { UInt8(($0 * 37) % 256) }
        let dir = try TestPaths.temporaryDirectory("kira-png")
        let url = dir.appendingPathComponent("g.png")
        try PNGWriter.write(grey, width: w, height: h, channels: 1, to: url)
        let v = try RasterReader.read(url, spacing: nil)
        #expect(v.geometry.size == SIMD3(w, h, 1))
        #expect((0..<(w * h)).map { UInt8(v.voxels[$0]) } == grey)
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }
}
