import Foundation
import KiraCore
import KiraPreprocess
import KiraRadiomics
import KiraStudy
import KiraTestSupport
import Testing

@Suite struct CohortStoreTests {
    /// An interrupted run leaves its journal (here with a torn last line); the next run
    /// resumes from the finished cases, retries the failed one and writes the table once.
    @Test func resumesFromAnInterruptedJournal() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("f.csv")
        let first = CohortStore(output: out, settings: .object(["a": 1]), settingsHash: "h1")
        #expect(try first.load().isEmpty)
        try first.append(CohortRecord(id: "b", status: .ok, names: ["x", "y"], values: [1.5, nil], settingsHash: "h1"))
        try first.append(CohortRecord(id: "c", status: .failed, reason: "bad mask", settingsHash: "h1"))
        // Interrupted mid-write: half a line at the end, no finish().
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out.path + ".journal"))
        try handle.seekToEnd(); try handle.write(contentsOf: Data("{\"id\":\"a\",\"sta".utf8)); try handle.close()
        #expect(!FileManager.default.fileExists(atPath: out.path))

        let second = CohortStore(output: out, settings: .object(["a": 1]), settingsHash: "h1")
        #expect(Set(try second.load().keys) == ["b"])
        try second.append(CohortRecord(id: "a", status: .ok, names: ["x", "y"], values: [0.25, 2], settingsHash: "h1"))
        try second.append(CohortRecord(id: "c", status: .ok, warnings: ["constant"], names: ["x", "y", "z"], values: [3, 4, 5], settingsHash: "h1"))
        let failed = try second.finish(order: ["a", "b", "c"])
        #expect(failed.isEmpty)
        #expect(try String(contentsOf: out, encoding: .utf8) == "id,x,y,z\na,0.25,2.0,\nb,1.5,,\nc,3.0,4.0,5.0\n")
        #expect(try String(contentsOf: URL(fileURLWithPath: out.path + ".failures.csv"), encoding: .utf8) == "id,status,reason\nc,warning,constant\n")
        #expect(!FileManager.default.fileExists(atPath: out.path + ".journal"))

        // Finished cases are skipped next time; other settings are refused.
        #expect(Set(try CohortStore(output: out, settings: .object(["a": 1]), settingsHash: "h1").load().keys) == ["a", "b", "c"])
        #expect(throws: KiraError.self) { try CohortStore(output: out, settings: .object(["a": 2]), settingsHash: "h2").load() }
    }

    /// Issue 18 item 2: what a finished case was computed from comes back from the table's
    /// provenance; a case whose inputs changed is dropped and its row goes with it.
    @Test func finishedCasesCarryTheirInputHashes() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("f.csv")
        let diagnostics: MetaValue = .object(["image_hash": "i1", "mask_hash": "m1", "mask_label": .string("non-zero")])
        let first = CohortStore(output: out, settings: .object([:]), settingsHash: "h")
        _ = try first.load()
        try first.append(CohortRecord(id: "a", status: .ok, names: ["x"], values: [1], diagnostics: diagnostics, settingsHash: "h"))
        try first.append(CohortRecord(id: "b", status: .ok, names: ["x"], values: [2], diagnostics: .object([:]), settingsHash: "h"))
        try first.finish(order: ["a", "b"])

        let second = CohortStore(output: out, settings: .object([:]), settingsHash: "h")
        let done = try second.load()
        let a = try #require(done["a"])
        #expect(a == CaseInputs(imageHash: "i1", maskHash: "m1", habitatsHash: nil, maskLabel: .string("non-zero")))
        var asked: [CaseInputs.File] = []
        func current(_ hashes: [CaseInputs.File: String]) -> (CaseInputs.File) -> String { { f in asked.append(f); return hashes[f]! } }
        #expect(a.staleReason(label: .string("non-zero"), habitats: false, current: current([.image: "i1", .mask: "m1"])) == nil)
        #expect(asked == [.image, .mask])
        asked = []
        // The first difference decides; later files are not hashed.
        #expect(a.staleReason(label: .string("non-zero"), habitats: false, current: current([.image: "i2", .mask: "m1"]))
                == "image changed (hash i1 → i2)")
        #expect(asked == [.image])
        #expect(a.staleReason(label: .string("non-zero"), habitats: false, current: current([.image: "i1", .mask: "m2"]))
                == "mask changed (hash m1 → m2)")
        #expect(a.staleReason(label: .integer(2), habitats: false, current: current([:])) == "mask label changed (non-zero → 2)")
        #expect(a.staleReason(label: .string("non-zero"), habitats: true, current: current([.image: "i1", .mask: "m1"]))
                == "habitat map added")
        // A row without recorded hashes (an older table) cannot be trusted.
        #expect(try #require(done["b"]).staleReason(label: .string("non-zero"), habitats: false, current: current([:]))
                == "no input hashes recorded")

        second.invalidate("a")
        try second.append(CohortRecord(id: "a", status: .failed, reason: "gone", settingsHash: "h"))
        let failed = try second.finish(order: ["a", "b"])
        #expect(failed.map(\.id) == ["a"])
        #expect(try String(contentsOf: out, encoding: .utf8) == "id,x\nb,2.0\n")
    }

    /// Each file is read once per run, however many cases (and threads) ask for it.
    @Test func fileHashesAreTakenOncePerPath() throws {
        let dir = try TestPaths.temporaryDirectory("cohort-hashes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        try Data("first".utf8).write(to: url)
        let expected = InputHash.hash(Data("first".utf8))
        let hashes = FileHashes()
        let seen = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in seen.add((try? hashes.hash(url)) ?? "error") }
        #expect(seen.values == Array(repeating: expected, count: 8))
        // Rewritten afterwards: the run keeps the hash it took (a fresh run sees the change).
        try Data("second".utf8).write(to: url)
        #expect(try hashes.hash(URL(fileURLWithPath: dir.path + "/./a.bin")) == expected)
        #expect(try FileHashes().hash(url) == InputHash.hash(Data("second".utf8)))
        #expect(throws: (any Error).self) { try hashes.hash(dir.appendingPathComponent("absent.bin")) }
    }

    @Test(arguments: [
        ("tumour", "tumour", "tumour"), ("ring:5mm", "ring:5mm", "ring5mm"), ("ring:10vox", "ring:10vox", "ring10vox"),
        ("tumour+ring:2.5mm", "tumour+ring:2.5mm", "tumour_and_ring2p5mm"), ("habitat:3", "habitat:3", "habitat3"),
    ])
    func regionSpecsAndPrefixes(_ spec: String, _ canonical: String, _ prefix: String) throws {
        let r = try FeatureRegion(parsing: spec)
        #expect(r.description == canonical)
        #expect(r.prefix == prefix)
    }

    @Test(arguments: ["ring:5", "ring:-2mm", "habitat:0", "halo:5mm", "tumour+ring:mm"])
    func badRegionSpecsAreRejected(_ spec: String) {
        #expect(throws: KiraError.self) { try FeatureRegion(parsing: spec) }
    }
}

final class ConcurrentResults: @unchecked Sendable {
    private var list: [String] = []
    private let lock = NSLock()
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
