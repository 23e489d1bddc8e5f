import Foundation
import KiraCore
import KiraTestSupport
import Testing

/// Issue 18, "a bad-input corpus": one command per bad input (TestData/bad, written by
/// TestData/scripts/make_bad_inputs.py, and the bad inputs that already lived under
/// TestData/dicom and TestData/nrrd). Every case must end with its documented exit code
/// (docs/errors.md), a message that names the file, case or key at fault, and the output
/// folder as it was before the run apart from the outputs the case is documented to write.
///
/// Arguments spell `$BAD/` (TestData/bad), `$DATA/` (TestData) and `$OUT/` (a fresh folder
/// per case) so the table reads like the command lines it stands for.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    enum Setup: Sendable {
        case none
        /// `$OUT/empty`, a folder with nothing in it (git keeps no empty folder).
        case emptyFolder
        /// `$OUT/ro`, a folder without write permission.
        case readOnlyFolder
        /// Copies of the named corpus files in `$OUT` (commands pointed at their own input).
        case copies([String])
        /// `$OUT/m.json`, a model trained on features.csv and labels.csv (no imputation step).
        case trainedModel
    }

    var name: String
    var args: [String]
    var status: Int32
    /// Each must appear in stderr (after `$BAD/`, `$DATA/`, `$OUT/` are expanded).
    var messages: [String]
    var setup: Setup = .none
    /// Files the case is documented to write into `$OUT` (a partial cohort's table).
    var writes: [String] = []
    /// Must not appear in stderr (a path named twice in one message).
    var absent: [String] = []
    /// A usage error (refused before any work): ArgumentParser's usage banner follows it.
    var usage = false
    /// Runs after the generic checks, for what a row of the table cannot say.
    var check: (@Sendable (_ out: URL, _ run: KiraRun) throws -> Void)? = nil

    var testDescription: String { name }

    var needsPermissions: Bool {
        if case .readOnlyFolder = setup { return true }
        return false
    }
}

@Suite("Bad-input corpus: documented exit, file named, nothing left behind")
struct BadInputCorpusTests {
    /// Root writes through permission bits, so the read-only folder is a case only for others.
    static let cases: [BadInputCase] = all.filter { geteuid() != 0 || !$0.needsPermissions }

