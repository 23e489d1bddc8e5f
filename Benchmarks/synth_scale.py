#!/usr/bin/env python3
"""kira synth: time and peak memory of synthetic cohorts of growing size.

Writes cohorts of CASES (default "10,40,160") cases with the same seed under GNU time and
prints wall time, CPU time and peak RSS for each, and the peak's growth from the smallest
to the largest cohort. Goals: 40 cases in a few seconds (the demo's synthesis step), peak
memory flat in the number of cases (cases are written one at a time; growth under 5 MiB).
There is no peer: nothing else writes this cohort. Run it with `make bench-synth`.
"""
import os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
SIZES = [int(x) for x in os.environ.get("CASES", "10,40,160").split(",")]


def run(n, workdir):
    out = os.path.join(workdir, f"cohort{n}")
    shutil.rmtree(out, ignore_errors=True)
    fmt = "%e %U %S %M"
    p = subprocess.run(["/usr/bin/time", "-f", fmt, KIRA, "synth", "-o", out, "--cases", str(n), "--seed", "1"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"kira synth failed:\n{p.stderr}")
    wall, user, system, peak = p.stderr.strip().splitlines()[-1].split()
    shutil.rmtree(out, ignore_errors=True)
    return float(wall), float(user) + float(system), int(peak) / 1024


def main():
    if not os.path.exists(KIRA):
        sys.exit(f"no kira at {KIRA}; run `make release` first or set KIRA")
    with tempfile.TemporaryDirectory() as workdir:
        rows = [(n, *run(n, workdir)) for n in SIZES]
    print(f"{'cases':>6} {'wall s':>8} {'cpu s':>8} {'s/case':>8} {'peak MiB':>9}")
    for n, wall, cpu, peak in rows:
        print(f"{n:>6} {wall:>8.2f} {cpu:>8.2f} {wall / n:>8.3f} {peak:>9.1f}")
    growth = rows[-1][3] - rows[0][3]
    print(f"peak growth {rows[0][0]} -> {rows[-1][0]} cases: {growth:.1f} MiB (goal < 5 MiB: memory flat in N)")


if __name__ == "__main__":
    main()
