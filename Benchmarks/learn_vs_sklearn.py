#!/usr/bin/env python3
"""kira train against the equivalent scikit-learn pipeline on the same table, in one run.

Table: 800 cases x 2,000 features (20 informative, the rest noise), seeded. Pipeline on both
sides: z-score, LASSO-selected features with the penalty chosen by inner 5-fold CV, then an
RBF SVM with a 3 x 3 grid (C in 0.1, 1, 10; gamma in 0.001, 0.01, 0.1) tuned by inner 5-fold
CV AUC, all inside a 10 x 5 repeated stratified CV. Kira's LASSO is L1-logistic (the issue's
selection step); scikit-learn's is LassoCV on the 0/1 label, as the seed studies use it.
Both sides use both cores (scikit-learn: n_jobs=-1 on the outer CV). The script prints each
side's wall time, peak memory and cross-validated AUC, and the time ratio (goal: Kira at
least 2x faster). A benchmark, never a test: run it with `make bench-learn`.
"""
import json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
N, P, INFORMATIVE = int(os.environ.get("N", "800")), int(os.environ.get("P", "2000")), 20
FOLDS, REPEATS = 5, int(os.environ.get("REPEATS", "10"))


def make_table(work):
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, P))
    w = np.zeros(P); w[:INFORMATIVE] = rng.normal(scale=0.6, size=INFORMATIVE)
    y = (X @ w + rng.normal(size=N) > 0).astype(int)
    fpath, lpath = os.path.join(work, "features.csv"), os.path.join(work, "labels.csv")
    with open(fpath, "w") as f:
        f.write("id," + ",".join(f"f{j}" for j in range(P)) + "\n")
        for i in range(N):
            f.write(f"c{i}," + ",".join(repr(float(v)) for v in X[i]) + "\n")
    with open(lpath, "w") as f:
        f.write("id,y\n" + "".join(f"c{i},{y[i]}\n" for i in range(N)))
    return X, y, fpath, lpath


def run(cmd, work, name):
    """Runs cmd with stdout to a file; returns (seconds, peak RSS MiB, stdout text)."""
    out_path = os.path.join(work, name + ".out")
    with open(out_path, "w") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{name} failed ({code}): {p.stderr.read().decode()}")
    with open(out_path) as f:
        return dt, usage.ru_maxrss / 1024.0, f.read()


def run_kira(fpath, lpath, work):
    cmd = [KIRA, "train", "--features", fpath, "--labels", lpath, "--label-column", "y",
           "--select", "zscore,lasso:min", "--model", "svm", "--param", "C=0.1,1,10", "--param", "gamma=0.001,0.01,0.1",
           "--cv", str(FOLDS), "--repeats", str(REPEATS), "--seed", "0", "-o", os.path.join(work, "model.json"), "--json"]
    dt, peak, out = run(cmd, work, "kira")
    return dt, peak, json.loads(out)["cv"]["auc_mean"]


SKLEARN = r'''
import sys, json, time, resource, warnings
warnings.filterwarnings("ignore")
import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LassoCV
from sklearn.svm import SVC
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold, cross_validate
d = np.load(sys.argv[1]); X, y = d["X"], d["y"]
try:
    lasso = LassoCV(cv=5, alphas=25, random_state=0)
    lasso.get_params()
except TypeError:
    lasso = LassoCV(cv=5, n_alphas=25, random_state=0)
pipe = Pipeline([("z", StandardScaler()), ("lasso", SelectFromModel(lasso)),
                 ("svm", GridSearchCV(SVC(probability=True, random_state=0), {"C": [0.1, 1, 10], "gamma": [0.001, 0.01, 0.1]},
                                      cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="roc_auc"))])
cv = RepeatedStratifiedKFold(n_splits=int(sys.argv[2]), n_repeats=int(sys.argv[3]), random_state=0)
t0 = time.perf_counter()
r = cross_validate(pipe, X, y, cv=cv, scoring="roc_auc", n_jobs=-1)
pipe.fit(X, y)
dt = time.perf_counter() - t0
print(json.dumps(dict(seconds=dt, auc=float(np.mean(r["test_score"])))))
'''


def run_sklearn(X, y, work):
    import numpy as np
    path = os.path.join(work, "table.npz")
    np.savez(path, X=X, y=y)
    dt, peak, out = run([sys.executable, "-c", SKLEARN, path, str(FOLDS), str(REPEATS)], work, "sklearn")
    # Peak is the parent process; joblib's worker processes are not counted.
    return dt, peak, json.loads(out)["auc"]


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    work = tempfile.mkdtemp(prefix="kira-bench-learn-")
    X, y, fpath, lpath = make_table(work)
    print(f"table: {N} cases x {P} features, {int(y.sum())} positive; {REPEATS} x {FOLDS}-fold CV")
    kt, km, kauc = run_kira(fpath, lpath, work)
    print(f"kira train:   {kt:8.1f} s  peak {km:7.0f} MiB  CV AUC {kauc:.4f}")
    st, sm, sauc = run_sklearn(X, y, work)
    print(f"scikit-learn: {st:8.1f} s  peak {sm:7.0f} MiB (main process)  CV AUC {sauc:.4f}")
    print(f"time ratio kira/scikit-learn: {kt / st:.3f}  (goal <= 0.5)")


if __name__ == "__main__":
    main()
