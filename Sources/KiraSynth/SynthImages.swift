import Foundation
import KiraCore

/// One modality of one case as `kira synth` writes it: the grid Kira reads back from the
/// DICOM, the stored pixels, the values they mean after rescaling, and both readers' masks.
public struct SynthImage: Sendable {
    public var geometry: Geometry
    public var timepoints: Int
    /// Stored pixel values, x fastest, then y, z, t (as DICOM frames hold them).
    public var stored: [UInt16]
    /// stored × slope + intercept: what a reader that applies the rescale gets.
    public var values: [Double]
    public var slope: Double
    public var intercept: Double
    /// Reader 1 and reader 2, 0/1 on `geometry`.
    public var masks: [[UInt8]]
    /// 1 where the point is in the body (tissue), 0 in air.
    public var body: [UInt8]
    /// ImageOrientationPatient and ImagePositionPatient per slice, as written.
    public var orientation: [Double]?
    public var positions: [SIMD3<Double>]?
}

/// Draws each modality of a case from its patient-space description (`SynthCase.sample`).
public enum SynthImages {
    public static let dceSize = SIMD3(64, 64, 24)
    public static let dceSpacing = SIMD3(1.0, 1.0, 2.5)
    public static let t2Size = SIMD3(56, 56, 20)
    public static let t2Spacing = SIMD3(2.3, 2.3, 3.0)
    /// Relative enhancement of the tumour in each DCE phase (pre-contrast, early, late).
    public static let dcePhases = [0.0, 0.75, 1.0]
    public static let mgSize = SIMD2(256, 256)
    public static let mgImagerPixelSpacing = 0.3
    public static let mgMagnification = 1.1
    public static let usSize = SIMD2(128, 128)
    /// PhysicalDeltaX and PhysicalDeltaY of the ultrasound region, in cm.
    public static let usDeltaCm = SIMD2(0.04, 0.036)
    /// The MR slices are tilted: rotated 15° about z, then 20° about x (not axis aligned).
    public static let obliqueDegrees = (z: 15.0, x: 20.0)

    /// ImageOrientationPatient of both MR series, as the decimal strings a reader parses.
    public static var orientation: [Double] {
        let a = obliqueDegrees.z * Double.pi / 180, b = obliqueDegrees.x * Double.pi / 180
        let rz = Matrix3(columns: [cos(a), sin(a), 0], [-sin(a), cos(a), 0], [0, 0, 1])
        let rx = Matrix3(columns: [1, 0, 0], [0, cos(b), sin(b)], [0, -sin(b), cos(b)])
        let r = rz * rx
        return (Array([r.c0.x, r.c0.y, r.c0.z, r.c1.x, r.c1.y, r.c1.z])).map(DecimalString.quantized)
    }

    /// The grid a DICOM reader builds from the written orientation and positions: unit row
    /// and column vectors, their cross product, the first slice's position, the mean gap.
    static func mrGrid(size: SIMD3<Int>, spacing: SIMD3<Double>) -> (Geometry, [SIMD3<Double>]) {
        let o = orientation
        var row = SIMD3(o[0], o[1], o[2]), col = SIMD3(o[3], o[4], o[5])
        row /= norm(row); col /= norm(col)
        let normal = cross(row, col) / norm(cross(row, col))
        let half = SIMD3<Double>(Double(size.x - 1), Double(size.y - 1), Double(size.z - 1)) * spacing / 2
        let corner = -(row * half.x + col * half.y + normal * half.z)
        let positions = (0..<size.z).map { k in
            (corner + normal * (spacing.z * Double(k))).quantizedDS
        }
        let gap = size.z > 1 ? (dot(positions[size.z - 1], normal) - dot(positions[0], normal)) / Double(size.z - 1) : spacing.z
        let g = Geometry(size: size, spacing: SIMD3(spacing.x, spacing.y, gap), origin: positions[0],
                         direction: Matrix3(columns: row, col, normal))
        return (g, positions)
    }

    static func noiseStream(_ c: SynthCase, seed: UInt64, tag: UInt64) -> GaussianStream {
        GaussianStream(seed: SynthUID.mix(seed ^ SynthUID.mix(UInt64(c.index) &* 0x1000 &+ tag)))
    }

    /// Samples at every point, with the tumour texture standardised over this grid's tumour
    /// points, so the planted heterogeneity is the texture's standard deviation on every grid.
    /// Also returns the index of the spot's voxel (the one nearest the spot's point) and,
    /// in flagged cases, widens reader 2's outline to it along a bridge about one voxel wide.
    static func samples(_ c: SynthCase, points: [SIMD3<Double>], voxelSize: Double) -> (samples: [SynthCase.Sample], spot: Int) {
        var s = points.map(c.sample)
        let spot = s.indices.min { s[$0].spotDistance < s[$1].spotDistance }!
        if c.artefactInReader2 {
            let q = points[spot], a = c.bridgeStart, radius = 0.55 * voxelSize
            for i in s.indices where !s[i].inReader.1 {
                let p = points[i]
                if SynthCase.segmentDistance(p.x, p.y, p.z, a, q) <= radius { s[i].inReader.1 = true }
            }
        }
        let inside = s.filter(\.inTumour).map(\.texture)
        let mean = inside.isEmpty ? 0 : inside.reduce(0, +) / Double(inside.count)
        let sd = inside.count < 2 ? 1 : (inside.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(inside.count - 1)).squareRoot()
        for i in s.indices { s[i].texture = (s[i].texture - mean) / max(sd, 1e-9) }
        return (s, spot)
    }

