#!/usr/bin/env python3
"""kira survival cox against lifelines' CoxPHFitter on the same synthetic data, in one run.

Two problems: Cox with 50 covariates on 5,000 subjects (Efron ties), and penalised Cox
(elastic net, penalizer 0.05, l1_ratio 0.5) on 500 subjects x 1,000 features. Both tools read
the same CSV; lifelines runs in its own process so each tool's peak RSS is its own. Prints
wall time (whole process, and lifelines' fit alone), the ratio lifelines/kira (goal >= 5),
peak memory, and the largest coefficient difference (a sanity check, not a test).
Timing is a benchmark, never a test: run it with `make bench-survival`.
"""
import json, os, statistics, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "3"))
# PROBLEMS=cox or PROBLEMS=penalised runs one problem (lifelines needs many minutes for the second).
PROBLEMS = os.environ.get("PROBLEMS", "cox,penalised").split(",")

LIFELINES = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lifelines import CoxPHFitter
path, penalizer, l1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
df = pd.read_csv(path)
t0 = time.perf_counter()
cph = CoxPHFitter(penalizer=penalizer, l1_ratio=l1).fit(df, "time", "event")
fit = time.perf_counter() - t0
json.dump({"fit_seconds": fit, "coef": cph.params_.tolist()}, sys.stdout)
"""


def make_data(path, n, p, seed, signal):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:signal] = rng.uniform(-0.5, 0.5, signal)
    t = rng.exponential(1 / np.exp(x @ beta))
    c = rng.exponential(np.median(t) * 2, n)
    time_ = np.round(np.minimum(t, c), 3) + 0.001  # rounded: some tied times, as real follow-up
    event = (t <= c).astype(int)
    cols = [f"x{j}" for j in range(p)]
    with open(path, "w") as f:
        f.write(",".join(["time", "event"] + cols) + "\n")
        for i in range(n):
            f.write(",".join([repr(float(time_[i])), str(int(event[i]))] + [repr(float(v)) for v in x[i]]) + "\n")
    return cols


def run(cmd):
    """Runs cmd, returns (wall seconds, CPU seconds, peak RSS in MiB, exit code, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - t0, cpu, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status), out


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    try:
        import lifelines  # noqa: F401
    except ImportError:
        sys.exit("lifelines is not installed (make peers)")
    work = tempfile.mkdtemp(prefix="kira-bench-survival-")
    cases = [
        ("Cox, 5000 subjects x 50 covariates", 5000, 50, 10, 0.0, 0.0, []),
        ("elastic-net Cox, 500 x 1000 features", 500, 1000, 10, 0.05, 0.5,
         ["--penalty", "elasticnet", "--alpha", "0.05", "--l1-ratio", "0.5"]),
    ]
    cases = [c for c, key in zip(cases, ("cox", "penalised")) if key in PROBLEMS]
    print(f"{'problem':38} {'kira s':>8} {'lifelines s':>11} {'(fit s)':>8} {'ratio':>6} {'cpu ratio':>9} {'kira MiB':>9} {'ll MiB':>8} {'max|dcoef|':>10}")
    for label, n, p, signal, pen, l1, extra in cases:
        path = os.path.join(work, f"cox_{n}x{p}.csv")
        cols = make_data(path, n, p, seed=n + p, signal=signal)
        kt, km, lt, lm, lf, kcpu, lcpu = [], [], [], [], [], [], []
        kc = lc = None
        for _ in range(REPEATS):
            s, cpu, m, code, out = run([KIRA, "survival", "cox", "--data", path, "--time", "time", "--event", "event",
                                   "--covariates", ",".join(cols), "--json"] + extra)
            if code not in (0, 2):
                print(f"{label:38} kira failed with exit code {code}")
                break
            kt.append(s); km.append(m); kcpu.append(cpu)
            k = json.loads(out)["coefficients"]
            kc = np.array([k[c]["coef"] for c in cols])
            s, cpu, m, code, out = run([sys.executable, "-c", LIFELINES, path, str(pen), str(l1)])
            if code != 0:
                print(f"{label:38} lifelines failed with exit code {code}")
                break
            r = json.loads(out)
            lt.append(s); lm.append(m); lf.append(r["fit_seconds"]); lcpu.append(cpu)
            lc = np.array(r["coef"])
        if not kt or not lt:
            continue
        k, l = statistics.median(kt), statistics.median(lt)
        cr = statistics.median(lcpu) / statistics.median(kcpu)
        print(f"{label:38} {k:8.3f} {l:11.3f} {statistics.median(lf):8.3f} {l / k:6.1f} {cr:9.1f} {max(km):9.1f} {max(lm):8.1f} {np.max(np.abs(kc - lc)):10.2e}")
    print("ratio = lifelines wall time / kira wall time (goal >= 5); cpu ratio = the same for user+system CPU time")
    print("(fit s) = lifelines' fit alone, without Python start-up and CSV reading")
    print("penalised: lifelines smooths |beta| (soft-abs), so its lasso part never reaches exact zeros; coefficients differ by that smoothing")


if __name__ == "__main__":
    main()
