import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// `kira synth` from the command line, and what Kira's own converter makes of its output:
/// the DCE series converts to one 4D NIfTI of 3 phases, and each reader's mask is on its grid.
@Suite("kira synth (command)")
struct SynthCommandTests {
    @Test func writesACohortThatConvertsIntoPhasesUnderItsMasks() throws {
        let dir = try TestPaths.temporaryDirectory("cli-synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cohort")
        let r = try KiraRun.run(["synth", "-o", out.path, "--cases", "2", "--seed", "3", "--centres", "2", "--json"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        #expect(r.json["cases"] as? Int == 2)
        #expect(r.json["files"] as? Int == 5 + 2 * 103)
        #expect(Self.filesUnder(out).count == 5 + 2 * 103)

        let conv = dir.appendingPathComponent("conv")
        let c = try KiraRun.run(["convert", out.appendingPathComponent("cases/SYNTH0001/dce").path, "-o", conv.path + "/"])
        #expect(c.status == 0, Comment(rawValue: c.stderr))
        let nii = try #require(try FileManager.default.contentsOfDirectory(atPath: conv.path).first { $0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz") })
        let image = try NIfTIReader.read(conv.appendingPathComponent(nii))
        #expect(image.timepoints == 3)
        #expect(image.geometry.size == SIMD3(64, 64, 24))
        for reader in 1...2 {
            let mask = try NIfTIReader.read(out.appendingPathComponent("cases/SYNTH0001/masks/dce_r\(reader).nii.gz"))
            #expect(mask.geometry.matches(image.geometry), "\(mask.geometry.differences(from: image.geometry))")
        }
        let inspect = try KiraRun.run(["inspect", out.appendingPathComponent("cases/SYNTH0001/us.dcm").path])
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("spacing from SequenceOfUltrasoundRegions"))
    }

    @Test func refusesANonEmptyFolderWithoutOverwrite() throws {
        let dir = try TestPaths.temporaryDirectory("cli-synth-refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("keep".utf8).write(to: dir.appendingPathComponent("note.txt"))
        let r = try KiraRun.run(["synth", "-o", dir.path, "--cases", "1", "--seed", "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is not empty; pass --overwrite to replace it"), Comment(rawValue: r.stderr))
        #expect(try Data(contentsOf: dir.appendingPathComponent("note.txt")) == Data("keep".utf8))
        let bad = try KiraRun.run(["synth", "-o", dir.appendingPathComponent("x").path, "--cases", "1", "--seed", "1", "--centres", "4"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--centres must be 2 or 3"), Comment(rawValue: bad.stderr))
        // --overwrite replaces a whole folder, so only one kira synth wrote.
        let other = try KiraRun.run(["synth", "-o", dir.path, "--cases", "1", "--seed", "1", "--overwrite"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("holds no synth.json; --overwrite replaces only a folder kira synth wrote"), Comment(rawValue: other.stderr))
        #expect(try Data(contentsOf: dir.appendingPathComponent("note.txt")) == Data("keep".utf8))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("note.txt"))
        let first = try KiraRun.run(["synth", "-o", dir.path, "--cases", "1", "--seed", "1"])
        #expect(first.status == 0, Comment(rawValue: first.stderr))
        let again = try KiraRun.run(["synth", "-o", dir.path, "--cases", "1", "--seed", "1"])
        #expect(again.status == 1)
        let ok = try KiraRun.run(["synth", "-o", dir.path, "--cases", "2", "--seed", "1", "--overwrite"])
        #expect(ok.status == 0, Comment(rawValue: ok.stderr))
        #expect(try CSVTable(contentsOf: dir.appendingPathComponent("cases.csv")).rowCount == 2)
        // Neither the staging folder nor the replaced one is left beside the output.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".kira-") && $0.hasSuffix(dir.lastPathComponent) })
    }

    /// SIGINT while cases are being written: the staging folder goes, with everything in it,
    /// and nothing appears at the output.
    @Test func interruptLeavesNothing() throws {
        let dir = try TestPaths.temporaryDirectory("cli-synth-int")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cohort")
        let p = Process()
        p.executableURL = TestPaths.kiraExecutable
        p.arguments = ["synth", "-o", out.path, "--cases", "500", "--seed", "1"]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        // Ready once the second case's folder is there: some files are complete by then.
        func staged() -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.contains { FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/cases/SYNTH0002").path) }
        }
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && !staged() && Date() < deadline { usleep(5_000) }
        try #require(p.isRunning, "kira synth ended before it could be interrupted")
        kill(p.processIdentifier, SIGINT)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(e.contains("kira synth: interrupted (SIGINT); no cohort written, no partial file left"), Comment(rawValue: e))
        let left = Self.filesUnder(dir) + (try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(left.isEmpty, "left after the interrupt: \(left.prefix(20))")
    }

    static func filesUnder(_ dir: URL) -> [String] {
        let e = FileManager.default.enumerator(atPath: dir.path)
        var out: [String] = []
        while let f = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path, isDirectory: &isDir), !isDir.boolValue { out.append(f) }
        }
        return out
    }
}
