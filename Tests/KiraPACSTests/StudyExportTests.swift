import Foundation
import KiraCore
import KiraPACS
import KiraTestSupport
import Testing

extension PACSServerTests {
    /// `export: {seg: true, sr: true, pdf: true}` and `destination: {pacs: …}` in a study file:
    /// per case, the SEG and TID 1500 report `kira study run` writes hold what `kira export seg`
    /// and `kira export sr` write for the same case and inputs (segments and frames voxel for
    /// voxel, every report value, code and unit, as highdicom reads them), the case's study
    /// report is an Encapsulated PDF holding the PDF beside it, all pass dciodvfy, are kept on
    /// a rerun, and are found by C-FIND on the Orthanc they were sent to.
    @Suite final class StudyExportTests {
        let server: OrthancServer
        let work: URL

        init() throws {
            try #require(OrthancServer.available, "orthanc and orthanc-dicomweb are installed by make peers")
            server = try OrthancServer()
            work = try TestPaths.temporaryDirectory("kira-study-export")
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: work)
        }

        struct Failed: Error, CustomStringConvertible { var description: String }

        func kira(_ args: [String]) throws -> KiraRun {
            let r = try KiraRun.run(args)
            guard r.status == 0 else { throw Failed(description: "kira \(args.joined(separator: " ")): exit \(r.status): \(r.stderr)") }
            return r
        }

        /// highdicom's reading of a report without what differs between two writings of it
        /// (the tracking UIDs, the SEG's SOP Instance UID).
        func report(_ sr: URL) throws -> [String: Any] {
            var j = try #require(try JSONSerialization.jsonObject(with: Data(try PythonPeer.script("sr_check.py", [sr.path]).utf8)) as? [String: Any])
            let groups = try #require(j["groups"] as? [[String: Any]])
            j["groups"] = groups.map { g in
                var g = g
                g["tracking_uid"] = nil; g["seg_sop_instance"] = nil
                return g
            }
            return j
        }

