import Foundation

/// A small plotting layer for reports: one x–y panel with nice-tick axes, labels, a legend
/// and marks (lines, steps, confidence bands, points, bars, reference lines, text), written
/// as one SVG element. Series differ in dash pattern and marker as well as colour, so a
/// figure still reads when printed in grey; sizes are in CSS pixels at 96 dpi and the text
/// is 11–13 px, legible at print size.
public struct Plot: Sendable {
    public enum Mark: Sendable {
        /// A polyline through the points.
        case line([(Double, Double)], series: Int)
        /// Right-continuous steps (Kaplan–Meier): horizontal to the next x, then vertical.
        case step([(Double, Double)], series: Int)
        /// A filled band between lower and upper at each x (drawn as steps when `stepped`).
        case band(x: [Double], lower: [Double], upper: [Double], series: Int, stepped: Bool)
        case points([(Double, Double)], series: Int)
        /// Vertical bars from 0 at each x (width in data units).
        case bars([(Double, Double)], width: Double, series: Int)
        /// A reference line across the panel (grey, dotted): the chance diagonal, a threshold.
        case reference(from: (Double, Double), to: (Double, Double))
        case text(String, at: (Double, Double), anchor: String)
    }

    public struct Series: Sendable {
        public var name: String
        public init(_ name: String) { self.name = name }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: NiceScale
    public var yScale: NiceScale
    public var width: Double = 440
    public var height: Double = 340
    public var series: [Series] = []
    public var marks: [Mark] = []
    /// Legend inside the panel's lower right (ROC) or upper right (survival, calibration).
    public var legendAtBottom = true
    /// Extra rows of text below the x axis (numbers at risk): label then one value per tick.
    public var belowAxis: [(label: String, values: [(Double, String)])] = []

    public init(title: String, xLabel: String, yLabel: String, x: NiceScale, y: NiceScale) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; xScale = x; yScale = y
    }

    /// Colour-blind-safe (Okabe–Ito) colours, each with its own dash pattern and marker.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static let dashes = ["", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 4", "3 6"]

    static func colour(_ s: Int) -> String { palette[s % palette.count] }
    static func dash(_ s: Int) -> String { dashes[s % dashes.count] }

    var left: Double { 62 }
    var right: Double { 16 }
    var top: Double { 30 }
    var bottom: Double { 48 + Double(belowAxis.count) * 16 + (belowAxis.isEmpty ? 0 : 18) }
    var panelWidth: Double { width - left - right }
    var panelHeight: Double { height - top - bottom }

    func px(_ x: Double) -> Double { left + (x - xScale.lower) / (xScale.upper - xScale.lower) * panelWidth }
    func py(_ y: Double) -> Double { top + (1 - (y - yScale.lower) / (yScale.upper - yScale.lower)) * panelHeight }

    func clampX(_ x: Double) -> Double { min(max(x, xScale.lower), xScale.upper) }
    func clampY(_ y: Double) -> Double { min(max(y, yScale.lower), yScale.upper) }

    func path(_ pts: [(Double, Double)]) -> String {
        pts.enumerated().map { k, p in "\(k == 0 ? "M" : "L")\(Markup.coord(px(clampX(p.0)))) \(Markup.coord(py(clampY(p.1))))" }
            .joined(separator: " ")
    }

    static func stepped(_ pts: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for (k, p) in pts.enumerated() {
            if k > 0 { out.append((p.0, pts[k - 1].1)) }
            out.append(p)
        }
        return out
    }

