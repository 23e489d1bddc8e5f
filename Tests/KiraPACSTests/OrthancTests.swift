import Foundation
import KiraPACS
import KiraTestSupport
import Testing

extension PACSServerTests {
    /// Kira against a real Orthanc (started per test on free ports of 127.0.0.1, stopped by pid
    /// when the test ends, passed or failed). The uploaded data: two synthetic MR series of one
    /// study (4 and 3 slices, explicit VR little endian), whose bytes are the reference for
    /// every retrieve.
    @Suite final class OrthancTests {
        let server: OrthancServer
        let work: URL
        /// SOP Instance UID → the file as uploaded.
        var uploaded: [String: Data] = [:]
        let study = "1.2.826.0.1.3680043.8.498.9"

        init() throws {
            try #require(OrthancServer.available, "orthanc and orthanc-dicomweb are installed by make peers")
            server = try OrthancServer()
            work = try TestPaths.temporaryDirectory("kira-pacs")
            let src = work.appendingPathComponent("upload")
            let files = try SyntheticDICOM.writeSeries(to: src, seriesNumber: 1, rows: 8, columns: 6, slices: 4)
                + SyntheticDICOM.writeSeries(to: src, seriesNumber: 2, rows: 5, columns: 7, slices: 3)
            for f in files {
                let answer = try server.upload(f)
                let stored = try server.storedFile(orthancID: try #require(answer["ID"] as? String))
                let data = try Data(contentsOf: f)
                // The reference only holds if Orthanc keeps what it was given.
                #expect(stored == data, "Orthanc altered \(f.lastPathComponent) on upload")
                uploaded[try #require(Self.sopInstanceUID(data))] = data
            }
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: work)
        }

        var dimse: [String] { ["--host", "127.0.0.1", "--port", "\(server.dicomPort)", "--called-aet", server.aet, "--calling-aet", server.callingAET] }

        static func sopInstanceUID(_ d: Data) -> String? {
            // (0002,0003) in the synthetic files' meta header: explicit VR, short form.
            let tag = Data([0x02, 0x00, 0x03, 0x00, 0x55, 0x49])
            guard let r = d.range(of: tag) else { return nil }
            let len = Int(d[r.upperBound]) | Int(d[r.upperBound + 1]) << 8
            return String(decoding: d[(r.upperBound + 2)..<(r.upperBound + 2 + len)], as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\0"))
        }

        /// The bytes after the meta group: the dataset as the PACS sent it.
        static func dataset(_ d: Data) -> Data {
            var pos = 132
            while pos + 8 <= d.count, d[pos] == 0x02, d[pos + 1] == 0x00 {
                let vr = String(decoding: d[(pos + 4)..<(pos + 6)], as: UTF8.self)
                if ["OB", "OW", "SQ", "UN", "UT"].contains(vr) {
                    pos += 12 + (Int(d[pos + 8]) | Int(d[pos + 9]) << 8 | Int(d[pos + 10]) << 16 | Int(d[pos + 11]) << 24)
                } else {
                    pos += 8 + (Int(d[pos + 6]) | Int(d[pos + 7]) << 8)
                }
            }
            return d.subdata(in: pos..<d.count)
        }

        /// The meta group's elements (element number → value bytes).
        static func meta(_ d: Data) -> [Int: Data] {
            var out: [Int: Data] = [:]
            var pos = 132
            while pos + 8 <= d.count, d[pos] == 0x02, d[pos + 1] == 0x00 {
                let element = Int(d[pos + 2]) | Int(d[pos + 3]) << 8
                let vr = String(decoding: d[(pos + 4)..<(pos + 6)], as: UTF8.self)
                let long = ["OB", "OW", "SQ", "UN", "UT"].contains(vr)
                let length = long ? (Int(d[pos + 8]) | Int(d[pos + 9]) << 8 | Int(d[pos + 10]) << 16 | Int(d[pos + 11]) << 24)
                                  : (Int(d[pos + 6]) | Int(d[pos + 7]) << 8)
                let start = pos + (long ? 12 : 8)
                out[element] = d.subdata(in: start..<(start + length))
                pos = start + length
            }
            return out
        }

        func retrieved(_ dir: URL) throws -> [String: Data] {
            var out: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                out[String(name.dropLast(4))] = try Data(contentsOf: dir.appendingPathComponent(name))
            }
            return out
        }

        @Test func findListsTheStudyAndItsSeries() throws {
            let s = try KiraRun.run(["pacs", "find", "--level", "study", "--json"] + dimse)
            #expect(s.status == 0, "\(s.stderr)")
            let studies = try #require(try JSONSerialization.jsonObject(with: Data(s.stdout.utf8)) as? [[String: Any]])
            #expect(studies.count == 1)
            #expect(studies.first?["studyUID"] as? String == study)
            #expect(studies.first?["modalities"] as? [String] == ["MR"])
            #expect(studies.first?["seriesCount"] as? Int == 2)
            #expect(studies.first?["instanceCount"] as? Int == 7)

            let r = try KiraRun.run(["pacs", "find", "--level", "series", "--study-uid", study, "--json"] + dimse)
            #expect(r.status == 0, "\(r.stderr)")
            let series = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            #expect(series.map { $0["seriesUID"] as? String } == ["\(study).1", "\(study).2"])
            #expect(series.map { $0["instanceCount"] as? Int } == [4, 3])
            #expect(series.map { $0["seriesDescription"] as? String } == ["interrupt1", "interrupt2"])

            // QIDO-RS through the DICOMweb plugin answers the same.
            let w = try KiraRun.run(["pacs", "find", "--level", "series", "--study-uid", study, "--json", "--dicomweb", server.dicomWebURL])
            #expect(w.status == 0, "\(w.stderr)")
            #expect(w.stdout == r.stdout)

            let none = try KiraRun.run(["pacs", "find", "--modality", "CT"] + dimse)
            #expect(none.status == 1)
            #expect(none.stderr.contains("no match") && none.stderr.contains("ORTHANC@127.0.0.1:\(server.dicomPort)") && none.stderr.contains("modality CT"))
        }

        @Test func getAndMoveRetrieveTheUploadedBytes() throws {
            let got = work.appendingPathComponent("get")
            let g = try KiraRun.run(["pacs", "get", "--study-uid", study, "-o", got.path] + dimse)
            #expect(g.status == 0, "\(g.stderr)")
            let getFiles = try retrieved(got)
            #expect(Set(getFiles.keys) == Set(uploaded.keys))
            for (uid, data) in uploaded {
                // The dataset comes over the network bit for bit; the meta header is the receiver's.
                #expect(getFiles[uid].map(Self.dataset) == Self.dataset(data), "C-GET dataset of \(uid) differs")
            }

            let moved = work.appendingPathComponent("move")
            let m = try KiraRun.run(["pacs", "get", "--study-uid", study, "--move-port", "\(server.movePort)", "-o", moved.path] + dimse)
            #expect(m.status == 0, "\(m.stderr)")
            let moveFiles = try retrieved(moved)
            #expect(Set(moveFiles.keys) == Set(uploaded.keys))
            for (uid, data) in uploaded {
                #expect(moveFiles[uid].map(Self.dataset) == Self.dataset(data), "C-MOVE dataset of \(uid) differs")
            }
            // And the two routes agree with each other, file for file.
            #expect(moveFiles.mapValues(Self.dataset) == getFiles.mapValues(Self.dataset))
            // Their meta headers differ in the Source AE Title alone (dcmtk's C-GET receiver writes
            // Kira's AE title, its storage SCP the sender's) and the group length that follows from it.
            for (uid, g) in getFiles {
                var a = Self.meta(g), b = Self.meta(moveFiles[uid] ?? Data())
                #expect(String(decoding: a[0x0016] ?? Data(), as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0")) == server.callingAET)
                #expect(String(decoding: b[0x0016] ?? Data(), as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0")) == server.aet)
                for e in [0x0000, 0x0016] { a[e] = nil; b[e] = nil }
                #expect(a == b && a.count >= 5, "meta headers of \(uid) differ beyond the Source AE Title")
            }
            print("C-GET and C-MOVE: \(getFiles.count) files, datasets byte-identical, meta headers equal but for the Source AE Title")

            let one = work.appendingPathComponent("series2")
            let s = try KiraRun.run(["pacs", "get", "--series-uid", "\(study).2", "-o", one.path, "--json"] + dimse)
            #expect(s.status == 0, "\(s.stderr)")
            #expect(s.json["files"] as? Int == 3)
            #expect(Set(try retrieved(one).keys) == Set(uploaded.keys.filter { $0.hasPrefix("\(study).2.") }))

            // A folder that holds files: refused without --overwrite, added to with it.
            let again = try KiraRun.run(["pacs", "get", "--series-uid", "\(study).1", "-o", one.path] + dimse)
            #expect(again.status == 1 && again.stderr.contains("not empty"), "\(again.stderr)")
            let merged = try KiraRun.run(["pacs", "get", "--series-uid", "\(study).1", "-o", one.path, "--overwrite"] + dimse)
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(Set(try retrieved(one).keys) == Set(uploaded.keys))
        }

        @Test func dicomwebPullEqualsTheCGetPull() throws {
            let got = work.appendingPathComponent("get")
            #expect(try KiraRun.run(["pacs", "get", "--series-uid", "\(study).1", "-o", got.path] + dimse).status == 0)
            let web = work.appendingPathComponent("web")
            let w = try KiraRun.run(["pacs", "get", "--series-uid", "\(study).1", "-o", web.path, "--dicomweb", server.dicomWebURL])
            #expect(w.status == 0, "\(w.stderr)")
            let a = try retrieved(got), b = try retrieved(web)
            #expect(a.count == 4 && Set(a.keys) == Set(b.keys))
            for (uid, data) in b {
                #expect(a[uid].map(Self.dataset) == Self.dataset(data), "WADO-RS and C-GET differ for \(uid)")
                // WADO-RS hands out the stored file itself.
                #expect(data == uploaded[uid], "WADO-RS file \(uid) differs from the upload")
            }
        }

        @Test func sentFilesAreFoundAgain() throws {
            let out = work.appendingPathComponent("results")
            let files = try SyntheticDICOM.writeSeries(to: out, seriesNumber: 7, rows: 4, columns: 4, slices: 2)
            // The library call the study layer will use for `destination:`.
            let node = PACSNode(host: "127.0.0.1", port: server.dicomPort, calledAET: server.aet, callingAET: server.callingAET)
            #expect(try PACS.store(files: [files[0]], to: node) == 1)
            let s = try KiraRun.run(["pacs", "send", files[1].path, "--json"] + dimse)
            #expect(s.status == 0, "\(s.stderr)")
            #expect(s.json["sent"] as? Int == 1)
            #expect(try server.instanceCount() == 9)
            let matches = try PACS.find(PACSQuery(level: .series, studyUID: study), at: node)
            #expect(matches.map(\.seriesUID) == ["\(study).1", "\(study).2", "\(study).7"])
            #expect(matches.last?.instanceCount == 2)
            // A SOP class Orthanc does not accept beside one it does: one stored, the other named, exit 2.
            let odd = try SyntheticDICOM.writeSeries(to: work.appendingPathComponent("odd"), seriesNumber: 8, rows: 4, columns: 4, slices: 2)
            let mr = Data("1.2.840.10008.5.1.4.1.1.4".utf8), privateClass = Data("1.2.826.0.1.3680043.9.777".utf8)
            var patched = try Data(contentsOf: odd[1])
            while let r = patched.range(of: mr) { patched.replaceSubrange(r, with: privateClass) }
            try patched.write(to: odd[1])
            let partial = try KiraRun.run(["pacs", "send", odd[0].path, odd[1].path, "--json"] + dimse)
            #expect(partial.status == 2)
            #expect(partial.json["sent"] as? Int == 1 && partial.json["failed"] as? Int == 1)
            #expect(partial.stderr.contains("1 of 2 files not stored") && partial.stderr.contains(odd[1].path), "\(partial.stderr)")
            #expect(try server.instanceCount() == 10)

            let back = work.appendingPathComponent("back")
            _ = try PACS.retrieve(seriesUID: "\(study).7", from: node, into: back)
            for f in files {
                let sent = try Data(contentsOf: f)
                let name = try #require(Self.sopInstanceUID(sent))
                #expect(Self.dataset(try Data(contentsOf: back.appendingPathComponent("\(name).dcm"))) == Self.dataset(sent))
            }
        }

        @Test func badPeersAndQueriesFailCleanly() throws {
            let dead = try freePorts(1)[0]
            let out = work.appendingPathComponent("never")
            let u = try KiraRun.run(["pacs", "get", "--host", "127.0.0.1", "--port", "\(dead)", "--called-aet", "ORTHANC", "--study-uid", study, "-o", out.path, "--timeout", "5"])
            #expect(u.status == 1)
            #expect(u.stderr.contains("ORTHANC@127.0.0.1:\(dead)") && u.stderr.contains("unreachable"), "\(u.stderr)")

            let r = try KiraRun.run(["pacs", "find", "--host", "127.0.0.1", "--port", "\(server.dicomPort)", "--called-aet", "WRONGAET"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("WRONGAET@127.0.0.1:\(server.dicomPort)") && r.stderr.contains("rejected"), "\(r.stderr)")

            let n = try KiraRun.run(["pacs", "get", "--study-uid", "1.2.3.4.5", "-o", out.path] + dimse)
            #expect(n.status == 1)
            #expect(n.stderr.contains("no match") && n.stderr.contains("1.2.3.4.5"), "\(n.stderr)")

            // A calling AE title Orthanc does not serve: it aborts the association; the message says which title.
            let stranger = ["--host", "127.0.0.1", "--port", "\(server.dicomPort)", "--called-aet", server.aet, "--calling-aet", "STRANGER"]
            let mv = try KiraRun.run(["pacs", "get", "--study-uid", study, "--move-port", "\(server.movePort)", "-o", out.path] + stranger)
            #expect(mv.status == 1)
            #expect(mv.stderr.contains("refused") && mv.stderr.contains("'STRANGER'"), "\(mv.stderr)")

            let bogus = work.appendingPathComponent("not.dcm")
            try Data("not dicom".utf8).write(to: bogus)
            let b = try KiraRun.run(["pacs", "send", bogus.path] + dimse)
            #expect(b.status == 1)
            #expect(b.stderr.contains(bogus.path), "\(b.stderr)")
            #expect(try server.instanceCount() == 7)

            #expect(!FileManager.default.fileExists(atPath: out.path))
            #expect(leftoverTemporaries(in: work).isEmpty)
        }

        /// SIGINT while files arrive: the staging folder goes, the output never appears.
        @Test func interruptedRetrieveLeavesNothing() throws {
            let big = try SyntheticDICOM.writeSeries(to: work.appendingPathComponent("big"), seriesNumber: 3, rows: 128, columns: 128, slices: 60)
            let node = PACSNode(host: "127.0.0.1", port: server.dicomPort, calledAET: server.aet, callingAET: server.callingAET)
            #expect(try PACS.store(files: big, to: node) == 60)
            let out = work.appendingPathComponent("cut")
            let p = Process()
            p.executableURL = TestPaths.kiraExecutable
            p.arguments = ["pacs", "get", "--series-uid", "\(study).3", "-o", out.path] + dimse
            let err = Pipe()
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            try p.run()
            func staged() -> Int {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
                return names.filter { $0.hasPrefix(".kira-tmp-pacs-") }
                    .map { (try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent($0).path).count) ?? 0 }.reduce(0, +)
            }
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && staged() == 0 && Date() < deadline { usleep(2_000) }
            try #require(p.isRunning, "kira ended before it could be interrupted; make the series larger")
            kill(p.processIdentifier, SIGINT)
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 130)
            #expect(e.contains("interrupted (SIGINT)"), "\(e)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
            #expect(leftoverTemporaries(in: work).isEmpty)
        }

        @Test func dicomwebCredentialsNeverPrinted() throws {
            let secret = "pw-\(UUID().uuidString.prefix(6))"
            let url = server.dicomWebURL.replacingOccurrences(of: "http://", with: "http://reader:\(secret)@")
            let out = work.appendingPathComponent("web")
            let ok = try KiraRun.run(["pacs", "get", "--study-uid", study, "-o", out.path, "--dicomweb", url, "--verbose", "--json"])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.json["files"] as? Int == 7)
            #expect(!ok.stdout.contains(secret) && !ok.stderr.contains(secret))
            let dead = try freePorts(1)[0]
            let bad = try KiraRun.run(["pacs", "find", "--dicomweb", "http://reader:\(secret)@127.0.0.1:\(dead)/dicom-web", "--verbose"])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("127.0.0.1:\(dead)") && !bad.stderr.contains(secret), "\(bad.stderr)")
        }
    }
}