    static func points(_ g: Geometry) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        out.reserveCapacity(g.voxelCount)
        let m = g.indexToPhysicalMatrix, o = g.origin
        let (ax, ay, az) = (m.c0.x, m.c0.y, m.c0.z), (bx, by, bz) = (m.c1.x, m.c1.y, m.c1.z), (cx, cy, cz) = (m.c2.x, m.c2.y, m.c2.z)
        for k in 0..<g.size.z {
            let z = Double(k)
            for j in 0..<g.size.y {
                let y = Double(j)
                for i in 0..<g.size.x {
                    let x = Double(i)
                    out.append(SIMD3(o.x + ax * x + bx * y + cx * z, o.y + ay * x + by * y + cy * z, o.z + az * x + bz * y + cz * z))
                }
            }
        }
        return out
    }

    static func masks(_ s: [SynthCase.Sample]) -> [[UInt8]] {
        [s.map { $0.inReader.0 ? 1 : 0 }, s.map { $0.inReader.1 ? 1 : 0 }]
    }

    /// MR magnitude: the centre's gain and noise, stored through its rescale slope/intercept.
    static func storeMR(_ physical: [Double], centre: SynthCentre, noise: inout GaussianStream) -> (stored: [UInt16], values: [Double]) {
        var stored = [UInt16](repeating: 0, count: physical.count), values = [Double](repeating: 0, count: physical.count)
        for i in physical.indices {
            let v = abs(physical[i] * centre.mrGain + centre.mrNoise * noise.normal())
            let q = min(65535, max(0, ((v - centre.rescaleIntercept) / centre.rescaleSlope).rounded()))
            stored[i] = UInt16(q)
            values[i] = q * centre.rescaleSlope + centre.rescaleIntercept
        }
        return (stored, values)
    }

    /// DCE-MRI: pre-contrast and two post-contrast phases on one oblique grid.
    public static func dce(_ c: SynthCase, seed: UInt64) -> SynthImage {
        let (g, positions) = mrGrid(size: dceSize, spacing: dceSpacing)
        let (s, spot) = samples(c, points: points(g), voxelSize: dceSpacing.max())
        var physical: [Double] = []
        physical.reserveCapacity(s.count * dcePhases.count)
        for f in dcePhases {
            for (i, p) in s.enumerated() {
                guard p.inBody else { physical.append(0); continue }
                var v: Double
                if p.inTumour {
                    let t = max(0.1, 1 + c.heterogeneity * p.texture)
                    v = 320 * max(0.1, 1 + 0.3 * c.heterogeneity * p.texture) + c.enhancement * f * t
                } else if i == spot {
                    v = 350 + c.spotLevel * c.enhancement * f
                } else {
                    v = 300 + 20 * p.background
                    if p.outside > 0, p.outside <= 12 { v += c.peritumoral * c.enhancement * f * exp(-p.outside / 4) }
                }
                physical.append(v)
            }
        }
        let centre = SynthCentre.all[c.centre]
        var noise = noiseStream(c, seed: seed, tag: 1)
        let (stored, values) = storeMR(physical, centre: centre, noise: &noise)
        return SynthImage(geometry: g, timepoints: dcePhases.count, stored: stored, values: values,
                          slope: centre.rescaleSlope, intercept: centre.rescaleIntercept, masks: masks(s),
                          body: s.map { $0.inBody ? 1 : 0 }, orientation: orientation, positions: positions)
    }

    /// T2-weighted: dark, heterogeneous tumour, peritumoral oedema, on a coarser oblique grid.
    public static func t2(_ c: SynthCase, seed: UInt64) -> SynthImage {
        let (g, positions) = mrGrid(size: t2Size, spacing: t2Spacing)
        let (s, spot) = samples(c, points: points(g), voxelSize: t2Spacing.max())
        let physical = s.indices.map { i -> Double in
            let p = s[i]
            guard p.inBody else { return 0 }
            if p.inTumour { return 250 * max(0.1, 1 + 0.5 * c.heterogeneity * p.texture) }
            if i == spot { return 900 }
            var v = 400 + 40 * p.background
            if p.outside > 0, p.outside <= 12 { v += c.peritumoral * 200 * exp(-p.outside / 4) }
            return v
        }
        let centre = SynthCentre.all[c.centre]
        var noise = noiseStream(c, seed: seed, tag: 2)
        let (stored, values) = storeMR(physical, centre: centre, noise: &noise)
        return SynthImage(geometry: g, timepoints: 1, stored: stored, values: values,
                          slope: centre.rescaleSlope, intercept: centre.rescaleIntercept, masks: masks(s),
                          body: s.map { $0.inBody ? 1 : 0 }, orientation: orientation, positions: positions)
    }

    /// Points of a 2D image laid over the axial plane through the tumour, centred on it.
    static func planePoints(_ c: SynthCase, size: SIMD2<Int>, spacing: SIMD2<Double>) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        out.reserveCapacity(size.x * size.y)
        let half = SIMD2<Double>(Double(size.x - 1), Double(size.y - 1)) * spacing / 2
        for y in 0..<size.y {
            for x in 0..<size.x {
                out.append(c.centre3 + SIMD3(Double(x) * spacing.x - half.x, Double(y) * spacing.y - half.y, 0))
            }
        }
        return out
    }

    /// The grid Kira gives a projection image without position: origin 0, identity
    /// direction, spacing from PixelSpacing (or the ultrasound region), 1 mm deep.
    static func planeGrid(size: SIMD2<Int>, spacing: SIMD2<Double>) -> Geometry {
        Geometry(size: SIMD3(size.x, size.y, 1), spacing: SIMD3(spacing.x, spacing.y, 1))
    }

    public static var mgPixelSpacing: Double { DecimalString.quantized(mgImagerPixelSpacing / mgMagnification) }

    /// Mammogram (12-bit, for presentation): dense mass on fibroglandular background.
    public static func mg(_ c: SynthCase, seed: UInt64) -> SynthImage {
        let spacing = SIMD2(mgPixelSpacing, mgPixelSpacing)
        let (s, spot) = samples(c, points: planePoints(c, size: mgSize, spacing: spacing), voxelSize: spacing.max())
        let centre = SynthCentre.all[c.centre]
        var noise = noiseStream(c, seed: seed, tag: 3)
        var stored = [UInt16](repeating: 0, count: s.count)
        for (i, p) in s.enumerated() {
            var v: Double
            if p.inTumour { v = 1900 * max(0.1, 1 + 0.5 * c.heterogeneity * p.texture) }
            else if i == spot { v = 3600 }
            else {
                v = 900 + 150 * p.background
                if p.outside > 0, p.outside <= 12 { v += c.peritumoral * 300 * exp(-p.outside / 3) }
            }
            if !p.inBody { v = 100 }
            stored[i] = UInt16(min(4095, max(0, (v * centre.mgGain + centre.mgNoise * noise.normal()).rounded())))
        }
        return SynthImage(geometry: planeGrid(size: mgSize, spacing: spacing), timepoints: 1, stored: stored,
                          values: stored.map(Double.init), slope: 1, intercept: 0, masks: masks(s),
                          body: s.map { $0.inBody ? 1 : 0 }, orientation: nil, positions: nil)
    }

    /// B-mode ultrasound (8-bit): hypoechoic tumour in speckle, echogenic halo, one bright echo.
    public static func us(_ c: SynthCase, seed: UInt64) -> SynthImage {
        let spacing = SIMD2(usDeltaCm.x * 10, usDeltaCm.y * 10)
        let (s, spot) = samples(c, points: planePoints(c, size: usSize, spacing: spacing), voxelSize: spacing.max())
        let centre = SynthCentre.all[c.centre]
        var noise = noiseStream(c, seed: seed, tag: 4)
        var stored = [UInt16](repeating: 0, count: s.count)
        for (i, p) in s.enumerated() {
            // Rayleigh speckle with mean 1.
            let speckle = (-2 * log(1 - noise.unit())).squareRoot() / (Double.pi / 2).squareRoot()
            var v: Double
            if p.inTumour { v = 55 * max(0.1, 1 + 0.6 * c.heterogeneity * p.texture) * speckle }
            else if i == spot { v = 250 }
            else {
                v = 120 * (1 + 0.15 * p.background) * speckle
                if p.outside > 0, p.outside <= 12 { v += c.peritumoral * 60 * exp(-p.outside / 3) * speckle }
            }
            stored[i] = UInt16(min(255, max(0, (v * centre.usGain).rounded())))
        }
        return SynthImage(geometry: planeGrid(size: usSize, spacing: spacing), timepoints: 1, stored: stored,
                          values: stored.map(Double.init), slope: 1, intercept: 0, masks: masks(s),
                          body: s.map { $0.inBody ? 1 : 0 }, orientation: nil, positions: nil)
    }
}

extension SIMD3 where Scalar == Double {
    /// Each coordinate as a reader gets it back from a DICOM decimal string.
    var quantizedDS: SIMD3<Double> {
        SIMD3(DecimalString.quantized(x), DecimalString.quantized(y), DecimalString.quantized(z))
    }
}
