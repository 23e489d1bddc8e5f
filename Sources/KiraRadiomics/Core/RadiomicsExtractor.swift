import Dispatch
import Foundation
import KiraCore
import Logging

/// One output row: the feature's names in both conventions and its value.
public struct FeatureRow: Sendable, Equatable {
    /// pyradiomics-style name, e.g. `original_glcm_Contrast` (non-default aggregations carry a suffix).
    public let name: String
    /// IBSI tag with its aggregation, e.g. `cm_contrast_3D_avg`.
    public let tag: String
    public let ibsiCode: String
    public let family: FeatureFamily
    public let aggregation: TextureAggregation?
    public let value: FeatureValue

    /// The same row with its name prefixed by a region: `<prefix>_<name>`.
    public func withRegion(_ prefix: String) -> FeatureRow {
        FeatureRow(name: prefix + "_" + name, tag: tag, ibsiCode: ibsiCode, family: family, aggregation: aggregation, value: value)
    }
}

/// The features of one case and what they were computed from.
public struct FeatureSet: Sendable {
    public var rows: [FeatureRow]
    public var diagnostics: [String: MetaValue]

    public func row(tag: String) -> FeatureRow? { rows.first { $0.tag == tag } }

    /// A feature set assembled outside the extractor (e.g. several regions of one case).
    public static func combined(rows: [FeatureRow], diagnostics: [String: MetaValue]) -> FeatureSet {
        FeatureSet(rows: rows, diagnostics: diagnostics)
    }
}

/// Computes IBSI features from an image and its masks, already preprocessed (resampled,
/// filtered) by the caller. Each texture matrix is counted once per setting and shared by
/// every aggregation that needs it; families run concurrently.
public struct RadiomicsExtractor: Sendable {
    public let settings: RadiomicsSettings
    let logger: Logger

    public init(settings: RadiomicsSettings, logger: Logger = Logger(label: "kira.radiomics")) throws {
        let errors = settings.validationErrors()
        guard errors.isEmpty else { throw KiraError.invalidArgument("radiomics settings: " + errors.joined(separator: "; ")) }
        self.settings = settings
        self.logger = logger
    }

    /// Features of `image` inside the masks (non-zero voxels). Without `intensityMask` the
    /// intensity mask is the morphological mask re-segmented to the settings' range.
    /// `gridOffset`: where `image` was cut from a larger grid (see `ROIGrid.extract`).
    public func extract(image: Volume, morphologicalMask: Volume, intensityMask: Volume? = nil,
                        gridOffset: SIMD3<Int> = .zero) throws -> FeatureSet {
        let roi = try ROIGrid.extract(
            image: image, morphologicalMask: morphologicalMask, intensityMask: intensityMask,
            resegmentation: (settings.resegmentationLower, settings.resegmentationUpper),
            margin: LocalIntensity.margin(spacing: image.geometry.spacing), gridOffset: gridOffset)
        var set = try extract(roi)
        set.diagnostics["image_size"] = .array([image.geometry.size.x, image.geometry.size.y, image.geometry.size.z].map { .integer($0) })
        set.diagnostics["image_spacing_mm"] = .array([image.geometry.spacing.x, image.geometry.spacing.y, image.geometry.spacing.z].map { .number($0) })
        set.diagnostics["image_geometry"] = MetaValue(geometry: image.geometry)
        return set
    }

