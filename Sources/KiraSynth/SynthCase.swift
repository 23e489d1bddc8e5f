import Foundation
import KiraCore

/// One synthetic case: its hidden drivers, outcome, and the tumour, bright spot and reader
/// outlines in patient space (LPS, mm), from which every modality's image and masks are drawn.
public struct SynthCase: Sendable {
    public var index: Int
    public var id: String
    public var centre: Int
    public var set: String
    /// Standard-normal drivers of heterogeneity and peritumoral enhancement.
    public var zHeterogeneity: Double
    public var zPeritumoral: Double
    public var latent: Double
    /// Relative texture amplitude of the tumour and peritumoral enhancement fraction.
    public var heterogeneity: Double
    public var peritumoral: Double
    public var ki67: Double
    public var dfsMonths: Double
    public var dfsEvent: Bool
    /// Reader 2 includes the bright spot next to the tumour in this case.
    public var artefactInReader2: Bool

    // Shape, texture and the bright spot.
    var centre3: SIMD3<Double>
    var rotation: Matrix3
    var radius: Double
    var axes: SIMD3<Double>
    var lobePhase: Double
    var readerPhase: [Double]
    var readerTilt: [SIMD3<Double>]
    var waves: [(SIMD3<Double>, Double)]
    var backgroundWaves: [(SIMD3<Double>, Double)]
    var enhancement: Double
    /// Brightness of the spot in DCE, in units of the tumour's enhancement.
    var spotLevel: Double
    /// Where the spot is (one voxel of each grid, the one nearest this point) and where
    /// reader 2's bridge to it starts, inside the tumour.
    var spotPoint: SIMD3<Double>
    var bridgeStart: SIMD3<Double>

    public init(index: Int, seed: UInt64, centres: Int) {
        self.index = index
        id = String(format: "SYNTH%04d", index + 1)
        (centre, set) = SynthCentre.assign(index: index, centres: centres)
        var g = GaussianStream(seed: SynthUID.mix(seed ^ SynthUID.mix(UInt64(index) &+ 0x5EED)))
        zHeterogeneity = g.normal()
        zPeritumoral = g.normal()
        let e = g.normal() * SynthModel.sigmaE
        latent = SynthModel.weightHeterogeneity * zHeterogeneity + SynthModel.weightPeritumoral * zPeritumoral
        heterogeneity = SynthModel.heterogeneityScale * exp(SynthModel.heterogeneitySlope * zHeterogeneity)
        peritumoral = SynthModel.peritumoralScale * exp(SynthModel.peritumoralSlope * zPeritumoral)
        ki67 = (SynthModel.ki67(latent: latent, noise: e) * 10).rounded() / 10
        let hazard = SynthModel.baseHazard * exp(SynthModel.hazardSlope * (ki67 - SynthModel.ki67Threshold))
        let eventTime = -log(1 - g.unit()) / hazard
        let censor = g.uniform(SynthModel.censorMin, SynthModel.censorMax)
        dfsEvent = eventTime <= censor
        dfsMonths = max(0.1, (min(eventTime, censor) * 10).rounded() / 10)
        artefactInReader2 = g.unit() < SynthModel.artefactProbability

        centre3 = SIMD3(g.uniform(-4, 4), g.uniform(-4, 4), g.uniform(-4, 4))
        // A random rotation from two random directions (Gram–Schmidt).
        let a = g.direction()
        var b = g.direction()
        b = b - a * dot(a, b)
        b = b / max(norm(b), 1e-9)
        rotation = Matrix3(columns: a, b, cross(a, b))
        radius = g.uniform(6, 11)
        axes = SIMD3(g.uniform(0.8, 1.2), g.uniform(0.8, 1.2), g.uniform(0.8, 1.2))
        lobePhase = g.uniform(0, 2 * Double.pi)
        readerPhase = [g.uniform(0, 2 * Double.pi), g.uniform(0, 2 * Double.pi)]
        readerTilt = [g.direction(), g.direction()]
        waves = (0..<10).map { _ in
            let k = g.direction() * (2 * Double.pi / g.uniform(4, 10))
            return (k, g.uniform(0, 2 * Double.pi))
        }
        backgroundWaves = (0..<6).map { _ in
            let k = g.direction() * (2 * Double.pi / g.uniform(6, 20))
            return (k, g.uniform(0, 2 * Double.pi))
        }
        enhancement = 600 * g.uniform(0.8, 1.25)
        spotLevel = g.uniform(3, 4.5)
        // A single bright voxel (a clip or calcification artefact) 2.5 mm outside the tumour,
        // in the axial plane through it (so the 2D modalities have it too). Reader 2's outline
        // reaches out to it in the flagged cases: one voxel and a thin bridge, so the intensity
        // tail (maximum, range) changes and volume, shape and dispersion hardly do.
        let angle = g.uniform(0, 2 * Double.pi)
        let w = SIMD3(cos(angle), sin(angle), 0.0)
        var probe = SynthCase.boundaryRadius(rotation: rotation, radius: radius, axes: axes, lobePhase: lobePhase, direction: w)
        probe *= 1.06
        spotPoint = centre3 + w * (probe + 2.5)
        bridgeStart = centre3 + w * (probe / 1.06 * 0.9)
    }

