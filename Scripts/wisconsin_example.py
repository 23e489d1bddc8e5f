#!/usr/bin/env python3
"""Regenerates the Wisconsin cohort report in docs/examples with Kira's own commands.

The table is scikit-learn's breast-cancer Wisconsin data (569 tumours, 30 nuclear features
from fine-needle aspirate images; positive = malignant), split at random (seeded) into
training (60%), internal (20%) and external (20%) sets: the "external" set is only a second
random hold-out, the table has no centres. Then, all by kira:

  kira train     two candidate models (logistic regression with C searched by inner CV, a
                 random forest), each after z-scoring, a correlation filter and LASSO
                 selection, 5-fold × 3 cross-validated on the training set (--cv, --json);
                 the best by mean CV AUC is the frozen model (results/model.json)
  kira train +   the chosen pipeline refitted on 4 of 5 training folds and applied to the
  kira predict   fifth: the out-of-fold probabilities of the training set's ROC
  kira predict   the frozen model on every set (predictions_<set>.csv)
  kira evaluate  each held-out set at the frozen threshold (metrics.json held_out)
  kira report    the cohort report, with Table 1 (sets compared, by diagnosis) and a
    cohort      logistic model of radius, texture and a concave-points indicator (mean
                concave points > 0.05) with odds ratios and its nomogram

summary.json and metrics.json are assembled from those commands' JSON in the layout
`kira study run` writes, so `kira report cohort` reads the folder as it reads a study's.
Then headless Chromium takes a screenshot of the top of the page.

Usage: python3 Scripts/wisconsin_example.py [OUT_DIR]   (default docs/examples; KIRA=path)
"""
import csv, json, os, random, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA") or next((p for p in [os.path.join(ROOT, ".build", "release", "kira"),
                                                    os.path.join(ROOT, ".build", "debug", "kira")] if os.path.exists(p)), None)
SELECT = "zscore,corr:0.95,lasso:min"
MODELS = {"lr": ["--param", "C=0.1,1,10"], "rf": ["--param", "n_estimators=200", "--param", "max_depth=6"]}
FOLDS = 5
SEED = 20


