import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// Helpers shared by the reference-data tests of the NRRD and mask readers.
enum MaskReference {
    static let skipReason = Testing.Comment(rawValue: TestPaths.referenceMissing)

    /// RFC 4180 CSV: quoted fields may hold commas and doubled quotes.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text).makeIterator()
        var pending: Character?
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else if c != "\r" {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// "(1.5, 2, 3)" → [1.5, 2, 3].
    static func numbers(_ tuple: String) -> [Double] {
        tuple.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The IBSI's comparison: round to 3 significant digits, then |rounded − value| ≤ tolerance.
    /// Whole-number diagnostics (voxel counts, 3065 HU) are listed with all their digits, so a
    /// value equal to the reference without rounding also passes.
    static func ibsiMatches(_ computed: Double, value: Double, tolerance: Double) -> Bool {
        let slack = tolerance + 1e-9 * max(1, abs(value))
        return abs(roundToSignificant(computed, 3) - value) <= slack || abs(computed - value) <= slack
    }

    static func roundToSignificant(_ x: Double, _ digits: Int) -> Double {
        guard x != 0, x.isFinite else { return x }
        let scale = pow(10, Double(digits - 1) - floor(log10(abs(x))))
        return (x * scale).rounded() / scale
    }

    struct ROIStatistics {
        var count = 0
        var sum = 0.0
        var min = Double.infinity
        var max = -Double.infinity
        var lower = SIMD3<Int>(repeating: .max)
        var upper = SIMD3<Int>(repeating: .min)
        var indexSum = SIMD3<Double>(0, 0, 0)

        var mean: Double { sum / Double(count) }
        var boundingBoxSize: SIMD3<Int> { upper &- lower &+ 1 }
        var centreOfMassIndex: SIMD3<Double> { indexSum / Double(count) }
    }

    /// Intensity statistics of `image` inside `mask` (all voxels when `mask` is nil), with the
    /// mask's bounding box and centre of mass in index space.
    static func statistics(_ image: Volume, mask: Volume?) -> ROIStatistics {
        var s = ROIStatistics()
        let size = image.geometry.size
        let values = image.voxels.toDoubles()
        let inside = mask?.voxels.toDoubles()
        var n = 0
        for k in 0..<size.z {
            for j in 0..<size.y {
                for i in 0..<size.x {
                    defer { n += 1 }
                    if let inside, inside[n] == 0 { continue }
                    let v = values[n]
                    s.count += 1
                    s.sum += v
                    s.min = Swift.min(s.min, v)
                    s.max = Swift.max(s.max, v)
                    let idx = SIMD3(i, j, k)
                    s.lower = pointwiseMin(s.lower, idx)
                    s.upper = pointwiseMax(s.upper, idx)
                    s.indexSum += SIMD3(Double(i), Double(j), Double(k))
                }
            }
        }
        return s
    }
}
