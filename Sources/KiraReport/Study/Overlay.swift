import Foundation
import KiraCore
import KiraIO

/// A region drawn over an image: the cross-section (axial slice) where the first mask is
/// largest, the grey image windowed at its 1st–99th percentiles within that slice, each mask's
/// outline in its own colour (the first also lightly filled), scaled up by whole pixels to at
/// least 320 pixels across (nearest neighbour, so the voxel grid stays visible) and shown at
/// its physical aspect ratio.
public struct Overlay: Sendable {
    public struct Layer: Sendable {
        public var name: String
        public var mask: Volume
        public init(name: String, mask: Volume) { self.name = name; self.mask = mask }
    }

    /// Outline colours (Okabe–Ito orange, sky blue, bluish green, reddish purple).
    public static let colours: [(UInt8, UInt8, UInt8)] = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (204, 121, 167)]

    public var slice: Int
    /// Voxels of each layer in that slice.
    public var areas: [Int]
    /// Voxels of the first layer in its largest slice, and in the whole volume.
    public var voxels: Int
    public var width: Int
    public var height: Int
    /// RGB pixels, rows top to bottom.
    public var pixels: [UInt8]

    /// Throws when a mask is not on the image's grid (its size differs): the caller reports it.
    public init(image: Volume, layers: [Layer], minimumWidth: Int = 320) throws {
        let g = image.geometry
        for l in layers where l.mask.geometry.size != g.size {
            throw KiraError.invalidData("mask '\(l.name)' (\(l.mask.geometry.size.x)×\(l.mask.geometry.size.y)×\(l.mask.geometry.size.z)) does not fit the image (\(g.size.x)×\(g.size.y)×\(g.size.z))")
        }
        let nx = g.size.x, ny = g.size.y, nz = g.size.z, plane = nx * ny
        // The slice where the first mask is largest (the first such slice on ties).
        var best = nz / 2, bestArea = -1
        var total = 0
        if let first = layers.first {
            for z in 0..<nz {
                var a = 0
                for k in (z * plane)..<((z + 1) * plane) where first.mask.voxels[k] != 0 { a += 1 }
                total += a
                if a > bestArea { bestArea = a; best = z }
            }
        }
        slice = best
        voxels = total
        areas = layers.map { l in ((best * plane)..<((best + 1) * plane)).filter { l.mask.voxels[$0] != 0 }.count }
        // Window: 1st–99th percentile of the slice.
        var values = (0..<plane).map { image.voxels[best * plane + $0] }.filter(\.isFinite)
        values.sort()
        let lo = values.isEmpty ? 0 : values[Int(Double(values.count - 1) * 0.01)]
        let hi = values.isEmpty ? 1 : values[Int(Double(values.count - 1) * 0.99)]
        let span = hi > lo ? hi - lo : 1
        // Physical aspect ratio: rows stretched by spacing.y / spacing.x, then a whole-number zoom.
        let aspect = g.spacing.y / g.spacing.x
        let zoom = max(1, Int((Double(minimumWidth) / Double(nx)).rounded(.up)))
        width = nx * zoom
        height = max(1, Int((Double(ny) * aspect * Double(zoom)).rounded()))
        var out = [UInt8](repeating: 0, count: width * height * 3)
        func inside(_ l: Layer, _ x: Int, _ y: Int) -> Bool {
            guard x >= 0, y >= 0, x < nx, y < ny else { return false }
            return l.mask.voxels[best * plane + y * nx + x] != 0
        }
        for py in 0..<height {
            let y = min(ny - 1, Int(Double(py) / (aspect * Double(zoom))))
            for px in 0..<width {
                let x = px / zoom
                let v = image.voxels[best * plane + y * nx + x]
                let grey = v.isFinite ? UInt8(max(0, min(255, ((v - lo) / span * 255).rounded()))) : 0
                var rgb = (Double(grey), Double(grey), Double(grey))
                for (k, l) in layers.enumerated() where inside(l, x, y) {
                    let c = Self.colours[k % Self.colours.count]
                    // Outline: a mask voxel with a 4-neighbour outside, drawn on the pixels at its edge.
                    let edgeLeft = px % zoom == 0 && !inside(l, x - 1, y), edgeRight = px % zoom == zoom - 1 && !inside(l, x + 1, y)
                    let yTop = min(ny - 1, Int(Double(py - 1) / (aspect * Double(zoom)))), yBottom = min(ny - 1, Int(Double(py + 1) / (aspect * Double(zoom))))
                    let edgeTop = (py == 0 || yTop != y) && !inside(l, x, y - 1)
                    let edgeBottom = (py == height - 1 || yBottom != y) && !inside(l, x, y + 1)
                    if edgeLeft || edgeRight || edgeTop || edgeBottom {
                        rgb = (Double(c.0), Double(c.1), Double(c.2))
                    } else if k == 0 {
                        rgb = (rgb.0 * 0.75 + Double(c.0) * 0.25, rgb.1 * 0.75 + Double(c.1) * 0.25, rgb.2 * 0.75 + Double(c.2) * 0.25)
                    }
                }
                let o = (py * width + px) * 3
                out[o] = UInt8(rgb.0.rounded()); out[o + 1] = UInt8(rgb.1.rounded()); out[o + 2] = UInt8(rgb.2.rounded())
            }
        }
        pixels = out
    }

    public func png() throws -> Data { try PNGWriter.data(pixels, width: width, height: height, channels: 3) }

    public func dataURI() throws -> String { "data:image/png;base64," + (try png()).base64EncodedString() }
}