def kira(*args, json_out=False):
    r = subprocess.run([KIRA, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kira {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return json.loads(r.stdout) if json_out else r.stdout


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    if KIRA is None:
        sys.exit("no kira: run `swift build -c release` first or set KIRA")
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "examples"))
    from sklearn.datasets import load_breast_cancer
    d = load_breast_cancer()
    names = [n.replace(" ", "_") for n in d.feature_names]
    n = len(d.target)
    ids = [f"WDBC{i:03d}" for i in range(n)]
    label = [int(t == 0) for t in d.target]
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    split = [""] * n
    for rank, i in enumerate(order):
        split[i] = "train" if rank < n * 6 // 10 else "internal" if rank < n * 8 // 10 else "external"

    work = tempfile.mkdtemp(prefix="kira-wisconsin-")
    try:
        results = os.path.join(work, "results")
        os.makedirs(results)
        features = os.path.join(results, "features.csv")
        write_csv(features, ["id"] + names, [[ids[i]] + [repr(float(v)) for v in d.data[i]] for i in range(n)])
        # The "clinical" table: the label, the set, and a few features to describe and model.
        cases = os.path.join(work, "cases.csv")
        size = lambda r: "large" if r >= 15 else "small"
        concave = lambda i: "yes" if d.data[i][names.index("mean_concave_points")] > 0.05 else "no"
        write_csv(cases, ["id", "malignant", "set", "mean_radius", "mean_texture", "mean_smoothness", "worst_concave_points", "size",
                          "concave_points_high"],
                  [[ids[i], label[i], split[i]] + [repr(float(d.data[i][names.index(c)])) for c in
                                                     ["mean_radius", "mean_texture", "mean_smoothness", "worst_concave_points"]]
                   + [size(d.data[i][0]), concave(i)] for i in range(n)])
        labels = ["--labels", cases, "--label-column", "malignant"]

        # Candidate models, cross-validated on the training set; the best is frozen.
        trained = {}
        for m, params in MODELS.items():
            trained[m] = kira("train", "--features", features, *labels, "--split-column", "set", "--select", SELECT, "--model", m,
                              *params, "--cv", str(FOLDS), "--repeats", "3", "--seed", str(SEED), "-o", os.path.join(work, f"model_{m}.json"),
                              "--json", "--quiet", json_out=True)
            print(f"{m}: CV AUC {trained[m]['cv']['auc_mean']:.4f}", file=sys.stderr)
        best = max(trained, key=lambda m: trained[m]["cv"]["auc_mean"])
        shutil.copy(os.path.join(work, f"model_{best}.json"), os.path.join(results, "model.json"))
        model = os.path.join(results, "model.json")
        threshold = trained[best]["threshold"]

        # Out-of-fold probabilities of the training cases: stratified folds, the chosen
        # pipeline refitted on the other four.
        train = [i for i in range(n) if split[i] == "train"]
        folds = {}
        for cls in (0, 1):
            members = [i for i in train if label[i] == cls]
            random.Random(SEED + cls).shuffle(members)
            for k, i in enumerate(members):
                folds[i] = k % FOLDS
        oof = {}
        for k in range(FOLDS):
            fold_cases = os.path.join(work, f"fold{k}.csv")
            write_csv(fold_cases, ["id", "malignant", "set"],
                      [[ids[i], label[i], "test" if folds[i] == k else "train"] for i in train])
            fold_features = os.path.join(work, f"fold{k}_features.csv")
            write_csv(fold_features, ["id"] + names, [[ids[i]] + [repr(float(v)) for v in d.data[i]] for i in train if folds[i] != k])
            held = os.path.join(work, f"fold{k}_held.csv")
            write_csv(held, ["id"] + names, [[ids[i]] + [repr(float(v)) for v in d.data[i]] for i in train if folds[i] == k])
            fold_model = os.path.join(work, f"fold{k}_model.json")
            kira("train", "--features", fold_features, "--labels", fold_cases, "--label-column", "malignant",
                 "--select", SELECT, "--model", best, *MODELS[best], "--seed", str(SEED), "-o", fold_model, "--quiet")
            for p in kira("predict", "--model", fold_model, "--features", held, "--json", "--quiet", json_out=True)["predictions"]:
                oof[p["id"]] = p["probability"]

        # The frozen model on every set, then each held-out set evaluated at its threshold.
        everything = kira("predict", "--model", model, "--features", features, "--json", "--quiet", json_out=True)["predictions"]
        prob = {p["id"]: p["probability"] for p in everything}
        held_out = {}
        for s in ["train", "internal", "external"]:
            rows = [i for i in range(n) if split[i] == s]
            path = os.path.join(results, f"predictions_{s}.csv")
            header = ["id", "probability", "predicted_high", "label"] + (["cv_probability"] if s == "train" else [])
            write_csv(path, header, [[ids[i], repr(prob[ids[i]]), int(prob[ids[i]] >= threshold), label[i]]
                                     + ([repr(oof[ids[i]])] if s == "train" else []) for i in rows])
            if s != "train":
                held_out[s] = kira("evaluate", "--predictions", path, *labels, "--cutoff", repr(threshold), "--json", "--quiet", json_out=True)
        models = [dict(model=m, auc_mean=t["cv"]["auc_mean"], auc_sd=t["cv"]["auc_sd"], auc_per_repeat=t["cv"]["auc_per_repeat"],
                       cv=t["cv"], selection_frequency=t["cv"].get("selection_frequency", {})) for m, t in trained.items()]
        rule = f"highest mean {FOLDS}-fold cross-validated AUC on the training set"
        threshold_rule = "Youden's J on the training cases (kira train)"
        with open(os.path.join(results, "metrics.json"), "w") as f:
            json.dump(dict(rule=rule, best=best, threshold=threshold, threshold_rule=threshold_rule, models=models, held_out=held_out),
                      f, indent=2, sort_keys=True)
        counts = {s: split.count(s) for s in ["train", "internal", "external"]}
        positives = {s: sum(label[i] for i in range(n) if split[i] == s) for s in counts}
        version = kira("--version").strip()
        with open(os.path.join(results, "summary.json"), "w") as f:
            json.dump(dict(kira_version=version, study_file="Wisconsin breast cancer (scikit-learn)", study_hash="",
                           cohort=dict(cases=n, splits=counts, positives=positives, label_rule="malignant = 1 is positive"),
                           reproducibility=dict(form=None, min=None, kept={}, dropped={}, notes=[]),
                           best=dict(model=best, rule=rule, cv_auc_mean=trained[best]["cv"]["auc_mean"],
                                     selected_features=trained[best]["selected_features"], threshold=threshold,
                                     threshold_rule=threshold_rule)),
                      f, indent=2, sort_keys=True)

        os.makedirs(out, exist_ok=True)
        html = os.path.join(out, "wisconsin-cohort-report.html")
        kira("report", "cohort", "--results", results, "-o", html, "--overwrite", "--title",
             "Kira cohort report: breast-cancer Wisconsin (malignant vs benign)",
             "--clinical-table", cases, "--id-column", "id", "--group-by", "set", "--normal", "mean_radius,mean_texture",
             "--nonnormal", "mean_smoothness,worst_concave_points", "--categorical", "size,concave_points_high",
             "--clinical", "mean_radius,mean_texture,concave_points_high")
        # The screenshot shows the discrimination, SHAP and clinical-model sections (the others
        # hidden in a copy of the page: headless Chromium paints only from the top of a page).
        shot_page = os.path.join(work, "shot.html")
        hide = "#overview,#calibration,#decision-curves,#lasso,#table1,nav{display:none}"
        with open(html) as f, open(shot_page, "w") as g:
            g.write(f.read().replace("</head>", f"<style>{hide}</style></head>", 1))
        shot = os.path.join(out, "wisconsin-cohort.png")
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--proxy-server=http://127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>", f"--user-data-dir={os.path.join(work, 'profile')}"]
        subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=1000,2500", "file://" + shot_page],
                       check=True, capture_output=True)
        # Committed small: the blank rows below the page cut off, 64 colours.
        from PIL import Image, ImageOps
        im = Image.open(shot).convert("RGB")
        box = ImageOps.invert(im).getbbox()
        im = im.crop((0, 0, im.width, min(im.height, box[3] + 20))) if box else im
        im.quantize(colors=64).save(shot, optimize=True)
        print(f"best model {best} (CV AUC {trained[best]['cv']['auc_mean']:.4f}); "
              + ", ".join(f"{s} AUC {e['auc']:.4f}" for s, e in held_out.items()) + f"; wrote {html} and {shot}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