    /// Tumour radius along the unit direction `u` (patient space): an ellipsoid with a
    /// three-lobed bulge around the local z axis.
    static func boundaryRadius(rotation: Matrix3, radius: Double, axes: SIMD3<Double>, lobePhase: Double, direction u: SIMD3<Double>) -> Double {
        let l = rotation.transposed * u
        let ell = 1 / ((l.x / axes.x) * (l.x / axes.x) + (l.y / axes.y) * (l.y / axes.y) + (l.z / axes.z) * (l.z / axes.z)).squareRoot()
        let lobes = 1 + 0.10 * cos(3 * atan2(l.y, l.x) + lobePhase) * (1 - l.z * l.z)
        return radius * ell * lobes
    }

    /// What lies at a point: the quantities every modality's intensity is built from.
    struct Sample {
        var inBody: Bool
        var inTumour: Bool
        /// Distance outside the tumour boundary along the ray from its centre (mm; < 0 inside).
        var outside: Double
        /// Distance to the spot's point.
        var spotDistance: Double
        var inReader: (Bool, Bool)
        var texture: Double
        var background: Double
    }

    /// Written with plain scalars: it runs for every voxel of every grid, and generic SIMD
    /// arithmetic is slow in debug builds (the tests synthesise 40 cases in one).
    func sample(_ p: SIMD3<Double>) -> Sample {
        let px = p.x, py = p.y, pz = p.z
        let dx = px - centre3.x, dy = py - centre3.y, dz = pz - centre3.z
        let r = (dx * dx + dy * dy + dz * dz).squareRoot()
        let inv = r > 1e-9 ? 1 / r : 0
        let ux = r > 1e-9 ? dx * inv : 1, uy = dy * inv, uz = dz * inv
        // Direction in the tumour's own frame (rotation transposed times u).
        let c0 = rotation.c0, c1 = rotation.c1, c2 = rotation.c2
        let lx = c0.x * ux + c0.y * uy + c0.z * uz
        let ly = c1.x * ux + c1.y * uy + c1.z * uz
        let lz = c2.x * ux + c2.y * uy + c2.z * uz
        let ex = lx / axes.x, ey = ly / axes.y, ez = lz / axes.z
        let azimuth = atan2(ly, lx)
        let boundary = radius / (ex * ex + ey * ey + ez * ez).squareRoot()
            * (1 + 0.10 * cos(3 * azimuth + lobePhase) * (1 - lz * lz))
        func reader(_ k: Int) -> Bool {
            let t = readerTilt[k]
            let wobble = 0.03 * cos(2 * azimuth + readerPhase[k]) + 0.02 * (lx * t.x + ly * t.y + lz * t.z)
            return r < boundary * (1 + wobble)
        }
        let r2 = reader(1)
        let bx = px / 58, by = (py - 15) / 50, bz = pz / 40
        // Texture is only ever read inside the tumour, background only outside it.
        let inTumour = r < boundary
        var texture = 0.0, background = 0.0
        if inTumour {
            for (k, phase) in waves { texture += cos(k.x * dx + k.y * dy + k.z * dz + phase) }
        } else {
            for (k, phase) in backgroundWaves { background += cos(k.x * px + k.y * py + k.z * pz + phase) }
        }
        return Sample(inBody: bx * bx + by * by + bz * bz <= 1, inTumour: inTumour, outside: r - boundary,
                      spotDistance: ((px - spotPoint.x) * (px - spotPoint.x) + (py - spotPoint.y) * (py - spotPoint.y) + (pz - spotPoint.z) * (pz - spotPoint.z)).squareRoot(),
                      inReader: (reader(0), r2),
                      texture: texture * (2.0 / Double(waves.count)).squareRoot(),
                      background: background * (2.0 / Double(backgroundWaves.count)).squareRoot())
    }

    static func segmentDistance(_ px: Double, _ py: Double, _ pz: Double, _ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double {
        let abx = b.x - a.x, aby = b.y - a.y, abz = b.z - a.z
        let apx = px - a.x, apy = py - a.y, apz = pz - a.z
        let t = min(1, max(0, (apx * abx + apy * aby + apz * abz) / (abx * abx + aby * aby + abz * abz)))
        let qx = apx - abx * t, qy = apy - aby * t, qz = apz - abz * t
        return (qx * qx + qy * qy + qz * qz).squareRoot()
    }
}
