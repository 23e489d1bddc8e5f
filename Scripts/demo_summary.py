#!/usr/bin/env python3
"""Prints what `make demo` found: the headline numbers of results/summary.json set beside
what `kira synth` planted (synth.json), so a reader sees whether the pipeline recovered it."""
import json, os, sys

folder = sys.argv[1] if len(sys.argv) > 1 else "demo-output"
summary = json.load(open(os.path.join(folder, "results", "summary.json")))
synth = json.load(open(os.path.join(folder, "synth.json")))


def ci(values):
    return f"{values[0]:.2f}-{values[1]:.2f}" if values else "n/a"


c = summary["cohort"]
print(f"\ncohort: {c['cases']} cases, splits {c['splits']}, Ki-67 high {c['positives']} ({c['label_rule']})")
f = summary["features"]
print(f"branches: {f['branches']} (computed {f['computed']}, reused {f['reused']}, failed {f['failed']})")
r = summary["reproducibility"]
print(f"reader agreement ({r.get('form')} >= {r.get('min')}): kept {r['kept']}, dropped {r['dropped']}")
print("models (repeated CV on the training split, AUC mean and 95% CI):")
for m in summary["models"]:
    print(f"  {m['model']:8} {m['cv_auc_mean']:.3f} ({ci(m['cv_auc_ci95'])})")
b = summary["best"]
print(f"frozen model: {b['model']} ({len(b['selected_features'])} features, threshold {b['threshold']:.3f})")
for split, h in sorted(summary["held_out"].items()):
    print(f"  {split:9} n={h['n']:3}  AUC {h['auc']:.3f} (DeLong 95% CI {ci(h['auc_ci95'])})"
          f"  sensitivity {h['sensitivity']:.2f}  specificity {h['specificity']:.2f}")
stated = synth.get("signal", {})
numbers = {k: v for k, v in stated.items() if isinstance(v, (int, float))}
if numbers:
    print("planted by kira synth (population values, synth.json): "
          + ", ".join(f"{k.replace('expected_', '')} {v}" for k, v in sorted(numbers.items())))
unstable = synth.get("readers", {}).get("unstable_features", [])
if unstable:
    import csv
    with open(os.path.join(folder, "results", "icc.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["feature"].startswith("tumour_")]
    for name in unstable:
        for r in rows:
            if r["feature"].endswith("_" + name):
                verdict = "kept" if r["kept"] == "1" else "dropped"
                print(f"made unstable on purpose: {r['modality']} {r['feature']} ICC {float(r['icc2']):.2f} -> {verdict}")
for split, s in sorted(summary["survival"].items()):
    p = s.get("logrank_p")
    hr = s.get("hazard_ratio")
    print(f"survival by predicted group, {split}: log-rank p {p:.3g}" + (f", HR {hr:.2f}" if hr else "") if p is not None
          else f"survival by predicted group, {split}: no comparison possible")
