import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Issue 19: bad cases are reported and the rest go on (exit 2); a run killed with SIGKILL at
/// random moments and rerun ends complete, with nothing lost or duplicated.
@Suite(.serialized) struct StudyRobustnessTests {
    func rewrite(_ f: StudyFixture, case id: String, column: Int, to value: String) throws {
        let t = try CSVTable(contentsOf: f.cohortFile)
        var w = CSVWriter(header: t.header)
        for var row in t.rows {
            if row[0] == id { row[column] = value }
            w.append(row)
        }
        try w.write(to: f.cohortFile)
    }

    @Test func failuresAreListedAndTheRestGoOn() throws {
        let f = try StudyFixture.make(cases: 30)
        defer { f.remove() }
        // An empty DICOM folder, a mask on another grid, an unreadable mask file.
        let empty = f.dir.appendingPathComponent("images/empty_series")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try rewrite(f, case: "case001", column: 5, to: "images/empty_series")
        let other = Geometry(size: [10, 10, 6], spacing: [2, 2, 3], origin: [-10, -10, -9])
        var small = [UInt8](repeating: 0, count: other.voxelCount)
        for k in 200..<260 { small[k] = 1 }
        try NIfTIWriter.write(try Volume(geometry: other, voxels: .uint8(small)), to: f.dir.appendingPathComponent("images/other_grid.nii.gz"))
        try rewrite(f, case: "case003", column: 6, to: "images/other_grid.nii.gz")
        try Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: f.dir.appendingPathComponent("images/garbage.nii.gz"))
        try rewrite(f, case: "case007", column: 7, to: "images/garbage.nii.gz")

        let r = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        #expect(r.status == 2, "\(r.stderr)")
        let failures = try CSVTable(contentsOf: f.results.appendingPathComponent("failures.csv"))
        #expect(failures.header == ["case", "modality", "reader", "step", "reason"])
        let rows = failures.rows.map { "\($0[0]) \($0[1]) \($0[2]) \($0[3])" }
        #expect(rows == ["case001 mr 1 load", "case001 mr 2 load", "case003 mr 1 qc", "case007 mr 2 load"])
        #expect(failures.rows[0][4].contains("no DICOM image series"), "\(failures.rows[0][4])")
        #expect(failures.rows[2][4].contains("not on the image grid"), "\(failures.rows[2][4])")
        #expect(failures.rows[3][4].contains("garbage.nii.gz"), "\(failures.rows[3][4])")
        // The analysis ran on the others: cases without primary-reader features are left out.
        let fused = try CSVTable(contentsOf: f.results.appendingPathComponent("features.csv"))
        let ids = try fused.strings("id")
        #expect(ids.count == 28 && !ids.contains("case001") && !ids.contains("case003") && ids.contains("case007"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: f.results.appendingPathComponent("summary.json"))) as! [String: Any]
        #expect((summary["failures"] as! [Any]).count == 4)
        // Every case still has its study report; those of the bad cases name what is wrong.
        for k in 0..<30 {
            let id = String(format: "case%03d", k)
            for ext in ["html", "json"] {
                #expect(FileManager.default.fileExists(atPath: f.results.appendingPathComponent("reports/\(id).\(ext)").path), "\(id).\(ext)")
            }
        }
        let problems = try CSVTable(contentsOf: f.results.appendingPathComponent("reports/problems.csv"))
        #expect(Set(try problems.strings("case")) == ["case001", "case003", "case007"])
        let case003 = try JSONSerialization.jsonObject(with: Data(contentsOf: f.results.appendingPathComponent("reports/case003.json"))) as! [String: Any]
        #expect((case003["problems"] as! [String]).contains { $0.contains("the mask other_grid.nii.gz does not fit its image") }, "\(case003["problems"]!)")
        #expect(case003["probability"] == nil)
        #expect(r.stderr.contains("report case007: mr reader 2:"), "\(r.stderr)")
    }

    /// SIGKILL at several seeded-random moments of a run, then a rerun: the outputs equal an
    /// uninterrupted run's byte for byte (summary.json aside, which counts reused branches),
    /// and the ledger holds each branch once, finished.
    @Test func killNineAndRerun() throws {
        let reference = try StudyFixture.make(cases: 30)
        defer { reference.remove() }
        let started = Date()
        let clean = try KiraRun.run(["study", "run", reference.studyFile.path, "--jobs", "2"])
        let full = Date().timeIntervalSince(started)
        #expect(clean.status == 0, "\(clean.stderr)")

        let f = try StudyFixture.make(cases: 30)
        defer { f.remove() }
        var rng = SplitMix64(seed: 1919)
        var kills = 0
        var moments: [String] = []
        for _ in 0..<4 {
            let p = Process()
            p.executableURL = TestPaths.kiraExecutable
            p.arguments = ["study", "run", f.studyFile.path, "--jobs", "2"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Anywhere in the first third of a full run: each rerun resumes where the last stopped,
            // so the four kills fall in different stages (early branches, late ones, the analysis).
            let delay = (0.03 + 0.27 * rng.unit()) * full
            usleep(UInt32(delay * 1_000_000))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1; moments.append(String(format: "%.1f s", delay)) }
            p.waitUntilExit()
        }
        #expect(kills >= 3, "the run ended before most kills; the cohort is too small")
        let rerun = try KiraRun.run(["study", "run", f.studyFile.path, "--jobs", "2"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let a = try reference.outputs(), b = try f.outputs()
        #expect(a.keys.sorted() == b.keys.sorted())
        for name in a.keys.sorted() where name != "summary.json" {
            #expect(a[name] == b[name], "\(name) differs from the uninterrupted run's")
        }
        let status = try KiraRun.run(["study", "status", f.studyFile.path, "--json"])
        let steps = status.json["steps"] as! [[String: Any]]
        let branches = steps.filter { $0["step"] as! String == "features" }
        #expect(branches.count == 50)
        #expect(Set(branches.map { "\($0["case"]!) \($0["reader"]!)" }).count == 50)
        #expect(steps.allSatisfy { ["done", "reused"].contains($0["status"] as! String) })
        // No half-written file is left in the cache or the results.
        #expect(leftoverTemporaries(in: f.results).isEmpty)
        print("kill -9: \(kills) run(s) killed after \(moments.joined(separator: ", ")); uninterrupted run \(String(format: "%.1f", full)) s")
    }
}
