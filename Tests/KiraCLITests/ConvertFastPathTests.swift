import Foundation
@testable import kira
import KiraTestSupport
import Testing

/// `kira convert` lines that main.swift parses without ArgumentParser must mean exactly
/// what ArgumentParser makes of them (the peer here), and every other form must be left
/// to ArgumentParser.
@Suite struct ConvertFastPathTests {
    static let input = TestPaths.testData.appendingPathComponent("dicom/dce").path
    static let other = TestPaths.testData.appendingPathComponent("dicom").path

    static let accepted: [[String]] = [
        [input, "-o", "out"],
        ["-o", "out", input],
        [input, other, "--output", "out dir", "-q"],
        [input, "-o", "out", "--template", "{series}_{description}", "--keep-phi", "--keep-rgb"],
        ["--gzip", input, "--overwrite", "-o", "o", "--json", "-v"],
        [input, "--spacing", "0.1,0.12", "-o", "o", "--verbose", "--quiet"],
        [input, "--spacing", "0.5", "--output", "o"],
        [input, "-o", "out", "--philips-precise", "--gzip"],
    ]

    @Test(arguments: accepted)
    func sameJobAsArgumentParser(args: [String]) throws {
        let fast = try #require(ConvertFastPath.parse(["convert"] + args))
        let peer = try ConvertCommand.parse(args).job
        #expect(fast == peer)
    }

    static let refused: [[String]] = [
        [input, "-o", "out", "--help"],
        [input, "-h", "-o", "out"],
        [input, "--output=out"],
        [input, "-o", "out", "-vq"],
        [input, "-o", "a", "-o", "b"],
        [input, "-o", "out", "--json", "--json"],
        [input, "-o", "out", "--philips-precise", "--philips-precise"],
        [input, "-o", "out", "--", "-x"],
        [input],
        ["-o", "out"],
        [input, "-o"],
        [input, "-o", "-q"],
        [input, "-o", "out", "--spacing", "-1"],
        [input, "-o", "out", "--unknown"],
        ["help"],
        ["", "-o", "out"],
        [input, "-o", "out", "--version"],
    ]

    @Test(arguments: refused)
    func unusualFormsGoToArgumentParser(args: [String]) {
        #expect(ConvertFastPath.parse(["convert"] + args) == nil)
    }

    @Test func otherSubcommandsGoToArgumentParser() {
        #expect(ConvertFastPath.parse(["inspect", Self.input]) == nil)
        #expect(ConvertFastPath.parse([]) == nil)
        #expect(ConvertFastPath.parse(["--version"]) == nil)
    }

    /// A fast-path line whose values do not validate is parsed again by ArgumentParser, so
    /// the message and exit code are the documented ones.
    @Test func invalidValuesKeepArgumentParserMessages() throws {
        let out = try TestPaths.temporaryDirectory("kira-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try KiraRun.run(["convert", Self.input, "-o", out.path, "--spacing", "0,1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--spacing '0,1' must be one or two positive numbers"))
        #expect(r.stderr.contains("Usage: kira convert"))
        let missing = try KiraRun.run(["convert", "/nonexistent/kira-input", "-o", out.path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("input '/nonexistent/kira-input' does not exist"))
    }
}
