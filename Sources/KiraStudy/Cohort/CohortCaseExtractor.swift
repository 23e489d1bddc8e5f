import Foundation
import KiraCore
import Logging

/// The settings a cohort's rows were computed under: `value` is written into the provenance,
/// `hash` keys the resume (a table or journal made under another hash is refused).
public struct CohortSettings: Sendable {
    public var value: MetaValue
    public var hash: String

    public init(value: MetaValue, hash: String) { self.value = value; self.hash = hash }
}

/// One case's row: feature values in column order (nil: undefined for the case), its
/// diagnostics (which must hold `image_hash`, `mask_hash` and `mask_label`, read back by
/// `CaseInputs` to decide reuse) and problems that did not stop it.
public struct CohortCaseValues: Sendable {
    public var names: [String]
    public var values: [Double?]
    public var diagnostics: MetaValue?
    public var warnings: [String]

    public init(names: [String], values: [Double?], diagnostics: MetaValue?, warnings: [String] = []) {
        self.names = names; self.values = values; self.diagnostics = diagnostics; self.warnings = warnings
    }
}

/// What a cohort computes for one case (radiomics, deep features): `CohortRunner` owns the
/// manifest, the resume store, the workers and the progress, and asks the extractor for the
/// rest. Shared state (a loaded network) must be read-only: `compute` runs on `jobs` workers.
public protocol CohortCaseExtractor: Sendable {
    /// Everything besides the case's files and label that decides its values.
    func cohortSettings() throws -> CohortSettings
    /// The files case `c` reads, which no output may replace.
    func inputs(of c: CohortCase) -> [URL]
    /// Why finished case `c`, recorded with `recorded`, must be recomputed now; nil: reuse it.
    func staleReason(_ c: CohortCase, recorded: CaseInputs, hashes: FileHashes) -> String?
    /// Case `c`'s row. `hashes` and `images` are the run's, so a file shared by cases is
    /// hashed and read once.
    func compute(_ c: CohortCase, settings: CohortSettings, hashes: FileHashes, images: SharedImages, logger: Logger) throws -> CohortCaseValues
    /// The failures file's reason for `error`.
    func failureReason(_ error: Error, case c: CohortCase) -> String
    /// A value's text in the table.
    func format(_ value: Double) -> String
}

extension CohortCaseExtractor {
    public func failureReason(_ error: Error, case c: CohortCase) -> String { FailureText.describe(error) }
    public func format(_ value: Double) -> String { CSVWriter.format(value) }
}
