#!/usr/bin/env python3
"""make-table-mt.py: the throwaway generator of tests/data/table-mt.csv, a small
made-up machine-translation-like table for `msprune premodel --table`.

Run from the repository root: python3 tests/data/make-table-mt.py > tests/data/table-mt.csv
(the output is committed; the script only documents how it was made).

200 "sentences", 3 models (small, medium, large). Per sentence:
  features  f.length (tokens, 3..60), f.rare (fraction of rare words, 0..0.4),
            f.depth (parse depth, 1..8), f.punct (punctuation marks, 0..length/5);
  difficulty d = 0.03 length + 2 rare + 0.1 depth + N(0, 0.1) noise (f.punct is
            a distractor: it carries no signal beyond length);
  quality   q = 60 - 10 d: the per-sentence BLEU of a model able to handle d;
  score     model j scores q if d <= capacity_j (small 1.3, medium 2.0, large
            10), else q - 25 (d - capacity_j), floored at 0; rounded to 0.1,
            so models within their capacity tie exactly;
  time      small 0.5 + 0.2 length, medium 2 + 0.6 length, large 5 + 1.5 length
            ms, each times a uniform factor in [0.95, 1.05], rounded to 0.01
            (always small < medium < large on a sentence).
So the cheapest model whose score equals the best (tolerance 0) is the smallest
one whose capacity covers d: predictable from the features, up to the noise.
"""
import random

r = random.Random(20261129)
CAP = {"small": 1.3, "medium": 2.0, "large": 10.0}
TIME = {"small": (0.5, 0.2), "medium": (2.0, 0.6), "large": (5.0, 1.5)}
models = list(CAP)
print("id,f.length,f.rare,f.depth,f.punct,"
      + ",".join(f"score.{m},time.{m}" for m in models))
for i in range(200):
    length = r.randint(3, 60)
    rare = round(r.uniform(0, 0.4), 3)
    depth = r.randint(1, 8)
    punct = r.randint(0, length // 5)
    d = 0.03 * length + 2 * rare + 0.1 * depth + r.gauss(0, 0.1)
    q = 60 - 10 * d
    cells = []
    for m in models:
        s = q if d <= CAP[m] else q - 25 * (d - CAP[m])
        a, b = TIME[m]
        t = (a + b * length) * r.uniform(0.95, 1.05)
        cells += [f"{max(s, 0.0):.1f}", f"{t:.2f}"]
    print(f"{i},{length},{rare},{depth},{punct}," + ",".join(cells))
