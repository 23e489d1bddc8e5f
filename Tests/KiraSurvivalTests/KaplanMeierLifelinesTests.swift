import Foundation
import KiraCore
import KiraSurvival
import KiraTestSupport
import Testing

/// Kaplan–Meier curves, Greenwood log(−log) bands, medians and numbers at risk against
/// lifelines' KaplanMeierFitter on its bundled public data sets (curves within 1e-8).
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct KaplanMeierLifelinesTests {
    /// (reference key, csv, time, event, group column, group value or nil for all rows)
    static let cases: [(String, String, String, String, String?, String?)] = [
        ("waltons/miR-137", "waltons", "T", "E", "group", "miR-137"),
        ("waltons/control", "waltons", "T", "E", "group", "control"),
        ("gbsg2/yes", "gbsg2", "time", "cens", "horTh", "yes"),
        ("gbsg2/no", "gbsg2", "time", "cens", "horTh", "no"),
        ("gbsg2/all", "gbsg2", "time", "cens", nil, nil),
        ("rossi/all", "rossi", "week", "arrest", nil, nil),
        ("lung/0", "lung", "time", "status", "ph.ecog", "0"),
        ("lung/1", "lung", "time", "status", "ph.ecog", "1"),
        ("lung/3", "lung", "time", "status", "ph.ecog", "3"),
    ]

    @Test(arguments: cases.indices)
    func curveMatchesLifelines(_ index: Int) throws {
        let (key, csv, tcol, ecol, gcol, gval) = Self.cases[index]
        let table = try SurvivalTable(table: try PeerReference.table(csv), time: tcol, event: ecol, text: gcol.map { [$0] } ?? [])
        let rows = table.time.indices.filter { gval == nil || table.text[0][$0] == gval! }
        let km = KaplanMeier(time: rows.map { table.time[$0] }, event: rows.map { table.event[$0] })
        let ref = PeerReference.dict("km", key)
        #expect(!ref.isEmpty, "no lifelines reference for \(key)")
        #expect(maxAbsDifference(km.timeline, doubles(ref["timeline"])) == 0)
        let ds = maxAbsDifference(km.survival, doubles(ref["survival"]))
        let dl = maxAbsDifference(km.lower, doubles(ref["lower"]))
        let du = maxAbsDifference(km.upper, doubles(ref["upper"]))
        print("KM \(key): max |ΔS| \(ds), |Δlower| \(dl), |Δupper| \(du)")
        #expect(ds <= 1e-8 && dl <= 1e-8 && du <= 1e-8)
        #expect(km.atRisk == (ref["at_risk"] as? [Int] ?? []))
        #expect(km.n == ref["n"] as? Int && km.eventCount == ref["events"] as? Int)
        #expect(km.median == (ref["median"] as? NSNumber)?.doubleValue)
        let ci = doubles(ref["median_ci"])
        #expect(km.medianInterval.lower == ci[0] && km.medianInterval.upper == ci[1])
        let at = doubles(ref["at"]).map { $0! }
        #expect(maxAbsDifference(at.map { km.survival(at: $0) }, doubles(ref["survival_at"])) <= 1e-8)
    }

    @Test func lungRowsWithMissingGroupAreDroppedAndCounted() throws {
        let table = try SurvivalTable(table: try PeerReference.table("lung"), time: "time", event: "status", text: ["ph.ecog"])
        #expect(table.dropped.count == PeerReference.json["km_lung_dropped"] as? Int)
        #expect(table.dropped.allSatisfy { $0.column == "ph.ecog" })
        #expect(table.count + table.dropped.count == 228)
    }
}

/// Log-rank tests (2 and k groups, stratified) against lifelines and statsmodels, 1e-8 relative.
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct LogRankPeerTests {
    static let cases: [(String, String, String, String, String, String?)] = [
        ("waltons", "waltons", "T", "E", "group", nil),
        ("gbsg2_tgrade", "gbsg2", "time", "cens", "tgrade", nil),
        ("gbsg2_horTh", "gbsg2", "time", "cens", "horTh", nil),
        ("lung_ecog", "lung", "time", "status", "ph.ecog", nil),
        ("gbsg2_horTh_by_menostat", "gbsg2", "time", "cens", "horTh", "menostat"),
        ("gbsg2_tgrade_by_horTh", "gbsg2", "time", "cens", "tgrade", "horTh"),
    ]

    @Test(arguments: cases.indices)
    func statisticMatchesPeer(_ index: Int) throws {
        let (key, csv, tcol, ecol, gcol, scol) = Self.cases[index]
        if scol != nil && !PeerReference.statsmodelsAvailable {
            print("skipped stratified log-rank \(key): \(PeerReference.statsmodelsMissing)")
            return
        }
        let ref = PeerReference.dict("logrank", key)
        try #require(!ref.isEmpty, "no peer value for \(key)")
        let t = try SurvivalTable(table: try PeerReference.table(csv), time: tcol, event: ecol, text: [gcol] + (scol.map { [$0] } ?? []))
        let test = try LogRankTest(time: t.time, event: t.event, group: t.text[0], strata: scol == nil ? nil : t.text[1])
        let stat = (ref["statistic"] as! NSNumber).doubleValue, p = (ref["p"] as! NSNumber).doubleValue
        print("log-rank \(key): statistic \(test.statistic) vs \(stat) (rel \(relativeDifference(test.statistic, stat))), p rel \(relativeDifference(test.p, p))")
        #expect(relativeDifference(test.statistic, stat) <= 1e-8)
        #expect(relativeDifference(test.p, p) <= 1e-8)
        #expect(test.df == ref["df"] as? Int)
    }
}
