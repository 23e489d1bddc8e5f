import Foundation

/// Escaping and number formatting for SVG and HTML text.
enum Markup {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Coordinates with two decimals: enough at print size, and files stay small.
    static func coord(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }
}

/// A number as a report prints it: `digits` significant decimals, p-values as "< 0.001".
public enum ReportNumber {
    public static func fixed(_ v: Double?, _ digits: Int = 3) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.\(digits)f", v)
    }

    public static func p(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return v < 0.001 ? "< 0.001" : String(format: "%.3f", v)
    }

    public static func interval(_ ci: [Double]?, _ digits: Int = 3) -> String {
        guard let ci, ci.count == 2 else { return "–" }
        return "\(fixed(ci[0], digits))–\(fixed(ci[1], digits))"
    }
}
