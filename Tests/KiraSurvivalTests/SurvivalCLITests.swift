import Foundation
import KiraCore
import KiraSurvival
import KiraTestSupport
import Testing

func kira(_ args: String...) throws -> KiraRun { try KiraRun.run(args) }

/// `kira survival` JSON against lifelines on the same files (the keys the issue names).
@Suite(.enabled(if: PeerReference.lifelinesAvailable, Comment(rawValue: PeerReference.missingReason)))
struct SurvivalCLIPeerTests {
    @Test func kmJSONMatchesLifelines() throws {
        let r = try kira("survival", "km", "--data", PeerReference.csvPath("waltons"), "--time", "T", "--event", "E",
                         "--group", "group", "--at", "10,30,50.5", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let groups = r.json["groups"] as? [String: Any] ?? [:]
        #expect(Set(groups.keys) == ["control", "miR-137"])
        for key in groups.keys {
            let g = groups[key] as? [String: Any] ?? [:]
            let ref = PeerReference.dict("km", "waltons/" + key)
            for (mine, theirs) in [("timeline", "timeline"), ("survival", "survival"), ("ci95_lower", "lower"), ("ci95_upper", "upper")] {
                let d = maxAbsDifference(doubles(g[mine]).map { $0 ?? .nan }, doubles(ref[theirs]))
                #expect(d <= 1e-8, "\(key) \(mine): \(d)")
            }
            #expect(g["at_risk"] as? [Int] == ref["at_risk"] as? [Int])
            #expect(g["n"] as? Int == ref["n"] as? Int && g["events"] as? Int == ref["events"] as? Int)
            #expect((g["median"] as? NSNumber)?.doubleValue == (ref["median"] as? NSNumber)?.doubleValue)
            #expect(doubles(g["median_ci95"]) == doubles(ref["median_ci"]))
            let at = (g["at"] as? [[String: Any]] ?? []).map { ($0["survival"] as? NSNumber)?.doubleValue ?? .nan }
            #expect(maxAbsDifference(at, doubles(ref["survival_at"])) <= 1e-8)
        }
        let lr = r.json["logrank"] as? [String: Any] ?? [:]
        let ref = PeerReference.dict("logrank", "waltons")
        #expect(relativeDifference((lr["statistic"] as! NSNumber).doubleValue, (ref["statistic"] as! NSNumber).doubleValue) <= 1e-8)
        #expect(relativeDifference((lr["p"] as! NSNumber).doubleValue, (ref["p"] as! NSNumber).doubleValue) <= 1e-8)
        #expect(lr["df"] as? Int == 1)
    }

    @Test(arguments: ["efron", "breslow"])
    func coxJSONMatchesPeers(_ ties: String) throws {
        let cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
        if ties == "breslow" && !PeerReference.statsmodelsAvailable {
            print("skipped Breslow CLI check: \(PeerReference.statsmodelsMissing)")
            return
        }
        let r = try kira("survival", "cox", "--data", PeerReference.csvPath("rossi"), "--time", "week", "--event", "arrest",
                         "--covariates", cov.joined(separator: ","), "--ties", ties, "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let ref = PeerReference.dict(ties == "efron" ? "cox_efron" : "cox_breslow", "rossi")
        try #require(!ref.isEmpty)
        let coefs = r.json["coefficients"] as? [String: [String: Any]] ?? [:]
        let refCoef = doubles(ref["coef"]), refSE = doubles(ref["se"])
        for (j, name) in cov.enumerated() {
            let c = coefs[name] ?? [:]
            #expect(abs(((c["coef"] as? NSNumber)?.doubleValue ?? .nan) - refCoef[j]!) <= 1e-6)
            #expect(abs(((c["se"] as? NSNumber)?.doubleValue ?? .nan) - refSE[j]!) <= 1e-6)
            #expect(Set(c.keys).isSuperset(of: ["coef", "se", "hr", "hr_ci95", "z", "p"]))
        }
        #expect(abs(((r.json["log_likelihood"] as? NSNumber)?.doubleValue ?? .nan) - (ref["log_likelihood"] as! NSNumber).doubleValue) <= 1e-6)
        #expect(r.json["lr_test"] is [String: Any] && r.json["concordance"] is NSNumber)
        if ties == "efron" {
            #expect(abs((r.json["concordance"] as! NSNumber).doubleValue - (ref["concordance"] as! NSNumber).doubleValue) <= 1e-12)
        }
    }
}

/// Degenerate inputs: each gives a clear message naming what is wrong and a documented exit code.
struct SurvivalDegenerateTests {
    static func csv(_ text: String) throws -> String {
        let dir = try TestPaths.temporaryDirectory("kira-survival-cli")
        let url = dir.appendingPathComponent("d.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func noEvents() throws {
        let f = try Self.csv("t,e,x,g\n1,0,0.5,a\n2,0,1.5,b\n3,0,0.1,a\n4,0,2.0,b\n")
        let km = try kira("survival", "km", "--data", f, "--time", "t", "--event", "e", "--json")
        #expect(km.status == 0)
        let all = (km.json["groups"] as? [String: Any])?["all"] as? [String: Any] ?? [:]
        #expect(all["median"] is NSNull && all["events"] as? Int == 0)
        #expect(doubles(all["survival"]).allSatisfy { $0 == 1 })
        // Grouped: S = 1 in each group with a warning; the log-rank test is undefined, not an error.
        let lr = try kira("survival", "km", "--data", f, "--time", "t", "--event", "e", "--group", "g", "--json")
        #expect(lr.status == 0 && lr.stderr.contains("warning: no events among the 4 subjects"))
        #expect((lr.json["logrank"] as? [String: Any])?["undefined"] as? String == "no events")
        for key in ["a", "b"] {
            let g = (lr.json["groups"] as? [String: Any])?[key] as? [String: Any] ?? [:]
            #expect(g["n"] as? Int == 2 && !doubles(g["survival"]).isEmpty && doubles(g["survival"]).allSatisfy { $0 == 1 })
        }
        let cox = try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x")
        #expect(cox.status == 1 && cox.stderr.contains("no events"))
    }

    /// Issue 18: the information matrix grows as covariates²; beyond the budget the fit is
    /// refused before allocating (two covariates: 2 × 2 × 32 bytes = 128 bytes).
    @Test func coxBeyondTheBudget() throws {
        let f = try Self.csv("t,e,x,z\n5,1,0.5,1\n6,1,1.5,0\n7,0,0.1,1\n8,1,2.0,1\n9,0,0.7,0\n")
        func cox(_ budget: String) throws -> KiraRun {
            try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["KIRA_MAX_BYTES=\(budget)", TestPaths.kiraExecutable.path,
                           "survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x,z"])
        }
        let refused = try cox("127")
        #expect(refused.status == 1, Comment(rawValue: refused.stderr))
        #expect(refused.stderr.contains("Cox model with 2 covariates: information matrix: too large: 2×2 = 4 entries × 32 bytes = 128 bytes"),
                Comment(rawValue: refused.stderr))
        let fits = try cox("128")
        #expect(fits.status == 0, Comment(rawValue: fits.stderr))
    }

    @Test func allEventsAtOneTime() throws {
        let f = try Self.csv("t,e,x\n5,1,0.5\n5,1,1.5\n5,1,0.1\n7,0,2.0\n9,0,0.7\n")
        let km = try kira("survival", "km", "--data", f, "--time", "t", "--event", "e", "--json")
        let all = (km.json["groups"] as? [String: Any])?["all"] as? [String: Any] ?? [:]
        // S drops once, at t = 5, to 2/5.
        #expect(doubles(all["survival"]) == [1, 0.4, 0.4, 0.4])
        let cox = try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--json")
        #expect(cox.status == 0)
        let warnings = cox.json["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.contains("all 3 events happen at one time") })
    }

    @Test func perfectSeparationIsReportedNotHidden() throws {
        // Every subject with x = 1 fails before any subject with x = 0.
        var text = "t,e,x,z\n"
        for i in 0..<20 { text += "\(i + 1),1,\(i < 10 ? 1 : 0),\(Double(i % 7) / 3)\n" }
        let f = try Self.csv(text)
        let cox = try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x,z", "--json")
        #expect(cox.status == 2)
        #expect(cox.json["converged"] as? Bool == false)
        let warnings = (cox.json["warnings"] as? [String] ?? []).joined()
        #expect(warnings.contains("\"x\"") && warnings.contains("separation"))
        #expect(cox.stderr.contains("separation"))
    }

    @Test func missingValuesAreDroppedAndCounted() throws {
        let f = try Self.csv("t,e,x\n1,1,0.5\n2,,1.5\n3,1,NA\n4,0,2.0\n5,1,0.3\n6,0,1.1\n")
        let r = try kira("survival", "km", "--data", f, "--time", "t", "--event", "e", "--json")
        #expect(r.json["dropped_rows"] as? Int == 1)
        #expect(r.stderr.contains("row 3 (e)"))
        let c = try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--json")
        #expect(c.json["dropped_rows"] as? Int == 2 && c.json["n"] as? Int == 4)
        #expect(c.stderr.contains("row 3 (e)") && c.stderr.contains("row 4 (x)"))
    }

    @Test func badCellsNameTheRowAndColumn() throws {
        let f = try Self.csv("t,e,x\n1,1,0.5\n2,2,1.5\n")
        let r = try kira("survival", "km", "--data", f, "--time", "t", "--event", "e")
        #expect(r.status == 1 && r.stderr.contains("row 3, column \"e\""))
        let g = try Self.csv("t,e,x\n1,1,abc\n2,0,1.5\n")
        let c = try kira("survival", "cox", "--data", g, "--time", "t", "--event", "e", "--covariates", "x")
        #expect(c.status == 1 && c.stderr.contains("row 2, column \"x\""))
        let n = try kira("survival", "cox", "--data", g, "--time", "t", "--event", "e", "--covariates", "nope")
        #expect(n.status == 1 && n.stderr.contains("no column \"nope\""))
    }

    @Test func badUsageExitsOne() throws {
        let f = try Self.csv("t,e,x\n1,1,0.5\n2,0,1.5\n")
        #expect(try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--penalty", "l1").status == 1)
        #expect(try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--ties", "exact").status == 1)
        #expect(try kira("survival", "cutoff", "--data", f, "--time", "t", "--event", "e", "--score", "x", "--method", "youden").status == 1)
        #expect(try kira("survival", "tdauc", "--data", f, "--time", "t", "--event", "e", "--score", "x", "--at", "99").status == 1)
    }

    @Test func groupsAndRadScoreFilesAreWritten() throws {
        var text = "t,e,x\n"
        for i in 0..<30 { text += "\(i + 1),\(i % 3 == 0 ? 0 : 1),\(Double((i * 7) % 30) / 10)\n" }
        let f = try Self.csv(text)
        let dir = URL(fileURLWithPath: f).deletingLastPathComponent()
        let groups = dir.appendingPathComponent("groups.csv").path, rad = dir.appendingPathComponent("rad.csv").path
        let c = try kira("survival", "cutoff", "--data", f, "--time", "t", "--event", "e", "--score", "x", "--method", "value:1.5",
                         "--groups-out", groups, "--json")
        #expect(c.status == 0)
        let g = try CSVTable(contentsOf: URL(fileURLWithPath: groups))
        #expect(g.header == ["row", "t", "e", "x", "risk_group"])
        #expect(try g.strings("risk_group").filter { $0 == "high" }.count == ((c.json["groups"] as? [String: [String: Any]])?["high"]?["n"] as? Int))
        let x = try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--rad-score", rad, "--json")
        let coef = ((x.json["coefficients"] as? [String: [String: Any]])?["x"]?["coef"] as? NSNumber)?.doubleValue ?? .nan
        let r = try CSVTable(contentsOf: URL(fileURLWithPath: rad))
        let xs = try CSVTable(contentsOf: URL(fileURLWithPath: f)).requiredNumbers("x")
        #expect(maxAbsDifference(try r.requiredNumbers("rad_score"), xs.map { $0 * coef }) <= 1e-12)
    }

    @Test func radScoreAndGroupsCarryTheCaseIds() throws {
        var text = "case_id,t,e,x\n"
        for i in 0..<20 { text += "P\(100 + i),\(i + 1),\(i % 3 == 0 ? 0 : 1),\(Double((i * 7) % 20) / 10)\n" }
        let f = try Self.csv(text)
        let dir = URL(fileURLWithPath: f).deletingLastPathComponent()
        let rad = dir.appendingPathComponent("rad.csv").path, groups = dir.appendingPathComponent("groups.csv").path
        #expect(try kira("survival", "cox", "--data", f, "--time", "t", "--event", "e", "--covariates", "x", "--rad-score", rad).status == 0)
        let r = try CSVTable(contentsOf: URL(fileURLWithPath: rad))
        #expect(r.header == ["row", "case_id", "t", "e", "rad_score"])
        #expect(try r.strings("case_id") == (0..<20).map { "P\(100 + $0)" })
        #expect(try kira("survival", "cutoff", "--data", f, "--time", "t", "--event", "e", "--score", "x",
                         "--id", "case_id", "--groups-out", groups).status == 0)
        let g = try CSVTable(contentsOf: URL(fileURLWithPath: groups))
        #expect(try g.strings("case_id") == (0..<20).map { "P\(100 + $0)" })
        let x = try CSVTable(contentsOf: URL(fileURLWithPath: f)).requiredNumbers("x")
        let sorted = x.sorted(), median = (sorted[9] + sorted[10]) / 2
        #expect(try g.strings("risk_group") == x.map { $0 > median ? "high" : "low" })
    }
}
