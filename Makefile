# Two commands on a fresh Debian 12 machine with Swift: `make demo` and `make test`.
# Both install any missing Debian packages first (apt-get; sudo when not root).

SWIFT ?= swift
DEB_BUILD := libdcmtk-dev libnifti2-dev libniftiio-dev libtiff-dev libdeflate-dev libopenjp2-7-dev libopenblas-dev libcurl4-openssl-dev \
             libpng-dev libjpeg-dev zlib1g-dev pkg-config libsvm-dev libsqlite3-dev
# Peer tools: tests compare against them where present; benchmarks need them.
DEB_PEERS := dcmtk dcm2niix valgrind time r-base-core r-cran-proc r-cran-rms dicom3tools pixelmed-apps orthanc orthanc-dicomweb chromium fonts-dejavu-core
PY_PEERS := pingouin:pingouin SimpleITK:SimpleITK scikit-learn:sklearn lifelines:lifelines \
            pyradiomics-bhklab:radiomics nibabel:nibabel pydicom:pydicom \
            statsmodels:statsmodels scikit-survival:sksurv shap:shap xgboost:xgboost \
            PyWavelets:pywt scipy:scipy scikit-image:skimage snakemake:snakemake highdicom:highdicom dcmqi:dcmqi tableone:tableone
# KiraDeep's tests export torchvision networks with Debian's torch (/usr/bin/python3) and
# compare Grad-CAM with PyPI grad-cam, installed there without its dependencies (they would
# pull PyPI's torch); Debian supplies the modules it imports.
DEB_PEERS += python3-torch python3-torchvision python3-opencv python3-matplotlib python3-tqdm python3-scipy \
             python3-sklearn python3-pil python3-pip
PY_PEERS += onnx:onnx onnxruntime:onnxruntime
DEMO_OUT ?= demo-output
DEMO_CASES ?= 120

.PHONY: all deps peers build release test demo bench bench-convert bench-resample bench-n4 bench-features bench-filters \
        bench-qc bench-survival bench-learn bench-gbm bench-synth bench-instructions bench-archive bench-study-features bench-report bench-deep man fuzz clean

all: build

deps:
	@./.ci/install-debs $(DEB_BUILD)

peers: deps
	@./.ci/install-debs $(DEB_PEERS)
	@./.ci/install-pip $(PY_PEERS)
	@/usr/bin/python3 -c "import pytorch_grad_cam" 2>/dev/null || \
	    /usr/bin/python3 -m pip install -q --disable-pip-version-check --break-system-packages --no-deps grad-cam ttach

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation linked statically: a third fewer instructions at
# start-up (no symbol binding for their libraries) and 6 MB less resident memory.
# The release executable links the Swift runtime statically and as a fixed-address (non-PIE)
# executable: about 100,000 fewer relocations at every start and 3.6 MiB less resident
# memory, at the cost of address randomisation for the executable's own image.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib -Xlinker -no-pie

test: peers
	$(SWIFT) test

# The real job on a synthetic cohort: kira synth writes DEMO_CASES studies (DICOM DCE-MRI,
# T2, mammography, ultrasound; two readers' masks; three centres), then kira study run takes
# them from DICOM to a validated Ki-67 model (ICC filter, model comparison, held-out centres,
# survival by predicted group).
demo: release
	@rm -rf $(DEMO_OUT)
	$$($(SWIFT) build -c release --show-bin-path)/kira synth -o $(DEMO_OUT) --cases $(DEMO_CASES) --seed 0
	time $$($(SWIFT) build -c release --show-bin-path)/kira study run $(DEMO_OUT)/study.yaml --jobs 2; \
	    code=$$?; [ $$code -eq 0 ] || [ $$code -eq 2 ] || exit $$code
	@python3 Scripts/demo_summary.py $(DEMO_OUT)
	@echo "demo: the study file (written by kira synth) is $(DEMO_OUT)/study.yaml; results (report.html, summary.json, model.json, predictions_*.csv, metrics.json, survival.json) are in $(DEMO_OUT)/results/"

bench: bench-convert bench-resample bench-n4 bench-features bench-filters bench-qc bench-survival bench-learn bench-gbm

bench-convert: release peers
	python3 Benchmarks/convert_vs_dcm2niix.py

bench-resample: release peers
	python3 Benchmarks/resample_vs_simpleitk.py

bench-n4: release peers
	python3 Benchmarks/n4_vs_simpleitk.py

bench-features: release peers
	python3 Benchmarks/features_vs_pyradiomics.py

bench-filters: release peers
	python3 Benchmarks/filters_vs_pyradiomics.py

bench-qc: release peers
	python3 Benchmarks/icc_stability.py

bench-survival: release peers
	python3 Benchmarks/survival_vs_lifelines.py

bench-learn: release peers
	python3 Benchmarks/learn_vs_sklearn.py

# kira synth: time and peak memory for 10, 40 and 160 cases (memory flat in the number of cases).
bench-synth: release
	python3 Benchmarks/synth_scale.py

# kira report: a 1,000-case cohort report loaded in headless Chromium (goal < 3 s) and 200
# per-study reports of the demo cohort (goal < 10 s on 2 cores; needs `make demo` first).
bench-report: release peers
	python3 Benchmarks/report_render.py

# Kira's gradient boosting against XGBoost and scikit-learn's two boosters (AUC, time).
bench-gbm: release peers
	python3 Benchmarks/gbm_vs_xgboost.py

# The feature stage of a 40-case synthetic study (kira synth; T2 and ultrasound × tumour and
# 5 mm ring): kira features --manifest against pyradiomics' batch mode, --jobs 2 each.
bench-study-features: release peers
	python3 Benchmarks/cohort_features_vs_pyradiomics.py

# KiraDeep against ONNX Runtime: ResNet-50 and DenseNet-169 per-crop time and peak memory, 1 and 2 threads.
bench-deep: release peers
	python3 Benchmarks/deep_vs_onnxruntime.py

# kira convert against dcm2niix on the reference archive copied 1x, 4x and 16x with fresh UIDs:
# time, CPU and peak memory, which must stay flat as the archive grows.
bench-archive: release peers
	python3 Benchmarks/archive_scale.py

# kira convert against dcm2niix plus instruction counts under callgrind (stable on a busy machine).
bench-instructions: release peers
	CALLGRIND=1 python3 Benchmarks/convert_vs_dcm2niix.py

# libFuzzer on every reader of outside bytes (DICOM, NIfTI, NRRD, raster, CSV, settings):
# FUZZ_SECONDS per target (default 600), FUZZ_TARGETS to choose; see Scripts/fuzz.sh.
# Findings land in TestData/fuzz/<target>/crashes/, which `make test` replays.
fuzz: deps
	SWIFT=$(SWIFT) ./Scripts/fuzz.sh

# Pages of the nested subcommands (kira-survival-km.1, …) come from their --help.
man: build
	python3 Scripts/help_to_man.py $$($(SWIFT) build --show-bin-path)/kira man

clean:
	rm -rf .build .build-fuzz $(DEMO_OUT)
