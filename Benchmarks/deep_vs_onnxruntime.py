#!/usr/bin/env python3
"""KiraDeep against ONNX Runtime: per-crop time and peak memory of ResNet-50 and DenseNet-169
(torchvision, seeded random weights, exported at opset 13 by Debian's python3-torch) on the
same 224×224 crops with the same number of threads (1 and 2).

Per-crop time: `kira deep run` (release build) is timed on CROPS crops and on 1 crop; the
difference over CROPS − 1 removes model loading. ONNX Runtime is timed in its own process
on the same crops one at a time after a warm-up run (intra_op_num_threads = threads).
Kira with 2 threads runs two crops at once (one BLAS thread each). Peak memory is each
process's maximum resident set. CPU time per crop (user + system, the same differences) is
printed beside wall time, since on a loaded machine wall time also counts waiting for a core.
Each configuration runs REPEATS times (Kira, then ONNX Runtime, then again), and the
medians are printed with the range of the per-repeat CPU ratios: identical runs on the shared
2-core machine differ by 15–30%, and a difference of two runs doubles that, so a single pair
cannot rank two builds.
Goal: ratio kira/onnxruntime ≤ 1.0. Run with `make bench-deep`.
"""
import json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
CROPS = int(os.environ.get("CROPS", "17"))
REPEATS = int(os.environ.get("REPEATS", "3"))
ARCHS = os.environ.get("ARCHS", "resnet50,densenet169").split(",")

ORT_SCRIPT = r"""
import json, resource, sys, time
import numpy as np, onnxruntime as ort
model, inputs, threads = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
o = ort.SessionOptions(); o.intra_op_num_threads = threads; o.inter_op_num_threads = 1
s = ort.InferenceSession(model, o, providers=["CPUExecutionProvider"])
name = s.get_inputs()[0].name
s.run(None, {name: inputs[:1]})
t, c = time.perf_counter(), time.process_time()
for i in range(inputs.shape[0]):
    s.run(None, {name: inputs[i:i + 1]})
per = (time.perf_counter() - t) / inputs.shape[0]
cpu = (time.process_time() - c) / inputs.shape[0]
print(json.dumps({"per_crop": per, "cpu_per_crop": cpu, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def kira_run(model, inputs, threads, out):
    p = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", KIRA, "deep", "run", "--model", model, "--input", inputs,
                        "--threads", str(threads), "-o", out, "--overwrite"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"kira deep run failed:\n{p.stderr}")
    wall, peak, user, system = p.stderr.strip().splitlines()[-1].split()
    return float(wall), int(peak) / 1024, float(user) + float(system)


def main():
    if not os.path.exists(KIRA):
        sys.exit(f"no kira at {KIRA}; run `make release` first or set KIRA")
    with tempfile.TemporaryDirectory() as work:
        many, one = os.path.join(work, "crops.npy"), os.path.join(work, "one.npy")
        subprocess.run([sys.executable, "-c", "import numpy as np, sys; x = np.random.default_rng(1).standard_normal(("
                        f"{CROPS}, 3, 224, 224)).astype(np.float32); np.save(sys.argv[1], x); np.save(sys.argv[2], x[:1])", many, one],
                       check=True)
        print(f"{'model':<12} {'threads':>7} {'kira ms':>9} {'ort ms':>9} {'ratio':>6} {'kira cpu':>9} {'ort cpu':>8} {'ratio':>6}"
              f" {'cpu ratio range':>16} {'kira MiB':>9} {'ort MiB':>8}")
        for arch in ARCHS:
            model = os.path.join(work, arch + ".onnx")
            subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "Tests/Peers/torchvision_export.py"), arch, model, one,
                            os.path.join(work, "torch.npy")], check=True, capture_output=True)
            for threads in (1, 2):
                runs = []
                for _ in range(REPEATS):
                    t_many, peak, c_many = kira_run(model, many, threads, os.path.join(work, "out"))
                    t_one, _, c_one = kira_run(model, one, threads, os.path.join(work, "out"))
                    r = json.loads(subprocess.run([sys.executable, "-c", ORT_SCRIPT, model, many, str(threads)],
                                                  check=True, capture_output=True, text=True).stdout)
                    runs.append({"kira_ms": (t_many - t_one) / (CROPS - 1) * 1000, "kira_cpu": (c_many - c_one) / (CROPS - 1) * 1000,
                                 "ort_ms": r["per_crop"] * 1000, "ort_cpu": r["cpu_per_crop"] * 1000,
                                 "kira_mib": peak, "ort_mib": r["peak_mib"]})
                med = {k: statistics.median(x[k] for x in runs) for k in runs[0]}
                ratios = [x["kira_cpu"] / x["ort_cpu"] for x in runs]
                spread = f"{min(ratios):.2f}–{max(ratios):.2f}"
                print(f"{arch:<12} {threads:>7} {med['kira_ms']:>9.1f} {med['ort_ms']:>9.1f} {med['kira_ms'] / med['ort_ms']:>6.2f}"
                      f" {med['kira_cpu']:>9.1f} {med['ort_cpu']:>8.1f} {med['kira_cpu'] / med['ort_cpu']:>6.2f} {spread:>16}"
                      f" {max(x['kira_mib'] for x in runs):>9.0f} {max(x['ort_mib'] for x in runs):>8.0f}", flush=True)


if __name__ == "__main__":
    main()
