import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// `kira export seg` and `kira export sr` on a synthetic case (`kira synth`: its T2 series,
/// reader 1's tumour mask and a 2 mm ring): the SEG and the TID 1500 report pass dciodvfy
/// and PixelMed's DicomSRValidator with no error; highdicom and dcmqi read them back.
@Suite(.serialized) struct ExportSrTests {
    struct Made: Sendable {
        var dir: URL, t2: URL, seg: URL, sr: URL
        /// The report of a cut-down table (8 rows per region, one of them made undefined):
        /// PixelMed's validator needs minutes and gigabytes for the full one (its XSLT first
        /// pass grows faster than linearly with the number of measurements).
        var smallSR: URL
        var tumour: Volume, ring: Volume
        var features: [[String]], smallFeatures: [[String]]
    }

    static func table(_ url: URL) throws -> [[String]] {
        let t = try CSVTable(contentsOf: url)
        let columns = try ["name", "tag", "ibsi_code", "family", "value", "undefined_reason"].map { try t.strings($0) }
        return columns[0].indices.map { i in columns.map { $0[i] } }
    }

    static func csv(_ rows: [[String]]) -> String {
        (["name,tag,ibsi_code,family,value,undefined_reason"] + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    static let made: Result<Made, Error> = Result(catching: {
        let dir = try TestPaths.temporaryDirectory("kira-export-sr")
        func kira(_ args: [String]) throws {
            let r = try KiraRun.run(args)
            guard r.status == 0 else { throw RunFailed(run: r) }
        }
        let cohort = dir.appendingPathComponent("synth")
        try kira(["synth", "-o", cohort.path, "--cases", "1", "--seed", "22"])
        let caseDir = cohort.appendingPathComponent("cases/SYNTH0001")
        let t2 = caseDir.appendingPathComponent("t2"), mask = caseDir.appendingPathComponent("masks/t2_r1.nii.gz")
        let nifti = dir.appendingPathComponent("nifti")
        try kira(["convert", t2.path, "-o", nifti.path])
        let image = try #require(try FileManager.default.contentsOfDirectory(atPath: nifti.path).first { $0.hasSuffix(".nii") })
        let ring = dir.appendingPathComponent("ring.nii.gz")
        try kira(["mask", "ring", mask.path, "--mm", "5", "-o", ring.path])
        // Morphology and intensity statistics: every unit rule, 43 features per region.
        let params = dir.appendingPathComponent("p.yaml")
        try "ibsi:\n  families: [morphology, intensity_statistics]\n".write(to: params, atomically: true, encoding: .utf8)
        let features = dir.appendingPathComponent("f.csv")
        try kira(["features", "--image", nifti.appendingPathComponent(image).path, "--mask", mask.path, "--params", params.path,
                  "--region", "tumour", "--region", "ring:5mm", "-o", features.path])
        let seg = dir.appendingPathComponent("seg.dcm")
        try kira(["export", "seg", "--source", t2.path, "--mask", mask.path, "--mask", ring.path,
                  "--label", "tumour", "--label", "ring5mm", "-o", seg.path])
        // The prediction is an input here (what kira predict writes for the case), not a result.
        let prediction = dir.appendingPathComponent("p.csv")
        try "id,probability,class\nSYNTH0001,0.8125,1\n".write(to: prediction, atomically: true, encoding: .utf8)
        let sr = dir.appendingPathComponent("sr.dcm")
        try kira(["export", "sr", "--source", t2.path, "--seg", seg.path, "--features", features.path,
                  "--prediction", prediction.path, "-o", sr.path])
        let rows = try table(features)
        var small = Array(rows.filter { $0[0].hasPrefix("tumour_") }.prefix(8)) + Array(rows.filter { $0[0].hasPrefix("ring5mm_") }.prefix(8))
        small[3][4] = ""
        small[3][5] = "made undefined by the test"
        let smallFeatures = dir.appendingPathComponent("small.csv")
        try csv(small).write(to: smallFeatures, atomically: true, encoding: .utf8)
        let smallSR = dir.appendingPathComponent("small-sr.dcm")
        try kira(["export", "sr", "--source", t2.path, "--seg", seg.path, "--features", smallFeatures.path,
                  "--prediction", prediction.path, "-o", smallSR.path])
        return Made(dir: dir, t2: t2, seg: seg, sr: sr, smallSR: smallSR, tumour: try NIfTIReader.read(mask), ring: try NIfTIReader.read(ring),
                    features: rows, smallFeatures: small)
    })

    static func errors(_ tool: URL, _ args: [String]) throws -> (errors: [String], warnings: Int) {
        let r = try runProcess(tool, args)
        let lines = (r.stdout + r.stderr).split(separator: "\n").map(String.init)
        return (lines.filter { $0.hasPrefix("Error") || $0.contains("Exception") }, lines.filter { $0.hasPrefix("Warning") }.count)
    }

    @Test func dciodvfyFindsNoErrorInTheSegOrTheReport() throws {
        let made = try Self.made.get()
        for file in [made.seg, made.sr, made.smallSR] {
            let r = try Self.errors(URL(fileURLWithPath: "/usr/bin/dciodvfy"), [file.path])
            print("dciodvfy \(file.lastPathComponent): \(r.errors.count) errors, \(r.warnings) warnings")
            #expect(r.errors.isEmpty, Comment(rawValue: r.errors.joined(separator: "\n")))
        }
    }

    @Test func dicomSRValidatorFindsNoError() throws {
        let made = try Self.made.get()
        // PixelMed's stylesheets exceed the JDK's default XPath limits, which the Debian wrapper keeps.
        let r = try Self.errors(URL(fileURLWithPath: "/usr/bin/java"), [
            "-Djdk.xml.xpathExprOpLimit=0", "-Djdk.xml.xpathExprGrpLimit=0", "-Djdk.xml.xpathTotalOpLimit=0",
            "-cp", "/usr/share/java/pixelmed.jar", "com.pixelmed.validate.DicomSRValidator", made.smallSR.path])
        print("DicomSRValidator: \(r.errors.count) errors, \(r.warnings) warnings")
        #expect(r.errors.isEmpty, Comment(rawValue: r.errors.joined(separator: "\n")))
    }

    @Test(arguments: [false, true])
    func highdicomReadsEveryFeatureCodeUnitAndValue(small: Bool) throws {
        let made = try Self.made.get()
        let features = small ? made.smallFeatures : made.features
        let out = try PythonPeer.script("sr_check.py", [(small ? made.smallSR : made.sr).path])
        let j = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(j["sop_class"] as? String == "1.2.840.10008.5.1.4.1.1.88.34")
        #expect(j["template"] as? String == "1500")
        #expect(j["patient_name"] as? String == "" && j["patient_id"] as? String == "")
        let groups = try #require(j["groups"] as? [[String: Any]])
        #expect(groups.map { $0["tracking_id"] as? String } == ["tumour", "ring5mm"])
        #expect(groups.map { $0["segment_number"] as? Int } == [1, 2])
        #expect(Set(groups.compactMap { $0["tracking_uid"] as? String }).count == 2)
        #expect(groups.allSatisfy { ($0["tracking_uid"] as? String)?.hasPrefix("2.25.") == true })
        #expect(j["library_images"] as? Int == 20)
        #expect(j["evidence_instances"] as? Int == 21)
        var checked = 0
        for (g, prefix) in zip(groups, ["tumour_", "ring5mm_"]) {
            let measurements = try #require(g["measurements"] as? [[String: Any]])
            let rows = features.filter { $0[0].hasPrefix(prefix) }
            let defined = rows.filter { !$0[4].isEmpty }, undefined = rows.filter { $0[4].isEmpty }
            #expect(!defined.isEmpty)
            // Prediction: one more measurement in the first group.
            #expect(measurements.count == defined.count + (prefix == "tumour_" ? 1 : 0))
            for row in defined {
                let name = String(row[0].dropFirst(prefix.count)), tag = row[1], code = row[2], value = Double(row[4])!
                let m = measurements.first { m in
                    let c = m["concept"] as? [String] ?? []
                    return code.isEmpty ? c.last == name : (c == [code, "IBSI", tag] && ((m["modifiers"] as? [[[String]]])?.first?.last?.first == name.split(separator: "_").first.map(String.init)))
                }
                guard let m else { Issue.record("\(prefix)\(name) (\(code) \(tag)) missing"); continue }
                let v = try #require(m["value"] as? Double)
                #expect(abs(v - value) <= 1e-9 * max(1, abs(value)), "\(row[0]): \(v) vs \(value)")
                #expect((m["unit"] as? [String])?[1] == "UCUM")
                #expect(m["algorithm"] as? [String] == ["Kira", KiraVersion.current])
                checked += 1
            }
            func unit(_ tag: String) -> String? {
                (measurements.first { ($0["concept"] as? [String])?[2] == tag }?["unit"] as? [String])?.first
            }
            if !small {
                #expect(unit("morph_volume") == "mm3")
                #expect(unit("morph_area_mesh") == "mm2")
                #expect(unit("morph_av") == "/mm")
                #expect(unit("morph_sphericity") == "1")
                #expect(unit("stat_mean") == "[arb'U]")
                #expect(unit("stat_var") == "[arb'U]2")
                #expect(unit("stat_skew") == "1")
            }
            let texts = g["texts"] as? [[String]] ?? []
            if undefined.isEmpty {
                #expect(texts.isEmpty)
            } else {
                let text = try #require(texts.first { $0[0] == "UNDEFINED" }?[1])
                for row in undefined { #expect(text.contains("\(row[0].dropFirst(prefix.count)): \(row[5])")) }
            }
        }
        print("SR: \(checked) feature values read back by highdicom with code, unit and algorithm")
        #expect(checked == features.filter { !$0[4].isEmpty }.count)
        if small { #expect(features.filter { $0[4].isEmpty }.count == 1) }
        let first = try #require(groups.first?["measurements"] as? [[String: Any]])
        let p = try #require(first.first { ($0["concept"] as? [String])?.first == "KI67PROB" })
        #expect(p["value"] as? Double == 0.8125)
        #expect((groups[0]["qualitative"] as? [[String]])?.contains(["KI67CLASS", "KI67HIGH"]) == true)
    }

    @Test func highdicomAndDcmqiReadTheSyntheticSeg() throws {
        let made = try Self.made.get()
        let prefix = made.dir.appendingPathComponent("hd-").path
        let out = try PythonPeer.script("seg_check.py", [made.seg.path, made.t2.path, prefix])
        let j = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(j["frames"] as? Int == 40)
        #expect(j["slices"] as? Int == 20)
        #expect(j["max_position_difference"] as? Double == 0)
        for (n, mask) in [made.tumour, made.ring].enumerated() {
            let read = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(prefix)\(n + 1).raw")))
            let ours = (0..<mask.voxels.count).map { mask.voxels[$0] != 0 ? UInt8(1) : 0 }
            #expect(read == ours, "segment \(n + 1)")
        }
        let dq = made.dir.appendingPathComponent("dcmqi")
        try FileManager.default.createDirectory(at: dq, withIntermediateDirectories: true)
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["segimage2itkimage", "--inputDICOM", made.seg.path,
                                                                        "--outputDirectory", dq.path, "--outputType", "nifti"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        for (n, mask) in [made.tumour, made.ring].enumerated() {
            let theirs = try NIfTIReader.read(dq.appendingPathComponent("\(n + 1).nii.gz"))
            let a = try Volume(geometry: mask.geometry, voxels: .uint8((0..<mask.voxels.count).map { mask.voxels[$0] != 0 ? 1 : 0 }))
            let b = try Volume(geometry: theirs.geometry, voxels: .uint8((0..<theirs.voxels.count).map { theirs.voxels[$0] != 0 ? 1 : 0 }))
            let c = VolumeComparison(a, b)
            #expect(c.outside == 0 && c.maxPositionError <= 1e-3 && c.maxValueDifference == 0, "segment \(n + 1): \(c)")
        }
    }

    @Test func badInputsExitOneAndWriteNothing() throws {
        let made = try Self.made.get()
        let out = made.dir.appendingPathComponent("bad.dcm")
        let notSeg = try KiraRun.run(["export", "sr", "--source", made.t2.path, "--seg", made.sr.path, "--features",
                                      made.dir.appendingPathComponent("f.csv").path, "-o", out.path])
        #expect(notSeg.status == 1)
        #expect(notSeg.stderr.contains("not a DICOM Segmentation"), Comment(rawValue: notSeg.stderr))
        let p = made.dir.appendingPathComponent("two.csv")
        try "id,probability,class\na,0.2,0\nb,0.9,1\n".write(to: p, atomically: true, encoding: .utf8)
        let two = try KiraRun.run(["export", "sr", "--source", made.t2.path, "--seg", made.seg.path, "--features",
                                   made.dir.appendingPathComponent("f.csv").path, "--prediction", p.path, "-o", out.path])
        #expect(two.status == 1)
        #expect(two.stderr.contains("has 2 rows; choose one with --case"), Comment(rawValue: two.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(leftoverTemporaries(in: made.dir).isEmpty)
    }
}
