import Foundation
import KiraCore
import KiraPreprocess
import Yams

/// Settings files: pyradiomics parameter files as they are (`setting:`, `imageType:`,
/// `featureClass:`, YAML or JSON) plus Kira's `ibsi:` section. A file with pyradiomics sections
/// selects pyradiomics-compatible mode unless it says `mode: ibsi`.
///
/// Every key is checked: an unknown key or a value of the wrong type is an error naming the
/// file and the key path, e.g. `params.yaml: setting.binWidth: expected a number, got "abc"`.
public enum SettingsFile {
    public static func load(_ url: URL) throws -> ExtractionSettings {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw KiraError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(text, source: url.path)
    }

    /// Parses settings text (YAML or JSON); `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> ExtractionSettings {
        let value = try ConfigValue.parse(text, source: source)
        var reader = SettingsReader(source: source)
        return try reader.read(value)
    }

    /// The pyradiomics feature classes a `featureClass:` section may name, in pyradiomics' order.
    public static let pyradiomicsClasses = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm", "shape", "shape2D"]

    /// Default pyradiomics settings (pyradiomics' `_getDefaultSettings`) on top of `base`.
    static func pyradiomicsDefaults() -> ExtractionSettings {
        var s = ExtractionSettings(features: RadiomicsSettings(discretisation: .fixedBinSize(25), textureDimensions: [.threeD]), mode: .pyradiomics)
        s.label = 1
        s.minimumROIDimensions = 2
        s.interpolator = .bspline
        s.padDistance = 5
        return s
    }
}

/// Reads one parsed file into `ExtractionSettings`, naming the file and key path in every error.
struct SettingsReader {
    let source: String

    func fail(_ path: String, _ message: String) -> KiraError {
        KiraError.invalidArgument("\(source): \(path): \(message)")
    }

    // MARK: Typed accessors

    func number(_ v: ConfigValue, _ path: String) throws -> Double {
        switch v {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: throw fail(path, "expected a number, got \(v.display)")
        }
    }

    func integer(_ v: ConfigValue, _ path: String) throws -> Int {
        switch v {
        case let .int(i): return i
        case let .double(d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw fail(path, "expected an integer, got \(v.display)")
        }
    }

    func bool(_ v: ConfigValue, _ path: String) throws -> Bool {
        guard case let .bool(b) = v else { throw fail(path, "expected true or false, got \(v.display)") }
        return b
    }

    func string(_ v: ConfigValue, _ path: String) throws -> String {
        guard case let .string(s) = v else { throw fail(path, "expected a string, got \(v.display)") }
        return s
    }

    func list(_ v: ConfigValue, _ path: String) throws -> [ConfigValue] {
        guard case let .list(l) = v else { throw fail(path, "expected a list, got \(v.display)") }
        return l
    }

    func map(_ v: ConfigValue, _ path: String) throws -> [(key: String, value: ConfigValue)] {
        if case .null = v { return [] }
        guard case let .map(m) = v else { throw fail(path, "expected a mapping, got \(v.display)") }
        return m
    }

    func positive(_ x: Double, _ path: String, orZero: Bool = false) throws -> Double {
        guard x.isFinite, orZero ? x >= 0 : x > 0 else { throw fail(path, "must be \(orZero ? "at least 0" : "greater than 0"), got \(x)") }
        return x
    }

    func ranged(_ x: Int, _ path: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(x) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw fail(path, "must be \(bound), got \(x)")
        }
        return x
    }

    // MARK: Document

    static let topKeys = ["setting", "imageType", "featureClass", "voxelSetting", "mode", "ibsi"]

