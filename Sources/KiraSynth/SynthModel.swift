import Foundation
import KiraCore

/// The generative model of `kira synth`: how each case's hidden drivers are drawn and how
/// Ki-67 and disease-free survival follow from them. Every constant here is written to
/// synth.json, so a reader of the cohort knows exactly what was planted.
public enum SynthModel {
    // Ki-67 = 100 · logistic(alpha + gamma · (L + e)),  L = wH · zH + wP · zP,  e ~ N(0, sigmaE²).
    public static let weightHeterogeneity = 0.7
    public static let weightPeritumoral = 0.5
    public static let sigmaE = 0.6
    public static let alpha = -1.6
    public static let gamma = 1.2
    public static let ki67Threshold = 20.0

    /// Texture amplitude of the tumour (relative standard deviation of its enhancement):
    /// h = heterogeneityScale · exp(heterogeneitySlope · zH).
    public static let heterogeneityScale = 0.20
    public static let heterogeneitySlope = 0.35
    /// Peritumoral enhancement (fraction of the tumour's enhancement, decaying over a few mm):
    /// p = peritumoralScale · exp(peritumoralSlope · zP).
    public static let peritumoralScale = 0.45
    public static let peritumoralSlope = 0.40

    // DFS: exponential time to event with hazard baseHazard · exp(hazardSlope · (Ki-67 − 20))
    // per month, censored uniformly between censorMin and censorMax months.
    public static let baseHazard = 1.0 / 100.0
    public static let hazardSlope = 0.04
    public static let censorMin = 24.0
    public static let censorMax = 96.0

    /// Probability that reader 2 includes the bright spot next to the tumour in a case.
    public static let artefactProbability = 0.5

    public static func ki67(latent: Double, noise: Double) -> Double {
        100 / (1 + exp(-(alpha + gamma * (latent + noise))))
    }

    /// Ki-67 > threshold ⇔ L + e > this.
    public static var latentCut: Double {
        (log(ki67Threshold / (100 - ki67Threshold)) - alpha) / gamma
    }

    /// Standard deviation of L.
    public static var latentSD: Double {
        (weightHeterogeneity * weightHeterogeneity + weightPeritumoral * weightPeritumoral).squareRoot()
    }

    /// Population AUC of a score x ~ N(0, 1) for the label 1{b·x + r·N(0,1) > t}: the double
    /// integral over (x1 > x0) of the high and low densities, on a 16,001-point grid over ±8.
    public static func expectedAUC(b: Double, r: Double, t: Double) -> Double {
        let n = 16001, lo = -8.0, step = 16.0 / Double(n - 1)
        var p1 = 0.0, p0 = 0.0, auc = 0.0, cumLow = 0.0
        for i in 0..<n {
            let x = lo + Double(i) * step
            let f = exp(-x * x / 2) / (2 * Double.pi).squareRoot() * step
            let q = 0.5 * erfc(-(b * x - t) / (r * 2.0.squareRoot()))
            let high = f * q, low = f * (1 - q)
            // Ties within one grid cell count one half.
            auc += high * (cumLow + low / 2)
            cumLow += low
            p1 += high
            p0 += low
        }
        return auc / (p1 * p0)
    }

    /// AUC of the latent score L (what a perfect reading of both planted drivers attains).
    public static var expectedAUCLatent: Double {
        expectedAUC(b: latentSD, r: sigmaE, t: latentCut)
    }

    /// AUC of the heterogeneity driver alone.
    public static var expectedAUCHeterogeneity: Double {
        let rest = (weightPeritumoral * weightPeritumoral + sigmaE * sigmaE).squareRoot()
        return expectedAUC(b: weightHeterogeneity, r: rest, t: latentCut)
    }

    /// Population share of Ki-67 > threshold.
    public static var expectedHighFraction: Double {
        let sd = (latentSD * latentSD + sigmaE * sigmaE).squareRoot()
        return 0.5 * erfc(latentCut / (sd * 2.0.squareRoot()))
    }

    /// Spearman correlation of Ki-67 with the tumour heterogeneity h: both are monotone in
    /// jointly normal variables (zH and L + e), whose Pearson correlation r gives
    /// Spearman's rho = (6/π) asin(r/2).
    public static var expectedSpearmanKi67Heterogeneity: Double {
        let r = weightHeterogeneity / (latentSD * latentSD + sigmaE * sigmaE).squareRoot()
        return 6 / Double.pi * asin(r / 2)
    }

    public static var expectedSpearmanKi67Peritumoral: Double {
        let r = weightPeritumoral / (latentSD * latentSD + sigmaE * sigmaE).squareRoot()
        return 6 / Double.pi * asin(r / 2)
    }
}

/// Scanner differences between centres: a gain on the physical signal, noise, and the
/// rescale slope/intercept used to store MR pixels.
public struct SynthCentre: Sendable {
    public var name: String
    public var mrGain: Double
    public var mrNoise: Double
    public var rescaleSlope: Double
    public var rescaleIntercept: Double
    public var mgGain: Double
    public var mgNoise: Double
    public var usGain: Double

    public static let all: [SynthCentre] = [
        SynthCentre(name: "A", mrGain: 1.0, mrNoise: 10, rescaleSlope: 1, rescaleIntercept: 0, mgGain: 1.0, mgNoise: 20, usGain: 1.0),
        SynthCentre(name: "B", mrGain: 1.3, mrNoise: 18, rescaleSlope: 0.5, rescaleIntercept: 0, mgGain: 1.15, mgNoise: 35, usGain: 1.15),
        SynthCentre(name: "C", mrGain: 0.8, mrNoise: 25, rescaleSlope: 2, rescaleIntercept: -50, mgGain: 0.85, mgNoise: 50, usGain: 0.85),
    ]

    /// Centre and split of case `index` (0-based): six in ten cases come from centre A, the
    /// rest from B and C (or all from B with two centres); every fourth centre-A case is
    /// internal validation, the other A cases train, B and C are external.
    public static func assign(index: Int, centres: Int) -> (centre: Int, set: String) {
        let slot = index % 10
        let centre = slot < 6 ? 0 : (centres == 2 || slot < 8 ? 1 : 2)
        guard centre == 0 else { return (centre, "external") }
        let aIndex = (index / 10) * 6 + slot
        return (0, aIndex % 4 == 3 ? "internal" : "train")
    }
}

/// Gaussian draws from SplitMix64 (Box–Muller), so the stream is the same everywhere.
struct GaussianStream {
    var rng: SplitMix64
    var spare: Double?

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func unit() -> Double { rng.unit() }

    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * rng.unit() }

    mutating func normal() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = 1 - rng.unit(), u2 = rng.unit()
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * Double.pi * u2)
        return r * cos(2 * Double.pi * u2)
    }

    /// A uniformly distributed unit vector.
    mutating func direction() -> SIMD3<Double> {
        let z = uniform(-1, 1), a = uniform(0, 2 * Double.pi), s = (1 - z * z).squareRoot()
        return SIMD3(s * cos(a), s * sin(a), z)
    }
}
