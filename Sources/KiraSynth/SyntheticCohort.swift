import Foundation
import KiraCore
import KiraIO
import Logging

/// `kira synth`: writes a synthetic multi-modality breast cohort, one case at a time (nothing
/// of a case is kept once written, so memory does not grow with the number of cases), into a
/// hidden staging folder beside the output that is renamed into place when complete.
public enum SyntheticCohort {
    public struct Options: Sendable {
        public var output: URL
        public var cases: Int
        public var seed: UInt64
        public var centres: Int
        public var overwrite: Bool

        public init(output: URL, cases: Int, seed: UInt64, centres: Int = 3, overwrite: Bool = false) {
            self.output = output
            self.cases = cases
            self.seed = seed
            self.centres = centres
            self.overwrite = overwrite
        }
    }

    public struct Summary: Sendable {
        public var output: URL
        public var cases: Int
        public var perSet: [String: Int]
        public var perCentre: [String: Int]
        public var highKi67: Int
        public var events: Int
        public var files: Int
        public var seconds: Double
    }

    public static let csvColumns = [
        "case_id", "centre", "set", "ki67", "dfs_months", "dfs_event",
        "dce_path", "dce_r1", "dce_r2", "t2_path", "t2_r1", "t2_r2",
        "mg_path", "mg_r1", "mg_r2", "us_path", "us_r1", "us_r2", "us_jpeg",
    ]

    public static let truthColumns = ["case_id", "z_heterogeneity", "z_peritumoral", "latent", "heterogeneity", "peritumoral", "artefact_in_reader2"]

