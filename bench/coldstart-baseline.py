#!/usr/bin/python3
"""coldstart-baseline.py - the reference for items without events: iALS
(Hu, Koren and Volinsky, ICDM 2008) with 32 factors on the training
events, then a ridge regression from the items' attributes to their
vectors fitted on the items with events (Gantner et al., ICDM 2010).  Each
test user ranks the candidate items; prints NDCG@10 over the test users.

Usage: coldstart-baseline.py TRAIN.csv TEST.csv ITEMS.csv CANDIDATES [SEED]
TRAIN and TEST are rec-pivot --format long CSVs (user,item,...), ITEMS the
long attribute CSV (item,feature[,value]), CANDIDATES one item a line."""
import csv
import sys

import numpy as np

FACTORS, EPOCHS, REG, ALPHA, RIDGE = 32, 15, 0.01, 1.0, 1.0


def events(path):
    with open(path, newline="") as f:
        return [(r[0], r[1]) for r in list(csv.reader(f))[1:]]


def ials(rows, nusers, nitems, rng):
    """User and item vectors fitted to the 0/1 matrix with confidence 1 +
    ALPHA on the entries: each row an exact ridge solve per half sweep."""
    by_user = [[] for _ in range(nusers)]
    by_item = [[] for _ in range(nitems)]
    for u, i in rows:
        by_user[u].append(i)
        by_item[i].append(u)
    p = rng.normal(0, 0.01, (nusers, FACTORS))
    q = rng.normal(0, 0.01, (nitems, FACTORS))
    for _ in range(EPOCHS):
        solve(p, q, by_user)
        solve(q, p, by_item)
    return p, q


def solve(x, y, entries):
    gram = y.T @ y + REG * np.eye(FACTORS)
    for r, idx in enumerate(entries):
        if not idx:
            x[r] = 0
            continue
        yi = y[idx]
        x[r] = np.linalg.solve(gram + ALPHA * yi.T @ yi, (1 + ALPHA) * yi.sum(0))


def main():
    train_path, test_path, items_path, cand_path = sys.argv[1:5]
    rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    train, test = events(train_path), events(test_path)
    with open(cand_path) as f:
        candidates = [line.strip() for line in f if line.strip()]
    users = {u: n for n, u in enumerate(sorted({u for u, _ in train + test}))}
    warm = sorted({i for _, i in train})
    known = set(warm)
    items = {i: n for n, i in enumerate(warm + [c for c in candidates if c not in known])}
    p, q = ials([(users[u], items[i]) for u, i in train], len(users), len(warm),
                rng)
    feats, rows = {}, []
    with open(items_path, newline="") as f:
        for r in list(csv.reader(f))[1:]:
            if r[0] in items:
                c = feats.setdefault(r[1], len(feats))
                rows.append((items[r[0]], c, float(r[2]) if len(r) > 2 else 1.0))
    x = np.zeros((len(items), len(feats) + 1))
    x[:, -1] = 1
    for i, c, v in rows:
        x[i, c] = v
    xw = x[:len(warm)]
    w = np.linalg.solve(xw.T @ xw + RIDGE * np.eye(x.shape[1]), xw.T @ q)
    cand = np.array([items[c] for c in candidates])
    qc = x[cand] @ w
    relevant = {}
    for u, i in test:
        relevant.setdefault(u, set()).add(i)
    discount = 1 / np.log2(np.arange(2, 12))
    total = 0.0
    for u, rel in relevant.items():
        top = np.argsort(-(qc @ p[users[u]]), kind="stable")[:10]
        gain = np.array([candidates[t] in rel for t in top], dtype=float)
        total += (gain * discount[:len(gain)]).sum() / discount[:min(len(rel), 10)].sum()
    print("%.4f" % (total / len(relevant)))


main()
