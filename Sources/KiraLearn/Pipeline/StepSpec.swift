import KiraCore

/// One selection or transformation step, as the user names it (`--select zscore,ttest:0.05,…`).
/// A spec holds no data: it becomes a `FittedStep` only by `fit` on training rows.
public struct StepSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Fill missing values with the training median (or mean).
        case impute
        /// Centre and scale to unit variance (population SD, as scikit-learn's StandardScaler).
        case zscore
        /// Drop features whose training variance is ≤ the threshold (default 0: constant columns).
        case variance
        /// Keep features whose Student t-test p-value between classes is < the threshold.
        case ttest
        /// Keep features whose Mann–Whitney U p-value (normal approximation, tie and continuity corrected) is < the threshold.
        case mwu
        /// Redundancy filter: of two features with |r| > threshold keep the more relevant one.
        case corr
        /// Project on the first N principal components.
        case pca
        /// L1-logistic regression with λ chosen by inner cross-validation; keep the non-zero features.
        case lasso
        /// Keep only the listed features (e.g. the ICC-stable list from QC).
        case keep
        /// Minimum-redundancy maximum-relevance: the K features chosen greedily by F-statistic
        /// relevance minus mean |Pearson r| with those already chosen.
        case mrmr
    }

    public var kind: Kind
    /// The step's number: p threshold, |r| threshold, component count, variance threshold, K.
    public var value: Double?
    /// `median`/`mean` (impute), `pearson`/`spearman` (corr), `min`/`1se` (lasso).
    public var option: String?
    /// Feature names for `keep`.
    public var names: [String]?

    public init(kind: Kind, value: Double? = nil, option: String? = nil, names: [String]? = nil) {
        self.kind = kind
        self.value = value
        self.option = option
        self.names = names
    }

    /// The grammar of `--select`: `impute[:median|mean]`, `zscore`, `variance[:T]`, `ttest:P`,
    /// `mwu:P`, `corr:R[:pearson|spearman]` (also `pearson:R`, `spearman:R`), `pca:N`,
    /// `lasso[:min|1se]`, `mrmr:K`. `keep` lists come from a file and are built by the caller.
    public static func parse(_ text: String) throws -> StepSpec {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }
        let name = parts[0].lowercased()
        func number(_ i: Int, _ what: String, default d: Double? = nil) throws -> Double {
            guard i < parts.count else {
                if let d { return d }
                throw KiraError.invalidArgument("selection step '\(text)': give \(what), e.g. \(name):\(name == "pca" || name == "mrmr" ? "10" : "0.05")")
            }
            guard let v = Double(parts[i]), v.isFinite else {
                throw KiraError.invalidArgument("selection step '\(text)': '\(parts[i])' is not a number (\(what))")
            }
            return v
        }
        func option(_ i: Int, _ allowed: [String], default d: String) throws -> String {
            guard i < parts.count else { return d }
            guard allowed.contains(parts[i].lowercased()) else {
                throw KiraError.invalidArgument("selection step '\(text)': '\(parts[i])' is not one of \(allowed.joined(separator: ", "))")
            }
            return parts[i].lowercased()
        }
        switch name {
        case "impute": return StepSpec(kind: .impute, option: try option(1, ["median", "mean"], default: "median"))
        case "zscore": return StepSpec(kind: .zscore)
        case "variance": return StepSpec(kind: .variance, value: try number(1, "a variance threshold", default: 0))
        case "ttest", "mwu":
            let p = try number(1, "a p-value threshold")
            guard p > 0, p <= 1 else { throw KiraError.invalidArgument("selection step '\(text)': the p threshold must be in (0, 1]") }
            return StepSpec(kind: name == "ttest" ? .ttest : .mwu, value: p)
        case "corr", "pearson", "spearman":
            let r = try number(1, "an |r| threshold")
            guard r > 0, r <= 1 else { throw KiraError.invalidArgument("selection step '\(text)': the |r| threshold must be in (0, 1]") }
            let method = name == "corr" ? try option(2, ["pearson", "spearman"], default: "spearman") : name
            return StepSpec(kind: .corr, value: r, option: method)
        case "pca", "mrmr":
            let k = try number(1, name == "pca" ? "a component count" : "a feature count")
            guard k >= 1, k == k.rounded() else { throw KiraError.invalidArgument("selection step '\(text)': the count must be a whole number ≥ 1") }
            return StepSpec(kind: name == "pca" ? .pca : .mrmr, value: k)
        case "lasso": return StepSpec(kind: .lasso, option: try option(1, ["min", "1se"], default: "1se"))
        default:
            throw KiraError.invalidArgument("unknown selection step '\(parts[0])' (known: impute, zscore, variance, ttest, mwu, corr, pearson, spearman, pca, lasso, mrmr, keep)")
        }
    }

    public var label: String {
        switch kind {
        case .keep: "keep(\(names?.count ?? 0))"
        default: [kind.rawValue, value.map { "\($0)" }, option].compactMap { $0 }.joined(separator: ":")
        }
    }
}
