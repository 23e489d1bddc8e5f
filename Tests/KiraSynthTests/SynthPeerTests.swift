import Foundation
import KiraCore
import KiraSynth
import KiraTestSupport
import Testing

/// The synthetic DICOM files read by peers: pydicom (values, geometry tags, the ultrasound
/// region sequence) and dcmtk's dcmdump (a strict parse of the encoding).
@Suite("kira synth: DICOM read by pydicom and dcmdump")
struct SynthPeerTests {
    static let dir = SynthFixture.small
    static let seed: UInt64 = 7

    static let script = """
    import json, sys, glob, os
    import numpy as np, pydicom
    base = sys.argv[1]
    out = {}
    for series in ("dce", "t2"):
        files = sorted(glob.glob(os.path.join(base, series, "*.dcm")))
        ds = [pydicom.dcmread(f) for f in files]
        phases = {}
        for d in ds:
            t = int(d.get("TemporalPositionIdentifier", 1))
            v = d.pixel_array.astype(np.float64) * float(d.RescaleSlope) + float(d.RescaleIntercept)
            phases.setdefault(t, []).append((float(np.dot(np.array(d.ImagePositionPatient, float),
                np.cross(np.array(d.ImageOrientationPatient[:3], float), np.array(d.ImageOrientationPatient[3:], float)))), v))
        sums = [sum(float(v.sum()) for _, v in phases[t]) for t in sorted(phases)]
        z = sorted(p for p, _ in phases[min(phases)])
        out[series] = {"files": len(files), "phases": sorted(phases), "sums": sums,
                       "orientation": [float(x) for x in ds[0].ImageOrientationPatient],
                       "pixel_spacing": [float(x) for x in ds[0].PixelSpacing],
                       "gap": (z[-1] - z[0]) / (len(z) - 1), "rows": ds[0].Rows, "columns": ds[0].Columns,
                       "name": str(ds[0].PatientName), "uids": len({d.SOPInstanceUID for d in ds})}
    mg = pydicom.dcmread(os.path.join(base, "mg.dcm"))
    out["mg"] = {"pixel_spacing": [float(x) for x in mg.PixelSpacing],
                 "imager_pixel_spacing": [float(x) for x in mg.ImagerPixelSpacing],
                 "sum": float(mg.pixel_array.astype(np.float64).sum()), "bits_stored": mg.BitsStored}
    us = pydicom.dcmread(os.path.join(base, "us.dcm"))
    r = us.SequenceOfUltrasoundRegions[0]
    out["us"] = {"dx": float(r.PhysicalDeltaX), "dy": float(r.PhysicalDeltaY),
                 "units": [int(r.PhysicalUnitsXDirection), int(r.PhysicalUnitsYDirection)],
                 "sum": float(us.pixel_array.astype(np.float64).sum()), "has_pixel_spacing": "PixelSpacing" in us,
                 "regions": len(us.SequenceOfUltrasoundRegions)}
    print(json.dumps(out))
    """

