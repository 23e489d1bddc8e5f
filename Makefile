# Two commands on a fresh Debian 12 machine with Swift: `make demo` and `make test`.
# Both install any missing Debian packages first (apt-get; sudo when not root).

SWIFT ?= swift
DEB_BUILD := libdcmtk-dev libnifti2-dev libniftiio-dev libtiff-dev libopenjp2-7-dev \
             libpng-dev libjpeg-dev zlib1g-dev pkg-config libsvm-dev
# Peer tools: tests compare against them where present; benchmarks need them.
DEB_PEERS := dcmtk dcm2niix
PY_PEERS := pingouin:pingouin SimpleITK:SimpleITK scikit-learn:sklearn lifelines:lifelines \
            pyradiomics-bhklab:radiomics nibabel:nibabel pydicom:pydicom shap:shap
DEMO_OUT ?= demo-output

.PHONY: all deps peers build release test demo bench bench-learn clean

all: build

deps:
	@./.ci/install-debs $(DEB_BUILD)

peers: deps
	@./.ci/install-debs $(DEB_PEERS)
	@./.ci/install-pip $(PY_PEERS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: peers
	$(SWIFT) test

demo: release
	@rm -rf $(DEMO_OUT)
	$$($(SWIFT) build -c release --show-bin-path)/kira convert TestData/dicom/oblique_mr TestData/dicom/dce -o $(DEMO_OUT)
	$$($(SWIFT) build -c release --show-bin-path)/kira inspect $(DEMO_OUT)
	@echo "demo: NIfTI files and JSON sidecars are in $(DEMO_OUT)/"

bench: release peers
	python3 Benchmarks/convert_vs_dcm2niix.py

bench-learn: release peers
	python3 Benchmarks/learn_vs_sklearn.py

clean:
	rm -rf .build $(DEMO_OUT)
