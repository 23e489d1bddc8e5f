#!/usr/bin/env python3
"""kira convert against dcm2niix on the same inputs, in one run.

For each input both tools convert to uncompressed NIfTI with a JSON sidecar, several
times; the script prints the median wall time of each, the ratio kira/dcm2niix (goal
<= 1.0), each tool's peak resident memory, and Kira's peak against the largest volume it
wrote (goal <= 2x), both as measured and less the resident memory of a process that does
nothing (`kira --version`), which no input can go below. Per-input ratios, then their
geometric mean. Timing is a benchmark, never a test: run it with `make bench`.

Wall time on a shared machine is noisy; CALLGRIND=1 also counts each tool's instructions
once under valgrind (all threads, stable from run to run) and prints that ratio too.
KIRA_BASELINE=/path/to/older/kira runs that build too, interleaved with the others in
every repeat, and prints its CPU ratio beside the current one (before/after comparisons
on a machine whose load changes from minute to minute).
"""
import json, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.environ.get("KIRA_REFERENCE", os.path.join(os.path.dirname(ROOT), "shared", "reference"))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "5"))
CALLGRIND = os.environ.get("CALLGRIND", "") not in ("", "0")
BASELINE = os.environ.get("KIRA_BASELINE", "")

CASES = [
    ("synthetic DCE, 3 phases (TestData)", os.path.join(ROOT, "TestData", "dicom", "dce")),
    ("IBSI CT phantom, 60 slices", os.path.join(REF, "ibsi", "ct_phantom", "dicom", "image")),
    ("dcm_qa_ts, 9 transfer syntaxes", os.path.join(REF, "dicom", "dcm_qa_ts", "In")),
    ("dcm_qa_enh, enhanced multi-frame", os.path.join(REF, "dicom", "dcm_qa_enh", "In")),
    ("CBIS-DDSM mammogram, RLE 4736x2624", os.path.join(REF, "dicom", "samples", "mg")),
]


def stacked_ct(src, copies, workdir):
    """The CT phantom's slices repeated `copies` times along z (new positions and UIDs,
    written with dcmtk's dcmodify): a realistically sized series from a small input."""
    out = os.path.join(workdir, f"ct_x{copies}")
    if os.path.isdir(out) or not os.path.isdir(src) or not shutil.which("dcmodify"):
        return out
    os.makedirs(out)
    slices = sorted(os.listdir(src))
    n = len(slices)
    for c in range(copies):
        for i, name in enumerate(slices):
            dst = os.path.join(out, f"c{c}_{name}")
            shutil.copy(os.path.join(src, name), dst)
            # The phantom's slices are 3 mm apart, descending from z = 76.6 mm.
            z = 76.6 - 3.0 * (c * n + i)
            subprocess.run(["dcmodify", "-nb", "-q",
                            "-i", f"(0020,0032)=-174.39450073242\\-79.625503540039\\{z:.4f}",
                            "-i", f"(0020,0013)={c * n + i + 1}",
                            "-i", f"(0008,0018)=1.2.826.0.1.3680043.8.498.77.{c}.{i}", dst], check=True)
    return out


def run(cmd):
    """Runs cmd, returns (seconds, peak RSS in MiB, exit code, CPU seconds). The peak is only
    right above this Python process's own resident size: a child started from Python
    inherits its high-water mark (vfork, then exec keeps the larger of the two), so peaks
    come from peak_mib."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    return dt, usage.ru_maxrss / 1024.0, code, usage.ru_utime + usage.ru_stime


def peak_mib(cmd):
    """cmd's own peak resident memory in MiB, read by GNU time (a small process, so nothing
    of this one's is counted), or run()'s figure when /usr/bin/time is absent."""
    if not os.access("/usr/bin/time", os.X_OK):
        return run(cmd)[1]
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read().split()[-1]) / 1024.0


def archive(cases, workdir):
    """Every input above copied into one folder tree: an archive converted in one run, as
    users convert them. Per-process start-up (Kira loads dcmtk, libtiff and ICU: about 8 ms
    of CPU against dcm2niix's 1 ms) then weighs what it weighs in practice."""
    out = os.path.join(workdir, "archive")
    if os.path.isdir(out):
        return out
    for i, (_, path) in enumerate(cases):
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(out, f"case{i}"))
    return out


def instructions(cmd, workdir):
    """Instructions executed by cmd (all threads), counted by callgrind; None when unavailable."""
    out = os.path.join(workdir, "callgrind.out")
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"refs:\s+([\d,]+)", p.stderr)
    return int(m.group(1).replace(",", "")) if m else None


def valgrind_copy(kira, workdir):
    """Valgrind cannot read the DWARF 5 debug information swiftc writes: count a copy
    without it (the code is the same)."""
    if not (CALLGRIND and shutil.which("valgrind") and shutil.which("strip")):
        return None
    copy = os.path.join(workdir, "kira-nodebug")
    shutil.copy(kira, copy)
    subprocess.run(["strip", "-g", copy], check=True)
    return copy