    @Test(arguments: 0..<4)
    func pydicomReadsWhatWasMeant(_ i: Int) throws {
        guard PythonPeer.has("pydicom") else { print(PythonPeer.missing("pydicom")); return }
        let c = SynthCase(index: i, seed: Self.seed, centres: 3)
        let text = try PythonPeer.run(Self.script, arguments: [Self.dir.appendingPathComponent("cases/\(c.id)").path])
        let j = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func close(_ a: Double, _ b: Double, _ rel: Double = 1e-9) -> Bool { abs(a - b) <= rel * max(1, abs(b)) }

        for (name, want) in [("dce", SynthImages.dce(c, seed: Self.seed)), ("t2", SynthImages.t2(c, seed: Self.seed))] {
            let s = try #require(j[name] as? [String: Any])
            let nz = want.geometry.size.z
            #expect(s["files"] as? Int == nz * want.timepoints)
            #expect(s["uids"] as? Int == nz * want.timepoints, "\(name): SOPInstanceUIDs are not unique")
            #expect((s["phases"] as? [Int]) == Array(1...want.timepoints))
            #expect(s["name"] as? String == String(format: "SYNTH^%04d", i + 1))
            let sums = try #require(s["sums"] as? [Double])
            let plane = want.geometry.voxelCount
            for t in 0..<want.timepoints {
                let mine = want.values[t * plane..<(t + 1) * plane].reduce(0, +)
                #expect(close(sums[t], mine), "\(name) phase \(t): pydicom sum \(sums[t]), intended \(mine)")
            }
            let o = try #require(s["orientation"] as? [Double])
            let d = want.geometry.direction
            #expect(zip(o, [d.c0.x, d.c0.y, d.c0.z, d.c1.x, d.c1.y, d.c1.z]).allSatisfy { close($0, $1, 1e-9) })
            let ps = try #require(s["pixel_spacing"] as? [Double])
            #expect(close(ps[0], want.geometry.spacing.y) && close(ps[1], want.geometry.spacing.x))
            #expect(close(try #require(s["gap"] as? Double), want.geometry.spacing.z, 1e-9))
        }
        let mg = try #require(j["mg"] as? [String: Any])
        #expect((mg["pixel_spacing"] as? [Double]) == [0.272727272727, 0.272727272727])
        #expect((mg["imager_pixel_spacing"] as? [Double]) == [0.3, 0.3])
        #expect(mg["bits_stored"] as? Int == 12)
        #expect(close(try #require(mg["sum"] as? Double), SynthImages.mg(c, seed: Self.seed).values.reduce(0, +)))
        let us = try #require(j["us"] as? [String: Any])
        #expect(us["dx"] as? Double == 0.04 && us["dy"] as? Double == 0.036)
        #expect((us["units"] as? [Int]) == [3, 3])
        #expect(us["has_pixel_spacing"] as? Bool == false)
        #expect(us["regions"] as? Int == 1)
        #expect(close(try #require(us["sum"] as? Double), SynthImages.us(c, seed: Self.seed).values.reduce(0, +)))
    }

    /// dcmdump parses every element, including the region sequence's nested item, with no
    /// warning; the calibration and the 2.25 UIDs are there as written.
    @Test func dcmdumpParsesTheFiles() throws {
        guard let dcmdump = which("dcmdump") else { print("needs dcmtk's dcmdump (apt-get install dcmtk)"); return }
        let base = Self.dir.appendingPathComponent("cases/SYNTH0001")
        for f in ["us.dcm", "mg.dcm", "dce/IM_0001.dcm", "dce/IM_0072.dcm", "t2/IM_0020.dcm"] {
            let r = try runProcess(dcmdump, ["-dc", "-ll", "warn", base.appendingPathComponent(f).path])
            #expect(r.status == 0, "\(f): \(r.stderr)")
            #expect(!r.stderr.contains("W:") && !r.stderr.contains("E:"), "\(f): \(r.stderr)")
            #expect(r.stdout.contains("(0002,0010) UI =LittleEndianExplicit"), "\(f)")
            #expect(r.stdout.contains("(0008,0018) UI [2.25."), "\(f)")
        }
        let us = try runProcess(dcmdump, [base.appendingPathComponent("us.dcm").path]).stdout
        // dcmdump prints doubles with 17 significant digits (0.035999999999999996 for 0.036).
        func fd(_ tag: String) -> Double? {
            us.split(separator: "\n").first { $0.contains(tag) }.flatMap { Double($0.split(separator: " ", omittingEmptySubsequences: true)[2]) }
        }
        #expect(fd("(0018,602c)") == 0.04)
        #expect(fd("(0018,602e)") == 0.036)
        #expect(us.contains("(0018,6024) US 3 "))
        let dce = try runProcess(dcmdump, [base.appendingPathComponent("dce/IM_0072.dcm").path]).stdout
        #expect(dce.contains("(0020,0100) IS [3]"))
    }
}
