#!/usr/bin/env python3
"""kira qc stability against pingouin on the same feature tables, in one run.

Three readers' tables of 1,000 features x 200 cases (synthetic: a case effect, a reader
bias and noise per feature) are written as CSV. Kira computes the per-feature ICC2 of all
features (reading the CSVs included); pingouin's intraclass_corr is timed on a subset of
features (it takes tens of milliseconds per feature) and scaled to 1,000. The script prints
both times, the ratio kira/pingouin (goal <= 1.0), Kira's peak memory, the goal for Kira
(< 1 s for the whole run), and the largest ICC difference on the subset.
Timing is a benchmark, never a test: run it with `make bench-qc`.
"""
import csv, json, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "5"))
FEATURES, CASES, READERS = 1000, 200, 3
PINGOUIN_SUBSET = int(os.environ.get("PINGOUIN_SUBSET", "50"))


def write_tables(workdir):
    import numpy as np
    rng = np.random.default_rng(2026)
    truth = rng.normal(size=(CASES, FEATURES)) * rng.uniform(0.2, 3, size=FEATURES)
    noise_sd = rng.uniform(0.05, 2, size=FEATURES)
    paths = []
    for r in range(READERS):
        values = truth + rng.normal(scale=0.3, size=FEATURES) + rng.normal(size=(CASES, FEATURES)) * noise_sd
        path = os.path.join(workdir, f"reader{r}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["case_id"] + [f"original_feature_{j}" for j in range(FEATURES)])
            for i in range(CASES):
                w.writerow([f"case{i:03d}"] + [repr(float(v)) for v in values[i]])
        paths.append(path)
    return paths


def run_kira(paths):
    cmd = [KIRA, "qc", "stability", "--features", *paths, "--id-column", "case_id", "--form", "ICC2", "--json", "-v"]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        err.seek(0)
        log = err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("kira qc stability failed:\n" + log)
    # -v logs "timing: read tables X s (cpu X s), ICC of N features Y s (cpu Y s)"
    m = re.search(r"read tables ([0-9.]+) s \(cpu ([0-9.]+) s\), ICC of \d+ features ([0-9.]+) s \(cpu ([0-9.]+) s\)", log)
    phases = tuple(float(g) for g in m.groups()) if m else (float("nan"),) * 4
    cpu = usage.ru_utime + usage.ru_stime
    return dt, usage.ru_maxrss / 1024.0, json.loads(out), phases, cpu


def run_pingouin(paths, n_features):
    import pandas as pd
    import pingouin as pg
    t0 = time.perf_counter()
    frames = []
    for r, path in enumerate(paths):
        d = pd.read_csv(path)
        d["reader"] = r
        frames.append(d)
    long = pd.concat(frames)
    iccs = {}
    for j in range(n_features):
        name = f"original_feature_{j}"
        res = pg.intraclass_corr(data=long, targets="case_id", raters="reader", ratings=name)
        iccs[name] = float(res.set_index("Type").loc["ICC(A,1)", "ICC"])
    return time.perf_counter() - t0, iccs


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    with tempfile.TemporaryDirectory(prefix="kira-icc-bench-") as work:
        paths = write_tables(work)
        runs = [run_kira(paths) for _ in range(REPEATS)]
        kira_s = statistics.median(r[0] for r in runs)
        kira_mib = max(r[1] for r in runs)
        report = runs[0][2]
        phases = [statistics.median(r[3][i] for r in runs) for i in range(4)]
        kira_cpu = statistics.median(r[4] for r in runs)
        pg_s, pg_icc = run_pingouin(paths, PINGOUIN_SUBSET)
        pg_full = pg_s * FEATURES / PINGOUIN_SUBSET
        mine = {f["name"]: f["icc"] for f in report["features"]}
        diff = max(abs(mine[k] - v) for k, v in pg_icc.items())
        print(f"{FEATURES} features x {CASES} cases x {READERS} readers, ICC2")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times stretch under load; CPU times do not)")
        print(f"kira qc stability, whole run: {kira_s:.3f} s wall, {kira_cpu:.3f} s CPU (median of {REPEATS}), peak {kira_mib:.1f} MiB")
        print(f"  reading the 3 CSV tables: {phases[0]:.3f} s wall, {phases[1]:.3f} s CPU")
        print(f"  per-feature ICC (cell parsing included): {phases[2]:.3f} s wall, {phases[3]:.3f} s CPU "
              f"(goal < 1 s: {'met' if phases[3] < 1 else 'NOT met'})")
        print(f"pingouin intraclass_corr: {pg_s:.2f} s for {PINGOUIN_SUBSET} features -> {pg_full:.1f} s for {FEATURES}")
        print(f"time ratio kira/pingouin: {kira_s / pg_full:.4f} (goal <= 1.0)")
        print(f"kept at ICC2 >= 0.8: {len(report['kept'])}; max |ICC difference| on the subset: {diff:.2e}")


if __name__ == "__main__":
    main()