def largest_volume_mib(outdir):
    best = 0
    for name in os.listdir(outdir):
        if name.endswith(".json"):
            with open(os.path.join(outdir, name)) as f:
                g = json.load(f).get("KiraGeometry", {})
            size = g.get("Size", [0])
            n = 1
            for s in size:
                n *= s
            n *= g.get("Components", 1)
            bytes_per = {"uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "float32": 4, "float64": 8}
            best = max(best, n * bytes_per.get(g.get("ScalarType", "float32"), 4))
    return best / 2**20


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    dcm2niix = shutil.which("dcm2niix")
    if not dcm2niix:
        sys.exit("dcm2niix is not installed (apt-get install dcm2niix)")
    work = tempfile.mkdtemp(prefix="kira-bench-")
    CASES.append(("IBSI CT phantom x4 (240 slices, dcmodify)",
                  stacked_ct(os.path.join(REF, "ibsi", "ct_phantom", "dicom", "image"), 4, work)))
    # The x4 stack shares its series UID with the 60-slice phantom: one of them only.
    CASES.append(("all of the above in one run (archive)",
                  archive([c for c in CASES if not c[0].startswith("IBSI CT phantom, 60")], work)))
    idle = max(peak_mib([KIRA, "--version"]) for _ in range(3))
    start_k = statistics.median(run([KIRA, "--version"])[3] for _ in range(10))
    start_d = statistics.median(run([dcm2niix, "-v"])[3] for _ in range(10))
    counted = valgrind_copy(KIRA, work)
    print(f"kira doing nothing (--version): {idle:.1f} MiB resident, {start_k * 1000:.1f} ms CPU "
          f"(dcm2niix -v: {start_d * 1000:.1f} ms)")
    header = f"{'input':42} {'kira s':>7} {'d2n s':>7} {'ratio':>6} {'cpu ratio':>9} {'kira MiB':>8} {'d2n MiB':>7} {'vol MiB':>7} {'peak/vol':>8} {'(peak-idle)/vol':>15}"
    if counted:
        header += f" {'kira Minstr':>11} {'d2n Minstr':>10} {'instr ratio':>11}"
    if BASELINE:
        header += f" {'baseline cpu ratio':>18}"
    print(header)
    ratios, iratios, cratios, bratios = [], [], [], []
    for label, path in CASES:
        if not os.path.isdir(path):
            print(f"{label:42} skipped: {path} is absent")
            continue
        kt, km, dt, dm, kc, dc, bc = [], [], [], [], [], [], []
        vol = 0.0
        for _ in range(REPEATS):
            with tempfile.TemporaryDirectory() as ko, tempfile.TemporaryDirectory() as do:
                s, _, code, c = run([KIRA, "convert", path, "-o", ko, "-q"])
                if code not in (0, 2):
                    print(f"{label:42} kira failed with exit code {code}")
                    break
                kt.append(s); kc.append(c)
                vol = max(vol, largest_volume_mib(ko))
                s, _, _, c = run([dcm2niix, "-z", "n", "-b", "y", "-o", do, path])
                dt.append(s); dc.append(c)
            # Peaks in runs of their own, under GNU time (see peak_mib); timing stays direct.
            with tempfile.TemporaryDirectory() as ko, tempfile.TemporaryDirectory() as do:
                km.append(peak_mib([KIRA, "convert", path, "-o", ko, "-q"]))
                dm.append(peak_mib([dcm2niix, "-z", "n", "-b", "y", "-o", do, path]))
            if BASELINE:
                with tempfile.TemporaryDirectory() as bo:
                    bc.append(run([BASELINE, "convert", path, "-o", bo, "-q"])[3])
        if not kt:
            continue
        k, d = statistics.median(kt), statistics.median(dt)
        cr = statistics.median(kc) / max(statistics.median(dc), 1e-9)
        ratios.append(k / d)
        cratios.append(cr)
        peak = max(km)
        line = (f"{label:42} {k:7.3f} {d:7.3f} {k / d:6.2f} {cr:9.2f} {peak:8.1f} {max(dm):7.1f} {vol:7.1f} "
                f"{peak / vol if vol else float('nan'):8.2f} {(peak - idle) / vol if vol else float('nan'):15.2f}")
        if counted:
            with tempfile.TemporaryDirectory() as ko, tempfile.TemporaryDirectory() as do:
                ki = instructions([counted, "convert", path, "-o", ko, "-q"], work)
                di = instructions([dcm2niix, "-z", "n", "-b", "y", "-o", do, path], work)
            if ki and di:
                iratios.append(ki / di)
                line += f" {ki / 1e6:11.1f} {di / 1e6:10.1f} {ki / di:11.2f}"
        if bc:
            br = statistics.median(bc) / max(statistics.median(dc), 1e-9)
            bratios.append(br)
            line += f" {br:18.2f}"
        print(line)
    shutil.rmtree(work, ignore_errors=True)
    if ratios:
        print(f"geometric-mean time ratio kira/dcm2niix: {statistics.geometric_mean(ratios):.2f} (goal <= 1.0); "
              f"CPU time: {statistics.geometric_mean(cratios):.2f}")
    if bratios:
        print(f"baseline geometric-mean CPU ratio: {statistics.geometric_mean(bratios):.2f}")
    if iratios:
        print(f"geometric-mean instruction ratio kira/dcm2niix: {statistics.geometric_mean(iratios):.2f}")


if __name__ == "__main__":
    main()