    /// Why the options cannot be used, or nil (checked before anything is written).
    public static func problem(_ o: Options) -> String? {
        guard o.cases >= 1 else { return "--cases must be at least 1, got \(o.cases)" }
        guard o.cases <= 99_999 else { return "--cases must be at most 99999 (case ids have 5 digits at most), got \(o.cases)" }
        guard (2...3).contains(o.centres) else { return "--centres must be 2 or 3, got \(o.centres)" }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: o.output.path, isDirectory: &isDir) {
            guard isDir.boolValue else { return "'\(o.output.path)' exists and is not a folder" }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: o.output.path)) ?? []
            if !entries.isEmpty, !o.overwrite {
                return "'\(o.output.path)' exists and is not empty; pass --overwrite to replace it"
            }
            // The whole folder is replaced, so --overwrite must not reach a folder of other files.
            if !entries.isEmpty, !entries.contains("synth.json") {
                return "'\(o.output.path)' is not empty and holds no synth.json; --overwrite replaces only a folder kira synth wrote"
            }
        }
        return nil
    }

    @discardableResult
    public static func write(_ o: Options, logger: Logger) throws -> Summary {
        if let p = problem(o) { throw KiraError.invalidArgument(p) }
        let start = Date()
        let output = o.output.standardizedFileURL
        let parent = output.deletingLastPathComponent()
        try InterruptCleanup.createDirectory(at: parent)
        let staging = parent.appendingPathComponent(".kira-tmp-\(UUID().uuidString.prefix(8))-\(output.lastPathComponent)")
        InterruptCleanup.registerTree(staging)
        defer { InterruptCleanup.unregisterTree(staging) }
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
            var summary = try fill(staging, o, logger: logger)
            try moveIntoPlace(staging, output)
            summary.output = output
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    static func moveIntoPlace(_ staging: URL, _ output: URL) throws {
        let fm = FileManager.default
        var old: URL?
        if fm.fileExists(atPath: output.path) {
            let aside = output.deletingLastPathComponent().appendingPathComponent(".kira-old-\(UUID().uuidString.prefix(8))-\(output.lastPathComponent)")
            guard rename(output.path, aside.path) == 0 else {
                throw KiraError.writeFailed(path: output.path, reason: "cannot move the existing folder aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(staging.path, output.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, output.path) }
            throw KiraError.writeFailed(path: output.path, reason: reason)
        }
        if let old { try? fm.removeItem(at: old) }
    }

    static func fill(_ dir: URL, _ o: Options, logger: Logger) throws -> Summary {
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("cases"), withIntermediateDirectories: false)
        var csv = CSVLines(url: dir.appendingPathComponent("cases.csv"), header: csvColumns)
        var truth = CSVLines(url: dir.appendingPathComponent("truth.csv"), header: truthColumns)
        var summary = Summary(output: o.output, cases: o.cases, perSet: [:], perCentre: [:], highKi67: 0, events: 0, files: 0, seconds: 0)
        for i in 0..<o.cases {
            let c = SynthCase(index: i, seed: o.seed, centres: o.centres)
            let (files, count) = try writeCase(c, seed: o.seed, into: dir)
            summary.files += count
            csv.append([c.id, SynthCentre.all[c.centre].name, c.set, fmt(c.ki67, 1), fmt(c.dfsMonths, 1), c.dfsEvent ? "1" : "0"]
                + csvColumns.dropFirst(6).map { files[$0]! })
            truth.append([c.id, fmt(c.zHeterogeneity, 6), fmt(c.zPeritumoral, 6), fmt(c.latent, 6), fmt(c.heterogeneity, 6),
                          fmt(c.peritumoral, 6), c.artefactInReader2 ? "1" : "0"])
            summary.perSet[c.set, default: 0] += 1
            summary.perCentre[SynthCentre.all[c.centre].name, default: 0] += 1
            if c.ki67 > SynthModel.ki67Threshold { summary.highKi67 += 1 }
            if c.dfsEvent { summary.events += 1 }
            logger.debug("kira synth: case \(c.id) written (\(i + 1) of \(o.cases))")
        }
        try csv.finish()
        try truth.finish()
        try AtomicOutput.write(try Sidecar.encode(description(o)), to: dir.appendingPathComponent("synth.json"))
        try AtomicOutput.write(Data(studyYAML.utf8), to: dir.appendingPathComponent("study.yaml"))
        try AtomicOutput.write(Data(readme(o).utf8), to: dir.appendingPathComponent("README.txt"))
        summary.files += 5
        return summary
    }

    /// Writes one case's files; returns the cases.csv path columns (relative to the folder)
    /// and the number of files written.
    static func writeCase(_ c: SynthCase, seed: UInt64, into dir: URL) throws -> ([String: String], Int) {
        let rel = "cases/\(c.id)"
        let folder = dir.appendingPathComponent(rel)
        // One level at a time: after an interrupt has removed the staging folder, nothing
        // may make it again (see InterruptCleanup.registerTree).
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: false)
        for sub in ["dce", "t2", "masks"] {
            try fm.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: false)
        }
        let writer = SynthDICOM(c: c, seed: seed)
        var files: [String: String] = [:]
        func masks(_ img: SynthImage, _ name: String) throws {
            for r in 0..<2 {
                let path = "\(rel)/masks/\(name)_r\(r + 1).nii.gz"
                let v = try Volume(geometry: img.geometry, voxels: .uint8(img.masks[r]))
                try NIfTIWriter.write(v, to: dir.appendingPathComponent(path), options: .init(description: "kira synth \(name) reader \(r + 1)"))
                files["\(name)_r\(r + 1)"] = path
            }
        }
        do {
            let dce = SynthImages.dce(c, seed: seed)
            try writer.writeMR(dce, folder: folder.appendingPathComponent("dce"), series: 10, seriesNumber: 1,
                               description: "synthetic DCE 3 phases", repetitionTime: 4.5, echoTime: 1.8)
            files["dce_path"] = "\(rel)/dce"
            try masks(dce, "dce")
        }
        do {
            let t2 = SynthImages.t2(c, seed: seed)
            try writer.writeMR(t2, folder: folder.appendingPathComponent("t2"), series: 11, seriesNumber: 2,
                               description: "synthetic T2", repetitionTime: 4000, echoTime: 90)
            files["t2_path"] = "\(rel)/t2"
            try masks(t2, "t2")
        }
        do {
            let mg = SynthImages.mg(c, seed: seed)
            try writer.writeMG(mg, to: folder.appendingPathComponent("mg.dcm"))
            files["mg_path"] = "\(rel)/mg.dcm"
            try masks(mg, "mg")
        }
        do {
            let us = SynthImages.us(c, seed: seed)
            try writer.writeUS(us, to: folder.appendingPathComponent("us.dcm"))
            files["us_path"] = "\(rel)/us.dcm"
            try JPEGWriter.write(us.stored.map { UInt8($0) }, width: us.geometry.size.x, height: us.geometry.size.y,
                                 quality: 95, to: folder.appendingPathComponent("us.jpg"))
            files["us_jpeg"] = "\(rel)/us.jpg"
            try masks(us, "us")
        }
        let dicom = SynthImages.dceSize.z * SynthImages.dcePhases.count + SynthImages.t2Size.z + 2
        return (files, dicom + 1 + 8)
    }

    static func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    /// synth.json: the options, the model's constants and the signal strength it implies.
    static func description(_ o: Options) -> [String: MetaValue] {
        let m = SynthModel.self
        return [
            "synthetic": .bool(true),
            "generator": .string("kira synth \(KiraVersion.current)"),
            "seed": .string(String(o.seed)),
            "cases": .integer(o.cases),
            "centres": .array(SynthCentre.all.prefix(o.centres).map { c in
                .object([
                    "name": .string(c.name), "mr_gain": .number(c.mrGain), "mr_noise_sd": .number(c.mrNoise),
                    "mr_rescale_slope": .number(c.rescaleSlope), "mr_rescale_intercept": .number(c.rescaleIntercept),
                    "mg_gain": .number(c.mgGain), "mg_noise_sd": .number(c.mgNoise), "us_gain": .number(c.usGain),
                ])
            }),
            "split": .string("case i: i mod 10 in 0-5 centre A (every 4th A case internal, the rest train), 6-7 centre B, 8-9 centre C (B with --centres 2); B and C external"),
            "ki67": .object([
                "formula": .string("ki67 = 100 / (1 + exp(-(alpha + gamma * (L + e)))), L = w_h * z_h + w_p * z_p, z_h, z_p ~ N(0,1), e ~ N(0, sigma_e^2)"),
                "alpha": .number(m.alpha), "gamma": .number(m.gamma), "w_h": .number(m.weightHeterogeneity),
                "w_p": .number(m.weightPeritumoral), "sigma_e": .number(m.sigmaE), "threshold": .number(m.ki67Threshold),
                "heterogeneity": .string("h = \(m.heterogeneityScale) * exp(\(m.heterogeneitySlope) * z_h): standard deviation of the tumour's enhancement relative to its mean (texture standardised over the tumour on each grid)"),
                "peritumoral": .string("p = \(m.peritumoralScale) * exp(\(m.peritumoralSlope) * z_p): enhancement of the tissue up to 12 mm outside the tumour, p * E * exp(-d / 4 mm) in DCE (E the tumour's enhancement), oedema in T2, halo in US"),
            ]),
            "signal": .object([
                "expected_auc_latent": .number(rounded(m.expectedAUCLatent)),
                "expected_auc_heterogeneity_only": .number(rounded(m.expectedAUCHeterogeneity)),
                "expected_high_fraction": .number(rounded(m.expectedHighFraction)),
                "expected_spearman_ki67_heterogeneity": .number(rounded(m.expectedSpearmanKi67Heterogeneity)),
                "expected_spearman_ki67_peritumoral": .number(rounded(m.expectedSpearmanKi67Peritumoral)),
                "how": .string("AUC of a score for ki67 > threshold in the population: the latent score L (both drivers read perfectly) and z_h alone, by numerical integration of the normal model (16001-point grid over +-8 SD). Spearman: ki67 and h are monotone in jointly normal variables with Pearson r, so rho = (6/pi) asin(r/2). A model from images can only approach expected_auc_latent (readout noise, centre effects)."),
            ]),
            "survival": .object([
                "formula": .string("event time ~ Exponential(rate = base_hazard * exp(hazard_slope * (ki67 - 20))) per month; censoring ~ Uniform(censor_min, censor_max); dfs_months = min, dfs_event = event before censoring"),
                "base_hazard": .number(m.baseHazard), "hazard_slope": .number(m.hazardSlope),
                "censor_min": .number(m.censorMin), "censor_max": .number(m.censorMax),
            ]),
            "readers": .object([
                "boundary": .string("each reader's outline is the tumour's with a smooth radial wobble of about +-5% (different per reader)"),
                "unstable": .string("in a random half of the cases (probability \(m.artefactProbability), truth.csv artefact_in_reader2) reader 2 also outlines one bright voxel 2.5 mm outside the tumour (DCE post-contrast 3-4.5x the tumour's enhancement; bright in T2, MG and US too) and a bridge about one voxel wide to it, so features of the intensity tail (first-order Maximum and Range above all) disagree between readers while volume, shape, mean, median and dispersion hardly change"),
                "unstable_features": .array(["firstorder_Maximum", "firstorder_Range"].map { .string($0) }),
                "measured": .string("one run (40 cases, seed 11; kira features, default preset, DCE late phase at 1 mm; ICC2 of reader 1 vs reader 2): 50 of 211 features under 0.80: Maximum and Range, skewness and kurtosis, intensity-volume fractions, surface-sensitive shape features (sphericity, compactness: the bridge adds surface) and low-grey-level texture emphases (the bright voxel shifts the fixed-width bins); Variance 0.99 and CoefficientOfVariation 0.96 are kept"),
            ]),
            "images": .object([
                "dce": .string("MR, one series, \(SynthImages.dceSize.x)x\(SynthImages.dceSize.y)x\(SynthImages.dceSize.z) x 3 phases (TemporalPositionIdentifier 1-3: pre-contrast, early, late), spacing \(SynthImages.dceSpacing.x)x\(SynthImages.dceSpacing.y)x\(SynthImages.dceSpacing.z) mm, oblique (rotated \(SynthImages.obliqueDegrees.z) deg about z, \(SynthImages.obliqueDegrees.x) deg about x)"),
                "t2": .string("MR, \(SynthImages.t2Size.x)x\(SynthImages.t2Size.y)x\(SynthImages.t2Size.z), spacing \(SynthImages.t2Spacing.x)x\(SynthImages.t2Spacing.y)x\(SynthImages.t2Spacing.z) mm, same orientation"),
                "mg": .string("MG for presentation, \(SynthImages.mgSize.x)x\(SynthImages.mgSize.y), ImagerPixelSpacing \(SynthImages.mgImagerPixelSpacing) mm, magnification \(SynthImages.mgMagnification), PixelSpacing \(SynthImages.mgPixelSpacing) mm"),
                "us": .string("US, \(SynthImages.usSize.x)x\(SynthImages.usSize.y) 8-bit, SequenceOfUltrasoundRegions PhysicalDeltaX \(SynthImages.usDeltaCm.x) cm, PhysicalDeltaY \(SynthImages.usDeltaCm.y) cm; us.jpg holds the same pixels as a JPEG export"),
                "masks": .string("NIfTI on the grid a DICOM reader builds from each image (for MG and US: origin 0, identity direction, the calibrated spacing)"),
            ]),
        ]
    }

    static func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }

    public static let studyYAML = """
    # Study file for this synthetic cohort (kira synth); run it with: kira study run study.yaml
    cohort: cases.csv
    id: case_id
    label: {column: ki67, threshold: 20}
    split: {column: set}            # train / internal / external
    survival: {time: dfs_months, event: dfs_event}
    modalities:
      dce: {image: dce_path, phase: 2, masks: [dce_r1, dce_r2], resample: [1, 1, 1], features: {preset: default}}
      us: {image: us_path, masks: [us_r1, us_r2], features: {preset: default}}
    regions: [tumour, ring:5mm, ring:10mm, habitat:3]
    reproducibility: {form: ICC2, min: 0.80}
    selection: [zscore, mwu:0.05, corr:0.9, lasso]
    models: {svm: {C: [0.1, 1, 10]}, lr: {}, rf: {}, et: {}}
    validation: {cv: 5, repeats: 10, seed: 0}
    output: results/

    """

    static func readme(_ o: Options) -> String {
        let m = SynthModel.self
        return """
        SYNTHETIC DATA - NOT FROM ANY PATIENT
        =====================================

        This folder was written by `kira synth --cases \(o.cases) --seed \(o.seed) --centres \(o.centres)`
        (Kira \(KiraVersion.current)). Every image, mask, label and survival time is simulated;
        names such as SYNTH^0001 are made up and all DICOM UIDs derive from the seed (root 2.25).
        The same command writes the same bytes again.

        Contents
          cases.csv    one row per case: centre, set (train/internal/external), ki67 (%),
                       dfs_months and dfs_event, and the image and mask paths (relative)
          study.yaml   the study file that runs this cohort (kira study run study.yaml)
          synth.json   every constant of the generative model and the signal it implies
          truth.csv    the hidden drivers of each case; for checking only, never as a feature
          cases/<id>/  dce/ (DICOM MR, 3 phases, oblique), t2/ (DICOM MR), mg.dcm (DICOM MG),
                       us.dcm (DICOM US, region calibration), us.jpg (the US pixels as JPEG),
                       masks/<modality>_r1.nii.gz and _r2.nii.gz (two readers)

        How the signal was planted
          Each case draws two standard-normal drivers: z_h (tumour texture heterogeneity) and
          z_p (peritumoral enhancement). The tumour's enhancement varies inside it with relative
          standard deviation h = \(m.heterogeneityScale) exp(\(m.heterogeneitySlope) z_h); the tissue up to 12 mm
          around it enhances by p = \(m.peritumoralScale) exp(\(m.peritumoralSlope) z_p) of the tumour's enhancement.
          Ki-67 = 100 / (1 + exp(-(\(m.alpha) + \(m.gamma) (\(m.weightHeterogeneity) z_h + \(m.weightPeritumoral) z_p + e)))), e ~ N(0, \(m.sigmaE)^2).
          A perfect reading of both drivers separates Ki-67 > 20% with AUC \(fmt(m.expectedAUCLatent, 3)) (heterogeneity
          alone: \(fmt(m.expectedAUCHeterogeneity, 3))); about \(fmt(100 * m.expectedHighFraction, 0))% of cases are high. Spearman(Ki-67, h) = \(fmt(m.expectedSpearmanKi67Heterogeneity, 3)).
          Disease-free survival: exponential hazard \(fmt(m.baseHazard, 5)) exp(\(m.hazardSlope) (Ki-67 - 20)) per month,
          censored uniformly between \(Int(m.censorMin)) and \(Int(m.censorMax)) months.
          Centres differ in MR gain, noise and rescale slope/intercept, mammography and
          ultrasound gain (synth.json lists them); centre A is split into train and internal,
          the other centres are external.
          Readers: two outlines that differ by a smooth wobble of about 5%. In about half of
          the cases (truth.csv, artefact_in_reader2) reader 2 also takes in one bright voxel
          2.5 mm outside the tumour (a clip or calcification artefact) through a bridge about a
          voxel wide, so first-order Maximum and Range disagree between readers and an ICC
          filter (ICC2 >= 0.80) should drop them; volume, shape and dispersion hardly change.

        """
    }
}

/// A CSV written row by row to a temporary file, renamed into place when complete.
struct CSVLines {
    let url: URL
    let tmp: URL
    let handle: FileHandle?

    init(url: URL, header: [String]) {
        self.url = url
        tmp = AtomicOutput.temporaryPath(for: url)
        _ = FileManager.default.createFile(atPath: tmp.path, contents: Data((header.joined(separator: ",") + "\n").utf8))
        handle = FileHandle(forWritingAtPath: tmp.path)
        handle?.seekToEndOfFile()
    }

    mutating func append(_ fields: [String]) {
        handle?.write(Data((fields.joined(separator: ",") + "\n").utf8))
    }

    func finish() throws {
        guard let handle else { throw KiraError.writeFailed(path: url.path, reason: "cannot open a temporary file") }
        try handle.close()
        guard rename(tmp.path, url.path) == 0 else {
            throw KiraError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
    }
}
