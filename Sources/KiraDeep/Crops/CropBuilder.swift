import Foundation
import KiraCore

/// Where a crop came from and how its values were scaled: the per-case provenance.
public struct CropRecord: Sendable, Codable, Equatable {
    /// Slice index (z) of the largest tumour area, and the channels' slices.
    public var slice: Int
    public var slices: [Int]
    /// Voxel box, inclusive: x0, x1, y0, y1.
    public var box: [Int]
    /// The intensities mapped to 0 and 1.
    public var low: Double
    public var high: Double
    public var tumourPixels: Int
}

/// Image + mask → the network's N×3×H×W input: box, slices, bilinear resize (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`, no antialiasing), intensity scaling,
/// grey to three channels, mean/std normalisation.
public enum CropBuilder {
    /// `subject` names the case in errors ("case P01", or the image path).
    public static func build(image: Volume, mask: Volume, options o: CropOptions, height: Int, width: Int,
                             subject: String) throws -> (tensor: Tensor, record: CropRecord) {
        let g = image.geometry
        guard mask.geometry.size == g.size else {
            throw KiraError.invalidArgument("\(subject): the mask's grid \(sizeText(mask.geometry.size)) is not the image's \(sizeText(g.size))")
        }
        guard image.timepoints == 1 else { throw KiraError.invalidArgument("\(subject): the image has \(image.timepoints) time points; give one") }
        let (nx, ny, nz) = (g.size.x, g.size.y, g.size.z)
        // Tumour area per slice and the box over all slices' tumour pixels of the chosen slice.
        var area = [Int](repeating: 0, count: nz)
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx where mask.voxels[(z * ny + y) * nx + x] != 0 { area[z] += 1 } } }
        guard let best = area.indices.max(by: { area[$0] < area[$1] || (area[$0] == area[$1] && $0 > $1) }), area[best] > 0 else {
            throw KiraError.invalidArgument("\(subject): the mask is empty")
        }
        var (x0, x1, y0, y1) = (nx, -1, ny, -1)
        for y in 0..<ny {
            for x in 0..<nx where mask.voxels[(best * ny + y) * nx + x] != 0 {
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            }
        }
        // A ring of r mm reaches floor(r / spacing) pixels beyond the tumour along each axis:
        // the bounding box of the tumour dilated by a Euclidean ball of r mm.
        let ring: Double
        switch o.region {
        case .tumour: ring = 0
        case let .tumourRing(mm): ring = mm
        }
        let grow = ring + o.marginMM
        let gx = Int((grow / g.spacing.x) * (1 + 1e-12)), gy = Int((grow / g.spacing.y) * (1 + 1e-12))
        let box = (x0 - gx, x1 + gx, y0 - gy, y1 + gy)
        if box.0 < 0 || box.2 < 0 || box.1 >= nx || box.3 >= ny {
            throw KiraError.invalidArgument("\(subject): the \(o.region.description) crop (x \(box.0)…\(box.1), y \(box.2)…\(box.3) on slice \(best)) reaches outside the image (\(nx)×\(ny)); choose a smaller ring or margin")
        }
        let slices: [Int]
        switch o.mode {
        case .twoD: slices = [best, best, best]
        case .twoAndHalfD:
            guard best >= 1, best + 1 < nz else {
                throw KiraError.invalidArgument("\(subject): 2.5d input needs the slices on both sides of the largest tumour slice \(best), and the image has \(nz) slice\(nz == 1 ? "" : "s")")
            }
            slices = [best - 1, best, best + 1]
        }
        let cw = box.1 - box.0 + 1, ch = box.3 - box.2 + 1
        let distinct = Array(Set(slices)).sorted()
        var planes: [Int: [Double]] = [:]
        for z in distinct {
            var p = [Double](repeating: 0, count: cw * ch)
            for y in 0..<ch {
                for x in 0..<cw { p[y * cw + x] = image[box.0 + x, box.2 + y, z, 0] }
            }
            planes[z] = p
        }
        let (low, high): (Double, Double)
        switch o.intensity {
        case let .window(l, h): (low, high) = (l, h)
        case let .percentile(pl, ph):
            let all = distinct.flatMap { planes[$0]! }.sorted()
            (low, high) = (percentile(all, pl), percentile(all, ph))
        }
        let span = high - low
        var data = [Float](repeating: 0, count: 3 * height * width)
        for c in 0..<3 {
            let resized = bilinear(planes[slices[c]]!, width: cw, height: ch, toWidth: width, toHeight: height)
            let (m, s) = (o.mean[c], o.std[c])
            for i in 0..<resized.count {
                let unit = span > 0 ? min(max((resized[i] - low) / span, 0), 1) : 0
                data[c * height * width + i] = (Float(unit) - m) / s
            }
        }
        let record = CropRecord(slice: best, slices: slices, box: [box.0, box.1, box.2, box.3], low: low, high: high, tumourPixels: area[best])
        return (Tensor(shape: [1, 3, height, width], data: data), record)
    }

    /// NumPy's default (linear) percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q / 100 * Double(sorted.count - 1)
        let i = Int(pos.rounded(.down)), f = pos - Double(i)
        return i + 1 < sorted.count ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i]
    }

    /// Source coordinate (d + 0.5)·in/out − 0.5, clamped at 0 (PyTorch's half-pixel rule).
    static func bilinear(_ p: [Double], width w: Int, height h: Int, toWidth ow: Int, toHeight oh: Int) -> [Double] {
        func taps(_ n: Int, _ out: Int) -> [(Int, Int, Double)] {
            let scale = Double(n) / Double(out)
            return (0..<out).map { d in
                let s = max((Double(d) + 0.5) * scale - 0.5, 0)
                let i0 = min(Int(s), n - 1), i1 = min(i0 + 1, n - 1)
                return (i0, i1, s - Double(i0))
            }
        }
        let tx = taps(w, ow), ty = taps(h, oh)
        var out = [Double](repeating: 0, count: ow * oh)
        for (oy, (y0, y1, fy)) in ty.enumerated() {
            for (ox, (x0, x1, fx)) in tx.enumerated() {
                let top = p[y0 * w + x0] * (1 - fx) + p[y0 * w + x1] * fx
                let bottom = p[y1 * w + x0] * (1 - fx) + p[y1 * w + x1] * fx
                out[oy * ow + ox] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }

    private static func sizeText(_ s: SIMD3<Int>) -> String { "\(s.x)×\(s.y)×\(s.z)" }
}