    public func extract(_ roi: ROIGrid) throws -> FeatureSet {
        let levels = try Discretiser.discretise(roi, method: settings.discretisation, origin: settings.resegmentationLower)
        let families = settings.families
        var tasks: [@Sendable () -> [FeatureRow]] = []
        if families.contains(.morphology) { tasks.append { Self.rows(.morphology, MorphologyStats(roi)) } }
        if families.contains(.localIntensity) { tasks.append { Self.rows(.localIntensity, LocalIntensity.peaks(roi)) } }
        if families.contains(.intensityStatistics) { tasks.append { Self.rows(.intensityStatistics, DistributionStats(roi.roiIntensities)) } }
        if families.contains(.intensityHistogram) {
            tasks.append {
                let l = (0..<roi.count).compactMap { levels.levels[$0] > 0 ? Double(levels.levels[$0]) : nil }
                return Self.rows(.intensityHistogram, HistogramStats(levels: l, greyLevels: levels.greyLevels))
            }
        }
        if families.contains(.intensityVolumeHistogram) { tasks.append { [settings] in Self.rows(.intensityVolumeHistogram, Self.ivhStats(roi, settings)) } }
        for dimension in settings.textureDimensions {
            for family in families where family.isTexture {
                tasks.append { [settings] in Self.texture(family, dimension, roi: roi, levels: levels, settings: settings) }
            }
        }
        let jobs = tasks
        let results = ConcurrentResults<[FeatureRow]>(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { results.set($0, jobs[$0]()) }
        // Output order: catalog order, then texture dimension order.
        var rows = IBSINaming.name(results.values.flatMap { $0 ?? [] }, settings: settings)
        let order = Dictionary(uniqueKeysWithValues: FeatureCatalog.all.enumerated().map { ($1.tagStem, $0) })
        let familyOrder = Dictionary(uniqueKeysWithValues: FeatureFamily.allCases.enumerated().map { ($1, $0) })
        let aggOrder = Dictionary(uniqueKeysWithValues: TextureAggregation.allCases.enumerated().map { ($1, $0) })
        rows.sort {
            let a = (familyOrder[$0.family]!, $0.aggregation.map { aggOrder[$0]! } ?? 0, order[IBSINaming.stem($0)] ?? 0)
            let b = (familyOrder[$1.family]!, $1.aggregation.map { aggOrder[$0]! } ?? 0, order[IBSINaming.stem($1)] ?? 0)
            return a < b
        }
        var diagnostics: [String: MetaValue] = [
            "roi_grid_size": .array([roi.nx, roi.ny, roi.nz].map { .integer($0) }),
            "morphological_mask_voxels": .integer(roi.morphologicalVoxelCount),
            "intensity_mask_voxels": .integer(roi.intensityVoxelCount),
            "grey_levels": .integer(levels.greyLevels),
            "features_defined": .integer(rows.filter { $0.value.number != nil }.count),
            "features_undefined": .integer(rows.filter { $0.value.number == nil }.count),
        ]
        let values = roi.roiIntensities
        diagnostics["intensity_mask_min"] = .number(values.min() ?? .nan)
        diagnostics["intensity_mask_max"] = .number(values.max() ?? .nan)
        diagnostics["intensity_mask_mean"] = .number(values.reduce(0, +) / Double(max(values.count, 1)))
        logger.debug("computed \(rows.count) features on \(roi.intensityVoxelCount) voxels, \(levels.greyLevels) grey levels")
        return FeatureSet(rows: rows, diagnostics: diagnostics)
    }

    // MARK: Families

    static func row(_ d: FeatureDefinition, _ value: FeatureValue, _ aggregation: TextureAggregation? = nil) -> FeatureRow {
        var name = "original_\(d.family.pyradiomicsClass)_\(d.name)"
        var tag = d.tagStem
        if let aggregation {
            tag += "_" + aggregation.rawValue
            if !aggregation.isPyradiomicsDefault { name += "_" + aggregation.rawValue }
        }
        return FeatureRow(name: name, tag: tag, ibsiCode: d.ibsiCode, family: d.family, aggregation: aggregation, value: value)
    }

    static func evaluate(_ d: FeatureDefinition, morphology: MorphologyStats? = nil, local: (local: Double, global: Double)? = nil,
                         statistics: DistributionStats? = nil, histogram: HistogramStats? = nil, ivh: IVHStats? = nil,
                         glcm: GLCMStats? = nil, greyLevelJ: GreyLevelJStats? = nil, ngtdm: NGTDMStats? = nil) -> FeatureValue {
        let value: FeatureValue? = switch d.formula {
        case let .morphology(f): morphology.map(f)
        case let .localIntensity(f): local.map(f)
        case let .statistics(f): statistics.map(f)
        case let .histogram(f): histogram.map(f)
        case let .ivh(f): ivh.map(f)
        case let .glcm(f): glcm.map(f)
        case let .greyLevelJ(f): greyLevelJ.map(f)
        case let .ngtdm(f): ngtdm.map(f)
        }
        guard let value else { return .undefined("the matrix is empty") }
        if case let .value(x) = value, !x.isFinite { return .undefined("not a finite number") }
        return value
    }

    static func rows(_ family: FeatureFamily, _ stats: MorphologyStats) -> [FeatureRow] {
        FeatureCatalog.features(of: family).map { row($0, evaluate($0, morphology: stats)) }
    }

    static func rows(_ family: FeatureFamily, _ stats: (local: Double, global: Double)) -> [FeatureRow] {
        FeatureCatalog.features(of: family).map { row($0, evaluate($0, local: stats)) }
    }

    static func rows(_ family: FeatureFamily, _ stats: DistributionStats) -> [FeatureRow] {
        FeatureCatalog.features(of: family).map { row($0, evaluate($0, statistics: stats)) }
    }

    static func rows(_ family: FeatureFamily, _ stats: HistogramStats) -> [FeatureRow] {
        FeatureCatalog.features(of: family).map { row($0, evaluate($0, histogram: stats)) }
    }

    static func rows(_ family: FeatureFamily, _ stats: IVHStats) -> [FeatureRow] {
        FeatureCatalog.features(of: family).map { row($0, evaluate($0, ivh: stats)) }
    }

    /// IVH input (IBSI 3.5): calibrated intensities as they are (step 1), or re-discretised.
    /// The fractional intensity uses the re-segmentation range when one is set.
    static func ivhStats(_ roi: ROIGrid, _ s: RadiomicsSettings) -> IVHStats {
        let values = roi.roiIntensities
        let lo = values.min()!, hi = values.max()!
        switch s.ivh {
        case .none:
            return IVHStats(values: values, step: 1, range: (s.resegmentationLower ?? lo, s.resegmentationUpper ?? hi))
        case let .fixedBinSize(w):
            let origin = s.resegmentationLower ?? lo
            // Each intensity becomes its bin centre.
            let mapped = values.map { origin + (($0 - origin) / w).rounded(.down) * w + w / 2 }
            let top = s.resegmentationUpper.map { origin + (($0 - origin) / w).rounded(.down) * w + w / 2 } ?? mapped.max()!
            return IVHStats(values: mapped, step: w, range: (origin + w / 2, top))
        case let .fixedBinNumber(n):
            let range = hi - lo
            let mapped = values.map { range > 0 ? min(((Double(n) * ($0 - lo) / range).rounded(.down)) + 1, Double(n)) : 1 }
            return IVHStats(values: mapped, step: 1, range: (1, Double(n)))
        }
    }

    // MARK: Texture

    static func texture(_ family: FeatureFamily, _ dimension: TextureDimension, roi: ROIGrid, levels: LevelGrid,
                        settings: RadiomicsSettings) -> [FeatureRow] {
        let defs = FeatureCatalog.features(of: family)
        let slices = (0..<levels.nz).filter { z in
            (0..<levels.nx * levels.ny).contains { levels.levels[z * levels.nx * levels.ny + $0] > 0 }
        }
        let regions: [TextureRegion] = dimension == .threeD ? [.volume] : slices.map { .slice($0) }
        var out: [FeatureRow] = []
        switch family {
        case .glcm, .glrlm:
            let directions = dimension == .threeD ? Directions.all3D : Directions.inPlane
            // matrices[region][direction]
            if family == .glcm {
                let m = regions.map { r in directions.map { GLCMatrix.count(levels, direction: $0, distance: settings.distance, region: r) } }
                func eval(_ x: GLCMatrix) -> [FeatureValue] { let s = GLCMStats(x); return defs.map { evaluate($0, glcm: s) } }
                out = directional(defs, dimension, m, eval: eval, merge: { $0 += $1 })
            } else {
                let m = regions.map { r in directions.map { RunLengthCounter.count(levels, direction: $0, region: r) } }
                func eval(_ x: GreyLevelJMatrix) -> [FeatureValue] { let s = GreyLevelJStats(x); return defs.map { evaluate($0, greyLevelJ: s) } }
                out = directional(defs, dimension, m, eval: eval, merge: { $0 += $1 })
            }
        case .glszm, .gldzm:
            let distances = family == .gldzm ? ZoneCounter.edgeDistances(roi, sliceWise: dimension != .threeD) : [Int32](repeating: 1, count: roi.count)
            let m = regions.map { r in
                let both = ZoneCounter.matrices(levels, distances: distances, region: r)
                return family == .glszm ? both.size : both.distance
            }
            func eval(_ x: GreyLevelJMatrix) -> [FeatureValue] { let s = GreyLevelJStats(x); return defs.map { evaluate($0, greyLevelJ: s) } }
            out = regional(defs, dimension, m, eval: eval, merge: { $0 += $1 })
        case .ngtdm:
            let m = regions.map { NeighbourhoodCounter.count(levels, distance: settings.distance, alpha: settings.ngldmAlpha, region: $0).ngtdm }
            func eval(_ x: NeighbourhoodCounter.NGTDM) -> [FeatureValue] { let s = NGTDMStats(x); return defs.map { evaluate($0, ngtdm: s) } }
            out = regional(defs, dimension, m, eval: eval, merge: { $0 += $1 })
        case .ngldm:
            let m = regions.map { NeighbourhoodCounter.count(levels, distance: settings.distance, alpha: settings.ngldmAlpha, region: $0).ngldm }
            func eval(_ x: GreyLevelJMatrix) -> [FeatureValue] { let s = GreyLevelJStats(x); return defs.map { evaluate($0, greyLevelJ: s) } }
            out = regional(defs, dimension, m, eval: eval, merge: { $0 += $1 })
        default:
            break
        }
        return out
    }

    /// Averaged and merged variants of a directional family from its [region][direction] matrices.
    static func directional<M>(_ defs: [FeatureDefinition], _ dimension: TextureDimension, _ m: [[M]],
                               eval single: (M) -> [FeatureValue],
                               merge: (inout M, M) -> Void) -> [FeatureRow] {
        func sum(_ xs: [M]) -> M { var a = xs[0]; for x in xs.dropFirst() { merge(&a, x) }; return a }
        func averaged(_ perMatrix: [[FeatureValue]]) -> [FeatureValue] {
            defs.indices.map { k in FeatureValue.mean(perMatrix.map { $0[k] }) }
        }
        guard !m.isEmpty, !m[0].isEmpty else {
            return TextureAggregation.variants(for: defs[0].family, dimension: dimension).flatMap { a in defs.map { row($0, .undefined("no slice holds the ROI"), a) } }
        }
        let nDir = m[0].count
        let avg: [FeatureValue], comb: [FeatureValue]
        switch dimension {
        case .twoD:
            avg = averaged(m.flatMap { $0 }.map(single))
            comb = averaged(m.map { single(sum($0)) })
        case .twoAndHalfD:
            let perDirection = (0..<nDir).map { d in sum(m.map { $0[d] }) }
            avg = averaged(perDirection.map(single))
            comb = single(sum(perDirection))
        case .threeD:
            avg = averaged(m[0].map(single))
            comb = single(sum(m[0]))
        }
        let variants = TextureAggregation.variants(for: defs[0].family, dimension: dimension)
        return zip(defs, avg).map { row($0, $1, variants[0]) } + zip(defs, comb).map { row($0, $1, variants[1]) }
    }

    /// 2D (per-slice, averaged), 2.5D (slices merged) or 3D variant of a non-directional family.
    static func regional<M>(_ defs: [FeatureDefinition], _ dimension: TextureDimension, _ m: [M],
                            eval: (M) -> [FeatureValue], merge: (inout M, M) -> Void) -> [FeatureRow] {
        let aggregation = TextureAggregation.variants(for: defs[0].family, dimension: dimension)[0]
        guard !m.isEmpty else { return defs.map { row($0, .undefined("no slice holds the ROI"), aggregation) } }
        let values: [FeatureValue]
        switch dimension {
        case .twoD:
            let perSlice = m.map(eval)
            values = defs.indices.map { k in FeatureValue.mean(perSlice.map { $0[k] }) }
        case .twoAndHalfD:
            var a = m[0]
            for x in m.dropFirst() { merge(&a, x) }
            values = eval(a)
        case .threeD:
            values = eval(m[0])
        }
        return zip(defs, values).map { row($0, $1, aggregation) }
    }
}

/// Results written by concurrent tasks, one slot each.
final class ConcurrentResults<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = [T?](repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return slots }
}
