#!/usr/bin/env python3
"""scikit-learn's view of a clustering: the yardstick for Kira's k-means and CH index.

usage: kmeans_check.py POINTS.csv LABELS.csv K
prints JSON: calinski_harabasz of the given labels, and the inertia and labels of
sklearn KMeans(K, n_init=10, random_state=0) on the same points."""
import json, sys
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score

X = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
labels = np.loadtxt(sys.argv[2], delimiter=",", dtype=int)
k = int(sys.argv[3])
km = KMeans(n_clusters=k, n_init=10, random_state=0, tol=1e-12, max_iter=1000).fit(X)
print(json.dumps({"calinski_harabasz": calinski_harabasz_score(X, labels),
                  "inertia": float(km.inertia_), "labels": km.labels_.tolist()}))
