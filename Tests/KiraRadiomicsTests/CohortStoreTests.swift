import Foundation
import KiraCore
import KiraPreprocess
import KiraRadiomics
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
        #expect(try second.load() == ["b"])
        try second.append(CohortRecord(id: "a", status: .ok, names: ["x", "y"], values: [0.25, 2], settingsHash: "h1"))
        try second.append(CohortRecord(id: "c", status: .ok, warnings: ["constant"], names: ["x", "y", "z"], values: [3, 4, 5], settingsHash: "h1"))
        let failed = try second.finish(order: ["a", "b", "c"])
        #expect(failed.isEmpty)
        #expect(try String(contentsOf: out, encoding: .utf8) == "id,x,y,z\na,0.25,2.0,\nb,1.5,,\nc,3.0,4.0,5.0\n")
        #expect(try String(contentsOf: URL(fileURLWithPath: out.path + ".failures.csv"), encoding: .utf8) == "id,status,reason\nc,warning,constant\n")
        #expect(!FileManager.default.fileExists(atPath: out.path + ".journal"))

        // Finished cases are skipped next time; other settings are refused.
        #expect(try CohortStore(output: out, settings: .object(["a": 1]), settingsHash: "h1").load() == ["a", "b", "c"])
        #expect(throws: KiraError.self) { try CohortStore(output: out, settings: .object(["a": 2]), settingsHash: "h2").load() }
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
