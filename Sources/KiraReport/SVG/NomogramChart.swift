import Foundation
import KiraCore
import KiraLearn

/// A nomogram drawn (Harrell's layout) from KiraLearn's `Nomogram` (its points equal
/// rms::nomogram's): a points scale of 0–100 on top; one scale per variable, its values placed
/// at the points they add; a total-points scale; and the probability read off below the total.
public struct NomogramChart: Sendable {
    public var nomogram: Nomogram
    public var outcome: String
    /// Variables that are 0/1 indicators: their scale shows no/yes only.
    public var binary: [Bool]
    public var width: Double = 780

    public init(nomogram: Nomogram, outcome: String, binary: [Bool]) {
        self.nomogram = nomogram; self.outcome = outcome; self.binary = binary
    }

    /// The nomogram of a fitted multivariate model (`terms[0]` the intercept, then one term per
    /// design column), each scale spanning its column's observed range; `casePoints` are the
    /// columns' rows.
    public init(logit: LogitInference, columns: [[Double]], outcome: String) throws {
        let model = LogisticModel(coefficients: logit.terms.dropFirst().map(\.coefficient), intercept: logit.terms[0].coefficient)
        let rows = columns.first?.count ?? 0
        let x = Matrix(rows: rows, cols: columns.count, values: (0..<rows).flatMap { i in columns.map { $0[i] } })
        let n = try Nomogram(model, features: logit.terms.dropFirst().map(\.name), min: columns.map { $0.min() ?? 0 },
                             max: columns.map { $0.max() ?? 0 }, x: x)
        self.init(nomogram: n, outcome: outcome, binary: columns.map { $0.allSatisfy { $0 == 0 || $0 == 1 } })
    }

    /// Points for value `x` of axis `k`: counted from the axis end with the lower contribution.
    public func points(_ k: Int, _ x: Double) -> Double {
        let a = nomogram.axes[k]
        return a.pointsPerUnit * (a.coefficient >= 0 ? x - a.min : a.max - x)
    }

    public func svg() -> String {
        let labelWidth = 200.0, rightPad = 30.0, rowHeight = 46.0, top = 34.0
        let x0 = labelWidth, x1 = width - rightPad
        let totalScale = NiceScale(0, max(nomogram.totalPointsMax, 1), maxTicks: 9)
        // Points and variable rows share one scale (0–100 over the full width); the total and
        // probability rows another (0 to the rounded largest total over the full width).
        func pxPoints(_ p: Double) -> Double { x0 + p / 100 * (x1 - x0) }
        func pxTotal(_ t: Double) -> Double { x0 + t / totalScale.upper * (x1 - x0) }
        let height = top + Double(nomogram.axes.count + 3) * rowHeight + 10
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot nomogram\" viewBox=\"0 0 \(Markup.coord(width)) \(Markup.coord(height))\" width=\"\(Markup.coord(width))\" height=\"\(Markup.coord(height))\" role=\"img\" aria-label=\"Nomogram\">"
        s += "<title>Nomogram: \(Markup.escape(outcome))</title>"
        s += "<text x=\"\(Markup.coord(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"plot-title\">Nomogram: \(Markup.escape(outcome))</text>"
        func axis(_ y: Double, label: String, ticks: [(x: Double, text: String)], key: String) {
            s += "<g class=\"nomogram-row\" data-row=\"\(Markup.escape(key))\">"
            s += "<text x=\"\(Markup.coord(x0 - 10))\" y=\"\(Markup.coord(y + 4))\" text-anchor=\"end\" class=\"bar-label\">\(Markup.escape(label))</text>"
            if let a = ticks.map(\.x).min(), let b = ticks.map(\.x).max() {
                s += "<line x1=\"\(Markup.coord(a))\" x2=\"\(Markup.coord(b))\" y1=\"\(Markup.coord(y))\" y2=\"\(Markup.coord(y))\" stroke=\"#222\" stroke-width=\"1\"/>"
            }
            for t in ticks {
                s += "<line x1=\"\(Markup.coord(t.x))\" x2=\"\(Markup.coord(t.x))\" y1=\"\(Markup.coord(y))\" y2=\"\(Markup.coord(y - 5))\" stroke=\"#222\" stroke-width=\"1\"/>"
                if !t.text.isEmpty {
                    s += "<text x=\"\(Markup.coord(t.x))\" y=\"\(Markup.coord(y - 8))\" text-anchor=\"middle\" font-size=\"10\">\(Markup.escape(t.text))</text>"
                }
            }
            s += "</g>"
        }
        var y = top + rowHeight * 0.6
        axis(y, label: "Points", ticks: stride(from: 0.0, through: 100, by: 10).map { (pxPoints($0), String(Int($0))) }, key: "points")
        for (k, a) in nomogram.axes.enumerated() {
            y += rowHeight
            var ticks: [(x: Double, text: String)]
            if binary[k] {
                ticks = [0.0, 1].map { (pxPoints(points(k, $0)), $0 == 0 ? "no" : "yes") }
            } else {
                let scale = NiceScale(a.min, a.max, maxTicks: 7)
                let values = scale.ticks.filter { $0 >= a.min - 1e-9 * max(1, abs(a.min)) && $0 <= a.max + 1e-9 * max(1, abs(a.max)) }
                ticks = values.map { (pxPoints(points(k, $0)), scale.label($0)) }
                // The scale covers the whole observed range: its ends are marked when no tick falls there.
                for end in [a.min, a.max] where !values.contains(where: { abs($0 - end) < 1e-9 * max(1, abs(end)) }) {
                    ticks.append((pxPoints(points(k, end)), ""))
                }
            }
            axis(y, label: a.feature, ticks: ticks, key: a.feature)
        }
        y += rowHeight
        axis(y, label: "Total points", ticks: totalScale.ticks.map { (pxTotal($0), totalScale.label($0)) }, key: "total")
        y += rowHeight
        // A steep model packs the probabilities into a few points: marks closer than a label's
        // width to one already kept (from 0.5 outwards, so the middle is shown) are left out.
        var kept: [Nomogram.ScalePoint] = []
        for q in nomogram.pointsForProbability.sorted(by: { abs($0.probability - 0.5) < abs($1.probability - 0.5) })
        where kept.allSatisfy({ abs(pxTotal($0.points) - pxTotal(q.points)) >= 30 }) {
            kept.append(q)
        }
        axis(y, label: "Probability of \(outcome)", ticks: kept.sorted { $0.points < $1.points }.map { (pxTotal($0.points), String(format: "%g", $0.probability)) },
             key: "probability")
        return s + "</svg>"
    }
}
