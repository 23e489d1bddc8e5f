import Foundation
import KiraPACS
import KiraTestSupport
import Testing

extension PACSServerTests {
    /// `source: {pacs: …}` and `source: {dicomweb: …}` in a study file: the branch pulls its
    /// series from a real Orthanc and computes the same features, value for value, as the
    /// same study reading the folders `kira synth` wrote.
    @Suite final class StudySourceTests {
        let server: OrthancServer
        let work: URL

        init() throws {
            try #require(OrthancServer.available, "orthanc and orthanc-dicomweb are installed by make peers")
            server = try OrthancServer()
            work = try TestPaths.temporaryDirectory("kira-pacs-study")
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: work)
        }

        func study(cohort: String, output: String, source: String?) -> String {
            """
            cohort: \(cohort)
            id: case_id
            label: {column: ki67, threshold: 20}
            split: {column: set}
            modalities:
              dce: {image: dce_path, phase: 2, masks: [dce_r1], resample: [1, 1, 1], features: {preset: default}}
              us: {image: us_path, masks: [us_r1], features: {preset: default}}
            regions: [tumour]
            models: {lr: {}}
            validation: {cv: 2, repeats: 1, seed: 0}
            output: \(output)
            """ + (source.map { "\nsource: \($0)\n" } ?? "\n")
        }

        func features(_ results: URL, modality: String) throws -> [String: Double?] {
            let dir = results.appendingPathComponent("cache/features")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("SYNTH0001.\(modality).reader1.") })
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any])
            let names = try #require(doc["names"] as? [String]), values = try #require(doc["values"] as? [Any])
            var out: [String: Double?] = [:]
            for (n, v) in zip(names, values) { out[n] = (v as? NSNumber)?.doubleValue }
            return out
        }

        @Test func pacsAndDicomwebSourcesGiveTheFolderFeatures() throws {
            let cohort = work.appendingPathComponent("synth")
            let s = try KiraRun.run(["synth", "-o", cohort.path, "--cases", "1", "--seed", "5", "--centres", "2"])
            try #require(s.status == 0, "\(s.stderr)")
            let caseDir = cohort.appendingPathComponent("cases/SYNTH0001")
            let dce = try FileManager.default.contentsOfDirectory(atPath: caseDir.appendingPathComponent("dce").path).sorted()
            for f in dce { try server.upload(caseDir.appendingPathComponent("dce/\(f)")) }
            try server.upload(caseDir.appendingPathComponent("us.dcm"))

            let node = PACSNode(host: "127.0.0.1", port: server.dicomPort, calledAET: server.aet, callingAET: server.callingAET)
            let series = try PACS.find(PACSQuery(level: .series), at: node)
            let dceUID = try #require(series.first { $0.modalities == ["MR"] }?.seriesUID)
            let usUID = try #require(series.first { $0.modalities == ["US"] }?.seriesUID)
            #expect(series.count == 2)

            // The cohort with the two image cells replaced by series UIDs.
            let csv = try String(contentsOf: cohort.appendingPathComponent("cases.csv"), encoding: .utf8)
            let remote = csv.replacingOccurrences(of: "cases/SYNTH0001/dce,", with: "\(dceUID),")
                .replacingOccurrences(of: "cases/SYNTH0001/us.dcm,", with: "\(usUID),")
            #expect(remote != csv)
            try remote.write(to: cohort.appendingPathComponent("cases_pacs.csv"), atomically: true, encoding: .utf8)

            let pacs = "{pacs: {host: 127.0.0.1, port: \(server.dicomPort), aet: \(server.aet), calling_aet: \(server.callingAET)}}"
            let secret = "pw\(UUID().uuidString.prefix(6))"
            let web = "{dicomweb: \"\(server.dicomWebURL.replacingOccurrences(of: "http://", with: "http://reader:\(secret)@"))\"}"
            let runs: [(String, String, String?)] = [("cases.csv", "results_folder", nil), ("cases_pacs.csv", "results_pacs", pacs),
                                                     ("cases_pacs.csv", "results_web", web)]
            for (csvName, out, source) in runs {
                let file = cohort.appendingPathComponent("\(out).yaml")
                try study(cohort: csvName, output: out, source: source).write(to: file, atomically: true, encoding: .utf8)
                for modality in ["dce", "us"] {
                    let b = try KiraRun.run(["study", "branch", file.path, "--case", "SYNTH0001", "--modality", modality, "--reader", "1", "--verbose"])
                    #expect(b.status == 0, "\(out) \(modality): \(b.stderr)")
                    #expect(!b.stderr.contains(secret) && !b.stdout.contains(secret))
                }
            }
            for modality in ["dce", "us"] {
                let folder = try features(cohort.appendingPathComponent("results_folder"), modality: modality)
                #expect(folder.count > 100)
                for out in ["results_pacs", "results_web"] {
                    let pulled = try features(cohort.appendingPathComponent(out), modality: modality)
                    #expect(Set(pulled.keys) == Set(folder.keys), "\(out) \(modality)")
                    let differing = folder.keys.filter { k in
                        let a = folder[k] ?? nil, b = pulled[k] ?? nil
                        return !(a == b || (a?.isNaN == true && b?.isNaN == true))
                    }
                    #expect(differing.isEmpty, "\(out) \(modality): \(differing.count) features differ, e.g. \(differing.prefix(3))")
                }
            }
            // Pulled once, kept complete under OUTPUT/pacs/<series UID>.
            let pulledDCE = cohort.appendingPathComponent("results_pacs/pacs/\(dceUID)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: pulledDCE.path).count == dce.count)
            #expect(leftoverTemporaries(in: cohort).isEmpty)
        }

        @Test func unreachableSourceFailsTheBranchNamingTheSeries() throws {
            let dead = try freePorts(1)[0]
            let cohort = work.appendingPathComponent("c")
            try FileManager.default.createDirectory(at: cohort, withIntermediateDirectories: true)
            try "case_id,ki67,set,dce_path,dce_r1,us_path,us_r1\nc1,30,train,1.2.3.4,m.nii.gz,1.2.3.5,m.nii.gz\n"
                .write(to: cohort.appendingPathComponent("cases.csv"), atomically: true, encoding: .utf8)
            let file = cohort.appendingPathComponent("s.yaml")
            try study(cohort: "cases.csv", output: "results", source: "{pacs: {host: 127.0.0.1, port: \(dead), aet: NOPE}}")
                .write(to: file, atomically: true, encoding: .utf8)
            let b = try KiraRun.run(["study", "branch", file.path, "--case", "c1", "--modality", "us", "--reader", "1"])
            #expect(b.status == 2)
            #expect(b.stderr.contains("1.2.3.5") && b.stderr.contains("NOPE@127.0.0.1:\(dead)") && b.stderr.contains("unreachable"), "\(b.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cohort.appendingPathComponent("results/pacs/1.2.3.5").path))
        }
    }
}
