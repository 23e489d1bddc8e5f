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

    public struct Ignored: Sendable, Equatable {
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
        var features: [(name: String, values: [Double?])] = []
        columns: for name in candidates {
            var values = [Double?](repeating: nil, count: n * k)
            for (j, t) in tables.enumerated() {
                let c = try t.columnIndex(name)
                for (i, id) in cases.enumerated() {
                    let r = rowOf[j][id]!
                    do {
                        values[i * k + j] = try CSVTable.number(t.rows[r][c], source: t.source, row: r + 2, column: name)
                    } catch {
                        ignored.append(Ignored(column: name, reason: "not numeric: \(error)"))
                        continue columns
                    }
                }
            }
            features.append((name, values))
        }

        let quantiles = FQuantileCache()
        let results = features.map { feature -> Feature in
            var complete: [Double] = []
            complete.reserveCapacity(n * k)
            var used = 0
            for i in 0..<n {
                let row = feature.values[(i * k)..<(i * k + k)]
                if row.contains(where: { $0 == nil }) { continue }
                complete += row.map { $0! }
                used += 1
            }
            do {
                let r = try ICC.compute(complete, targets: used, raters: k, droppedTargets: n - used, quantiles: quantiles)
                let e = r[form]
                return Feature(name: feature.name, cases: used, droppedCases: n - used, estimate: e, kept: e.icc >= minICC, reason: nil)
            } catch {
                return Feature(name: feature.name, cases: used, droppedCases: n - used, estimate: nil, kept: false,
                               reason: "\(error)".replacingOccurrences(of: "ICC: ", with: ""))
            }
        }
        return Report(form: form, minICC: minICC, readers: tables.map(\.source), cases: cases, unmatchedCases: unmatched,
                      features: results, ignored: ignored)
    }
}
