import Foundation

/// Horizontal bars with a label per row, signed about zero (SHAP contributions, coefficients):
/// positive bars one colour and solid, negative another and hatched, so the sign survives
/// grey-scale print; the value is printed at each bar's end.
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        public var label: String
        public var value: Double
        public init(label: String, value: Double) { self.label = label; self.value = value }
    }

    public var title: String
    public var valueLabel: String
    public var bars: [Bar]
    public var width: Double = 780

    public init(title: String, valueLabel: String, bars: [Bar]) {
        self.title = title; self.valueLabel = valueLabel; self.bars = bars
    }

    public func svg() -> String {
        let rowHeight = 18.0, top = 30.0, labelWidth = width * 0.55, rightPad = 60.0
        let height = top + Double(bars.count) * rowHeight + 44
        let lo = min(0, bars.map(\.value).min() ?? 0), hi = max(0, bars.map(\.value).max() ?? 0)
        let scale = NiceScale(lo, hi == lo ? lo + 1 : hi, maxTicks: 5)
        let x0 = labelWidth, x1 = width - rightPad
        func px(_ v: Double) -> Double { x0 + (v - scale.lower) / (scale.upper - scale.lower) * (x1 - x0) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 \(Markup.coord(width)) \(Markup.coord(height))\" width=\"\(Markup.coord(width))\" height=\"\(Markup.coord(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        s += "<title>\(Markup.escape(title))</title>"
        s += "<defs><pattern id=\"hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"4\" height=\"4\" fill=\"#56B4E9\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#1b4f72\" stroke-width=\"1.5\"/></pattern></defs>"
        s += "<text x=\"\(Markup.coord(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"plot-title\">\(Markup.escape(title))</text>"
        let bottom = top + Double(bars.count) * rowHeight
        s += "<g class=\"grid\">"
        for t in scale.ticks {
            s += "<line x1=\"\(Markup.coord(px(t)))\" x2=\"\(Markup.coord(px(t)))\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\"/>"
        }
        s += "</g><g class=\"ticks\">"
        for t in scale.ticks {
            s += "<text x=\"\(Markup.coord(px(t)))\" y=\"\(Markup.coord(bottom + 15))\" text-anchor=\"middle\">\(scale.label(t))</text>"
        }
        s += "</g>"
        for (k, b) in bars.enumerated() {
            let y = top + Double(k) * rowHeight
            let a = px(0), e = px(b.value)
            let fill = b.value >= 0 ? "#D55E00" : "url(#hatch)"
            s += "<text x=\"\(Markup.coord(x0 - 6))\" y=\"\(Markup.coord(y + 13))\" text-anchor=\"end\" class=\"bar-label\">\(Markup.escape(b.label))</text>"
            s += "<rect x=\"\(Markup.coord(min(a, e)))\" y=\"\(Markup.coord(y + 3))\" width=\"\(Markup.coord(max(0.5, abs(e - a))))\" height=\"\(Markup.coord(rowHeight - 6))\" fill=\"\(fill)\" stroke=\"#333\" stroke-width=\"0.5\"/>"
            let tx = b.value >= 0 ? max(a, e) + 4 : min(a, e) - 4
            s += "<text x=\"\(Markup.coord(tx))\" y=\"\(Markup.coord(y + 13))\" text-anchor=\"\(b.value >= 0 ? "start" : "end")\" class=\"bar-value\">\(ReportNumber.fixed(b.value, 3))</text>"
        }
        s += "<line class=\"zero\" x1=\"\(Markup.coord(px(0)))\" x2=\"\(Markup.coord(px(0)))\" y1=\"\(Markup.coord(top))\" y2=\"\(Markup.coord(bottom))\"/>"
        s += "<text class=\"axis-label\" x=\"\(Markup.coord((x0 + x1) / 2))\" y=\"\(Markup.coord(bottom + 34))\" text-anchor=\"middle\">\(Markup.escape(valueLabel))</text>"
        return s + "</svg>"
    }
}
