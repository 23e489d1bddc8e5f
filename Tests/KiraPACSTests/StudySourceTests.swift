import Foundation
import KiraPACS
import KiraTestSupport
import Testing

extension PACSServerTests {
    /// `source: {pacs: …}` and `source: {dicomweb: …}` in a study file: the run pulls its
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
            selection: [zscore, corr:0.5]
            models: {lr: {}}
            validation: {cv: 2, repeats: 1, seed: 0}
            output: \(output)
            """ + (source.map { "\nsource: \($0)\n" } ?? "\n")
        }

        func cachedFeatures(_ results: URL, modality: String) throws -> [String: Double?] {
            let dir = results.appendingPathComponent("cache/features")
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("SYNTH0001.\(modality).reader1.") })
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any])
            let names = try #require(doc["names"] as? [String]), values = try #require(doc["values"] as? [Any])
            var out: [String: Double?] = [:]
            for (n, v) in zip(names, values) { out[n] = (v as? NSNumber)?.doubleValue }
            return out
        }

        /// Six synthetic cases (seed 1: 3 high, 2 low in train, 1 internal). `kira study run`
        /// on the ultrasound of all six, and `kira study branch` on case 1's DCE series (72
        /// files, 3 phases), from the folders, from the PACS by C-GET and by DICOMweb.
        @Test func pacsAndDicomwebSourcesGiveTheFolderFeatures() throws {
            let cohort = work.appendingPathComponent("synth")
            let s = try KiraRun.run(["synth", "-o", cohort.path, "--cases", "6", "--seed", "1", "--centres", "2"])
            try #require(s.status == 0, "\(s.stderr)")
            let csv = try String(contentsOf: cohort.appendingPathComponent("cases.csv"), encoding: .utf8)
            var remote = csv
            for k in 1...6 {
                let answer = try server.upload(cohort.appendingPathComponent("cases/SYNTH000\(k)/us.dcm"))
                remote = remote.replacingOccurrences(of: "cases/SYNTH000\(k)/us.dcm,", with: "\(try server.seriesUID(ofUpload: answer)),")
            }
            let dceDir = cohort.appendingPathComponent("cases/SYNTH0001/dce")
            let dce = try FileManager.default.contentsOfDirectory(atPath: dceDir.path).sorted()
            var dceUID = ""
            for f in dce { dceUID = try server.seriesUID(ofUpload: try server.upload(dceDir.appendingPathComponent(f))) }
            remote = remote.replacingOccurrences(of: "cases/SYNTH0001/dce,", with: "\(dceUID),")
            #expect(remote.components(separatedBy: "us.dcm,").count == 1 && !remote.contains("SYNTH0001/dce,"))
            try remote.write(to: cohort.appendingPathComponent("cases_pacs.csv"), atomically: true, encoding: .utf8)

            let pacs = "{pacs: {host: 127.0.0.1, port: \(server.dicomPort), aet: \(server.aet), calling_aet: \(server.callingAET)}}"
            let secret = "pw\(UUID().uuidString.prefix(6))"
            let web = "{dicomweb: \"\(server.dicomWebURL.replacingOccurrences(of: "http://", with: "http://reader:\(secret)@"))\"}"
            let runs: [(String, String, String?)] = [("cases.csv", "results_folder", nil), ("cases_pacs.csv", "results_pacs", pacs),
                                                     ("cases_pacs.csv", "results_web", web)]
            for (csvName, out, source) in runs {
                let file = cohort.appendingPathComponent("\(out).yaml")
                // The run reads the ultrasound only; the branch below adds case 1's DCE.
                let text = study(cohort: csvName, output: out, source: source)
                try text.replacingOccurrences(of: "  dce: {image", with: "  #dce: {image").write(to: file, atomically: true, encoding: .utf8)
                let r = try KiraRun.run(["study", "run", file.path, "--jobs", "2"])
                #expect(r.status == 0, "\(out): \(r.stderr)")
                let both = cohort.appendingPathComponent("\(out)_dce.yaml")
                try text.replacingOccurrences(of: "output: \(out)", with: "output: \(out)_dce").write(to: both, atomically: true, encoding: .utf8)
                let b = try KiraRun.run(["study", "branch", both.path, "--case", "SYNTH0001", "--modality", "dce", "--reader", "1"])
                #expect(b.status == 0, "\(out) dce: \(b.stderr)")
                for text in [r.stdout, r.stderr, b.stdout, b.stderr] { #expect(!text.contains(secret)) }
                let summary = try String(contentsOf: cohort.appendingPathComponent("\(out)/summary.json"), encoding: .utf8)
                #expect(!summary.contains(secret))
            }
            // The run's per-reader table: every case's 211 values, the same text to the last digit.
            let table = { (out: String) in try String(contentsOf: cohort.appendingPathComponent("\(out)/features_us_reader1.csv"), encoding: .utf8) }
            let folderTable = try table("results_folder")
            #expect(folderTable.split(separator: "\n").count == 7)
            #expect(try table("results_pacs") == folderTable)
            #expect(try table("results_web") == folderTable)
            let folder = try cachedFeatures(cohort.appendingPathComponent("results_folder_dce"), modality: "dce")
            #expect(folder.count > 100)
            for out in ["results_pacs_dce", "results_web_dce"] {
                let pulled = try cachedFeatures(cohort.appendingPathComponent(out), modality: "dce")
                #expect(Set(pulled.keys) == Set(folder.keys), "\(out)")
                let differing = folder.keys.filter { k in
                    let a = folder[k] ?? nil, b = pulled[k] ?? nil
                    return !(a == b || (a?.isNaN == true && b?.isNaN == true))
                }
                #expect(differing.isEmpty, "\(out): \(differing.count) features differ, e.g. \(differing.prefix(3))")
            }
            // Pulled once, kept complete under OUTPUT/pacs/<series UID>.
            let pulledDCE = cohort.appendingPathComponent("results_pacs_dce/pacs/\(dceUID)")
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
