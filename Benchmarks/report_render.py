#!/usr/bin/env python3
"""kira report: cohort report render time in headless Chromium, and per-study reports.

1. Cohort: writes a results folder for CASES (default 1000) cases (60/20/20% training,
   internal, external; binormal scores, follow-up by predicted group, 1,000 ICC rows), then
   times `kira report cohort` and headless Chromium loading the page (--dump-dom, after
   load) against Chromium loading a blank page, the median of 3 runs each. Goal: the report
   renders in Chromium in under 3 s.
2. Per-study, in-process: removes DEMO/results/reports and reruns `kira study run
   DEMO/study.yaml --jobs JOBS` (default demo-output, as `make demo` leaves it; every branch
   and the analysis are reused), which writes every case's report in one process, cases in
   parallel; the time of that stage is the one the run prints ("study reports: … (x s)").
   Then the same rerun with the reports in place (nothing rewritten). Goal: 200 reports in
   under 10 s on 2 cores (`DEMO_CASES=200 DEMO_OUT=demo-200 make demo`, then DEMO=demo-200).
3. Per-study, one process per report: `kira report study` for STUDIES (default 200) cases of
   DEMO/results (cases cycle when there are fewer), JOBS at a time.
There is no peer: nothing else writes these reports. Run it with `make bench-report`.
"""
import csv, json, math, os, random, shutil, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
CASES = int(os.environ.get("CASES", "1000"))
STUDIES = int(os.environ.get("STUDIES", "200"))
JOBS = int(os.environ.get("JOBS", "2"))
DEMO = os.environ.get("DEMO", os.path.join(ROOT, "demo-output"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--proxy-server=http://127.0.0.1:9",
                  "--proxy-bypass-list=<-loopback>"]


def write_results(d, n):
    rng = random.Random(7)
    os.makedirs(d)
    splits = ["train"] * (n * 6 // 10) + ["internal"] * (n * 2 // 10)
    splits += ["external"] * (n - len(splits))
    rows = []
    for i, s in enumerate(splits):
        y = rng.random() < 0.45
        z = rng.gauss(1.0 if y else 0.0, 1.0)
        p = 1 / (1 + math.exp(-(z - 0.5) * 1.4))
        cv = 1 / (1 + math.exp(-(z - 0.5 + rng.gauss(0, 0.3)) * 1.4))
        hazard = 0.035 if p >= 0.5 else 0.012
        t = rng.expovariate(hazard)
        rows.append((f"C{i:05d}", s, y, round(p, 6), round(cv, 6), min(t, 60.0), t < 60))
    for s in ["train", "internal", "external"]:
        with open(os.path.join(d, f"predictions_{s}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "probability", "predicted_high", "label"] + (["cv_probability"] if s == "train" else []))
            for r in rows:
                if r[1] == s:
                    w.writerow([r[0], r[3], int(r[3] >= 0.5), int(r[2])] + ([r[4]] if s == "train" else []))
    splits_out = {}
    for s in ["train", "internal", "external"]:
        sub = os.path.join(d, f"km_{s}.csv")
        with open(sub, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "time", "event", "group"])
            for r in rows:
                if r[1] == s:
                    w.writerow([r[0], round(r[5], 2), int(r[6]), "high" if r[3] >= 0.5 else "low"])
        km = json.loads(subprocess.run([KIRA, "survival", "km", "--data", sub, "--time", "time", "--event", "event",
                                        "--group", "group", "--json"], check=True, capture_output=True, text=True).stdout)
        os.remove(sub)
        groups = {k: dict(n=g["n"], events=g["events"], median=g["median"], timeline=g["timeline"], survival=g["survival"],
                          lower=g["ci95_lower"], upper=g["ci95_upper"], at_risk=g["at_risk"]) for k, g in km["groups"].items()}
        splits_out[s] = dict(n=km["n"], groups=groups, logrank_chi2=km["logrank"]["statistic"], logrank_p=km["logrank"]["p"])
    json.dump(dict(cutoff=0.5, cutoff_rule="benchmark: 0.5", splits=splits_out), open(os.path.join(d, "survival.json"), "w"))
    json.dump(dict(best="lr", threshold=0.5, models=[], held_out={}, rule="", threshold_rule=""), open(os.path.join(d, "metrics.json"), "w"))
    counts = {s: splits.count(s) for s in ["train", "internal", "external"]}
    positives = {s: sum(1 for r in rows if r[1] == s and r[2]) for s in counts}
    json.dump(dict(kira_version="bench", study_file="bench.yaml", study_hash="0",
                   cohort=dict(cases=n, splits=counts, positives=positives, label_rule="ki67 > 20 is high"),
                   reproducibility=dict(form="ICC2", min=0.8, kept={}, dropped={}, notes=[]),
                   best=dict(model="lr", rule="benchmark", cv_auc_mean=0.7, selected_features=[], threshold=0.5, threshold_rule="benchmark")),
              open(os.path.join(d, "summary.json"), "w"))
    with open(os.path.join(d, "icc.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["modality", "feature", "column", "icc2", "ci95_low", "ci95_high", "cases", "kept", "reason"])
        for k in range(1000):
            v = min(1.0, max(-0.2, rng.betavariate(6, 1.5)))
            w.writerow(["mr", f"f{k}", f"mr_f{k}", v, v - 0.1, v + 0.05, n, int(v >= 0.8), ""])


def median_time(cmd, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def chromium_load(page, profile):
    shutil.rmtree(profile, ignore_errors=True)
    return ["chromium"] + CHROMIUM_FLAGS + [f"--user-data-dir={profile}", "--dump-dom", "file://" + page]


def cohort(work):
    results = os.path.join(work, "results")
    write_results(results, CASES)
    html = os.path.join(work, "cohort.html")
    write = median_time([KIRA, "report", "cohort", "--results", results, "-o", html, "--overwrite"])
    blank = os.path.join(work, "blank.html")
    open(blank, "w").write("<!DOCTYPE html><html><head><title>b</title></head><body></body></html>")
    base = median_time(chromium_load(blank, os.path.join(work, "p1")))
    load = median_time(chromium_load(html, os.path.join(work, "p2")))
    size = os.path.getsize(html) / 1024
    print(f"cohort report, {CASES} cases: written in {write:.2f} s ({size:.0f} KiB); Chromium load {load:.2f} s "
          f"(blank page {base:.2f} s, so {load - base:.2f} s for the report); goal: load under 3 s")


def in_process():
    study = os.path.join(DEMO, "study.yaml")
    reports = os.path.join(DEMO, "results", "reports")
    if not os.path.exists(os.path.join(DEMO, "results", "model.json")):
        print(f"per-study reports (in-process): skipped, no {DEMO}/results/model.json (run `make demo` first or set DEMO)")
        return
    for fresh in (True, False):
        if fresh:
            shutil.rmtree(reports, ignore_errors=True)
        t = time.perf_counter()
        r = subprocess.run([KIRA, "study", "run", study, "--jobs", str(JOBS)], capture_output=True, text=True)
        wall = time.perf_counter() - t
        if r.returncode not in (0, 2):
            sys.exit(f"kira study run: exit {r.returncode}\n{r.stderr}")
        line = next((l for l in r.stderr.splitlines() if "study reports:" in l), "")
        stage = float(line.split("(")[-1].split(" s)")[0]) if "(" in line else float("nan")
        n = len([f for f in os.listdir(reports) if f.endswith(".html")])
        what = "written" if fresh else "rerun, left unchanged"
        print(f"per-study reports in kira study run --jobs {JOBS} ({what}): {n} cases in {stage:.2f} s "
              f"({stage / max(n, 1) * 1000:.0f} ms each; whole rerun {wall:.1f} s, every branch and the analysis reused); goal: 200 under 10 s")


def studies(work):
    results = os.path.join(DEMO, "results")
    if not os.path.exists(os.path.join(results, "model.json")):
        print(f"per-study reports: skipped, no {results}/model.json (run `make demo` first or set DEMO)")
        return
    ids = []
    for s in ["train", "internal", "external"]:
        p = os.path.join(results, f"predictions_{s}.csv")
        if os.path.exists(p):
            ids += [r["id"] for r in csv.DictReader(open(p))]
    cases = [ids[k % len(ids)] for k in range(STUDIES)]
    out = os.path.join(work, "studies")
    os.makedirs(out)

    def one(k):
        subprocess.run([KIRA, "report", "study", "--model", os.path.join(results, "model.json"), "--case", cases[k],
                        "--results", results, "-o", os.path.join(out, f"{k:04d}_{cases[k]}.html"), "--quiet"], check=True)

    t = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(one, range(STUDIES)))
    wall = time.perf_counter() - t
    print(f"per-study reports: {STUDIES} in {wall:.2f} s with {JOBS} at a time ({wall / STUDIES:.3f} s each); goal: under 10 s")


def main():
    if not os.path.exists(KIRA):
        sys.exit(f"no kira at {KIRA}; run `make release` first or set KIRA")
    if shutil.which("chromium") is None:
        sys.exit("no chromium on PATH (make peers installs it)")
    with tempfile.TemporaryDirectory() as work:
        if os.environ.get("SKIP_COHORT") != "1":
            cohort(work)
        in_process()
        if os.environ.get("SKIP_PROCESSES") != "1":
            studies(work)


if __name__ == "__main__":
    main()
