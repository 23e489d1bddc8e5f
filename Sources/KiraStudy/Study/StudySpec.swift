import Foundation
import KiraCore
import KiraLearn
import KiraPACS
import KiraQC
import KiraRadiomics

/// A region a study computes features on. `habitats(K)`: the tumour split into K intensity
/// habitats by K-means on the case's own voxels, each habitat a region (`habitat1` … `habitatK`).
public enum StudyRegion: Sendable, Equatable, CustomStringConvertible {
    case region(FeatureRegion)
    case habitats(Int)

    public var description: String {
        switch self {
        case let .region(r): r.description
        case let .habitats(k): "habitat:\(k)"
        }
    }
}

/// One imaging modality of the study: which columns hold the image and each reader's mask, and
/// how the image is prepared and its features computed.
public struct ModalitySpec: Sendable {
    public enum Features: Sendable, Equatable {
        case preset(String)
        case params(URL)
    }

    public var name: String
    public var imageColumn: String
    /// 4D series: the phase (0-based) to use.
    public var phase: Int?
    /// 4D series: phase a minus phase b.
    public var subtraction: (Int, Int)?
    /// One column per reader; the first is the primary reader.
    public var maskColumns: [String]
    /// Voxel spacing in mm to resample to; nil keeps the grid.
    public var resample: SIMD3<Double>?
    public var features: Features
    public var settings: ExtractionSettings
    /// The settings as JSON and their hash (what the cache key takes from them).
    public var settingsHash: String
    /// Deep features of tumour and peritumoral crops (`deep:`), cached apart from radiomics.
    public var deep: DeepSpec? = nil
}

public struct LabelSpec: Sendable, Equatable {
    public var column: String
    /// Percentage label made binary: high = above. nil: the column is already 0/1.
    public var threshold: Double?
}

public struct SurvivalSpec: Sendable, Equatable {
    public var time: String
    public var event: String
}

public struct ReproducibilitySpec: Sendable, Equatable {
    public var form: ICCForm
    public var min: Double
}

public struct CandidateModel: Sendable {
    public var name: String
    public var spec: PipelineSpec
}

public struct ValidationSpec: Sendable, Equatable {
    public var folds: Int
    public var repeats: Int
    public var seed: UInt64
}

/// A study file, read and checked: every key known, every value of the right type, every
/// name resolvable. Nothing is read from the cohort here except its existence.
public struct StudySpec: Sendable {
    public var file: URL
    public var cohort: URL
    public var idColumn: String
    public var label: LabelSpec
    public var splitColumn: String
    public var survival: SurvivalSpec?
    public var modalities: [ModalitySpec]
    public var regions: [StudyRegion]
    public var reproducibility: ReproducibilitySpec?
    public var selection: [StepSpec]
    public var models: [CandidateModel]
    public var validation: ValidationSpec
    public var output: URL
    /// Hash of the parsed study (all settings), for the analysis stage's cache key.
    public var settingsHash: String
    /// The file as parsed, for summary.json.
    public var settings: MetaValue
    /// Where image series named by UID come from (nil: the cohort holds paths).
    public var source: StudySource?
    /// DICOM objects written per case (`export: {seg: true, sr: true}`).
    public var export: StudyExportSpec
    /// Where those objects are sent at the end of a run (`destination: {pacs: {…}}`).
    public var destination: PACSNode?

    static let topKeys = ["cohort", "id", "label", "split", "survival", "modalities", "regions", "reproducibility",
                          "selection", "models", "validation", "output", "source", "export", "destination"]

