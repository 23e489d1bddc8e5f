import Foundation
import KiraCore

/// Per-feature ICC between readers: one feature table per reader (the same cases, one row
/// per case, an id column, one column per feature), and the features whose ICC reaches a
/// threshold.
///
/// Cases are matched by id. A case absent from any table is left out of every feature and
/// listed; a case with a missing value (empty, NA, NaN) for a feature in any table is left
/// out of that feature only (the ICC missing-ratings policy). Columns that are not numeric in
/// every table (pyradiomics' `diagnostics_*` text, for instance), or that some table lacks,
/// are listed as ignored. A feature whose ICC cannot be computed (constant across all cases
/// and readers, fewer than 2 complete cases) is listed with the reason and not kept.
public enum FeatureStability {
    public struct Feature: Sendable {
        public var name: String
        /// Cases with a value from every reader.
        public var cases: Int
        /// Common cases left out for a missing value.
        public var droppedCases: Int
        /// The chosen form's estimate; nil when the ICC is undefined (see `reason`).
        public var estimate: ICCEstimate?
        public var kept: Bool
        public var reason: String?
    }

    public struct Ignored: Error, Sendable, Equatable {
        public var column: String
        public var reason: String
    }

    public struct Report: Sendable {
        public var form: ICCForm
        public var minICC: Double
        public var readers: [String]
        /// Ids present in every table, in the first table's order.
        public var cases: [String]
        /// Ids missing from at least one table.
        public var unmatchedCases: [String]
        public var features: [Feature]
        public var ignored: [Ignored]
        public var kept: [String] { features.filter(\.kept).map(\.name) }
    }

    public static func evaluate(tables: [CSVTable], idColumn: String, form: ICCForm = .icc2, minICC: Double = 0.8) throws -> Report {
        guard tables.count >= 2 else {
            throw KiraError.invalidArgument("feature stability needs tables from at least 2 readers; got \(tables.count)")
        }
        guard minICC.isFinite else { throw KiraError.invalidArgument("--min-icc must be a finite number") }
        // Row of each id, per table.
        var rowOf: [[String: Int]] = []
        for t in tables {
            var index: [String: Int] = [:]
            for (r, id) in try t.strings(idColumn).enumerated() {
                guard !id.isEmpty else { throw KiraError.invalidData("\(t.source): row \(r + 2): empty id in column \"\(idColumn)\"") }
                if let first = index[id] {
                    throw KiraError.invalidData("\(t.source): id \"\(id)\" appears in rows \(first + 2) and \(r + 2)")
                }
                index[id] = r
            }
            rowOf.append(index)
        }
        let firstIds = try tables[0].strings(idColumn)
        let cases = firstIds.filter { id in rowOf.allSatisfy { $0[id] != nil } }
        var unmatched = firstIds.filter { id in !rowOf.allSatisfy { $0[id] != nil } }
        var seen = Set(firstIds)
        for t in tables.dropFirst() {
            for id in try t.strings(idColumn) where seen.insert(id).inserted { unmatched.append(id) }
        }
        guard cases.count >= 2 else {
            throw KiraError.invalidData("only \(cases.count) case id(s) appear in every table; feature stability needs at least 2 (column \"\(idColumn)\")")
        }

        var ignored: [Ignored] = []
        var candidates: [String] = []
        var seenColumns: Set<String> = [idColumn]
        for t in tables {
            for name in t.header where seenColumns.insert(name).inserted {
                if let lacking = tables.first(where: { !$0.hasColumn(name) }) {
                    ignored.append(Ignored(column: name, reason: "absent from \(lacking.source)"))
                } else {
                    candidates.append(name)
                }
            }
        }

        // values[f][case * readers + reader], nil for a missing cell.
        let k = tables.count, n = cases.count
        let caseRows = rowOf.map { index in cases.map { index[$0]! } }
        let columnOf = tables.map { t in Dictionary(t.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        let quantiles = FQuantileCache()
        // Columns are independent: parse and evaluate them in parallel, keep the table order.
        let outcomes = concurrentMap(candidates.count) { index -> Result<Feature, Ignored> in
            let name = candidates[index]
            var values = [Double](repeating: 0, count: n * k)
            var complete = [Bool](repeating: true, count: n)
            for (j, t) in tables.enumerated() {
                let c = columnOf[j][name]!
                for i in 0..<n {
                    let r = caseRows[j][i]
                    do {
                        if let v = try number(t.rows[r][c], source: t.source, row: r + 2, column: name) {
                            values[i * k + j] = v
                        } else {
                            complete[i] = false
                        }
                    } catch {
                        return .failure(Ignored(column: name, reason: "not numeric: \(error)"))
                    }
                }
            }
            var ratings: [Double] = []
            ratings.reserveCapacity(n * k)
            for i in 0..<n where complete[i] { ratings += values[(i * k)..<(i * k + k)] }
            let used = ratings.count / k
            do {
                let r = try ICC.compute(ratings, targets: used, raters: k, droppedTargets: n - used, quantiles: quantiles)
                let e = r[form]
                return .success(Feature(name: name, cases: used, droppedCases: n - used, estimate: e, kept: e.icc >= minICC, reason: nil))
            } catch {
                return .success(Feature(name: name, cases: used, droppedCases: n - used, estimate: nil, kept: false,
                                        reason: "\(error)".replacingOccurrences(of: "ICC: ", with: "")))
            }
        }
        var results: [Feature] = []
        for o in outcomes {
            switch o {
            case let .success(f): results.append(f)
            case let .failure(i): ignored.append(i)
            }
        }
        return Report(form: form, minICC: minICC, readers: tables.map(\.source), cases: cases, unmatchedCases: unmatched,
                      features: results, ignored: ignored)
    }

    /// `CSVTable.number` with a fast path for the usual untrimmed cell: Foundation's trimming
    /// dominated the run time on large tables. Same results, same messages.
    static func number(_ cell: String, source: String, row: Int, column: String) throws -> Double? {
        let utf8 = cell.utf8
        if let first = utf8.first, let last = utf8.last, first != 0x20, first != 0x09, last != 0x20, last != 0x09,
           let v = Double(cell), v.isFinite {
            return v
        }
        return try CSVTable.number(cell, source: source, row: row, column: column)
    }
}
