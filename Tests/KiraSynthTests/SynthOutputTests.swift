import Foundation
import KiraCore
import KiraSynth
import KiraTestSupport
import Testing

/// Same options, same bytes; a different seed, different files; the output folder is
/// refused when not empty unless --overwrite, and replaced only when the new one is complete.
@Suite("kira synth: determinism and safe output")
struct SynthOutputTests {
    @Test func sameSeedWritesTheSameBytes() throws {
        let a = try SynthFixture.make(cases: 3, seed: 42, label: "det-a")
        let b = try SynthFixture.make(cases: 3, seed: 42, label: "det-b")
        let c = try SynthFixture.make(cases: 3, seed: 43, label: "det-c")
        let files = filesUnder(a)
        #expect(files == filesUnder(b))
        #expect(files.count == 5 + 3 * (72 + 20 + 2 + 1 + 8))
        for f in files {
            let x = try Data(contentsOf: a.appendingPathComponent(f)), y = try Data(contentsOf: b.appendingPathComponent(f))
            #expect(x == y, "\(f) differs between two runs with the same seed")
        }
        let other = try Data(contentsOf: c.appendingPathComponent("cases/SYNTH0001/dce/IM_0001.dcm"))
        #expect(other != (try Data(contentsOf: a.appendingPathComponent("cases/SYNTH0001/dce/IM_0001.dcm"))))
        #expect(try Data(contentsOf: c.appendingPathComponent("cases.csv")) != (try Data(contentsOf: a.appendingPathComponent("cases.csv"))))
    }

    @Test func uidsAreValidAndDistinct() {
        let u = (0..<1000).map { SynthUID.make(seed: 5, UInt64($0)) }
        #expect(Set(u).count == 1000)
        for s in u {
            #expect(s.hasPrefix("2.25.") && s.count <= 64)
            let digits = s.dropFirst(5)
            #expect(digits.allSatisfy(\.isNumber) && digits.first != "0")
        }
        #expect(SynthUID.make(seed: 5, 1) == SynthUID.make(seed: 5, 1))
        #expect(SynthUID.make(seed: 5, 1) != SynthUID.make(seed: 6, 1))
    }

    @Test func decimalStringsFitSixteenCharacters() {
        for x in [0.965925826289068, -0.2588190451025207, 1234.56789012345, -63.00000000001, 1e-20, 0.272727272727272727] {
            let s = DecimalString.format(x)
            #expect(s.count <= 16, "\(s)")
            #expect(abs(Double(s)! - x) <= 1e-9 * max(1, abs(x)), "\(s) for \(x)")
        }
    }

    @Test func existingFolderNeedsOverwrite() throws {
        let root = try TestPaths.temporaryDirectory("kira-synth-over")
        let out = root.appendingPathComponent("cohort")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // An empty folder is fine.
        try SyntheticCohort.write(.init(output: out, cases: 1, seed: 1), logger: testLogger)
        let before = try Data(contentsOf: out.appendingPathComponent("cases.csv"))
        #expect(throws: KiraError.self) { try SyntheticCohort.write(.init(output: out, cases: 2, seed: 1), logger: testLogger) }
        #expect(SyntheticCohort.problem(.init(output: out, cases: 2, seed: 1))?.contains("--overwrite") == true)
        #expect(try Data(contentsOf: out.appendingPathComponent("cases.csv")) == before)
        try SyntheticCohort.write(.init(output: out, cases: 2, seed: 1, overwrite: true), logger: testLogger)
        #expect(try SynthFixture.table(out).rowCount == 2)
        // Nothing staged or set aside is left beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["cohort"])
        #expect(leftoverTemporaries(in: root).isEmpty)
        let stranger = root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: stranger, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: stranger.appendingPathComponent("notes.txt"))
        #expect(SyntheticCohort.problem(.init(output: stranger, cases: 1, seed: 1, overwrite: true))?.contains("holds no synth.json") == true)
        let file = root.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        #expect(SyntheticCohort.problem(.init(output: file, cases: 1, seed: 1))?.contains("not a folder") == true)
        #expect(SyntheticCohort.problem(.init(output: out, cases: 0, seed: 1, overwrite: true)) != nil)
        #expect(SyntheticCohort.problem(.init(output: out, cases: 1, seed: 1, centres: 4, overwrite: true)) != nil)
    }
}