    mutating func read(_ root: ConfigValue) throws -> ExtractionSettings {
        if case .null = root { throw KiraError.invalidArgument("\(source): the settings file is empty") }
        guard case let .map(top) = root else { throw fail("top level", "expected a mapping with setting, imageType, featureClass or ibsi, got \(root.display)") }
        for (key, _) in top where !Self.topKeys.contains(key) {
            throw fail(key, "unknown section; known: \(Self.topKeys.joined(separator: ", "))")
        }
        let entry = Dictionary(top.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        var mode: ComplianceMode?
        if let m = entry["mode"] { mode = try self.mode(m, "mode") }
        let ibsiSection = try entry["ibsi"].map { try map($0, "ibsi") } ?? []
        if let m = ibsiSection.first(where: { $0.key == "mode" }) { mode = try self.mode(m.value, "ibsi.mode") }
        let hasPyradiomics = entry["setting"] != nil || entry["imageType"] != nil || entry["featureClass"] != nil
        if entry["voxelSetting"] != nil { throw fail("voxelSetting", "voxel-based extraction is not supported") }
        let chosen = mode ?? (hasPyradiomics ? .pyradiomics : .ibsi)

        var s: ExtractionSettings
        if chosen == .pyradiomics {
            s = SettingsFile.pyradiomicsDefaults()
        } else {
            s = .default
            s.mode = .ibsi
        }
        var filterSettings: [String: MetaValue] = [:]
        if let setting = entry["setting"] {
            try applyPyradiomicsSettings(try map(setting, "setting"), to: &s, filterSettings: &filterSettings, path: "setting")
        }
        if let types = entry["imageType"] {
            s.imageTypes = try imageTypes(try map(types, "imageType"), filterSettings: filterSettings)
        } else if !filterSettings.isEmpty {
            s.imageTypes = s.imageTypes.map { var t = $0; t.parameters.merge(filterSettings) { a, _ in a }; return t }
        }
        if let classes = entry["featureClass"] {
            s.enabledFeatures = try featureClasses(try map(classes, "featureClass"))
        }
        try applyIBSI(ibsiSection, to: &s)
        if chosen == .ibsi && entry["setting"] != nil { try mapPyradiomicsOntoIBSI(&s) }
        s.mode = chosen
        let errors = s.features.validationErrors()
        if !errors.isEmpty { throw KiraError.invalidArgument("\(source): " + errors.joined(separator: "; ")) }
        return s
    }

    func mode(_ v: ConfigValue, _ path: String) throws -> ComplianceMode {
        let name = try string(v, path)
        guard let m = ComplianceMode(rawValue: name) else {
            throw fail(path, "expected ibsi or pyradiomics, got \(v.display)")
        }
        return m
    }

    // MARK: pyradiomics `setting:`

    /// Keys of pyradiomics' parameter schema that configure filters; kept as image-type parameters.
    static let filterKeys: Set<String> = [
        "sigma", "start_level", "level", "wavelet", "gradientUseSpacing", "lbp2DRadius", "lbp2DSamples", "lbp2DMethod",
        "lbp3DLevels", "lbp3DIcosphereRadius", "lbp3DIcosphereSubdivision", "binWidth", "binCount",
    ]

    static let settingKeys: [String] = [
        "minimumROIDimensions", "minimumROISize", "geometryTolerance", "correctMask", "additionalInfo", "label", "label_channel",
        "binWidth", "binCount", "normalize", "normalizeScale", "removeOutliers", "resampledPixelSpacing", "interpolator",
        "padDistance", "distances", "force2D", "force2Ddimension", "resegmentRange", "resegmentMode", "resegmentShape",
        "preCrop", "sigma", "start_level", "level", "wavelet", "gradientUseSpacing", "lbp2DRadius", "lbp2DSamples",
        "lbp2DMethod", "lbp3DLevels", "lbp3DIcosphereRadius", "lbp3DIcosphereSubdivision", "voxelArrayShift",
        "symmetricalGLCM", "weightingNorm", "gldm_a",
    ]

    /// sitk interpolator names (and their enum numbers) → Kira's interpolators.
    func interpolator(_ v: ConfigValue, _ path: String) throws -> Interpolator? {
        switch v {
        case .null: return nil
        case let .int(i):
            switch i {
            case 1: return .nearest
            case 2: return .linear
            case 3: return .bspline
            default: throw fail(path, "sitk interpolator \(i) is not supported; use sitkNearestNeighbor (1), sitkLinear (2) or sitkBSpline (3)")
            }
        case let .string(name):
            let key = name.lowercased().replacingOccurrences(of: "sitk", with: "")
            switch key {
            case "nearestneighbor", "nearest", "nearestneighbour": return .nearest
            case "linear": return .linear
            case "bspline", "bspline3": return .bspline
            default: throw fail(path, "unknown interpolator \(v.display); use sitkBSpline, sitkLinear or sitkNearestNeighbor")
            }
        default:
            throw fail(path, "expected an interpolator name, got \(v.display)")
        }
    }

    func applyPyradiomicsSettings(_ entries: [(key: String, value: ConfigValue)], to s: inout ExtractionSettings,
                                  filterSettings: inout [String: MetaValue], path: String) throws {
        var binWidth: Double?, binCount: Int?
        for (key, v) in entries {
            let p = "\(path).\(key)"
            guard Self.settingKeys.contains(key) else {
                throw fail(p, "unknown setting; known settings: \(Self.settingKeys.joined(separator: ", "))")
            }
            if case .null = v {
                // pyradiomics reads an empty value as None: the setting is off or at its default.
                switch key {
                case "minimumROISize": s.minimumROISize = nil
                case "removeOutliers": s.removeOutliers = nil
                case "resampledPixelSpacing": s.resampledPixelSpacing = nil
                case "interpolator": s.interpolator = nil
                case "resegmentRange": s.resegmentRange = nil
                case "weightingNorm": s.weightingNorm = nil
                case "geometryTolerance": s.geometryTolerance = nil
                case "binCount": binCount = nil
                default: break
                }
                continue
            }
            switch key {
            case "minimumROIDimensions": s.minimumROIDimensions = try ranged(try integer(v, p), p, 1...3)
            case "minimumROISize": s.minimumROISize = try ranged(try integer(v, p), p, 1...Int.max)
            case "geometryTolerance": s.geometryTolerance = try positive(try number(v, p), p)
            case "correctMask": s.correctMask = try bool(v, p)
            case "additionalInfo": s.additionalInfo = try bool(v, p)
            case "label": s.label = try ranged(try integer(v, p), p, 1...Int.max)
            case "label_channel":
                guard try integer(v, p) == 0 else { throw fail(p, "only label_channel 0 (a scalar label map) is supported") }
            case "binWidth": binWidth = try positive(try number(v, p), p)
            case "binCount": binCount = try ranged(try integer(v, p), p, 1...Int.max)
            case "normalize": s.normalize = try bool(v, p)
            case "normalizeScale": s.normalizeScale = try positive(try number(v, p), p)
            case "removeOutliers": s.removeOutliers = try positive(try number(v, p), p)
            case "resampledPixelSpacing":
                let l = try list(v, p)
                guard l.count == 3 else { throw fail(p, "expected 3 spacings (x, y, z), got \(l.count)") }
                s.resampledPixelSpacing = try l.enumerated().map { try positive(try number($1, "\(p)[\($0)]"), "\(p)[\($0)]", orZero: true) }
            case "interpolator": s.interpolator = try interpolator(v, p)
            case "padDistance": s.padDistance = try ranged(try integer(v, p), p, 0...Int.max)
            case "distances":
                let l = try list(v, p)
                guard !l.isEmpty else { throw fail(p, "expected at least one distance") }
                s.distances = try l.enumerated().map { try ranged(try integer($1, "\(p)[\($0)]"), "\(p)[\($0)]", 1...Int.max) }
            case "force2D": s.force2D = try bool(v, p)
            case "force2Ddimension": s.force2DDimension = try ranged(try integer(v, p), p, 0...2)
            case "resegmentRange":
                let l = try list(v, p)
                guard (1...2).contains(l.count) else { throw fail(p, "expected 1 or 2 thresholds, got \(l.count)") }
                s.resegmentRange = try l.enumerated().map { try number($1, "\(p)[\($0)]") }
            case "resegmentMode":
                let name = try string(v, p)
                guard let m = ResegmentMode(rawValue: name) else { throw fail(p, "expected absolute, relative or sigma, got \(v.display)") }
                s.resegmentMode = m
            case "resegmentShape": s.resegmentShape = try bool(v, p)
            case "preCrop": s.preCrop = try bool(v, p)
            case "voxelArrayShift": s.voxelArrayShift = try number(v, p)
            case "symmetricalGLCM": s.symmetricalGLCM = try bool(v, p)
            case "weightingNorm":
                let name = try string(v, p)
                guard let w = WeightingNorm(rawValue: name) else {
                    throw fail(p, "expected manhattan, euclidean, infinity or no_weighting, got \(v.display)")
                }
                s.weightingNorm = w
            case "gldm_a": s.gldmAlpha = try ranged(try integer(v, p), p, 0...Int.max)
            default:
                try checkFilterSetting(key, v, p)
                filterSettings[key] = v.metaValue
            }
        }
        if let binCount {
            s.features.discretisation = .fixedBinNumber(binCount)
        } else if let binWidth {
            s.features.discretisation = .fixedBinSize(binWidth)
        }
    }

    /// Types of the filter keys (the filters themselves read them).
    func checkFilterSetting(_ key: String, _ v: ConfigValue, _ p: String) throws {
        switch key {
        case "sigma":
            let l = try list(v, p)
            for (i, x) in l.enumerated() { _ = try positive(try number(x, "\(p)[\(i)]"), "\(p)[\(i)]") }
        case "start_level", "lbp3DIcosphereSubdivision": _ = try ranged(try integer(v, p), p, 0...Int.max)
        case "level", "lbp2DSamples", "lbp3DLevels": _ = try ranged(try integer(v, p), p, 1...Int.max)
        case "wavelet": _ = try string(v, p)
        case "lbp2DMethod":
            let m = try string(v, p)
            guard ["default", "ror", "uniform", "var"].contains(m) else { throw fail(p, "expected default, ror, uniform or var, got \(v.display)") }
        case "gradientUseSpacing": _ = try bool(v, p)
        case "lbp2DRadius", "lbp3DIcosphereRadius": _ = try positive(try number(v, p), p)
        case "binWidth": _ = try positive(try number(v, p), p)
        case "binCount": _ = try ranged(try integer(v, p), p, 1...Int.max)
        default: break
        }
    }

    // MARK: `imageType:` and `featureClass:`

    func imageTypes(_ entries: [(key: String, value: ConfigValue)], filterSettings: [String: MetaValue]) throws -> [ImageTypeSpec] {
        if entries.isEmpty { return [ImageTypeSpec(.original, parameters: filterSettings)] }
        return try entries.map { key, v in
            let p = "imageType.\(key)"
            guard let kind = ImageTypeSpec.Kind(rawValue: key) else {
                throw fail(p, "unknown image type; known: \(ImageTypeSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var parameters = filterSettings
            for (k, x) in try map(v, p) {
                let kp = "\(p).\(k)"
                guard Self.settingKeys.contains(k) else { throw fail(kp, "unknown setting") }
                if Self.filterKeys.contains(k) {
                    if case .null = x { parameters[k] = nil; continue }
                    try checkFilterSetting(k, x, kp)
                } else if !["label", "voxelArrayShift", "normalize", "normalizeScale", "removeOutliers", "resegmentRange",
                            "resegmentMode", "distances", "force2D", "force2Ddimension", "symmetricalGLCM", "weightingNorm",
                            "gldm_a", "additionalInfo"].contains(k) {
                    throw fail(kp, "cannot be set per image type (pyradiomics applies it before any filter)")
                }
                parameters[k] = x.metaValue
            }
            return ImageTypeSpec(kind, parameters: parameters)
        }
    }

    /// pyradiomics feature names per class (deprecated ones included: a file may enable them by name).
    static let pyradiomicsFeatureNames: [String: [String]] = [
        "firstorder": PyradiomicsNames.firstOrder + ["StandardDeviation"],
        "glcm": PyradiomicsNames.glcm + ["Dissimilarity", "Homogeneity1", "Homogeneity2", "SumVariance"],
        "glrlm": PyradiomicsNames.glrlm,
        "glszm": PyradiomicsNames.glszm,
        "gldm": PyradiomicsNames.gldm + ["GrayLevelNonUniformityNormalized", "DependencePercentage"],
        "ngtdm": PyradiomicsNames.ngtdm,
        "shape": PyradiomicsNames.shape + ["Compactness1", "Compactness2", "SphericalDisproportion"],
        "shape2D": PyradiomicsNames.shape2D + ["SphericalDisproportion"],
    ]

    func featureClasses(_ entries: [(key: String, value: ConfigValue)]) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (key, v) in entries {
            let p = "featureClass.\(key)"
            guard let known = Self.pyradiomicsFeatureNames[key] else {
                throw fail(p, "unknown feature class; known: \(SettingsFile.pyradiomicsClasses.joined(separator: ", "))")
            }
            if case .null = v { out[key] = []; continue }
            let names = try list(v, p).enumerated().map { try string($1, "\(p)[\($0)]") }
            for (i, n) in names.enumerated() where !known.contains(n) {
                throw fail("\(p)[\(i)]", "unknown \(key) feature \"\(n)\"")
            }
            out[key] = names
        }
        return out
    }

    // MARK: `ibsi:`

    static let ibsiKeys = ["mode", "preset", "discretisation", "textureDimensions", "resegmentationRange", "outlierSigmas",
                           "interpolation", "ivh", "distance", "ngldmAlpha", "families"]

    func binning(_ v: ConfigValue, _ p: String) throws -> (width: Double?, count: Int?) {
        let m = try map(v, p)
        guard m.count == 1, let (k, x) = m.first else { throw fail(p, "expected exactly one of binWidth or binCount") }
        switch k {
        case "binWidth": return (try positive(try number(x, "\(p).binWidth"), "\(p).binWidth"), nil)
        case "binCount": return (nil, try ranged(try integer(x, "\(p).binCount"), "\(p).binCount", 1...Int.max))
        default: throw fail("\(p).\(k)", "unknown key; expected binWidth or binCount")
        }
    }

    func applyIBSI(_ entries: [(key: String, value: ConfigValue)], to s: inout ExtractionSettings) throws {
        // A preset first, so the other keys refine it.
        if let preset = entries.first(where: { $0.key == "preset" }) {
            let name = try string(preset.value, "ibsi.preset")
            guard let base = ExtractionSettings.preset(name) else {
                throw fail("ibsi.preset", "unknown preset \(preset.value.display); known: \(ExtractionSettings.presetNames.joined(separator: ", "))")
            }
            s.features = base.features
            s.preprocess = base.preprocess
        }
        for (key, v) in entries {
            let p = "ibsi.\(key)"
            switch key {
            case "mode", "preset": break
            case "discretisation":
                let b = try binning(v, p)
                s.features.discretisation = b.count.map { .fixedBinNumber($0) } ?? .fixedBinSize(b.width!)
            case "textureDimensions":
                s.features.textureDimensions = try list(v, p).enumerated().map { i, x in
                    let name = try string(x, "\(p)[\(i)]")
                    guard let d = TextureDimension(rawValue: name) else { throw fail("\(p)[\(i)]", "expected 2D, 2.5D or 3D, got \(x.display)") }
                    return d
                }
            case "resegmentationRange":
                let l = try list(v, p)
                guard l.count == 2 else { throw fail(p, "expected [lower, upper] (either may be null), got \(l.count) values") }
                let lo: Double? = if case .null = l[0] { nil } else { try number(l[0], "\(p)[0]") }
                let hi: Double? = if case .null = l[1] { nil } else { try number(l[1], "\(p)[1]") }
                s.preprocess.rangeLower = lo; s.preprocess.rangeUpper = hi
                s.features.resegmentationLower = lo; s.features.resegmentationUpper = hi
            case "outlierSigmas":
                if case .null = v { s.preprocess.outlierSigmas = nil } else { s.preprocess.outlierSigmas = try positive(try number(v, p), p) }
            case "interpolation": try applyInterpolation(try map(v, p), to: &s.preprocess, path: p)
            case "ivh":
                if case .null = v { s.features.ivh = .none; continue }
                if case .string("none") = v { s.features.ivh = .none; continue }
                let b = try binning(v, p)
                s.features.ivh = b.count.map { .fixedBinNumber($0) } ?? .fixedBinSize(b.width!)
            case "distance": s.features.distance = try ranged(try integer(v, p), p, 1...Int.max)
            case "ngldmAlpha": s.features.ngldmAlpha = try ranged(try integer(v, p), p, 0...Int.max)
            case "families":
                s.features.families = try list(v, p).enumerated().map { i, x in
                    let name = try string(x, "\(p)[\(i)]")
                    guard let f = FeatureFamily(rawValue: name) else {
                        throw fail("\(p)[\(i)]", "unknown family \(x.display); known: \(FeatureFamily.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return f
                }
            default:
                throw fail(p, "unknown IBSI key; known: \(Self.ibsiKeys.joined(separator: ", "))")
            }
        }
    }

    func applyInterpolation(_ entries: [(key: String, value: ConfigValue)], to pre: inout PreprocessSettings, path: String) throws {
        for (key, v) in entries {
            let p = "\(path).\(key)"
            switch key {
            case "spacing":
                if case .null = v { pre.spacing = nil; continue }
                let l = try list(v, p)
                guard l.count == 3 else { throw fail(p, "expected 3 spacings (x, y, z; 0 keeps an axis), got \(l.count)") }
                let xs = try l.enumerated().map { try positive(try number($1, "\(p)[\($0)]"), "\(p)[\($0)]", orZero: true) }
                pre.spacing = SIMD3(xs[0], xs[1], xs[2])
            case "interpolator":
                let name = try string(v, p)
                guard let i = Interpolator(rawValue: name) else { throw fail(p, "expected nearest, linear or bspline, got \(v.display)") }
                pre.interpolator = i
            case "grid":
                let name = try string(v, p)
                guard let g = GridPolicy(rawValue: name) else { throw fail(p, "expected origin or center, got \(v.display)") }
                pre.grid = g
            case "roundIntensities": pre.roundIntensities = try bool(v, p)
            case "maskThreshold":
                let t = try number(v, p)
                guard t > 0, t <= 1 else { throw fail(p, "must be in (0, 1], got \(t)") }
                pre.maskInterpolation = .partialVolume(threshold: t)
            default:
                throw fail(p, "unknown key; known: spacing, interpolator, grid, roundIntensities, maskThreshold")
            }
        }
    }

    /// `mode: ibsi` with pyradiomics settings: the settings with an IBSI counterpart carry over.
    func mapPyradiomicsOntoIBSI(_ s: inout ExtractionSettings) throws {
        if let spacing = s.resampledPixelSpacing, s.preprocess.spacing == nil {
            s.preprocess.spacing = SIMD3(spacing[0], spacing[1], spacing[2])
            if let i = s.interpolator { s.preprocess.interpolator = i }
        }
        if let r = s.resegmentRange, s.resegmentMode == .absolute, s.preprocess.rangeLower == nil {
            let sorted = r.sorted()
            s.preprocess.rangeLower = sorted[0]
            s.features.resegmentationLower = sorted[0]
            if sorted.count == 2 { s.preprocess.rangeUpper = sorted[1]; s.features.resegmentationUpper = sorted[1] }
        }
        if s.distances.count == 1 { s.features.distance = s.distances[0] }
        if s.force2D { s.features.textureDimensions = [.twoAndHalfD] }
        s.features.ngldmAlpha = s.gldmAlpha
    }
}
