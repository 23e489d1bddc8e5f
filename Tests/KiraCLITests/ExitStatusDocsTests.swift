import Foundation
import KiraTestSupport
import Testing

/// Issue 18 item 11 and the bad-input corpus: each man page's EXIT STATUS lists exactly the
/// codes its command can return (read from the code: who throws `KiraExit.partial`, who sets
/// survival's exit 2) and points to docs/errors.md, which names every code.
@Suite("Exit status in the man pages and docs/errors.md")
struct ExitStatusDocsTests {
    /// 130 and 143 are everywhere: the interrupt handler is installed before any command runs.
    static let expected: [String: Set<Int>] = {
        let withPartial = ["kira-convert", "kira-inspect", "kira-features", "kira-mask-habitats", "kira-predict",
                           "kira-qc-geometry", "kira-survival-cox", "kira-study-run", "kira-study-predict",
                           "kira-study-branch", "kira-study-analyse", "kira-report-cohort", "kira-report-study",
                           // Overview pages of command groups with a member that returns 2.
                           "kira-mask", "kira-qc", "kira-survival", "kira-study",
                           "kira-pacs-send", "kira-pacs", "kira-report", "kira-deep-features", "kira-deep"]
        let without = ["kira-resample", "kira-preprocess", "kira-mask-dilate", "kira-mask-erode", "kira-mask-ring",
                       "kira-mask-largest", "kira-mask-label", "kira-qc-icc", "kira-qc-overlap", "kira-qc-stability",
                       "kira-train", "kira-evaluate", "kira-compare", "kira-explain", "kira-survival-km",
                       "kira-survival-cutoff", "kira-survival-tdauc", "kira-study-status", "kira-study-branches", "kira-synth",
                       "kira-export", "kira-export-seg", "kira-export-sr", "kira-export-pdf", "kira-pacs-find", "kira-pacs-get",
                       "kira-deep-run", "kira-deep-cam"]
        var out: [String: Set<Int>] = [:]
        for p in withPartial { out[p] = [0, 1, 2, 130, 143] }
        for p in without { out[p] = [0, 1, 130, 143] }
        return out
    }()

    static func exitStatus(_ page: URL) throws -> String {
        let text = try String(contentsOf: page, encoding: .utf8)
        let start = try #require(text.range(of: ".SH EXIT STATUS\n"), "\(page.lastPathComponent) has no EXIT STATUS")
        let rest = text[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n.SH ")?.lowerBound ?? rest.endIndex)])
    }

    static func codes(in section: String) -> Set<Int> {
        var out: Set<Int> = []
        for line in section.split(separator: "\n") {
            if line.hasPrefix(".B "), let c = Int(line.dropFirst(3)) { out.insert(c) }
            if line.hasPrefix(".BR ") { for w in line.dropFirst(4).split(whereSeparator: { !$0.isNumber }) { out.insert(Int(w)!) } }
        }
        return out
    }

    @Test func everyPageIsInTheTable() throws {
        let pages = try FileManager.default.contentsOfDirectory(atPath: TestPaths.packageRoot.appendingPathComponent("man").path)
            .filter { $0.hasSuffix(".1") }.map { String($0.dropLast(2)) }
        #expect(Set(pages) == Set(Self.expected.keys))
    }

    @Test(arguments: expected.keys.sorted())
    func pageListsItsCodesAndPointsToTheDocs(_ page: String) throws {
        let section = try Self.exitStatus(TestPaths.packageRoot.appendingPathComponent("man/\(page).1"))
        #expect(Self.codes(in: section) == Self.expected[page], "\(section)")
        #expect(section.contains("See docs/errors.md in the source tree for every code and the messages that produce it."))
    }

    @Test func errorsPageNamesEveryCodeAndCommand() throws {
        let text = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        for code in ["| 0 |", "| 1 |", "| 2 |", "| 130 |", "| 143 |"] { #expect(text.contains(code), "\(code)") }
        for command in ["convert", "inspect", "resample", "preprocess", "mask habitats", "qc geometry", "qc stability",
                        "features --manifest", "predict", "survival cox", "survival km"] {
            #expect(text.contains("`\(command)"), "\(command)")
        }
        let readme = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("(docs/errors.md)"))
    }
}
