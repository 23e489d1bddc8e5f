import KiraCore

/// What decides a finished case's values besides the settings: the content hashes of its
/// inputs (`InputHash` of the files, as in its provenance) and its mask label. A case is reused on
/// a rerun only when these match what its row was computed from.
public struct CaseInputs: Sendable, Equatable {
    /// The input files of a case, in the order they are compared.
    public enum File: Sendable { case image, mask, habitats }

    public var imageHash: String?
    public var maskHash: String?
    /// nil when the case used no habitat map.
    public var habitatsHash: String?
    /// `mask_label` as in the provenance: the label, or "non-zero".
    public var maskLabel: MetaValue?

    public init(imageHash: String?, maskHash: String?, habitatsHash: String?, maskLabel: MetaValue?) {
        self.imageHash = imageHash; self.maskHash = maskHash; self.habitatsHash = habitatsHash; self.maskLabel = maskLabel
    }

    /// The inputs a case's diagnostics record (nil fields: not recorded, e.g. an older table).
    public init(diagnostics: MetaValue?) {
        guard case let .object(d)? = diagnostics else { self.init(imageHash: nil, maskHash: nil, habitatsHash: nil, maskLabel: nil); return }
        self.init(imageHash: d["image_hash"]?.stringValue, maskHash: d["mask_hash"]?.stringValue,
                  habitatsHash: d["habitats_hash"]?.stringValue, maskLabel: d["mask_label"])
    }

    /// Why a case recorded with `self` must be recomputed for the current inputs, or nil when
    /// it can be reused. `current` supplies a file's hash on demand (in the order image, mask,
    /// habitats, stopping at the first difference, so no file is hashed needlessly);
    /// `habitats` says whether the case now uses a habitat map.
    public func staleReason(label: MetaValue, habitats: Bool, current: (File) throws -> String) rethrows -> String? {
        guard let imageHash, let maskHash else { return "no input hashes recorded" }
        if maskLabel != label {
            return "mask label changed (\(maskLabel.map(Self.text) ?? "none") → \(Self.text(label)))"
        }
        let now = try current(.image)
        if now != imageHash { return "image changed (hash \(imageHash) → \(now))" }
        let mask = try current(.mask)
        if mask != maskHash { return "mask changed (hash \(maskHash) → \(mask))" }
        switch (habitatsHash, habitats) {
        case (nil, false): return nil
        case (nil, true): return "habitat map added"
        case (_?, false): return "habitat map removed"
        case let (old?, true):
            let h = try current(.habitats)
            return h == old ? nil : "habitat map changed (hash \(old) → \(h))"
        }
    }

    static func text(_ v: MetaValue) -> String {
        if case let .integer(i) = v { return String(i) }
        return v.stringValue ?? "\(v)"
    }
}