        func segmentation(_ seg: URL, source: URL, prefix: String) throws -> (doc: NSDictionary, masks: [Data]) {
            let p = work.appendingPathComponent(prefix).path
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(try PythonPeer.script("seg_check.py", [seg.path, source.path, p]).utf8)) as? NSDictionary)
            let n = (doc["segments"] as? [Any])?.count ?? 0
            return (doc, try (1...max(n, 1)).map { try Data(contentsOf: URL(fileURLWithPath: "\(p)\($0).raw")) })
        }

        /// Six synthetic cases (seed 1), T2 only, regions tumour and a 5 mm ring, morphology
        /// and intensity statistics (43 features a region).
        @Test func studyExportsEqualTheExportCommandsAndReachThePACS() throws {
            let cohort = work.appendingPathComponent("synth")
            _ = try kira(["synth", "-o", cohort.path, "--cases", "6", "--seed", "1", "--centres", "2"])
            let params = cohort.appendingPathComponent("p.yaml")
            try "ibsi:\n  families: [morphology, intensity_statistics]\n".write(to: params, atomically: true, encoding: .utf8)
            let file = cohort.appendingPathComponent("export.yaml")
            try """
            cohort: cases.csv
            id: case_id
            label: {column: ki67, threshold: 20}
            split: {column: set}
            modalities:
              t2: {image: t2_path, masks: [t2_r1], features: {params: p.yaml}}
            regions: [tumour, ring:5mm]
            selection: [zscore, corr:0.5]
            models: {lr: {}}
            validation: {cv: 2, repeats: 1, seed: 0}
            output: results
            export: {seg: true, sr: true, pdf: true}
            destination: {pacs: {host: 127.0.0.1, port: \(server.dicomPort), aet: \(server.aet), calling_aet: \(server.callingAET)}}
            """.write(to: file, atomically: true, encoding: .utf8)
            let first = try kira(["study", "run", file.path, "--jobs", "2"])
            #expect(first.stderr.contains("DICOM export: 18 written, 0 unchanged, 0 failed; 18 sent to ORTHANC@127.0.0.1:\(server.dicomPort)"),
                    "\(first.stderr)")
            let results = cohort.appendingPathComponent("results")
            let ids = (1...6).map { "SYNTH000\($0)" }
            let objects = ids.flatMap { id in ["t2_seg", "t2_sr", "report_pdf"].map { results.appendingPathComponent("dicom/\(id)/\($0).dcm") } }
            let bytes = try objects.map { try Data(contentsOf: $0) }
            #expect(try String(contentsOf: results.appendingPathComponent("dicom/failures.csv"), encoding: .utf8) == "case,modality,reader,step,reason\n")

            // A rerun keeps every object byte for byte (a rewrite would carry new UIDs).
            let again = try kira(["study", "run", file.path])
            #expect(again.stderr.contains("DICOM export: 0 written, 18 unchanged, 0 failed"), "\(again.stderr)")
            #expect(try objects.map { try Data(contentsOf: $0) } == bytes)

            // C-FIND on the destination: the six SEG and six SR series, each the series of its file.
            func seriesUID(_ url: URL) throws -> String {
                let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c",
                    "import sys, pydicom; print(pydicom.dcmread(sys.argv[1], stop_before_pixels=True).SeriesInstanceUID)", url.path])
                return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            for (kind, modality) in [("t2_seg", "SEG"), ("t2_sr", "SR"), ("report_pdf", "DOC")] {
                let found = try kira(["pacs", "find", "--host", "127.0.0.1", "--port", "\(server.dicomPort)", "--called-aet", server.aet,
                                      "--calling-aet", server.callingAET, "--level", "series", "--modality", modality, "--json"])
                let written = Set(try ids.map { try seriesUID(results.appendingPathComponent("dicom/\($0)/\(kind).dcm")) })
                #expect(written.count == 6 && written.allSatisfy { !$0.isEmpty })
                for uid in written { #expect(found.stdout.contains("\"\(uid)\""), "\(modality) series \(uid) not found by C-FIND") }
            }

            // The export commands on case 1's inputs.
            let caseDir = cohort.appendingPathComponent("cases/SYNTH0001")
            let t2 = caseDir.appendingPathComponent("t2"), mask = caseDir.appendingPathComponent("masks/t2_r1.nii.gz")
            let ring = work.appendingPathComponent("ring.nii.gz")
            _ = try kira(["mask", "ring", mask.path, "--mm", "5", "-o", ring.path])
            let features = work.appendingPathComponent("f.csv")
            let nifti = work.appendingPathComponent("nifti")
            _ = try kira(["convert", t2.path, "-o", nifti.path])
            let image = try #require(try FileManager.default.contentsOfDirectory(atPath: nifti.path).first { $0.hasSuffix(".nii") })
            _ = try kira(["features", "--image", nifti.appendingPathComponent(image).path, "--mask", mask.path, "--params", params.path,
                          "--region", "tumour", "--region", "ring:5mm", "-o", features.path])
            let seg = work.appendingPathComponent("seg.dcm")
            _ = try kira(["export", "seg", "--source", t2.path, "--mask", mask.path, "--mask", ring.path,
                          "--label", "tumour", "--label", "ring5mm", "-o", seg.path])
            // The study's own prediction for the case, as kira predict's CSV.
            var row: [String]?
            for split in ["train", "internal", "external"] {
                let url = results.appendingPathComponent("predictions_\(split).csv")
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SYNTH0001,") }) { row = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            }
            let p = try #require(row, "SYNTH0001 has a prediction")
            let prediction = work.appendingPathComponent("p.csv")
            try "id,probability,class\n\(p[0]),\(p[1]),\(p[2])\n".write(to: prediction, atomically: true, encoding: .utf8)
            let sr = work.appendingPathComponent("sr.dcm")
            _ = try kira(["export", "sr", "--source", t2.path, "--seg", seg.path, "--features", features.path,
                          "--prediction", prediction.path, "-o", sr.path])

            let studySeg = results.appendingPathComponent("dicom/SYNTH0001/t2_seg.dcm"), studySR = results.appendingPathComponent("dicom/SYNTH0001/t2_sr.dcm")
            let a = try segmentation(studySeg, source: t2, prefix: "study-"), b = try segmentation(seg, source: t2, prefix: "cli-")
            #expect(a.doc == b.doc, "\(a.doc) vs \(b.doc)")
            #expect(a.masks.count == 2 && a.masks == b.masks)
            #expect(a.masks.allSatisfy { $0.contains(1) })
            #expect(a.doc["frames"] as? Int == 40)

            let ours = try report(studySR), theirs = try report(sr)
            let og = try #require(ours["groups"] as? [[String: Any]]), tg = try #require(theirs["groups"] as? [[String: Any]])
            #expect(og.map { $0["tracking_id"] as? String } == ["tumour", "ring5mm"])
            #expect(og.count == tg.count)
            var compared = 0
            for (g, h) in zip(og, tg) {
                let gm = try #require(g["measurements"] as? [[String: Any]]), hm = try #require(h["measurements"] as? [[String: Any]])
                #expect(gm.count == hm.count)
                for (m, n) in zip(gm, hm) {
                    let x = try #require(m["value"] as? Double), y = try #require(n["value"] as? Double)
                    // The study reads the DICOM series' spacing as doubles; the command reads the
                    // NIfTI copy, whose pixdim is float32 (relative rounding up to 6e-8), and
                    // morphology scales with spacing up to its cube: 1e-6 relative there, 1e-9 elsewhere.
                    let morphology = ((m["concept"] as? [String])?.last ?? "").hasPrefix("morph_")
                    #expect(abs(x - y) <= (morphology ? 1e-6 : 1e-9) * max(1, abs(y)), "\(m["concept"] ?? ""): \(x) vs \(y)")
                    var m2 = m, n2 = n
                    m2["value"] = nil; n2["value"] = nil
                    #expect(NSDictionary(dictionary: m2) == NSDictionary(dictionary: n2))
                    compared += 1
                }
                var g2 = g, h2 = h
                g2["measurements"] = nil; h2["measurements"] = nil
                #expect(NSDictionary(dictionary: g2) == NSDictionary(dictionary: h2))
            }
            var o2 = ours, t2doc = theirs
            o2["groups"] = nil; t2doc["groups"] = nil
            #expect(NSDictionary(dictionary: o2) == NSDictionary(dictionary: t2doc))
            // 43 features a region, all defined here, and the prediction in the first group.
            print("study SR vs kira export sr: \(compared) measurements compared")
            #expect(compared == 2 * 43 + 1)
            let ki67 = try #require((og[0]["measurements"] as? [[String: Any]])?.first { ($0["concept"] as? [String])?.first == "KI67PROB" })
            // The report holds a DS of 10 significant digits.
            #expect(ki67["value"] as? Double == Double(String(format: "%.10g", try #require(Double(p[1])))))

            // The report PDF: as printed beside it, byte for byte (plus one pad byte when odd), in the source's study.
            let studyPDF = results.appendingPathComponent("dicom/SYNTH0001/report_pdf.dcm")
            let printed = try Data(contentsOf: results.appendingPathComponent("dicom/SYNTH0001/report.pdf"))
            let read = try PythonPeer.run("""
                import sys, pydicom
                d = pydicom.dcmread(sys.argv[1]); s = pydicom.dcmread(sys.argv[2], stop_before_pixels=True)
                print(bytes(d.EncapsulatedDocument).hex() if d.StudyInstanceUID == s.StudyInstanceUID and str(d.PatientName) == "" else "")
                """, arguments: [studyPDF.path, t2.appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: t2.path).sorted()[0]).path])
            #expect(printed.starts(with: Data("%PDF-".utf8)) && printed.count > 10_000)
            var held = Data()
            let hex = Array(read.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            for i in stride(from: 0, to: hex.count - 1, by: 2) { held.append(UInt8(String(decoding: hex[i...i + 1], as: UTF8.self), radix: 16) ?? 0) }
            #expect(held.count == printed.count + printed.count % 2 && held.prefix(printed.count) == printed,
                    "report_pdf.dcm holds \(held.count) bytes, report.pdf has \(printed.count)")
            print("study report PDF of SYNTH0001: \(printed.count) bytes, encapsulated \(held.count)")

            for object in [studySeg, studySR, studyPDF] {
                let r = try runProcess(URL(fileURLWithPath: "/usr/bin/dciodvfy"), [object.path])
                let errors = (r.stdout + r.stderr).split(separator: "\n").filter { $0.hasPrefix("Error") }
                #expect(errors.isEmpty, "\(object.lastPathComponent): \(errors.joined(separator: "\n"))")
            }
            #expect(leftoverTemporaries(in: results).isEmpty)
        }

        /// A destination that refuses the association: each case's send fails, is listed, and
        /// the run exits 2 with every result kept.
        @Test func unreachableDestinationIsListedAndExitsTwo() throws {
            let cohort = work.appendingPathComponent("synth2")
            _ = try kira(["synth", "-o", cohort.path, "--cases", "6", "--seed", "1", "--centres", "2"])
            let dead = try freePorts(1)[0]
            try "ibsi:\n  families: [morphology]\n".write(to: cohort.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
            let file = cohort.appendingPathComponent("export.yaml")
            try """
            cohort: cases.csv
            id: case_id
            label: {column: ki67, threshold: 20}
            split: {column: set}
            modalities:
              t2: {image: t2_path, masks: [t2_r1], features: {params: p.yaml}}
            regions: [tumour]
            selection: [zscore, corr:0.5]
            models: {lr: {}}
            validation: {cv: 2, repeats: 1, seed: 0}
            output: results
            export: {seg: true}
            destination: {pacs: {host: 127.0.0.1, port: \(dead), aet: NOPE, timeout: 5}}
            """.write(to: file, atomically: true, encoding: .utf8)
            let r = try KiraRun.run(["study", "run", file.path, "--jobs", "2"])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("DICOM export: 6 written, 0 unchanged, 6 failed; 0 sent to NOPE@127.0.0.1:\(dead)"), "\(r.stderr)")
            let failures = try String(contentsOf: cohort.appendingPathComponent("results/dicom/failures.csv"), encoding: .utf8)
            let lines = failures.split(separator: "\n")
            #expect(lines.count == 7)
            #expect(lines.dropFirst().allSatisfy { $0.contains(",send,") && $0.contains("NOPE@127.0.0.1:\(dead)") }, "\(failures)")
            for k in 1...6 {
                #expect(FileManager.default.fileExists(atPath: cohort.appendingPathComponent("results/dicom/SYNTH000\(k)/t2_seg.dcm").path))
            }
            #expect(FileManager.default.fileExists(atPath: cohort.appendingPathComponent("results/summary.json").path))
        }
    }
}