    public func svg() -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 \(Markup.coord(width)) \(Markup.coord(height))\" width=\"\(Markup.coord(width))\" height=\"\(Markup.coord(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        s += "<title>\(Markup.escape(title))</title>"
        s += "<text x=\"\(Markup.coord(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"plot-title\">\(Markup.escape(title))</text>"
        // Grid and ticks.
        s += "<g class=\"grid\">"
        for t in xScale.ticks {
            s += "<line x1=\"\(Markup.coord(px(t)))\" x2=\"\(Markup.coord(px(t)))\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(top + panelHeight))\"/>"
        }
        for t in yScale.ticks {
            s += "<line x1=\"\(Markup.coord(left))\" x2=\"\(Markup.coord(left + panelWidth))\" y1=\"\(Markup.coord(py(t)))\" y2=\"\(Markup.coord(py(t)))\"/>"
        }
        s += "</g>"
        s += "<rect class=\"frame\" x=\"\(Markup.coord(left))\" y=\"\(Markup.coord(top))\" width=\"\(Markup.coord(panelWidth))\" height=\"\(Markup.coord(panelHeight))\"/>"
        s += "<g class=\"ticks\">"
        for t in xScale.ticks {
            s += "<text x=\"\(Markup.coord(px(t)))\" y=\"\(Markup.coord(top + panelHeight + 15))\" text-anchor=\"middle\">\(xScale.label(t))</text>"
        }
        for t in yScale.ticks {
            s += "<text x=\"\(Markup.coord(left - 6))\" y=\"\(Markup.coord(py(t) + 4))\" text-anchor=\"end\">\(yScale.label(t))</text>"
        }
        s += "</g>"
        s += "<text class=\"axis-label\" x=\"\(Markup.coord(left + panelWidth / 2))\" y=\"\(Markup.coord(top + panelHeight + 34))\" text-anchor=\"middle\">\(Markup.escape(xLabel))</text>"
        s += "<text class=\"axis-label\" transform=\"translate(16 \(Markup.coord(top + panelHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(Markup.escape(yLabel))</text>"
        // Marks: bands first so lines stay on top.
        let ordered = marks.filter { if case .band = $0 { return true } else { return false } }
            + marks.filter { if case .band = $0 { return false } else { return true } }
        for m in ordered { s += render(m) }
        s += legend()
        s += numbersBelow()
        s += "</svg>"
        return s
    }

    func render(_ m: Mark) -> String {
        switch m {
        case let .line(pts, k):
            return "<path class=\"series\" d=\"\(path(pts))\" stroke=\"\(Self.colour(k))\" stroke-dasharray=\"\(Self.dash(k))\" fill=\"none\"/>"
        case let .step(pts, k):
            return "<path class=\"series\" d=\"\(path(Self.stepped(pts)))\" stroke=\"\(Self.colour(k))\" stroke-dasharray=\"\(Self.dash(k))\" fill=\"none\"/>"
        case let .band(x, lo, hi, k, stepped):
            var up = zip(x, hi).map { ($0, $1) }, down = zip(x, lo).map { ($0, $1) }
            if stepped { up = Self.stepped(up); down = Self.stepped(down) }
            let d = path(up + down.reversed()) + " Z"
            return "<path class=\"band\" d=\"\(d)\" fill=\"\(Self.colour(k))\" fill-opacity=\"0.15\" stroke=\"none\"/>"
        case let .points(pts, k):
            return "<g fill=\"\(Self.colour(k))\">" + pts.map { p in
                Self.marker(k, x: px(clampX(p.0)), y: py(clampY(p.1)))
            }.joined() + "</g>"
        case let .bars(pts, width, k):
            return "<g fill=\"\(Self.colour(k))\" fill-opacity=\"0.8\">" + pts.map { p in
                let x0 = px(clampX(p.0 - width / 2)), x1 = px(clampX(p.0 + width / 2))
                let y0 = py(clampY(0)), y1 = py(clampY(p.1))
                return "<rect x=\"\(Markup.coord(x0))\" y=\"\(Markup.coord(min(y0, y1)))\" width=\"\(Markup.coord(max(0.5, x1 - x0)))\" height=\"\(Markup.coord(abs(y1 - y0)))\"/>"
            }.joined() + "</g>"
        case let .reference(a, b):
            return "<path class=\"reference\" d=\"\(path([a, b]))\"/>"
        case let .text(t, at, anchor):
            return "<text x=\"\(Markup.coord(px(at.0)))\" y=\"\(Markup.coord(py(at.1)))\" text-anchor=\"\(anchor)\" class=\"note\">\(Markup.escape(t))</text>"
        }
    }

    /// Circle, square, triangle, diamond … so points differ without colour.
    static func marker(_ k: Int, x: Double, y: Double) -> String {
        let r = 3.2
        switch k % 4 {
        case 0: return "<circle cx=\"\(Markup.coord(x))\" cy=\"\(Markup.coord(y))\" r=\"\(r)\"/>"
        case 1: return "<rect x=\"\(Markup.coord(x - r))\" y=\"\(Markup.coord(y - r))\" width=\"\(2 * r)\" height=\"\(2 * r)\"/>"
        case 2: return "<path d=\"M\(Markup.coord(x)) \(Markup.coord(y - r * 1.2)) L\(Markup.coord(x + r * 1.1)) \(Markup.coord(y + r)) L\(Markup.coord(x - r * 1.1)) \(Markup.coord(y + r)) Z\"/>"
        default: return "<path d=\"M\(Markup.coord(x)) \(Markup.coord(y - r * 1.3)) L\(Markup.coord(x + r * 1.3)) \(Markup.coord(y)) L\(Markup.coord(x)) \(Markup.coord(y + r * 1.3)) L\(Markup.coord(x - r * 1.3)) \(Markup.coord(y)) Z\"/>"
        }
    }

    func legend() -> String {
        guard !series.isEmpty else { return "" }
        let rowHeight = 15.0
        let longest = series.map(\.name.count).max() ?? 0
        let boxWidth = min(panelWidth - 8, 34 + Double(longest) * 6.1)
        let boxHeight = Double(series.count) * rowHeight + 8
        let x0 = left + panelWidth - boxWidth - 6
        let y0 = legendAtBottom ? top + panelHeight - boxHeight - 6 : top + 6
        var s = "<g class=\"legend\"><rect x=\"\(Markup.coord(x0))\" y=\"\(Markup.coord(y0))\" width=\"\(Markup.coord(boxWidth))\" height=\"\(Markup.coord(boxHeight))\"/>"
        for (k, item) in series.enumerated() {
            let y = y0 + 4 + rowHeight * (Double(k) + 0.5)
            s += "<line x1=\"\(Markup.coord(x0 + 5))\" x2=\"\(Markup.coord(x0 + 25))\" y1=\"\(Markup.coord(y))\" y2=\"\(Markup.coord(y))\" stroke=\"\(Self.colour(k))\" stroke-dasharray=\"\(Self.dash(k))\"/>"
            s += "<text x=\"\(Markup.coord(x0 + 30))\" y=\"\(Markup.coord(y + 4))\" data-series=\"\(k)\">\(Markup.escape(item.name))</text>"
        }
        return s + "</g>"
    }

    func numbersBelow() -> String {
        guard !belowAxis.isEmpty else { return "" }
        var s = "<g class=\"at-risk\"><text x=\"\(Markup.coord(left))\" y=\"\(Markup.coord(top + panelHeight + 52))\" class=\"at-risk-title\">Number at risk</text>"
        for (k, row) in belowAxis.enumerated() {
            let y = top + panelHeight + 68 + Double(k) * 16
            s += "<text x=\"\(Markup.coord(left - 16))\" y=\"\(Markup.coord(y))\" text-anchor=\"end\" fill=\"\(Self.colour(k))\">\(Markup.escape(row.label))</text>"
            for (x, v) in row.values {
                s += "<text x=\"\(Markup.coord(px(x)))\" y=\"\(Markup.coord(y))\" text-anchor=\"middle\">\(Markup.escape(v))</text>"
            }
        }
        return s + "</g>"
    }
}
