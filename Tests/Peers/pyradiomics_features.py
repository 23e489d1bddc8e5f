#!/usr/bin/env python3
"""pyradiomics' features of one image and mask under a parameter document: the yardstick for
Kira's pyradiomics-compatible mode.

usage: pyradiomics_features.py IMAGE MASK PARAMS.json
Prints one JSON object {feature name: value} (diagnostics left out; NaN as null)."""
import json
import logging
import math
import sys

import radiomics
from radiomics import featureextractor

radiomics.logger.setLevel(logging.ERROR)
image, mask, params = sys.argv[1:4]
with open(params) as f:
    doc = json.load(f)
extractor = featureextractor.RadiomicsFeatureExtractor(doc)
result = extractor.execute(image, mask)
out = {}
for name, value in result.items():
    if name.startswith("diagnostics"):
        continue
    v = float(value)
    out[name] = None if math.isnan(v) else v
print(json.dumps(out))
