import Foundation
import KiraReport
import Testing

@Suite("Nice axis scales")
struct NiceScaleTests {
    /// Hand-worked ranges: the step is the smallest of 1, 2, 2.5, 5 × 10ⁿ at least
    /// (hi − lo)/(ticks − 1), and the range is widened out to multiples of it.
    @Test("Step, range and labels for hand-worked ranges", arguments: [
        (0.013, 0.987, 6, 0.2, 0.0, 1.0, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        (0.0, 1.0, 5, 0.25, 0.0, 1.0, ["0.00", "0.25", "0.50", "0.75", "1.00"]),
        (3.0, 97.0, 6, 20, 0, 100, ["0", "20", "40", "60", "80", "100"]),
        (-0.31, 0.12, 6, 0.1, -0.4, 0.2, ["-0.4", "-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2"]),
    ])
    func scale(lo: Double, hi: Double, ticks: Int, step: Double, lower: Double, upper: Double, labels: [String]) {
        let s = NiceScale(lo, hi, maxTicks: ticks)
        #expect(abs(s.step - step) < 1e-12)
        #expect(abs(s.lower - lower) < 1e-12 && abs(s.upper - upper) < 1e-12)
        #expect(s.ticks.map(s.label) == labels)
    }
}
