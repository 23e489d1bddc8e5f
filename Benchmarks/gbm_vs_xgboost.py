#!/usr/bin/env python3
"""Kira's gradient boosting (`kira train --model gbm`) against XGBoost, scikit-learn's
GradientBoostingClassifier and HistGradientBoostingClassifier, in one run: cross-validated
AUC and wall time on the same folds' worth of work.

Tables: scikit-learn's breast-cancer Wisconsin (569 x 30, real data) and a seeded synthetic
800 x 200 table (20 informative features). Hyperparameters on every side: 100 trees,
learning rate 0.1, depth 3; 5-fold CV repeated 2 times (stratified, seeded). XGBoost uses
its histogram method (`tree_method="hist"`, the method of the Debian 12 libxgboost-dev 1.7
C library) on 2 threads; Kira runs its folds on both cores. Kira's time includes starting
the process and reading the CSVs. A benchmark, never a test: `make bench-gbm`.
"""
import json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
FOLDS, REPEATS = 5, 2


def tables():
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    yield "breast cancer 569x30", d.data, (d.target == 0).astype(int)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 200))
    w = np.zeros(200); w[:20] = rng.normal(scale=0.6, size=20)
    yield "synthetic 800x200", X, (X @ w + 0.5 * X[:, 0] * X[:, 1] + rng.normal(size=800) > 0).astype(int)


def write_csv(work, X, y):
    f, l = os.path.join(work, "features.csv"), os.path.join(work, "labels.csv")
    with open(f, "w") as out:
        out.write("id," + ",".join(f"f{j}" for j in range(X.shape[1])) + "\n")
        for i in range(X.shape[0]):
            out.write(f"c{i}," + ",".join(repr(float(v)) for v in X[i]) + "\n")
    with open(l, "w") as out:
        out.write("id,y\n" + "".join(f"c{i},{y[i]}\n" for i in range(len(y))))
    return f, l


def kira(work, f, l):
    cmd = [KIRA, "train", "--features", f, "--labels", l, "--label-column", "y", "--model", "gbm",
           "--param", "n_estimators=100", "--param", "learning_rate=0.1", "--param", "max_depth=3",
           "--cv", str(FOLDS), "--repeats", str(REPEATS), "--seed", "0", "-o", os.path.join(work, "m.json"), "--json"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, json.loads(out)["cv"]["auc_mean"]


def peers(X, y):
    import warnings
    warnings.filterwarnings("ignore")
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
    from xgboost import XGBClassifier
    models = {
        "xgboost (hist)": XGBClassifier(n_estimators=100, learning_rate=0.1, max_depth=3, tree_method="hist", n_jobs=2,
                                        random_state=0),
        "sklearn GradientBoosting": GradientBoostingClassifier(n_estimators=100, learning_rate=0.1, max_depth=3, random_state=0),
        "sklearn HistGradientBoosting": HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_depth=3,
                                                                       early_stopping=False, random_state=0),
    }
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    # Kira's CV AUC: the AUC of each repeat's pooled out-of-fold probabilities, averaged over repeats.
    for name, m in models.items():
        t0 = time.perf_counter()
        aucs = []
        for r in range(REPEATS):
            cv = StratifiedKFold(FOLDS, shuffle=True, random_state=r)
            p = cross_val_predict(m, X, y, cv=cv, method="predict_proba", n_jobs=1 if "xgboost" in name else 2)[:, 1]
            aucs.append(roc_auc_score(y, p))
        yield name, time.perf_counter() - t0, sum(aucs) / len(aucs)


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    for title, X, y in tables():
        work = tempfile.mkdtemp(prefix="kira-bench-gbm-")
        f, l = write_csv(work, X, y)
        kt, kauc = kira(work, f, l)
        print(f"{title}: {REPEATS} x {FOLDS}-fold CV, 100 trees, depth 3, learning rate 0.1")
        print(f"  {'kira gbm':30s} {kt:7.2f} s  CV AUC {kauc:.4f}")
        for name, t, auc in peers(X, y):
            print(f"  {name:30s} {t:7.2f} s  CV AUC {auc:.4f}   time ratio kira/{name.split()[0]} {kt / t:.2f}")


if __name__ == "__main__":
    main()