    static let all: [BadInputCase] = [
        // DICOM
        .init(name: "DICOM cut inside its meta header (inspect)", args: ["inspect", "$BAD/dicom_header_cut/cut.dcm"],
              status: 1, messages: ["kira inspect: $BAD/dicom_header_cut/cut.dcm: truncated: dcmtk could not parse the file"]),
        .init(name: "DICOM cut inside its meta header (convert folder)", args: ["convert", "$BAD/dicom_header_cut", "-o", "$OUT/c"],
              status: 1, messages: ["$BAD/dicom_header_cut/cut.dcm: truncated"]),
        .init(name: "DICOM cut in its pixel data", args: ["convert", "$DATA/dicom/bad/truncated.dcm", "-o", "$OUT/c"],
              status: 1, messages: ["$DATA/dicom/bad/truncated.dcm: truncated"]),
        .init(name: "not a DICOM file (convert)", args: ["convert", "$DATA/dicom/bad/notes.txt", "-o", "$OUT/c"],
              status: 1, messages: ["$DATA/dicom/bad/notes.txt: not converted: not a DICOM file (no DICM marker)"]),
        .init(name: "empty folder (convert)", args: ["convert", "$OUT/empty", "-o", "$OUT/c"],
              status: 1, messages: ["kira convert: no image found in '$OUT/empty'"], setup: .emptyFolder),
        .init(name: "empty folder (inspect)", args: ["inspect", "$OUT/empty"],
              status: 1, messages: ["kira inspect: no image found in '$OUT/empty'"], setup: .emptyFolder),
        .init(name: "series with a missing slice", args: ["convert", "$DATA/dicom/missing_slice", "-o", "$OUT/c"],
              status: 1, messages: ["$DATA/dicom/missing_slice/im01.dcm", "missing slice: gap of 5.000 mm between slices 2 and 3"]),
        .init(name: "zero PixelSpacing (DICOM)", args: ["convert", "$DATA/dicom/zero_spacing", "-o", "$OUT/c"],
              status: 1, messages: ["$DATA/dicom/zero_spacing/s0.dcm: series S7_", "invalid geometry: pixel spacing 0.0\\0.8 mm is not positive"],
              absent: [": $DATA/dicom/zero_spacing/s0.dcm: invalid geometry"]),
        .init(name: "negative PixelSpacing (DICOM)", args: ["convert", "$DATA/dicom/negative_spacing", "-o", "$OUT/c"],
              status: 1, messages: ["$DATA/dicom/negative_spacing/s0.dcm: series S7_", "invalid geometry: pixel spacing -0.5\\0.5 mm is not positive"],
              absent: [": $DATA/dicom/negative_spacing/s0.dcm: invalid geometry"]),
        .init(name: "NaN PixelSpacing (DICOM)", args: ["convert", "$BAD/dicom_nan_spacing", "-o", "$OUT/c"],
              status: 1, messages: ["$BAD/dicom_nan_spacing/s0.dcm: series S7_", "invalid geometry: pixel spacing nan\\0.8 mm is not positive"],
              absent: [": $BAD/dicom_nan_spacing/s0.dcm: invalid geometry"]),
        // NIfTI and NRRD geometry
        .init(name: "NIfTI pixdim 0 (mask dilate)", args: ["mask", "dilate", "$BAD/pixdim_zero.nii", "--mm", "1", "-o", "$OUT/d.nii"],
              status: 1, messages: ["$BAD/pixdim_zero.nii", "pixdim[3] is 0.0"]),
        .init(name: "NIfTI pixdim negative", args: ["resample", "$BAD/pixdim_negative.nii", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$BAD/pixdim_negative.nii", "pixdim[3] is -2.5"]),
        .init(name: "NIfTI pixdim NaN", args: ["resample", "$BAD/pixdim_nan.nii", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$BAD/pixdim_nan.nii", "pixdim[3] is nan"]),
        .init(name: "NRRD zero spacing", args: ["resample", "$DATA/nrrd/zero_spacing.nrrd", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$DATA/nrrd/zero_spacing.nrrd: invalid geometry: field space directions: axis 1 vector (0.0,0.0,0.0) has zero length"]),
        .init(name: "NRRD negative spacing", args: ["resample", "$DATA/nrrd/negative_spacings.nrrd", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$DATA/nrrd/negative_spacings.nrrd: invalid geometry: field spacings: axis 1 spacing is -2.0"]),
        .init(name: "NRRD NaN spacing", args: ["resample", "$BAD/nan_spacing.nrrd", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$BAD/nan_spacing.nrrd: invalid geometry: field space directions: axis 1 vector (nan,nan,nan) is not finite"]),
        .init(name: "NRRD truncated", args: ["resample", "$DATA/nrrd/truncated.nrrd", "-o", "$OUT/r.nii"],
              status: 1, messages: ["$DATA/nrrd/truncated.nrrd: truncated: 100 bytes of voxel data, the header declares 120"]),
        // Masks
        .init(name: "mask off the image grid", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask_offgrid.nii.gz", "-o", "$OUT/f.csv"],
              status: 1, messages: ["mask $BAD/mask_offgrid.nii.gz is not on the grid of image $BAD/image.nii.gz: origin differs by 0.5 mm"]),
        .init(name: "empty mask (features)", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask_empty.nii.gz", "-o", "$OUT/f.csv"],
              status: 1, messages: ["mask $BAD/mask_empty.nii.gz has no non-zero voxels"]),
        // The image used to be written before the mask was read: exit 1 with r.nii left.
        .init(name: "empty mask (resample --mask)", args: ["resample", "$BAD/image.nii.gz", "--mask", "$BAD/mask_empty.nii.gz", "--mask-out", "$OUT/m.nii", "-o", "$OUT/r.nii"],
              status: 1, messages: ["kira resample: mask $BAD/mask_empty.nii.gz has no non-zero voxels"]),
        .init(name: "labels 0/255 (every non-zero voxel is the region)", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask_255.nii.gz", "-o", "$OUT/f.csv"],
              status: 0, messages: [], writes: ["f.csv"]) { out, _ in
            let text = try String(contentsOf: out.appendingPathComponent("f.csv"), encoding: .utf8)
            #expect(text.contains("original_shape_VoxelVolume,morph_vol_approx,YEKZ,morphology,32.0,"), "\(text.prefix(400))")
        },
        .init(name: "labels 0/255 asked for label 1", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask_255.nii.gz", "--label", "1", "-o", "$OUT/f.csv"],
              status: 1, messages: ["mask $BAD/mask_255.nii.gz has no voxel with label 1; labels present: 255"]),
        // Tables
        .init(name: "NaN in a features table (train)", args: ["train", "--features", "$BAD/features_nan.csv", "--labels", "$BAD/labels.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["feature \"f2\" has missing values (id \"c07\")"]),
        .init(name: "text in a features table (train)", args: ["train", "--features", "$BAD/features_text.csv", "--labels", "$BAD/labels.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/features_text.csv: row 13, column \"f3\": \"abc\" is not a number"]),
        .init(name: "duplicate id in a features table (train)", args: ["train", "--features", "$BAD/features_dup.csv", "--labels", "$BAD/labels.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/features_dup.csv: id \"c05\" appears twice (row 7)"]),
        .init(name: "NaN label (train)", args: ["train", "--features", "$BAD/features.csv", "--labels", "$BAD/labels_nan.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/labels_nan.csv: row 4, column \"high\": missing label for id \"c03\""]),
        .init(name: "text label (train)", args: ["train", "--features", "$BAD/features.csv", "--labels", "$BAD/labels_text.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/labels_text.csv: row 5, column \"high\": \"maybe\" is not a number"]),
        .init(name: "duplicate id in labels (train)", args: ["train", "--features", "$BAD/features.csv", "--labels", "$BAD/labels_dup.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/labels_dup.csv: id \"c09\" appears twice (row 11)"]),
        .init(name: "single-class labels (train)", args: ["train", "--features", "$BAD/features.csv", "--labels", "$BAD/labels_single.csv", "--label-column", "high", "-o", "$OUT/m.json"],
              status: 1, messages: ["$BAD/labels_single.csv: column \"high\" has a single class: 20 positive of 20"]),
        .init(name: "NaN in the features to score (predict: the case is listed, the others scored)",
              args: ["predict", "--model", "$OUT/m.json", "--features", "$BAD/features_nan.csv", "-o", "$OUT/p.csv"],
              status: 2, messages: ["kira predict: case c07: feature \"f2\" has missing values and the model has no imputation step"],
              setup: .trainedModel, writes: ["p.csv"]) { out, _ in
            let scored = try CSVTable(contentsOf: out.appendingPathComponent("p.csv")).strings("id")
            #expect(scored == (1...20).filter { $0 != 7 }.map { String(format: "c%02d", $0) })
        },
        .init(name: "text in the features to score (predict)",
              args: ["predict", "--model", "$OUT/m.json", "--features", "$BAD/features_text.csv", "-o", "$OUT/p.csv"],
              status: 1, messages: ["kira predict: $BAD/features_text.csv: row 13, column \"f3\": \"abc\" is not a number"],
              setup: .trainedModel),
        .init(name: "NaN label (evaluate)",
              args: ["evaluate", "--predictions", "$BAD/predictions.csv", "--labels", "$BAD/labels_nan.csv", "--label-column", "high"],
              status: 1, messages: ["kira evaluate: $BAD/labels_nan.csv: row 4, column \"high\": missing label for id \"c03\""]),
        .init(name: "NaN time in survival data (the row is dropped and counted)", args: ["survival", "km", "--data", "$BAD/survival_nan.csv", "--time", "time", "--event", "event"],
              status: 0, messages: ["$BAD/survival_nan.csv: dropped 1 row(s) with missing values: row 5 (time)"]),
        .init(name: "text event in survival data", args: ["survival", "km", "--data", "$BAD/survival_text.csv", "--time", "time", "--event", "event"],
              status: 1, messages: ["$BAD/survival_text.csv: row 9, column \"event\": event must be 0 or 1 (or true/false), found \"maybe\""]),
        .init(name: "duplicate id in survival data", args: ["survival", "cox", "--data", "$BAD/survival_dup.csv", "--time", "time", "--event", "event", "--covariates", "x", "--rad-score", "$OUT/rs.csv"],
              status: 1, messages: ["kira survival cox: $BAD/survival_dup.csv: id \"s10\" appears twice (rows 11 and 12)"]),
        .init(name: "duplicate id in survival data (km)", args: ["survival", "km", "--data", "$BAD/survival_dup.csv", "--time", "time", "--event", "event"],
              status: 1, messages: ["kira survival km: $BAD/survival_dup.csv: id \"s10\" appears twice (rows 11 and 12)"]),
        .init(name: "duplicate id in a reader's table (qc stability)", args: ["qc", "stability", "--features", "$BAD/features.csv", "$BAD/features_dup.csv", "--id-column", "id", "-o", "$OUT/s.csv"],
              status: 1, messages: ["$BAD/features_dup.csv: id \"c05\" appears in rows 6 and 7"]),
        .init(name: "text in a reader's table (qc stability: the column is ignored, named)", args: ["qc", "stability", "--features", "$BAD/features.csv", "$BAD/features_text.csv", "--id-column", "id", "-o", "$OUT/s.csv"],
              status: 0, messages: ["column \"f3\" ignored: not numeric: $BAD/features_text.csv: row 13, column \"f3\": \"abc\" is not a number"],
              writes: ["s.csv"]),
        .init(name: "duplicate id in a cohort manifest", args: ["features", "--manifest", "$BAD/cohort/manifest_dup.csv", "-o", "$OUT/t.csv"],
              status: 1, messages: ["kira features: $BAD/cohort/manifest_dup.csv: row 3: case id 'c01' already used on row 2"],
              absent: ["manifest_dup.csv: $BAD/cohort/manifest_dup.csv"]),
        .init(name: "text label in a cohort manifest", args: ["features", "--manifest", "$BAD/cohort/manifest_label_text.csv", "-o", "$OUT/t.csv"],
              status: 1, messages: ["kira features: $BAD/cohort/manifest_label_text.csv: row 3, column \"label\": \"abc\" is not a positive integer label"],
              absent: ["manifest_label_text.csv: $BAD/cohort/manifest_label_text.csv"]),
        .init(name: "NaN label in a cohort manifest", args: ["features", "--manifest", "$BAD/cohort/manifest_label_nan.csv", "-o", "$OUT/t.csv"],
              status: 1, messages: ["$BAD/cohort/manifest_label_nan.csv: row 3, column \"label\""]),
        .init(name: "one bad case among nine good ones", args: ["features", "--manifest", "$BAD/cohort/manifest.csv", "-o", "$OUT/t.csv"],
              status: 2, messages: ["case 'c05b' failed: mask $BAD/mask_empty.nii.gz has no non-zero voxels", "9 of 10 cases in $OUT/t.csv; 1 failed"],
              writes: ["t.csv", "t.csv.failures.csv", "t.csv.provenance.json"]) { out, _ in
            let table = try CSVTable(contentsOf: out.appendingPathComponent("t.csv"))
            #expect(try table.strings("id") == (1...9).map { String(format: "c%02d", $0) })
            let failures = try CSVTable(contentsOf: out.appendingPathComponent("t.csv.failures.csv"))
            #expect(try failures.strings("id") == ["c05b"])
        },
        // Settings and templates
        .init(name: "unknown key in a params file", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask.nii.gz", "--params", "$BAD/params_unknown_key.yaml", "-o", "$OUT/f.csv"],
              status: 1, messages: ["$BAD/params_unknown_key.yaml: setting.binWidht: unknown setting"]),
        .init(name: "wrong-typed key in a params file", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask.nii.gz", "--params", "$BAD/params_wrong_type.yaml", "-o", "$OUT/f.csv"],
              status: 1, messages: ["$BAD/params_wrong_type.yaml: setting.binWidth: expected a number, got \"wide\""]),
        .init(name: "template climbing out of the output folder", args: ["convert", "$DATA/dicom/oblique_mr", "--template", "../x", "-o", "$OUT/c"],
              status: 1, messages: ["--template '../x' contains '..'"], usage: true),
        // Outputs
        .init(name: "output onto a full device", args: ["features", "--image", "$BAD/image.nii.gz", "--mask", "$BAD/mask.nii.gz", "-o", "/dev/full"],
              status: 1, messages: ["kira features: /dev/full: cannot write"]),
        // access() lets root through; niftilib then printed "** ERROR" with the temporary name.
        .init(name: "output folder that refuses new files (/proc)", args: ["resample", "$BAD/image.nii.gz", "-o", "/proc/kira-bad.nii"],
              status: 1, messages: ["kira resample: /proc/kira-bad.nii: cannot write: cannot create a file in the folder '/proc'"]),
        .init(name: "output folder without write permission", args: ["resample", "$BAD/image.nii.gz", "-o", "$OUT/ro/r.nii"],
              status: 1, messages: ["$OUT/ro", "not writable"], setup: .readOnlyFolder),
        .init(name: "mask dilate onto its own input", args: ["mask", "dilate", "$OUT/mask.nii.gz", "--mm", "1", "-o", "$OUT/mask.nii.gz", "--overwrite"],
              status: 1, messages: ["--output '$OUT/mask.nii.gz' is the input '$OUT/mask.nii.gz'"], setup: .copies(["mask.nii.gz"]), usage: true),
        .init(name: "cox --rad-score onto its --data", args: ["survival", "cox", "--data", "$OUT/survival.csv", "--time", "time", "--event", "event", "--covariates", "x", "--rad-score", "$OUT/survival.csv", "--overwrite"],
              status: 1, messages: ["--rad-score '$OUT/survival.csv' is the input '$OUT/survival.csv'"], setup: .copies(["survival.csv"]), usage: true),
        .init(name: "qc stability -o onto a reader's table", args: ["qc", "stability", "--features", "$OUT/features.csv", "$BAD/features_nan.csv", "--id-column", "id", "-o", "$OUT/features.csv", "--overwrite"],
              status: 1, messages: ["--output '$OUT/features.csv' is the input '$OUT/features.csv'"], setup: .copies(["features.csv"]), usage: true),
        // Sizes
        .init(name: "NIfTI header claiming 30000³ voxels", args: ["inspect", "$BAD/huge_dims.nii"],
              status: 1, messages: ["kira inspect: $BAD/huge_dims.nii: voxel data (header dim): too large: 30000×30000×30000 = 27000000000000 voxels"],
              absent: ["huge_dims.nii: $BAD/huge_dims.nii"]),
        .init(name: "resampling to 0.001 mm", args: ["resample", "$BAD/image.nii.gz", "--spacing", "0.001", "-o", "$OUT/r.nii"],
              status: 1, messages: ["resampled grid of image $BAD/image.nii.gz (spacing 0.001, 0.001, 0.001 mm): too large: 10000×10000×6000"]),
        .init(name: "mixed matrix sizes in one series (two outputs, documented)", args: ["convert", "$DATA/dicom/mixed_sizes", "-o", "$OUT/c"],
              status: 0, messages: [],
              writes: ["c", "c/mixed_sizes_7_mixed.nii", "c/mixed_sizes_7_mixed.json", "c/mixed_sizes_7_mixed_2.nii", "c/mixed_sizes_7_mixed_2.json"]),
    ]

    static func expand(_ s: String, out: URL) -> String {
        s.replacingOccurrences(of: "$BAD/", with: TestPaths.testData("bad").path + "/")
            .replacingOccurrences(of: "$DATA/", with: TestPaths.testData.path + "/")
            .replacingOccurrences(of: "$OUT", with: out.path)
    }

    /// Every path under `dir`, with the size and modification time of files, so a file
    /// rewritten in place counts as a change too.
    static func listing(_ dir: URL) -> [String: String] {
        var out: [String: String] = [:]
        let e = FileManager.default.enumerator(atPath: dir.path)
        while let f = e?.nextObject() as? String {
            let a = try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(f).path)
            out[f] = "\(a?[.size] ?? "-") \((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        return out
    }

    @Test(arguments: cases)
    func badInput(_ c: BadInputCase) throws {
        let out = try TestPaths.temporaryDirectory("kira-bad")
        defer {
            chmod(out.appendingPathComponent("ro").path, 0o755)
            try? FileManager.default.removeItem(at: out)
        }
        switch c.setup {
        case .none: break
        case .emptyFolder:
            try FileManager.default.createDirectory(at: out.appendingPathComponent("empty"), withIntermediateDirectories: false)
        case .readOnlyFolder:
            try FileManager.default.createDirectory(at: out.appendingPathComponent("ro"), withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o555])
        case let .copies(files):
            for f in files {
                try FileManager.default.copyItem(at: TestPaths.testData("bad/" + f), to: out.appendingPathComponent(f))
            }
        case .trainedModel:
            let bad = TestPaths.testData("bad").path
            let t = try KiraRun.run(["train", "--features", bad + "/features.csv", "--labels", bad + "/labels.csv",
                                     "--label-column", "high", "-o", out.appendingPathComponent("m.json").path])
            try #require(t.status == 0, "\(t.stderr)")
        }
        let before = Self.listing(out)
        let r = try KiraRun.run(c.args.map { Self.expand($0, out: out) })
        // A signal exit (134 SIGABRT, 139 SIGSEGV) is never documented.
        #expect(r.status < 128, "killed by a signal: \(r.status)\n\(r.stderr)")
        #expect(r.status == c.status, "exit \(r.status), documented \(c.status)\n\(r.stderr)")
        for m in c.messages.map({ Self.expand($0, out: out) }) {
            #expect(r.stderr.contains(m), "stderr does not name '\(m)':\n\(r.stderr)")
        }
        for a in c.absent.map({ Self.expand($0, out: out) }) {
            #expect(!r.stderr.contains(a), "stderr names a path twice ('\(a)'):\n\(r.stderr)")
        }
        for bad in (c.usage ? [] : ["Usage:"]) + ["Fatal error", "** ERROR", ".kira-tmp", "NSCocoaErrorDomain"] {
            #expect(!r.stderr.contains(bad), "\(r.stderr)")
        }
        #expect(leftoverTemporaries(in: out).isEmpty)
        var after = Self.listing(out)
        for w in c.writes {
            #expect(after.removeValue(forKey: w) != nil, "\(w) was not written")
        }
        #expect(after == before, "the output folder changed: \(after.keys.sorted()) against \(before.keys.sorted())")
        try c.check?(out, r)
    }
}
