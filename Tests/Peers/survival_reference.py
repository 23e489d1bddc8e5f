#!/usr/bin/env python3
"""Peer reference values for Kira's survival tests.

Usage: survival_reference.py OUT_DIR

Reads lifelines' bundled public data sets (Waltons, Rossi recidivism, GBSG-2 breast cancer,
NCCTG lung, the regression example), writes each as CSV into OUT_DIR (so Kira reads the very
same numbers), and writes OUT_DIR/reference.json with what the peers compute on them:
lifelines (Kaplan-Meier, log-rank, CoxPHFitter with Efron ties, concordance, Schoenfeld PH test,
L2-penalised Cox), statsmodels (Breslow-ties PHReg, stratified log-rank) and scikit-survival
(Coxnet elastic net with Breslow ties, Uno's C, cumulative/dynamic AUC) when installed.
Nothing here is copied into Kira; the tests compare against it at run time.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

from lifelines import CoxPHFitter, KaplanMeierFitter, datasets  # noqa: E402
from lifelines.statistics import logrank_test, multivariate_logrank_test, proportional_hazard_test  # noqa: E402
from lifelines.utils import median_survival_times  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ref = {"peers": {}}


def fl(x):
    x = float(x)
    return None if not np.isfinite(x) else x


def lst(a):
    return [fl(v) for v in np.asarray(a, dtype=float).ravel()]


# ---- data sets -------------------------------------------------------------------------------
waltons = datasets.load_waltons()
rossi = datasets.load_rossi()
gbsg2 = datasets.load_gbsg2()
lung = datasets.load_lung()
regression = datasets.load_regression_dataset()
for name, df in [("waltons", waltons), ("rossi", rossi), ("gbsg2", gbsg2), ("lung", lung), ("regression", regression)]:
    df.to_csv(os.path.join(out, name + ".csv"), index=False, na_rep="NA", float_format="%.17g")

# Rossi standardised (ddof=1) for the penalised fits, so every tool penalises the same coefficients.
rossi_cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
rossi_std = rossi.copy()
for c in rossi_cov:
    rossi_std[c] = (rossi[c] - rossi[c].mean()) / rossi[c].std(ddof=1)
rossi_std.to_csv(os.path.join(out, "rossi_std.csv"), index=False, float_format="%.17g")
rossi_std = pd.read_csv(os.path.join(out, "rossi_std.csv"))  # the exact numbers Kira reads


# ---- Kaplan-Meier ----------------------------------------------------------------------------
def km(df, tcol, ecol, times):
    kmf = KaplanMeierFitter().fit(df[tcol], df[ecol])
    ci = kmf.confidence_interval_
    med_ci = median_survival_times(ci)
    return {
        "timeline": lst(kmf.timeline),
        "survival": lst(kmf.survival_function_.iloc[:, 0]),
        "lower": lst(ci.iloc[:, 0]),
        "upper": lst(ci.iloc[:, 1]),
        "at_risk": [int(v) for v in kmf.event_table["at_risk"]],
        "median": fl(kmf.median_survival_time_),
        "median_ci": [fl(med_ci.iloc[0, 0]), fl(med_ci.iloc[0, 1])],
        "at": times,
        "survival_at": lst(kmf.survival_function_at_times(times)),
        "n": int(len(df)),
        "events": int(df[ecol].sum()),
    }


ref["km"] = {}
for g, sub in waltons.groupby("group"):
    ref["km"]["waltons/" + g] = km(sub, "T", "E", [10.0, 30.0, 50.5])
for g, sub in gbsg2.groupby("horTh"):
    ref["km"]["gbsg2/" + g] = km(sub, "time", "cens", [365.0, 1095.0, 1825.0])
ref["km"]["gbsg2/all"] = km(gbsg2, "time", "cens", [365.0, 1095.0, 1825.0])
ref["km"]["rossi/all"] = km(rossi, "week", "arrest", [10.0, 26.0, 52.0])
lung_ecog = lung.dropna(subset=["ph.ecog"])
for g, sub in lung_ecog.groupby("ph.ecog"):
    ref["km"]["lung/%g" % g] = km(sub, "time", "status", [180.0, 365.0])
ref["km_lung_dropped"] = int(lung["ph.ecog"].isna().sum())


# ---- log-rank ----------------------------------------------------------------------------------
def lr(res):
    return {"statistic": fl(res.test_statistic), "p": fl(res.p_value), "df": int(getattr(res, "degrees_of_freedom", 1))}


ref["logrank"] = {
    "waltons": lr(multivariate_logrank_test(waltons["T"], waltons["group"], waltons["E"])),
    "waltons_two": lr(logrank_test(*[waltons[waltons.group == g]["T"] for g in ("control", "miR-137")],
                                   *[waltons[waltons.group == g]["E"] for g in ("control", "miR-137")])),
    "gbsg2_tgrade": lr(multivariate_logrank_test(gbsg2["time"], gbsg2["tgrade"], gbsg2["cens"])),
    "gbsg2_horTh": lr(multivariate_logrank_test(gbsg2["time"], gbsg2["horTh"], gbsg2["cens"])),
    "lung_ecog": lr(multivariate_logrank_test(lung_ecog["time"], lung_ecog["ph.ecog"], lung_ecog["status"])),
}
try:
    import statsmodels
    from statsmodels.duration.survfunc import survdiff
    ref["peers"]["statsmodels"] = statsmodels.__version__
    chi, p = survdiff(gbsg2["time"].values, gbsg2["cens"].values, gbsg2["horTh"].values, strata=gbsg2["menostat"].values)
    ref["logrank"]["gbsg2_horTh_by_menostat"] = {"statistic": fl(chi), "p": fl(p), "df": 1}
    chi, p = survdiff(gbsg2["time"].values, gbsg2["cens"].values, gbsg2["tgrade"].values, strata=gbsg2["horTh"].values)
    ref["logrank"]["gbsg2_tgrade_by_horTh"] = {"statistic": fl(chi), "p": fl(p), "df": 2}
except ImportError:
    pass


# ---- Cox, Efron (lifelines) --------------------------------------------------------------------
TIGHT = {"precision": 1e-14, "r_precision": 1e-16, "max_steps": 1000}


def cox_efron(df, tcol, ecol, cov):
    d = df[[tcol, ecol] + cov]
    cph = CoxPHFitter().fit(d, tcol, ecol, fit_options=TIGHT)
    s = cph.summary
    lrt = cph.log_likelihood_ratio_test()
    # Score test at beta = 0 from lifelines' own Efron gradient and Hessian (normalised X;
    # the statistic does not depend on the scaling).
    srt = d.sort_values(tcol)
    Xs = (srt[cov] - d[cov].mean()) / d[cov].std()
    h, g, _ = cph._get_efron_values_single(Xs, srt[tcol], srt[ecol].astype(bool),
                                           pd.Series(np.ones(len(srt)), index=srt.index), None, np.zeros(len(cov)))
    score = float(g @ np.linalg.solve(-h, g))
    res = {
        "names": cov,
        "coef": lst(s["coef"]), "se": lst(s["se(coef)"]), "hr": lst(s["exp(coef)"]),
        "hr_lower": lst(s["exp(coef) lower 95%"]), "hr_upper": lst(s["exp(coef) upper 95%"]),
        "z": lst(s["z"]), "p": lst(s["p"]),
        "log_likelihood": fl(cph.log_likelihood_), "lr_statistic": fl(lrt.test_statistic), "lr_p": fl(lrt.p_value),
        "score_statistic": score, "concordance": fl(cph.concordance_index_),
    }
    transforms = ["km", "rank"] if df[tcol][df[ecol] == 1].is_unique else ["km"]
    ph = proportional_hazard_test(cph, d, time_transform=transforms)
    res["ph_test"] = {}
    for (name, tr), stat, p in zip(ph.name, ph.test_statistic, ph.p_value):
        res["ph_test"].setdefault(tr, {})[name] = {"statistic": fl(stat), "p": fl(p)}
    return res


ref["cox_efron"] = {
    "rossi": cox_efron(rossi, "week", "arrest", rossi_cov),
    "gbsg2": cox_efron(gbsg2, "time", "cens", ["age", "tsize", "pnodes", "progrec", "estrec"]),
    "regression": cox_efron(regression, "T", "E", ["var1", "var2", "var3"]),
}

# ---- Cox, Breslow (statsmodels) ----------------------------------------------------------------
try:
    from statsmodels.duration.hazard_regression import PHReg

    def cox_breslow(df, tcol, ecol, cov):
        m = PHReg(df[tcol].values, df[cov].values, status=df[ecol].values, ties="breslow")
        r = m.fit(gtol=1e-12, maxiter=1000)
        zero = np.zeros(len(cov))
        u, h = m.score(zero), m.hessian(zero)
        return {"names": cov, "coef": lst(r.params), "se": lst(r.bse), "log_likelihood": fl(r.llf),
                "null_log_likelihood": fl(m.loglike(zero)), "score_statistic": float(u @ np.linalg.solve(-h, u))}

    ref["cox_breslow"] = {
        "rossi": cox_breslow(rossi, "week", "arrest", rossi_cov),
        "gbsg2": cox_breslow(gbsg2, "time", "cens", ["age", "tsize", "pnodes", "progrec", "estrec"]),
    }
except ImportError:
    pass

# GBSG-2 scored by a lifelines Cox model: the risk score for concordance, AUC and cut-offs.
cph = CoxPHFitter().fit(gbsg2[["time", "cens", "age", "tsize", "pnodes", "progrec", "estrec"]], "time", "cens")
g2 = gbsg2.assign(score=cph.predict_log_partial_hazard(gbsg2).values)
g2[["time", "cens", "score", "horTh", "tgrade"]].to_csv(os.path.join(out, "gbsg2_scored.csv"), index=False,
                                                       float_format="%.17g")
g2 = pd.read_csv(os.path.join(out, "gbsg2_scored.csv"))

# ---- penalised Cox -----------------------------------------------------------------------------
# lifelines: maximises l(b) - n * penalizer * (l1_ratio * softabs(b) + (1 - l1_ratio)/2 * b^2) on
# standardised covariates; with l1_ratio = 0 that is exactly the ridge objective Kira minimises.
ref["penalized_l2"] = {}
for lam in (0.01, 0.1):
    cph = CoxPHFitter(penalizer=lam, l1_ratio=0.0).fit(rossi_std[["week", "arrest"] + rossi_cov], "week", "arrest",
                                                         fit_options=TIGHT)
    ref["penalized_l2"]["%g" % lam] = {"coef": lst(cph.params_), "log_likelihood": fl(cph.log_likelihood_)}
# lifelines' smoothed L1 (for the record; its soft-abs penalty never reaches exact zeros).
cph = CoxPHFitter(penalizer=0.02, l1_ratio=1.0).fit(rossi_std[["week", "arrest"] + rossi_cov], "week", "arrest")
ref["penalized_l1_lifelines"] = {"penalizer": 0.02, "coef": lst(cph.params_)}
try:
    import sksurv
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc
    from sksurv.util import Surv

    ref["peers"]["sksurv"] = sksurv.__version__
    y = Surv.from_arrays(rossi_std["arrest"].astype(bool), rossi_std["week"].astype(float))
    ref["coxnet_breslow"] = {}
    for lam, l1 in ((0.02, 1.0), (0.05, 0.5), (0.005, 1.0)):
        m = CoxnetSurvivalAnalysis(alphas=[lam], l1_ratio=l1, tol=1e-13, max_iter=1_000_000)
        m.fit(rossi_std[rossi_cov].values, y)
        ref["coxnet_breslow"]["%g/%g" % (lam, l1)] = {"lambda": lam, "l1_ratio": l1, "coef": lst(m.coef_[:, 0])}

    yg = Surv.from_arrays(g2["cens"].astype(bool), g2["time"].astype(float))
    ref["uno"] = {
        "all": fl(concordance_index_ipcw(yg, yg, g2["score"].values)[0]),
        "tau_1825": fl(concordance_index_ipcw(yg, yg, g2["score"].values, tau=1825.0)[0]),
    }
    times = [365.0, 730.0, 1095.0, 1825.0]
    auc, mean_auc = cumulative_dynamic_auc(yg, yg, g2["score"].values, times)
    ref["tdauc"] = {"times": times, "auc": lst(auc), "mean_auc": fl(mean_auc)}

except ImportError:
    pass

# X-tile search over the same candidates Kira uses (distinct scores c leaving >= 10 % of
# subjects in each group, low = score <= c), each split tested with lifelines' log-rank;
# the Lausen-Schumacher correction computed with scipy.
from scipy.stats import norm

sc, eps = g2["score"].values, 0.1
best = None
cands = 0
for c in np.unique(sc):
    frac = (sc <= c).mean()
    if frac < eps or frac > 1 - eps or frac == 1:
        continue
    cands += 1
    hi = sc > c
    p = logrank_test(g2["time"][~hi], g2["time"][hi], g2["cens"][~hi], g2["cens"][hi]).p_value
    if best is None or p < best[0]:
        best = (p, c)
z = norm.isf(best[0] / 2)
pc = norm.pdf(z) * (z - 1 / z) * np.log((1 - eps) ** 2 / eps ** 2) + 4 * norm.pdf(z) / z
hi = sc > np.median(sc)
ref["cutoff"] = {
    "xtile": {"cutoff": fl(best[1]), "p": fl(best[0]), "candidates": cands, "p_corrected": fl(min(1.0, pc))},
    "median": {"cutoff": fl(np.median(sc)), "p": fl(logrank_test(g2["time"][~hi], g2["time"][hi], g2["cens"][~hi],
                                                                 g2["cens"][hi]).p_value)},
}

import lifelines  # noqa: E402

ref["peers"]["lifelines"] = lifelines.__version__
with open(os.path.join(out, "reference.json"), "w") as f:
    json.dump(ref, f, indent=1)
