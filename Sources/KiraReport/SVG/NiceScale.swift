import Foundation

/// An axis range widened to "nice" round numbers and its ticks (1, 2, 2.5 or 5 × 10ⁿ apart),
/// so axes read like a hand-drawn figure's: 0, 0.2, …, 1 rather than 0.013, 0.211, ….
public struct NiceScale: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var step: Double

    /// `maxTicks`: the most ticks wanted (the step is the smallest nice one giving no more).
    /// A degenerate range (lo = hi, or non-finite) is widened around its value.
    public init(_ lo: Double, _ hi: Double, maxTicks: Int = 6, exact: Bool = false) {
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo < 1e-12 * max(1, abs(lo)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(1, maxTicks - 1))
        let magnitude = pow(10, floor(log10(raw)))
        var step = magnitude * 10
        for m in [1, 2, 2.5, 5, 10] where m * magnitude >= raw * (1 - 1e-9) { step = m * magnitude; break }
        self.step = step
        if exact {
            lower = lo; upper = hi
        } else {
            lower = floor(lo / step + 1e-9) * step
            upper = ceil(hi / step - 1e-9) * step
        }
    }

    /// Tick values inside [lower, upper], on multiples of the step.
    public var ticks: [Double] {
        var out: [Double] = []
        var k = ceil(lower / step - 1e-9)
        while k * step <= upper + step * 1e-9 {
            // Snap −0 and rounding noise (0.30000000000000004) to the printed value.
            let v = (k * step / step).rounded() * step
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            k += 1
        }
        return out
    }

    /// A tick label with as many decimals as the step needs and no more.
    public func label(_ v: Double) -> String {
        let decimals = max(0, Int(ceil(-log10(step) - 1e-9)) + (step * pow(10, ceil(-log10(step) - 1e-9)) == 2.5 ? 1 : 0))
        return String(format: "%.\(min(decimals, 8))f", v)
    }
}
