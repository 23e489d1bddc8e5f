import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Issue 18 item 4: SIGINT and SIGTERM remove temporary files and folders the run made and
/// left empty, print one line saying what was complete, and exit 128 + the signal.
@Suite(.serialized) struct InterruptTests {
    /// `KiraRun.interrupt`, failing the test when the run ended before it could be interrupted.
    func interrupt(_ args: [String], with signal: Int32, when ready: () -> Bool,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> InterruptedRun {
        let r = try KiraRun.interrupt(args, with: signal, when: ready)
        try #require(r.wasRunning, "kira ended before it could be interrupted; make its input larger", sourceLocation: sourceLocation)
        return r
    }

    /// The interrupt line's count, checked against `pattern` ("N of T unit verb").
    func count(in stderr: String, command: String, signal: String, total: Int, unit: String,
               sourceLocation: SourceLocation = #_sourceLocation) -> Int? {
        let lines = stderr.split(separator: "\n").filter { $0.contains("interrupted") }
        #expect(lines.count == 1, "\(stderr)", sourceLocation: sourceLocation)
        guard let line = lines.first else { return nil }
        let prefix = "\(command): interrupted (\(signal)); "
        let suffix = " of \(total) \(unit) written, no partial file left"
        #expect(line.hasPrefix(prefix) && line.hasSuffix(suffix), "\(line)", sourceLocation: sourceLocation)
        guard line.hasPrefix(prefix), line.hasSuffix(suffix) else { return nil }
        return Int(line.dropFirst(prefix.count).dropLast(suffix.count))
    }

    func files(in dir: URL, ending suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Three 512×512×40 series (60 MB); the run is stopped as soon as its first temporary
    /// file appears, then rerun with --overwrite into the same folder.
    @Test(arguments: [(false, SIGINT), (true, SIGINT), (true, SIGTERM)])
    func convertStopsCleanly(gzip: Bool, signal: Int32) throws {
        let dir = try TestPaths.temporaryDirectory("kira-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in")
        for s in 1...3 { try SyntheticDICOM.writeSeries(to: input, seriesNumber: s, rows: 512, columns: 512, slices: 40) }
        // Two levels the run creates: both must go when nothing was written into them.
        let parent = dir.appendingPathComponent("out")
        let out = parent.appendingPathComponent("nifti")
        let ext = gzip ? ".nii.gz" : ".nii"
        let args = ["convert", input.path, "-o", out.path] + (gzip ? ["--gzip"] : [])
        let r = try interrupt(args, with: signal) { !leftoverTemporaries(in: parent).isEmpty }
        #expect(r.normalExit, "ended by the signal itself, not by kira's handler")
        #expect(r.status == (signal == SIGINT ? 130 : 143), "\(r.stderr)")
        let n = count(in: r.stderr, command: "kira convert", signal: signal == SIGINT ? "SIGINT" : "SIGTERM", total: 3, unit: "series")
        #expect(leftoverTemporaries(in: dir).isEmpty)
        // What the line says is complete is on disk, each NIfTI with its sidecar.
        #expect(files(in: out, ending: ext).count == n ?? -1)
        #expect(files(in: out, ending: ".json").count == n ?? -1)
        if n == 0 {
            #expect(!FileManager.default.fileExists(atPath: parent.path), "empty output folders left behind")
        }

        let rerun = try KiraRun.run(args + ["--overwrite"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(files(in: out, ending: ext) == ["in_1_interrupt1", "in_2_interrupt2", "in_3_interrupt3"].map { $0 + ext })
        #expect(files(in: out, ending: ".json").count == 3)
        #expect(leftoverTemporaries(in: dir).isEmpty)
        let v = try NIfTIReader.read(out.appendingPathComponent("in_2_interrupt2" + ext))
        #expect(v.geometry.size == [512, 512, 40])
        // Voxel (x, y, z) = x + 3y + 7z + series (see SyntheticDICOM).
        #expect(v.voxels[5 + 512 * 4 + 512 * 512 * 3] == Double(5 + 3 * 4 + 7 * 3 + 2))
    }

    /// A 240×240×160 image resampled with B-splines onto 0.5 mm takes seconds; SIGTERM a
    /// moment after the start stops it before anything is written.
    @Test func resampleStopsOnSIGTERM() throws {
        let dir = try TestPaths.temporaryDirectory("kira-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [240, 240, 160], spacing: [1, 1, 1])
        let image = dir.appendingPathComponent("big.nii")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .int16((0..<g.voxelCount).map { Int16($0 % 1000) })), to: image)
        let out = dir.appendingPathComponent("sub/resampled.nii.gz")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let started = Date()
        let r = try interrupt(["resample", image.path, "-o", out.path, "--spacing", "0.5", "--interpolator", "bspline"],
                              with: SIGTERM) { Date().timeIntervalSince(started) > 0.5 }
        #expect(r.normalExit)
        #expect(r.status == 143, "\(r.stderr)")
        let n = count(in: r.stderr, command: "kira resample", signal: "SIGTERM", total: 2, unit: "files")
        #expect(n == 0)
        #expect(leftoverTemporaries(in: dir).isEmpty)
        #expect(files(in: out.deletingLastPathComponent(), ending: "").isEmpty)
    }

    /// A random forest with repeated cross-validation on 300 × 40 features runs for seconds;
    /// SIGINT half a second in leaves no model and no temporary file.
    @Test func trainStopsOnSIGINT() throws {
        let dir = try TestPaths.temporaryDirectory("kira-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        var state: UInt64 = 7
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1.0p-53
        }
        var features = "id," + (0..<40).map { "f\($0)" }.joined(separator: ",") + "\n", labels = "id,y\n"
        for i in 0..<300 {
            features += "c\(i)," + (0..<40).map { j in "\(uniform() + (j < 5 ? Double(i % 2) * 0.5 : 0))" }.joined(separator: ",") + "\n"
            labels += "c\(i),\(i % 2)\n"
        }
        let f = dir.appendingPathComponent("features.csv"), l = dir.appendingPathComponent("labels.csv")
        try features.write(to: f, atomically: true, encoding: .utf8)
        try labels.write(to: l, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("model.json")
        let started = Date()
        let r = try interrupt(["train", "--features", f.path, "--labels", l.path, "--label-column", "y", "--model", "rf",
                               "--cv", "5", "--repeats", "10", "-o", model.path], with: SIGINT) { Date().timeIntervalSince(started) > 0.5 }
        #expect(r.normalExit)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(count(in: r.stderr, command: "kira train", signal: "SIGINT", total: 1, unit: "files") == 0)
        #expect(!FileManager.default.fileExists(atPath: model.path))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    /// Cohort mode keeps its journal on an interrupt (resuming is its design) and a rerun
    /// without --overwrite finishes the table with every case once.
    @Test func featuresCohortResumesAfterSIGINT() throws {
        let dir = try TestPaths.temporaryDirectory("kira-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")
        let sphere = try SyntheticCases.write(SyntheticCases.sphere(), dir, "sphere.nii.gz")
        let ids = (1...8).map { String(format: "case%02d", $0) }
        let manifest = try FeaturesCohortTests.manifest(dir, ids.map { [$0, image, sphere, ""] })
        let out = dir.appendingPathComponent("features.csv")
        let journal = URL(fileURLWithPath: out.path + ".journal")
        func journalled() -> Int {
            ((try? String(contentsOf: journal, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        let args = ["features", "--manifest", manifest, "-o", out.path, "--jobs", "1", "--quiet"]
        let r = try interrupt(args, with: SIGINT) { journalled() >= 1 }
        #expect(r.normalExit)
        #expect(r.status == 130, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("interrupted") }
        #expect(lines.count == 1, "\(r.stderr)")
        let prefix = "kira features: interrupted (SIGINT); "
        let suffix = " of 8 cases done, finished cases kept in features.csv.journal for a rerun to resume, no partial file left"
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix(prefix) && line.hasSuffix(suffix), "\(line)")
        let n = Int(line.dropFirst(prefix.count).dropLast(suffix.count)) ?? -1
        // A case is journalled before it is counted, so the journal may hold one more.
        #expect(n >= 0 && n < 8 && journalled() >= 1 && (n...n + 1).contains(journalled()), "\(n) counted, \(journalled()) journalled")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(leftoverTemporaries(in: dir).isEmpty)

        let rerun = try KiraRun.run(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try CSVTable(contentsOf: out).strings("id") == ids)
        #expect(!FileManager.default.fileExists(atPath: journal.path))
    }

    /// A run that fails removes the folders it made for outputs once they are empty, and
    /// leaves a folder that was there before.
    @Test func failedRunLeavesNoEmptyFolder() throws {
        let dir = try TestPaths.temporaryDirectory("kira-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let notes = dir.appendingPathComponent("notes.txt")
        try Data("not an image\n".utf8).write(to: notes)
        let made = dir.appendingPathComponent("made")
        let r = try KiraRun.run(["convert", notes.path, "-o", made.appendingPathComponent("deeper").path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: made.path))
        let existing = dir.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        let again = try KiraRun.run(["convert", notes.path, "-o", existing.path])
        #expect(again.status == 1, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: existing.path))
    }
}
