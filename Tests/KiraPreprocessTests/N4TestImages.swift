import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraTestSupport

/// Inputs for the N4 tests: a synthetic phantom with a known multiplicative bias, and the
/// peer run (SimpleITK) on the same image, mask and settings.
enum N4TestImages {
    struct Phantom {
        var biased: Volume
        var truth: [Double]     // the unbiased intensities
        var bias: [Double]      // the multiplicative field applied
        var mask: Volume        // voxels with a positive intensity
    }

    /// 48×40×32 voxels, spacing 0.9×1.1×2.3 mm, an oblique orthonormal frame. An ellipsoid of
    /// three tissues (100, 180, 260, ±3 % deterministic noise) on a zero background, times
    /// exp(b) with b a smooth function of the physical position (about ±0.35 across the field).
    static func phantom() throws -> Phantom {
        let size = SIMD3(48, 40, 32)
        let a = 20.0 * Double.pi / 180, b = 15.0 * Double.pi / 180
        // Rotation about z by a, then about x by b: orthonormal columns.
        let c0 = SIMD3(cos(a), sin(a) * cos(b), sin(a) * sin(b))
        let c1 = SIMD3(-sin(a), cos(a) * cos(b), cos(a) * sin(b))
        let c2 = SIMD3(0, -sin(b), cos(b))
        let g = Geometry(size: size, spacing: [0.9, 1.1, 2.3], origin: [-21.5, 14.25, -30.75], direction: Matrix3(columns: c0, c1, c2))
        var rng = SplitMix64(seed: 2010)
        let centre = g.physicalPoint(index: SIMD3(Double(size.x - 1), Double(size.y - 1), Double(size.z - 1)) * 0.5)
        var truth = [Double](), bias = [Double](), biased = [Float](), mask = [UInt8]()
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let u = (2 * Double(x) + 1) / Double(size.x) - 1, v = (2 * Double(y) + 1) / Double(size.y) - 1
            let w = (2 * Double(z) + 1) / Double(size.z) - 1
            let r2 = u * u + v * v + w * w
            var t = 0.0
            if r2 < 0.92 {
                t = 100
                if (u - 0.2) * (u - 0.2) / 0.16 + v * v / 0.25 + w * w / 0.36 < 1 { t = 180 }
                if (u + 0.35) * (u + 0.35) + (v + 0.3) * (v + 0.3) + w * w < 0.05 { t = 260 }
                t *= 1 + 0.06 * (rng.unit() - 0.5)
            }
            let p = g.physicalPoint(index: SIMD3(x, y, z)) - centre
            let logBias = 0.012 * p.x - 0.008 * p.y + 0.2 * sin(p.z / 22) + 0.1 * cos(p.x / 15) * cos(p.y / 18)
            let f = exp(logBias)
            truth.append(t)
            bias.append(f)
            biased.append(Float(t * f))
            mask.append(t > 0 ? 1 : 0)
        } } }
        return Phantom(biased: try Volume(geometry: g, voxels: .float32(biased)), truth: truth, bias: bias,
                       mask: try Volume(geometry: g, voxels: .uint8(mask)))
    }

    struct PeerRun {
        var corrected: Volume
        var logField: Volume
        var report: String
    }

    /// Runs Tests/Peers/sitk_n4.py on the image and mask with `settings`.
    static func simpleITK(_ image: Volume, mask: Volume, settings: N4Settings) throws -> PeerRun {
        let dir = try TestPaths.temporaryDirectory("n4-sitk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("image.nii.gz"), maskURL = dir.appendingPathComponent("mask.nii.gz")
        try NIfTIWriter.write(image, to: input)
        try NIfTIWriter.write(mask, to: maskURL)
        let corrected = dir.appendingPathComponent("corrected.nii.gz"), field = dir.appendingPathComponent("field.nii.gz")
        let c = settings.controlPoints
        let report = try PythonPeer.script("sitk_n4.py", [
            input.path, maskURL.path, corrected.path, field.path, "\(settings.shrinkFactor)",
            settings.maximumIterations.map(String.init).joined(separator: ","), "\(c.x),\(c.y),\(c.z)",
            "\(settings.histogramBins)", "\(settings.fullWidthAtHalfMaximum)", "\(settings.wienerNoise)", "\(settings.convergenceThreshold)",
        ])
        return PeerRun(corrected: try NIfTIReader.read(corrected), logField: try NIfTIReader.read(field), report: report)
    }

    /// The effective N4 mask (given mask ∧ positive intensity) as 0/1.
    static func effectiveMask(_ image: Volume, _ mask: Volume?) throws -> Volume {
        let n = image.geometry.voxelCount
        let m = (0..<n).map { i -> UInt8 in (mask == nil || mask!.voxels[i] != 0) && image.voxels[i] > 0 ? 1 : 0 }
        return try Volume(geometry: image.geometry, voxels: .uint8(m))
    }

    struct Agreement: CustomStringConvertible {
        var correctedRelative: Double    // max |a − b| / |b| inside the mask
        var fieldMaxDifference: Double   // max |a − b| of the log fields inside the mask
        var fieldCorrelation: Double     // Pearson r of the log fields inside the mask
        var description: String {
            "corrected max relative \(correctedRelative), log-field max difference \(fieldMaxDifference), log-field correlation \(fieldCorrelation)"
        }
    }

    static func agreement(_ kira: N4Result, _ peer: PeerRun, mask: Volume) -> Agreement {
        var rel = 0.0, diff = 0.0
        var a = [Double](), b = [Double]()
        for i in 0..<mask.geometry.voxelCount where mask.voxels[i] != 0 {
            let ck = kira.corrected.voxels[i], cp = peer.corrected.voxels[i]
            rel = max(rel, abs(ck - cp) / abs(cp))
            let fk = kira.logBiasField.voxels[i], fp = peer.logField.voxels[i]
            diff = max(diff, abs(fk - fp))
            a.append(fk); b.append(fp)
        }
        return Agreement(correctedRelative: rel, fieldMaxDifference: diff, fieldCorrelation: pearson(a, b))
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
        return sab / (saa * sbb).squareRoot()
    }

    /// Coefficient of variation (population SD / mean) of `values`.
    static func cv(_ values: [Double]) -> Double {
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
        return v.squareRoot() / m
    }
}