    public static func load(_ url: URL) throws -> StudySpec {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw KiraError.unreadable(path: url.path, reason: "cannot read the study file: \(error.localizedDescription)")
        }
        return try parse(text, file: url)
    }

    public static func parse(_ text: String, file: URL) throws -> StudySpec {
        let source = file.lastPathComponent
        let r = StudyReader(source: source)
        let root = try ConfigValue.parse(text, source: source)
        if case .null = root { throw KiraError.invalidArgument("\(source): the study file is empty") }
        let top = try r.map(root, "top level", what: "a mapping of study keys")
        for (k, _) in top where !topKeys.contains(k) {
            throw r.fail(k, "unknown key (known: \(topKeys.joined(separator: ", ")))")
        }
        let base = file.deletingLastPathComponent()
        func resolve(_ p: String) -> URL { p.hasPrefix("/") ? URL(fileURLWithPath: p) : base.appendingPathComponent(p).standardizedFileURL }

        let cohortPath = try r.string(try r.required(top, "cohort", ""), "cohort", what: "a CSV path")
        let cohort = resolve(cohortPath)
        let id = try r.string(try r.required(top, "id", ""), "id", what: "a column name")

        let labelMap = try r.map(try r.required(top, "label", ""), "label", known: ["column", "threshold"],
                                 what: "a mapping {column: NAME, threshold: T}")
        let labelColumn = try r.string(try r.required(labelMap, "column", "label"), "label.column", what: "a column name")
        let threshold = try r.value(labelMap, "threshold").map { try r.number($0, "label.threshold") }

        let splitMap = try r.map(try r.required(top, "split", ""), "split", known: ["column"], what: "a mapping {column: NAME}")
        let splitColumn = try r.string(try r.required(splitMap, "column", "split"), "split.column", what: "a column name")

        var survival: SurvivalSpec?
        if let s = r.value(top, "survival") {
            let m = try r.map(s, "survival", known: ["time", "event"], what: "a mapping {time: COLUMN, event: COLUMN}")
            survival = SurvivalSpec(time: try r.string(try r.required(m, "time", "survival"), "survival.time", what: "a column name"),
                                    event: try r.string(try r.required(m, "event", "survival"), "survival.event", what: "a column name"))
        }

        let modalityEntries = try r.map(try r.required(top, "modalities", ""), "modalities", what: "a mapping of modality names")
        guard !modalityEntries.isEmpty else { throw r.fail("modalities", "names no modality") }
        var modalities: [ModalitySpec] = []
        for (name, value) in modalityEntries {
            guard name.range(of: "^[A-Za-z][A-Za-z0-9]*$", options: .regularExpression) != nil else {
                throw r.fail("modalities.\(name)", "a modality name is letters and digits, starting with a letter (it prefixes feature columns)")
            }
            modalities.append(try modality(name, value, r, resolve: resolve))
        }
        var seenColumns: [String: String] = [:]
        for m in modalities {
            for (k, c) in ([m.imageColumn] + m.maskColumns).enumerated() {
                let path = k == 0 ? "modalities.\(m.name).image" : "modalities.\(m.name).masks"
                if let other = seenColumns[c] { throw r.fail(path, "column \"\(c)\" is already used by \(other)") }
                seenColumns[c] = path
            }
        }

        let regionValues = try r.value(top, "regions").map { try r.strings($0, "regions", what: "a list of regions (tumour, ring:5mm, habitat:3)") } ?? ["tumour"]
        var regions: [StudyRegion] = []
        for (k, text) in regionValues.enumerated() {
            let region: StudyRegion
            let spec = text.trimmingCharacters(in: .whitespaces).lowercased()
            if spec.hasPrefix("habitat:") {
                guard let n = Int(spec.dropFirst(8)), (2...8).contains(n) else {
                    throw r.fail("regions[\(k)]", "habitat:K needs a habitat count K from 2 to 8, got \"\(text)\"")
                }
                region = .habitats(n)
            } else {
                do { region = .region(try FeatureRegion(parsing: text)) } catch let KiraError.invalidArgument(m) {
                    throw r.fail("regions[\(k)]", m)
                }
            }
            if regions.contains(region) { throw r.fail("regions[\(k)]", "region \(region) is given twice") }
            regions.append(region)
        }

        var reproducibility: ReproducibilitySpec?
        if let v = r.value(top, "reproducibility") {
            let m = try r.map(v, "reproducibility", known: ["form", "min"], what: "a mapping {form: ICC2, min: 0.8}")
            let formName = try r.string(try r.required(m, "form", "reproducibility"), "reproducibility.form", what: "an ICC form")
            guard let form = ICCForm(name: formName) else {
                throw r.fail("reproducibility.form", "unknown ICC form \"\(formName)\" (known: \(ICCForm.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let min = try r.number(try r.required(m, "min", "reproducibility"), "reproducibility.min")
            guard min >= -1, min <= 1 else { throw r.fail("reproducibility.min", "must be between -1 and 1, got \(min)") }
            reproducibility = ReproducibilitySpec(form: form, min: min)
        }

        var selection: [StepSpec] = []
        if let v = r.value(top, "selection") {
            guard case let .list(items) = v else { throw r.fail("selection", "expected a list of steps (zscore, mwu:0.05, corr:0.9, lasso), got \(v.display)") }
            for (k, item) in items.enumerated() {
                let path = "selection[\(k)]"
                let text = try r.string(item, path, what: "a selection step such as mwu:0.05")
                if text.lowercased().hasPrefix("keep") { throw r.fail(path, "keep: lists are not taken in a study (the ICC filter chooses the features)") }
                do { selection.append(try StepSpec.parse(text)) } catch let KiraError.invalidArgument(m) { throw r.fail(path, m) }
            }
        }

        let validationMap = try r.value(top, "validation").map {
            try r.map($0, "validation", known: ["cv", "repeats", "seed"], what: "a mapping {cv: 5, repeats: 10, seed: 0}")
        } ?? []
        let folds = try r.value(validationMap, "cv").map { try r.integer($0, "validation.cv", atLeast: 2) } ?? 5
        let repeats = try r.value(validationMap, "repeats").map { try r.integer($0, "validation.repeats", atLeast: 1) } ?? 1
        let seed = try r.value(validationMap, "seed").map { try r.integer($0, "validation.seed", atLeast: 0) } ?? 0
        let validation = ValidationSpec(folds: folds, repeats: repeats, seed: UInt64(seed))

        let modelEntries = try r.map(try r.required(top, "models", ""), "models", what: "a mapping of models (svm: {C: [0.1, 1]}, lr: {})")
        guard !modelEntries.isEmpty else { throw r.fail("models", "names no model") }
        var models: [CandidateModel] = []
        for (name, value) in modelEntries {
            let path = "models.\(name)"
            guard let kind = ModelSpec.Kind(rawValue: name) else {
                throw r.fail(path, "unknown model (known: \(ModelSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let params: [(key: String, value: ConfigValue)] = if case .null = value { [] } else {
                try r.map(value, path, known: ModelSpec.knownParams[kind]!, what: "a mapping of hyperparameters")
            }
            var fixed: [String: String] = [:], grid: [String: [String]] = [:]
            for (key, v) in params {
                if case let .list(items) = v {
                    guard !items.isEmpty else { throw r.fail("\(path).\(key)", "an empty list of values") }
                    let values = try items.enumerated().map { try r.scalarText($1, "\(path).\(key)[\($0)]") }
                    if values.count == 1 { fixed[key] = values[0] } else { grid[key] = values }
                } else {
                    fixed[key] = try r.scalarText(v, "\(path).\(key)")
                }
            }
            let spec = PipelineSpec(steps: selection, model: ModelSpec(kind: kind, params: fixed), grid: grid, seed: validation.seed)
            do { try spec.validate() } catch let KiraError.invalidArgument(m) {
                throw r.fail(path, m.replacingOccurrences(of: "--param ", with: ""))
            }
            models.append(CandidateModel(name: name, spec: spec))
        }

        let outputPath = try r.value(top, "output").map { try r.string($0, "output", what: "a folder path") } ?? "results"
        let studySource = try r.value(top, "source").map { try StudySource.parse($0, r) }
        let export = try r.value(top, "export").map { try StudyExportSpec.parse($0, r) } ?? StudyExportSpec()
        let destination = try r.value(top, "destination").map { try StudyExportSpec.destination($0, r) }
        if destination != nil && !export.any {
            throw r.fail("destination", "nothing to send: give export: {seg: true}, {sr: true} and/or {pdf: true}")
        }
        var settings = root.metaValue
        // summary.json and the analysis hash see the source without credentials.
        if let studySource, case var .object(o) = settings {
            o["source"] = studySource.redacted
            settings = .object(o)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Everything that decides the analysis, with the settings files' contents in place of their paths.
        // Export and destination decide no analysis output: changing them reuses the analysis.
        var analysed = settings
        if case var .object(o) = analysed {
            o["export"] = nil; o["destination"] = nil
            analysed = .object(o)
        }
        var hashInput = try encoder.encode(analysed)
        for m in modalities { hashInput += Data((m.settingsHash + (m.deep?.settingsHash ?? "")).utf8) }
        hashInput += Data(KiraVersion.current.utf8)
        return StudySpec(file: file, cohort: cohort, idColumn: id, label: LabelSpec(column: labelColumn, threshold: threshold),
                         splitColumn: splitColumn, survival: survival, modalities: modalities, regions: regions,
                         reproducibility: reproducibility, selection: selection, models: models, validation: validation,
                         output: resolve(outputPath), settingsHash: FeatureOutput.hash(hashInput), settings: settings,
                         source: studySource, export: export, destination: destination)
    }

    static let modalityKeys = ["image", "phase", "subtraction", "masks", "resample", "features", "deep"]

    static func modality(_ name: String, _ value: ConfigValue, _ r: StudyReader, resolve: (String) -> URL) throws -> ModalitySpec {
        let path = "modalities.\(name)"
        let m = try r.map(value, path, known: modalityKeys, what: "a mapping {image: COLUMN, masks: [COLUMNS], …}")
        let image = try r.string(try r.required(m, "image", path), "\(path).image", what: "a column name")
        guard let masksValue = r.value(m, "masks") else { throw r.fail("\(path).masks", "missing (required)") }
        let masks = try r.strings(masksValue, "\(path).masks", what: "a list of column names")
        if Set(masks).count != masks.count { throw r.fail("\(path).masks", "a column is listed twice") }
        let phase = try r.value(m, "phase").map { try r.integer($0, "\(path).phase", atLeast: 0) }
        var subtraction: (Int, Int)?
        if let s = r.value(m, "subtraction") {
            guard case let .list(items) = s, items.count == 2 else {
                throw r.fail("\(path).subtraction", "expected two phase numbers [a, b] (a minus b), got \(s.display)")
            }
            subtraction = (try r.integer(items[0], "\(path).subtraction[0]", atLeast: 0), try r.integer(items[1], "\(path).subtraction[1]", atLeast: 0))
            if phase != nil { throw r.fail("\(path).subtraction", "give phase or subtraction, not both") }
        }
        var resample: SIMD3<Double>?
        if let v = r.value(m, "resample") {
            guard case let .list(items) = v, items.count == 3 else {
                throw r.fail("\(path).resample", "expected three spacings in mm [x, y, z], got \(v.display)")
            }
            var s = SIMD3<Double>()
            for k in 0..<3 {
                s[k] = try r.number(items[k], "\(path).resample[\(k)]")
                guard s[k] > 0 else { throw r.fail("\(path).resample[\(k)]", "must be greater than 0, got \(s[k])") }
            }
            resample = s
        }
        let featuresValue = r.value(m, "features") ?? .map([("preset", .string("default"))])
        let f = try r.map(featuresValue, "\(path).features", known: ["preset", "params"], what: "{preset: NAME} or {params: FILE}")
        let features: ModalitySpec.Features
        let settings: ExtractionSettings
        var hashInput = Data()
        switch (r.value(f, "preset"), r.value(f, "params")) {
        case (nil, nil), (_?, _?):
            throw r.fail("\(path).features", "give exactly one of preset and params")
        case let (p?, nil):
            let name = try r.string(p, "\(path).features.preset", what: "a preset name")
            guard let s = ExtractionSettings.preset(name) else {
                throw r.fail("\(path).features.preset", "unknown preset \"\(name)\" (known: \(ExtractionSettings.presetNames.joined(separator: ", ")))")
            }
            features = .preset(name); settings = s
        case let (nil, p?):
            let url = resolve(try r.string(p, "\(path).features.params", what: "a settings file path"))
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw r.fail("\(path).features.params", "\(url.path) does not exist")
            }
            features = .params(url)
            settings = try SettingsFile.load(url)
            hashInput += Data(try FeatureOutput.fileHash(url).utf8)
        }
        let provenance = try CaseProvenance.settings(settings)
        hashInput += Data(provenance.hash.utf8)
        let deep = try r.value(m, "deep").map { try DeepSpec.parse($0, path: "\(path).deep", r, resolve: resolve) }
        return ModalitySpec(name: name, imageColumn: image, phase: phase, subtraction: subtraction, maskColumns: masks,
                            resample: resample, features: features, settings: settings, settingsHash: FeatureOutput.hash(hashInput),
                            deep: deep)
    }
}
