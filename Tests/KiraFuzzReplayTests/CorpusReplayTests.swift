import Foundation
import KiraFuzzTargets
import KiraTestSupport
import Testing

/// Every stored corpus file (seeds and crash reproducers) of every fuzz target, through the
/// same functions the fuzzer calls. A reader that crashes on one kills the test process,
/// which fails the run; an error that is not a KiraError fails the expectation below.
@Suite struct CorpusReplayTests {
    static func corpus(_ target: FuzzTarget) -> [URL] {
        let folder = TestPaths.testData("fuzz/\(target.rawValue)")
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .sorted { $0.path < $1.path }
    }

    @Test("corpus replays without a crash or a stray error", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let files = Self.corpus(target)
        // A missing corpus folder would make this test pass by replaying nothing.
        #expect(files.count >= 4, "TestData/fuzz/\(target.rawValue) has \(files.count) files; run TestData/scripts/make_fuzz_corpus.py")
        for file in files {
            let stray = target.run(try Data(contentsOf: file))
            #expect(stray.isEmpty, "\(file.lastPathComponent): \(stray.map { "\(type(of: $0)): \($0)" })")
        }
    }
}
