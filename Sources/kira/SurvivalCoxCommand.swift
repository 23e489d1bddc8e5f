import ArgumentParser
import Foundation
import KiraCore
import KiraSurvival

struct SurvivalCoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cox",
        abstract: "Cox proportional-hazards regression (Efron or Breslow ties), optionally penalised (L1/L2/elastic net).",
        discussion: """
        Unpenalised: Newton–Raphson with step halving; coefficients with SE, hazard ratios and 95% CI,
        Wald z and p; likelihood-ratio, score and Wald tests; Harrell's C; Grambsch–Therneau test of
        proportional hazards from scaled Schoenfeld residuals (--ph-transform, default km).

        Penalised (--penalty with --alpha, or --cv K): covariates are standardised (mean 0, SD 1
        with n − 1), and coordinate descent minimises
            −loglik(β)/n + λ·[ r·‖β‖₁ + (1 − r)/2·‖β‖₂² ]
        with λ = --alpha and r = 1 (l1), 0 (l2) or --l1-ratio (elasticnet, default 0.5). This is
        glmnet's objective, and lifelines' CoxPHFitter(penalizer=λ, l1_ratio=r) with exact |β|.
        --cv K picks λ on a 50-value path by K-fold cross-validated partial likelihood
        (Verweij–van Houwelingen), folds from --seed. SEs are not reported for penalised fits.
        --rad-score writes each row's linear predictor Σβx (the Rad-score).

        \(SurvivalExit.helpText)
        """
    )

    enum Penalty: String, ExpressibleByArgument, CaseIterable { case l1, l2, elasticnet }

    @OptionGroup var input: SurvivalInputOptions

    @Option(help: "Comma-separated covariate columns.")
    var covariates: String

    @Option(help: "Tie handling: efron or breslow.")
    var ties: String = "efron"

    @Option(help: "Penalty: l1, l2 or elasticnet.")
    var penalty: Penalty?

    @Option(help: "Penalty strength λ (≥ 0).")
    var alpha: Double?

    @Option(name: .customLong("l1-ratio"), help: "L1 share r of the elastic-net penalty (0…1); default 0.5.")
    var l1Ratio: Double?

    @Option(help: "Choose λ by K-fold cross-validated partial likelihood.")
    var cv: Int?

    @Option(help: "Seed for the cross-validation folds.")
    var seed: UInt64 = 1

    @Option(name: .customLong("ph-transform"), help: "Time transform of the PH test: km, rank, identity or log.")
    var phTransform: String = "km"

    @Option(name: .customLong("rad-score"), help: "Write row, case id (see --id), time, event and rad_score (linear predictor) to this CSV.")
    var radScore: String?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    var names: [String] { covariates.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("--covariates needs at least one column") }
        guard Set(names).count == names.count else { throw ValidationError("--covariates lists a column twice") }
        guard CoxTies(rawValue: ties) != nil else { throw ValidationError("--ties must be efron or breslow, not '\(ties)'") }
        guard ProportionalHazardsTest.TimeTransform(rawValue: phTransform) != nil else {
            throw ValidationError("--ph-transform must be km, rank, identity or log")
        }
        if alpha != nil && cv != nil { throw ValidationError("give either --alpha (a fixed λ) or --cv (λ by cross-validation), not both") }
        if let alpha, !(alpha >= 0 && alpha.isFinite) { throw ValidationError("--alpha must be a number ≥ 0") }
        if penalty != nil && alpha == nil && cv == nil { throw ValidationError("--penalty needs --alpha λ or --cv K") }
        if alpha != nil && penalty == nil { throw ValidationError("--alpha needs --penalty l1|l2|elasticnet") }
        if let cv, cv < 2 { throw ValidationError("--cv needs at least 2 folds") }
        if let r = l1Ratio {
            guard penalty == .elasticnet, (0...1).contains(r) else { throw ValidationError("--l1-ratio (0…1) goes with --penalty elasticnet") }
        }
        if let radScore { try replace.check([.init(radScore, option: "--rad-score", format: .csv)], inputs: [input.data]) }
    }

    func run() throws {
        var exit: Int32 = 0
        try survivalRun("cox") {
            let (t, ids) = try input.loadWithIDs(numeric: names)
            let tie = CoxTies(rawValue: ties)!
            var out: [String: Any] = ["n": t.count, "events": t.eventCount, "dropped_rows": t.dropped.count, "ties": tie.rawValue]
            var lines: [String] = []
            let lp: [Double]
            if penalty != nil || cv != nil {
                let r: Double = switch penalty ?? .l1 { case .l1: 1; case .l2: 0; case .elasticnet: l1Ratio ?? 0.5 }
                let m = if let cv {
                    try PenalizedCox.crossValidated(time: t.time, event: t.event, columns: t.numeric, names: names,
                                                    l1Ratio: r, ties: tie, folds: cv, seed: seed)
                } else {
                    try PenalizedCox(time: t.time, event: t.event, columns: t.numeric, names: names, lambda: alpha!, l1Ratio: r, ties: tie)
                }
                var coefs: [String: Any] = [:]
                for (j, name) in names.enumerated() {
                    coefs[name] = ["coef": m.coef[j], "coef_standardized": m.standardizedCoef[j], "se": NSNull(), "hr": exp(m.coef[j]),
                                   "hr_ci95": [NSNull(), NSNull()], "z": NSNull(), "p": NSNull()] as [String: Any]
                    lines.append("\(name): coef=\(format(m.coef[j], 6)) HR=\(format(exp(m.coef[j]), 5))")
                }
                out["coefficients"] = coefs
                out["concordance"] = JSONOut.num(m.concordance)
                out["log_likelihood"] = m.logLikelihood
                out["lr_test"] = NSNull()
                out["penalty"] = ["type": (penalty ?? .l1).rawValue, "lambda": m.lambda, "l1_ratio": r, "objective": m.objective] as [String: Any]
                if let c = m.crossValidation {
                    out["cv"] = ["folds": c.folds, "seed": seed, "lambdas": c.lambdas, "cvpl": JSONOut.nums(c.cvpl), "best_lambda": c.best] as [String: Any]
                    lines.append("λ=\(format(m.lambda, 6)) chosen by \(c.folds)-fold cross-validated partial likelihood")
                }
                out["converged"] = m.converged
                out["iterations"] = m.iterations
                out["warnings"] = m.converged ? [] : ["coordinate descent did not converge in \(m.iterations) outer iterations"]
                lines.append("nonzero coefficients: \(m.coef.filter { $0 != 0 }.count) of \(names.count); C=\(format(m.concordance, 6))")
                if !m.converged { exit = 2 }
                lp = m.linearPredictor
            } else {
                let m = try CoxModel(time: t.time, event: t.event, columns: t.numeric, names: names, options: .init(ties: tie))
                let ph = ProportionalHazardsTest(model: m, time: t.time, event: t.event, columns: t.numeric,
                                                 transform: .init(rawValue: phTransform)!)
                var coefs: [String: Any] = [:], phOut: [String: Any] = [:]
                for (j, name) in names.enumerated() {
                    coefs[name] = ["coef": JSONOut.num(m.coef[j]), "se": JSONOut.num(m.se[j]), "hr": JSONOut.num(exp(m.coef[j])),
                                   "hr_ci95": [JSONOut.num(m.hrLower[j]), JSONOut.num(m.hrUpper[j])],
                                   "z": JSONOut.num(m.z[j]), "p": JSONOut.num(m.p[j])] as [String: Any]
                    phOut[name] = ["statistic": JSONOut.num(ph.statistic[j]), "p": JSONOut.num(ph.p[j])]
                    lines.append("\(name): coef=\(format(m.coef[j], 6)) se=\(format(m.se[j], 4)) HR=\(format(exp(m.coef[j]), 5)) (95% CI \(format(m.hrLower[j])) to \(format(m.hrUpper[j]))) z=\(format(m.z[j], 4)) p=\(format(m.p[j], 3))  PH p=\(format(ph.p[j], 3))")
                }
                out["coefficients"] = coefs
                out["concordance"] = JSONOut.num(m.concordance)
                out["log_likelihood"] = m.logLikelihood
                out["null_log_likelihood"] = m.nullLogLikelihood
                out["lr_test"] = chiSquareJSON(m.likelihoodRatioTest)
                out["score_test"] = chiSquareJSON(m.scoreTest)
                out["wald_test"] = chiSquareJSON(m.waldTest)
                out["ph_test"] = ["transform": phTransform, "covariates": phOut] as [String: Any]
                out["converged"] = m.converged
                out["iterations"] = m.iterations
                out["warnings"] = m.warnings
                lines.append("log-likelihood \(format(m.logLikelihood, 8)); LR chi2=\(format(m.likelihoodRatioTest.statistic, 6)) df=\(m.likelihoodRatioTest.df) p=\(format(m.likelihoodRatioTest.p, 3)); score p=\(format(m.scoreTest.p, 3)); C=\(format(m.concordance, 6))")
                for w in m.warnings { FileHandle.standardError.write(Data("kira survival cox: warning: \(w)\n".utf8)) }
                if !m.converged { exit = 2 }
                lp = m.linearPredictor
            }
            if let radScore {
                var w = CSVWriter(header: ["row"] + (ids.map { [$0.column] } ?? []) + [input.time, input.event, "rad_score"])
                for i in 0..<t.count {
                    w.append([String(t.sourceRows[i])] + (ids.map { [$0.values[i]] } ?? [])
                             + [CSVWriter.format(t.time[i]), t.event[i] ? "1" : "0", CSVWriter.format(lp[i])])
                }
                try w.write(to: URL(fileURLWithPath: radScore))
            }
            if json { try JSONOut.print(out) } else { print(lines.joined(separator: "\n")) }
        }
        if exit != 0 { throw ExitCode(exit) }
    }
}
