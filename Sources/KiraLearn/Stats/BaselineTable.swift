import Foundation
import KiraCore

/// A baseline-characteristics table ("Table 1"): each variable summarised overall and per
/// group (training / validation sets, or predicted Ki-67 groups), with the test that compares
/// the groups and its p. The summaries and the choice of test follow the conventions of the
/// Python package tableone (so a reader can reproduce the table there):
/// - normal continuous: mean and SD (n − 1); two groups → Welch's t, more → one-way ANOVA;
/// - non-normal continuous: median and quartiles (linear interpolation) → Kruskal–Wallis;
/// - categorical: counts and percentages of the non-missing values, levels in string order
///   → χ² on the levels × groups table, Fisher's exact test instead when that table is 2×2
///   and an expected count or a group's total is below 5.
/// Missing values (nil) are counted and left out of every summary and test.
public struct BaselineTable: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case normal, nonnormal, categorical }

    public struct Variable: Sendable {
        public var name: String
        public var kind: Kind
        public var values: [String?]
        public init(name: String, kind: Kind, values: [String?]) { self.name = name; self.kind = kind; self.values = values }
    }

    public struct Level: Sendable, Codable, Equatable {
        public var level: String
        public var count: Int
        public var percent: Double
    }

    /// One variable in one column (a group, or everyone).
    public struct Summary: Sendable, Codable, Equatable {
        public var n: Int
        public var missing: Int
        public var mean: Double?
        public var sd: Double?
        public var median: Double?
        public var q25: Double?
        public var q75: Double?
        public var levels: [Level]?
    }

    public struct Row: Sendable, Codable, Equatable {
        public var name: String
        public var kind: Kind
        public var overall: Summary
        /// In the order of `groups`.
        public var byGroup: [Summary]
        public var test: String?
        public var statistic: Double?
        public var p: Double?
        enum CodingKeys: String, CodingKey { case name, kind, overall, byGroup = "by_group", test, statistic, p }
    }

    public var groupBy: String
    public var groups: [String]
    public var counts: [Int]
    public var rows: [Row]
    enum CodingKeys: String, CodingKey { case groupBy = "group_by", groups, counts, rows }

    /// `group[i]` is row i's group (nil: the row takes part in the overall column only).
    /// Groups appear in string order. A continuous value that does not parse as a finite
    /// number counts as missing.
    public init(groupBy: String, group: [String?], variables: [Variable]) throws {
        self.groupBy = groupBy
        groups = Array(Set(group.compactMap { $0 })).sorted()
        guard groups.count >= 2 else {
            throw KiraError.invalidData("Table 1: '\(groupBy)' has \(groups.count) group(s); comparing needs at least 2")
        }
        counts = groups.map { g in group.filter { $0 == g }.count }
        rows = []
        for v in variables {
            guard v.values.count == group.count else {
                throw KiraError.invalidData("Table 1: variable '\(v.name)' has \(v.values.count) values for \(group.count) rows")
            }
            let members = groups.map { g in group.indices.filter { group[$0] == g } }
            rows.append(v.kind == .categorical
                ? Self.categorical(v, members: members)
                : Self.continuous(v, members: members))
        }
    }

    static func number(_ s: String?) -> Double? {
        guard let s, let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite else { return nil }
        return d
    }

    static func continuous(_ v: Variable, members: [[Int]]) -> Row {
        let all = v.values.map(number)
        func summary(_ idx: [Int]) -> Summary {
            let x = idx.compactMap { all[$0] }
            var s = Summary(n: x.count, missing: idx.count - x.count)
            guard !x.isEmpty else { return s }
            s.mean = GroupTests.mean(x)
            s.sd = x.count > 1 ? GroupTests.variance(x).squareRoot() : nil
            let sorted = x.sorted()
            s.median = percentile(sorted, 50); s.q25 = percentile(sorted, 25); s.q75 = percentile(sorted, 75)
            return s
        }
        let groupValues = members.map { $0.compactMap { all[$0] } }
        var row = Row(name: v.name, kind: v.kind, overall: summary(Array(all.indices)), byGroup: members.map(summary))
        let fewest = groupValues.map(\.count).min() ?? 0
        guard fewest > 0 else { return row }
        let r: GroupTests.Result
        if v.kind == .normal && groupValues.count == 2 && fewest >= 2 {
            row.test = "Welch's t-test"; r = GroupTests.welchT(groupValues[0], groupValues[1])
        } else if v.kind == .normal {
            row.test = "One-way ANOVA"; r = GroupTests.oneWayANOVA(groupValues)
        } else {
            row.test = "Kruskal-Wallis"; r = GroupTests.kruskalWallis(groupValues)
        }
        row.statistic = r.statistic; row.p = r.p
        return row
    }

    static func categorical(_ v: Variable, members: [[Int]]) -> Row {
        let values = v.values.map { s -> String? in
            guard let s, !s.isEmpty else { return nil }
            return s
        }
        let levels = Array(Set(values.compactMap { $0 })).sorted()
        func summary(_ idx: [Int]) -> Summary {
            let x = idx.compactMap { values[$0] }
            var s = Summary(n: x.count, missing: idx.count - x.count)
            s.levels = levels.map { l in
                let c = x.filter { $0 == l }.count
                return Level(level: l, count: c, percent: x.isEmpty ? .nan : Double(c) / Double(x.count) * 100)
            }
            return s
        }
        var row = Row(name: v.name, kind: v.kind, overall: summary(Array(values.indices)), byGroup: members.map(summary))
        // Levels × groups, as tableone tests it.
        let table = levels.map { l in members.map { idx in Double(idx.filter { values[$0] == l }.count) } }
        let fewest = row.byGroup.map(\.n).min() ?? 0
        guard fewest > 0, levels.count >= 2 else { return row }
        let chi = GroupTests.chiSquare(table)
        let smallestExpected = GroupTests.expected(table).flatMap { $0 }.min() ?? 0
        if (smallestExpected < 5 || fewest < 5) && levels.count == 2 && members.count == 2 {
            let f = GroupTests.fisherExact(table.map { $0.map { Int($0) } })
            row.test = "Fisher's exact"; row.statistic = f.statistic; row.p = f.p
        } else {
            row.test = smallestExpected < 5 || fewest < 5 ? "Chi-squared (expected count < 5)" : "Chi-squared"
            row.statistic = chi.statistic; row.p = chi.p
        }
        return row
    }

    /// numpy's default percentile: linear interpolation between the closest ranks.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q / 100
        let lo = Int(h.rounded(.down))
        guard lo + 1 < sorted.count else { return sorted[lo] }
        return sorted[lo] + (h - Double(lo)) * (sorted[lo + 1] - sorted[lo])
    }
}
