import Foundation
import KiraCore
import KiraRadiomics
import Logging

/// `kira features --manifest`: every case of the manifest, up to `jobs` at a time, into one
/// wide table of radiomics features (`CohortRunner` with `RadiomicsCaseExtractor`).
public struct FeatureCohort: Sendable {
    public var manifest: URL
    public var output: URL
    public var jobs: Int
    /// Mask label for cases whose manifest row has none.
    public var label: Int?
    /// Habitat map for cases whose manifest row has none.
    public var habitats: URL?
    public var regions: [FeatureRegion]
    public var settings: ExtractionSettings
    /// What chose the settings (preset or params file and its hash), for every case's diagnostics.
    public var origin: [String: MetaValue]
    /// An existing table and journal are ignored, and replaced at the end (--overwrite).
    public var fresh: Bool

    public typealias Plan = CohortPlan
    public typealias Outcome = CohortOutcome
    public typealias Summary = CohortSummary

    public init(manifest: URL, output: URL, jobs: Int = 1, label: Int? = nil, habitats: URL? = nil, regions: [FeatureRegion] = [],
                settings: ExtractionSettings, origin: [String: MetaValue] = [:], fresh: Bool = false) {
        self.manifest = manifest; self.output = output; self.jobs = jobs; self.label = label; self.habitats = habitats
        self.regions = regions; self.settings = settings; self.origin = origin; self.fresh = fresh
    }

    public var runner: CohortRunner<RadiomicsCaseExtractor> {
        CohortRunner(manifest: manifest, output: output, jobs: jobs,
                     extractor: RadiomicsCaseExtractor(label: label, habitats: habitats, regions: regions, settings: settings, origin: origin),
                     fresh: fresh)
    }

    /// See `CohortRunner.plan`.
    public func plan(logger: Logger) throws -> Plan { try runner.plan(logger: logger) }

    /// See `CohortRunner.run`.
    public func run(_ plan: Plan, logger: Logger, caseFinished: @Sendable (Outcome) -> Void = { _ in }) throws -> Summary {
        try runner.run(plan, logger: logger, caseFinished: caseFinished)
    }
}

/// One radiomics case of a cohort (`FeatureCase`), under the cohort's settings and regions.
public struct RadiomicsCaseExtractor: CohortCaseExtractor {
    public var label: Int?
    public var habitats: URL?
    public var regions: [FeatureRegion]
    public var settings: ExtractionSettings
    public var origin: [String: MetaValue]

    public init(label: Int?, habitats: URL?, regions: [FeatureRegion], settings: ExtractionSettings, origin: [String: MetaValue]) {
        self.label = label; self.habitats = habitats; self.regions = regions; self.settings = settings; self.origin = origin
    }

    public func cohortSettings() throws -> CohortSettings {
        let p = try CaseProvenance.settings(settings, regions: regions)
        return CohortSettings(value: p.value, hash: p.hash)
    }

    public func inputs(of c: CohortCase) -> [URL] { [c.image, c.mask] + (c.habitats.map { [$0] } ?? []) }

    public func staleReason(_ c: CohortCase, recorded: CaseInputs, hashes: FileHashes) -> String? {
        let habitatMap = regions.contains(where: \.needsHabitats) ? (c.habitats ?? habitats) : nil
        do {
            return try recorded.staleReason(label: CaseProvenance.maskLabel(c.label ?? label ?? settings.label),
                                            habitats: habitatMap != nil) { file in
                switch file {
                case .image: try hashes.hash(c.image)
                case .mask: try hashes.hash(c.mask)
                case .habitats: try hashes.hash(habitatMap!)
                }
            }
        } catch {
            return "its inputs cannot be hashed (\(FailureText.describe(error)))"
        }
    }

    public func compute(_ c: CohortCase, settings cohort: CohortSettings, hashes: FileHashes, images: SharedImages,
                        logger: Logger) throws -> CohortCaseValues {
        let one = FeatureCase(image: c.image, mask: c.mask, label: c.label ?? label, habitats: c.habitats ?? habitats, hashes: hashes,
                              images: images)
        let result = try one.run(regions: regions, settings: settings, settingsProvenance: (cohort.value, cohort.hash), origin: origin,
                                 logger: logger)
        var diagnostics = result.set.diagnostics
        // The settings are stored once for the cohort, not per case.
        diagnostics["settings"] = nil
        return CohortCaseValues(names: result.set.rows.map(\.name), values: result.set.rows.map(\.value.number),
                                diagnostics: .object(diagnostics), warnings: result.warnings)
    }

    public func failureReason(_ error: Error, case c: CohortCase) -> String {
        // The pipeline knows grids, not files (single-case mode prefixes the image itself).
        if case let KiraError.tooLarge(subject, reason) = error {
            let named = subject.contains(c.image.path) ? subject : "image \(c.image.path): \(subject)"
            return KiraError.tooLarge(subject: named, reason: reason).description
        }
        return FailureText.describe(error)
    }
}
