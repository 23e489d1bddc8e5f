import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// Issue 19: workflow/Snakefile (one job per branch through `kira study branch`, then
/// `kira study analyse`) gives the same tables and metrics as `kira study run` on the same
/// study, shares its cache and ledger, and has nothing to do the second time.
@Suite(.serialized) struct SnakemakeWorkflowTests {
    static let snakefile = TestPaths.packageRoot.appendingPathComponent("workflow/Snakefile")

    func snakemake(_ args: [String]) throws -> KiraRun {
        try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["snakemake"] + args)
    }

    func copy(_ from: URL) throws -> URL {
        let to = try TestPaths.temporaryDirectory("kira-snake")
        for name in try FileManager.default.contentsOfDirectory(atPath: from.path) {
            try FileManager.default.copyItem(at: from.appendingPathComponent(name), to: to.appendingPathComponent(name))
        }
        return to
    }

    func steps(_ studyFile: URL) throws -> [[String: Any]] {
        let r = try KiraRun.run(["study", "status", studyFile.path, "--json"])
        return (r.json["steps"] as? [[String: Any]]) ?? []
    }

    @Test func snakemakeAgreesWithStudyRun() throws {
        guard (try? snakemake(["--version"]))?.status == 0 else {
            print("skipped: snakemake is not installed (make test installs it from PyPI)")
            return
        }
        // 20 cases (12 train, 4 internal, 4 external, two of each class in each held-out split):
        // 20 first-reader branches and 14 second-reader ones (every third case has none).
        let f = try StudyFixture.make(cases: 20)
        defer { f.remove() }
        let snake = try copy(f.dir)
        defer { try? FileManager.default.removeItem(at: snake) }
        let snakeStudy = snake.appendingPathComponent("study.yaml"), snakeResults = snake.appendingPathComponent("results")

        var started = Date()
        let run = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        let runSeconds = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stderr)")

        // The branch listing the Snakefile reads is the run's branches.
        let listing = try KiraRun.run(["study", "branches", snakeStudy.path])
        #expect(listing.status == 0, "\(listing.stderr)")
        let rows = listing.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.count == 34)
        #expect(rows.filter { $0[2] == "2" }.count == 14)

        // The analysis alone refuses to start without its branches, naming the first.
        let early = try KiraRun.run(["study", "analyse", snakeStudy.path])
        #expect(early.status == 1)
        #expect(early.stderr.contains("34 branch(es) not in the cache") && early.stderr.contains("case000 mr reader 1"), "\(early.stderr)")
        #expect(!FileManager.default.fileExists(atPath: snakeResults.appendingPathComponent("features.csv").path))

        // A branch holds the output folder shared: another branch may run beside it, the
        // analysis (exclusive) may not.
        let lockPath = snakeResults.appendingPathComponent(".kira-study.lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0)
        let beside = try KiraRun.run(["study", "branch", snakeStudy.path, "--case", "case001", "--modality", "mr", "--reader", "2"])
        #expect(beside.status == 0, "\(beside.stderr)")
        let refused = try KiraRun.run(["study", "analyse", snakeStudy.path])
        #expect(refused.status == 1 && refused.stderr.contains("in use"), "\(refused.stderr)")
        close(fd)
        let noMask = try KiraRun.run(["study", "branch", snakeStudy.path, "--case", "case002", "--modality", "mr", "--reader", "2"])
        #expect(noMask.status == 1 && noMask.stderr.contains("no mask in column mr_r2"), "\(noMask.stderr)")
        try FileManager.default.removeItem(at: snakeResults)

        started = Date()
        let first = try snakemake(["-s", Self.snakefile.path, "--cores", "2", "--directory", snake.path,
                                   "--config", "study=\(snakeStudy.path)", "kira=\(TestPaths.kiraExecutable.path)"])
        let snakeSeconds = Date().timeIntervalSince(started)
        #expect(first.status == 0, "\(first.stderr.suffix(4000))")
        print("20 cases × 1 modality × 2 readers (34 branches), tumour + ring:2mm: kira study run --jobs 2 "
              + String(format: "%.1f s, snakemake --cores 2 %.1f s", runSeconds, snakeSeconds))
        guard run.status == 0, first.status == 0 else { return }

        // Every table and the metrics: the same bytes.
        let tables = ["features.csv", "features_mr_reader1.csv", "features_mr_reader2.csv", "icc.csv", "model.json", "metrics.json",
                      "predictions_train.csv", "predictions_internal.csv", "predictions_external.csv", "survival.json", "failures.csv"]
        for name in tables {
            let a = FileManager.default.contents(atPath: f.results.appendingPathComponent(name).path)
            let b = FileManager.default.contents(atPath: snakeResults.appendingPathComponent(name).path)
            #expect(a != nil && a == b, "\(name) differs")
        }
        let fused = try CSVTable(contentsOf: snakeResults.appendingPathComponent("features.csv"))
        #expect(fused.rowCount == 20 && fused.header.count > 10)
        // summary.json differs only in how its branches were obtained (computed by the run,
        // read from the cache by the analysis).
        func summary(_ root: URL) throws -> NSDictionary {
            var s = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("summary.json"))) as! [String: Any]
            var features = s["features"] as! [String: Any]
            #expect(features["branches"] as? Int == 34 && features["failed"] as? Int == 0)
            features["computed"] = nil; features["reused"] = nil
            s["features"] = features
            return s as NSDictionary
        }
        #expect(try summary(f.results) == summary(snakeResults))

        // The ledger holds each branch once, none running or failed, after 2 concurrent jobs.
        let ledger = try steps(snakeStudy)
        let branchRows = ledger.filter { $0["step"] as? String == "branch" }
        #expect(branchRows.count == 34)
        #expect(Set(branchRows.map { "\($0["case"]!) \($0["reader"]!)" }).count == 34)
        #expect(ledger.allSatisfy { ["done", "reused"].contains($0["status"] as? String ?? "") })

        // A second invocation has nothing to do; `kira study run` reuses everything the workflow made.
        let second = try snakemake(["-s", Self.snakefile.path, "--cores", "2", "--directory", snake.path,
                                    "--config", "study=\(snakeStudy.path)", "kira=\(TestPaths.kiraExecutable.path)"])
        #expect(second.status == 0)
        #expect((second.stdout + second.stderr).contains("Nothing to be done"), "\(second.stderr.suffix(2000))")
        let rerun = try KiraRun.run(["study", "run", snakeStudy.path, "--jobs", "2"])
        #expect(rerun.status == 0)
        #expect(rerun.stderr.contains("0 branch(es) computed, 34 reused") && rerun.stderr.contains("analysis reused"), "\(rerun.stderr)")
        for name in tables {
            #expect(FileManager.default.contents(atPath: f.results.appendingPathComponent(name).path)
                == FileManager.default.contents(atPath: snakeResults.appendingPathComponent(name).path), "\(name) after the rerun")
        }
    }

    /// The cluster mode (`--config ledger=analyse`): branch jobs leave the SQLite ledger alone
    /// and the analysis records every branch it read; same outputs.
    @Test func clusterModeLeavesTheLedgerToTheAnalysis() throws {
        guard (try? snakemake(["--version"]))?.status == 0 else {
            print("skipped: snakemake is not installed (make test installs it from PyPI)")
            return
        }
        let f = try StudyFixture.make(cases: 20)
        defer { f.remove() }
        let snake = try copy(f.dir)
        defer { try? FileManager.default.removeItem(at: snake) }
        let snakeStudy = snake.appendingPathComponent("study.yaml"), snakeResults = snake.appendingPathComponent("results")
        let run = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        #expect(run.status == 0, "\(run.stderr)")

        // A branch with --no-ledger writes its marker and no ledger.
        let one = try KiraRun.run(["study", "branch", snakeStudy.path, "--case", "case003", "--modality", "mr", "--reader", "2", "--no-ledger"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(FileManager.default.fileExists(atPath: snakeResults.appendingPathComponent("branches/case003/mr/reader2.json").path))
        #expect(!FileManager.default.fileExists(atPath: snakeResults.appendingPathComponent("ledger.sqlite").path))

        let r = try snakemake(["-s", Self.snakefile.path, "--cores", "2", "--directory", snake.path,
                               "--config", "study=\(snakeStudy.path)", "kira=\(TestPaths.kiraExecutable.path)", "ledger=analyse"])
        #expect(r.status == 0, "\(r.stderr.suffix(4000))")
        for name in ["features.csv", "icc.csv", "model.json", "metrics.json", "survival.json"] {
            let a = FileManager.default.contents(atPath: f.results.appendingPathComponent(name).path)
            #expect(a != nil && a == FileManager.default.contents(atPath: snakeResults.appendingPathComponent(name).path), "\(name) differs")
        }
        let branchRows = try steps(snakeStudy).filter { $0["step"] as? String == "branch" }
        #expect(branchRows.count == 34)
        #expect(branchRows.allSatisfy { $0["status"] as? String == "reused" })
    }
}
