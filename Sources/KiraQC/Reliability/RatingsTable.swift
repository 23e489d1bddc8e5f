import KiraCore

/// Ratings in long format (one row per target × rater) turned into the complete n × k matrix
/// that ICC needs.
///
/// Missing-ratings policy (pingouin's `nan_policy="omit"`): a target lacking any rater's rating
/// (no row, or an empty/NA/NaN cell) is dropped as a whole, and the number dropped is reported.
/// A rater with no rating at all is not a rater (as in pingouin's pivot). A (target, rater) pair
/// given twice is an error naming both rows (pingouin would silently average them).
public struct RatingsTable: Sendable {
    public var targets: [String]
    public var raters: [String]
    /// targets.count × raters.count, row-major.
    public var values: [Double]
    /// Targets left out for missing ratings, in first-seen order.
    public var droppedTargets: [String]

    public init(_ table: CSVTable, targets targetColumn: String, raters raterColumn: String, ratings ratingColumn: String) throws {
        let t = try table.strings(targetColumn)
        let r = try table.strings(raterColumn)
        let y = try table.numbers(ratingColumn)
        var targetIndex: [String: Int] = [:], raterIndex: [String: Int] = [:]
        var targetNames: [String] = [], raterNames: [String] = []
        var cells: [SIMD2<Int>: (value: Double?, row: Int)] = [:]
        for i in 0..<table.rowCount {
            let row = i + 2
            guard !t[i].isEmpty else { throw KiraError.invalidData("\(table.source): row \(row): empty target in column \"\(targetColumn)\"") }
            guard !r[i].isEmpty else { throw KiraError.invalidData("\(table.source): row \(row): empty rater in column \"\(raterColumn)\"") }
            let ti = targetIndex[t[i]] ?? { targetNames.append(t[i]); targetIndex[t[i]] = targetNames.count - 1; return targetNames.count - 1 }()
            let ri = raterIndex[r[i]] ?? { raterNames.append(r[i]); raterIndex[r[i]] = raterNames.count - 1; return raterNames.count - 1 }()
            let key = SIMD2(ti, ri)
            if let earlier = cells[key] {
                throw KiraError.invalidData("\(table.source): rows \(earlier.row) and \(row) both rate target \"\(t[i])\" by rater \"\(r[i])\"")
            }
            cells[key] = (y[i], row)
        }
        // Raters who never gave a rating are dropped before targets are judged complete.
        let activeRaters = raterNames.indices.filter { ri in targetNames.indices.contains { cells[SIMD2($0, ri)]?.value != nil } }
        var kept: [String] = [], dropped: [String] = [], values: [Double] = []
        for ti in targetNames.indices {
            let row = activeRaters.map { cells[SIMD2(ti, $0)]?.value ?? nil }
            if row.contains(where: { $0 == nil }) { dropped.append(targetNames[ti]); continue }
            kept.append(targetNames[ti])
            values += row.map { $0! }
        }
        self.targets = kept
        self.raters = activeRaters.map { raterNames[$0] }
        self.values = values
        self.droppedTargets = dropped
    }

    public func icc() throws -> ICCResult {
        try ICC.compute(values, targets: targets.count, raters: raters.count, droppedTargets: droppedTargets.count)
    }
}
