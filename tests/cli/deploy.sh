# tests/cli/deploy.sh: sourced by tests/cli/run after specialise.sh (uses its
# $TMP/sa family, expect/ok/bad). premodel (logistic and gate-cnn, few images) and
# evaluate --selector on it, then deploy, run on images and an IDX file,
# profile the bundle, retrain the premodel for the profile's latencies, and
# refuse tampered bundles with exit 2.
# The test split is the first 500 test images in their own IDX files, so that
# `run --idx` on them meets evaluate's inputs in the same order (a test_limit
# would draw 500 stratified by class from the whole file).
python3 - "$TMP" <<'PY' || bad "could not write the 500-image test set"
import gzip, sys
d = '/usr/share/datasets/fashion-mnist/'
img = gzip.open(d + 't10k-images-idx3-ubyte.gz').read()
lab = gzip.open(d + 't10k-labels-idx1-ubyte.gz').read()
n = (500).to_bytes(4, 'big')
open(f'{sys.argv[1]}/t500-images', 'wb').write(img[:4] + n + img[8:16] + img[16:16 + 500 * 784])
open(f'{sys.argv[1]}/t500-labels', 'wb').write(lab[:4] + n + lab[8:8 + 500])
PY
T500=$TMP/t500-images
cat >"$TMP/dep.conf" <<CONF
name = "sa";
seed = 11;
output = "$TMP/sa";
data = {
    train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    train_labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
    test_images = "$TMP/t500-images";
    test_labels = "$TMP/t500-labels";
    validation = 0.1;
    train_limit = 3000;
};
base = { cfg = "tests/data/tiny-fashion.cfg"; weights = "$W"; batch = 32; };
evaluate = { latency_runs = 5; warmup = 1; };
specialise = { clustering = "confusion"; k = 3; criterion = "taylor"; target_flops = 0.6;
               steps = 2; finetune_epochs = 1; other_share = 0.5; };
selector = { premodels = ["logistic", "gate-cnn"]; features = "brightness,contrast,histogram,downsample";
             feature_selection = false; label_images = 400; cv_folds = 2; epochs = 30;
             gate_epochs = 3; };
CONF
B="$TMP/bundle"
expect 2 "give one CONFIG and --out DIR" -- "$MSPRUNE" deploy "$TMP/dep.conf"
expect 2 "run \`msprune evaluate" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$B"
expect 0 "" -- "$MSPRUNE" premodel "$TMP/dep.conf" -q
expect 0 "" -- "$MSPRUNE" evaluate "$TMP/dep.conf" --selector -q
# Speed worded by direction; fallbacks counted by cause; per-input.csv holds
# measured times whose means are the summary's measured means.
grep -Eq "best premodel [a-z-]+: ([0-9.]+x (faster|slower) than|as fast as) the base, top-1 " "$TMP/out" &&
    ! grep -q "faster than the base.*0\.[0-9]*x\|0\.[0-9][0-9]x faster" "$TMP/out" &&
    python3 - "$TMP/sa/summary.json" "$TMP/sa/per-input.csv" <<'PY' && ok || bad "evaluate --selector: wording, fallbacks or measured times: $(cat "$TMP/out")"
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert d["per_input_ms"] == "measured"
assert d["networks"][0]["measured_mean_ms"] > 0
for p in d["premodels"] + [dict(d["oracle"], premodel="oracle")]:
    if p["premodel"] != "oracle":
        assert p["fallbacks"] == p["fallback_other"] + p["fallback_prob"] + p["fallback_unsure"], p
    col = [float(r[p["premodel"] + "_ms"]) for r in rows]
    assert min(col) > 0, p["premodel"]
    mean = sum(col) / len(col)
    assert abs(mean - p["measured_mean_ms"]) <= 1e-5 + 1e-4 * mean, (p["premodel"], mean)
PY
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$B"
grep -q "4 networks, premodel .*, 10 classes, input 1x28x28, 9 files verified" "$TMP/out" && ok || bad "deploy: $(cat "$TMP/out")"
[ -s "$B/README" ] && [ -s "$B/premodel.bin" ] && [ -s "$B/nets/s2.weights" ] && ok || bad "deploy: bundle files missing"
# The bundle's safety net is the one evaluate measured: the min_prob the
# premodel stage tuned for the shipped kind (set to 0.77 here, so that the
# config's untuned 0 cannot pass for it).
python3 - "$TMP/sa/selector/premodels.json" "$TMP/sa/summary.json" <<'PY' || bad "could not edit premodels.json"
import json, sys
kind = json.load(open(sys.argv[2]))["selector"]["premodel"]
d = json.load(open(sys.argv[1]))
for p in d["premodels"]:
    if p["premodel"] == kind:
        p["min_prob"] = 0.77
json.dump(d, open(sys.argv[1], "w"))
PY
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$TMP/bundle-mp"
grep -q "min_prob = 7.7000000000e-01;" "$TMP/bundle-mp/manifest.conf" && ok ||
    bad "deploy: the bundle's min_prob is not the tuned one: $(grep min_prob "$TMP/bundle-mp/manifest.conf")"
# Thresholds tuned per network go to the bundle as one per network, in the
# family's order; one missing is refused before anything is written.
cp "$TMP/sa/selector/premodels.json" "$TMP/premodels.saved"
python3 - "$TMP/sa/selector/premodels.json" "$TMP/sa/summary.json" <<'PY' || bad "could not edit premodels.json"
import json, sys
s = json.load(open(sys.argv[2]))
d = json.load(open(sys.argv[1]))
for p in d["premodels"]:
    if p["premodel"] == s["selector"]["premodel"]:
        p["min_prob"] = {n["name"]: 0.5 + 0.125 * k for k, n in enumerate(s["networks"])}
json.dump(d, open(sys.argv[1], "w"))
PY
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$TMP/bundle-pn"
grep -q "min_prob = \[5.0000000000e-01, 6.2500000000e-01, 7.5000000000e-01, 8.7500000000e-01\];" "$TMP/bundle-pn/manifest.conf" && ok ||
    bad "deploy: per-network thresholds: $(grep min_prob "$TMP/bundle-pn/manifest.conf")"
# (from the chosen premodel's entry only: another premodel may have tuned 0.75 too)
python3 - "$TMP/sa/selector/premodels.json" "$TMP/sa/summary.json" <<'PY' || bad "could not drop s1's threshold from premodels.json"
import json, sys
s = json.load(open(sys.argv[2]))
d = json.load(open(sys.argv[1]))
[p] = [p for p in d["premodels"] if p["premodel"] == s["selector"]["premodel"]]
del p["min_prob"]["s1"]
json.dump(d, open(sys.argv[1], "w"))
PY
expect 2 "tuned thresholds have none in [0, 1] for network 's1'" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$TMP/bundle-pn2"
[ ! -e "$TMP/bundle-pn2" ] && ok || bad "deploy: a refused deploy left $TMP/bundle-pn2 behind"
cp "$TMP/premodels.saved" "$TMP/sa/selector/premodels.json"
# run on an IDX file: per-input CSV, chosen networks agree with evaluate's.
expect 0 "" -- "$MSPRUNE" run "$B" --idx "$T500" --limit 60 --csv "$TMP/run.csv" -q
[ "$(wc -l <"$TMP/run.csv")" = 61 ] && head -1 "$TMP/run.csv" | grep -qx "index,class,network,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" &&
    ok || bad "run --csv: $(head -3 "$TMP/run.csv")"
awk -F, 'NR > 1 { s = 0; for (k = 4; k <= NF; k++) s += $k; if (NF != 13 || s < 0.5 || s > 1.0001) exit 1 }' "$TMP/run.csv" &&
    ok || bad "run --csv: bad probability rows"
grep -q "^60 inputs: median" "$TMP/out" && ok || bad "run summary: $(cat "$TMP/out")"
# Without the safety net firing, the network used is the premodel's choice in per-input.csv.
kind=$(sed -n 's/.*"selector": {"premodel": "\([a-z-]*\)".*/\1/p' "$TMP/sa/summary.json")
col=$(head -1 "$TMP/sa/per-input.csv" | tr , '\n' | grep -nx "$kind" | cut -d: -f1)
paste -d, <(tail -n +2 "$TMP/run.csv" | cut -d, -f3) <(tail -n +2 "$TMP/sa/per-input.csv" | head -60 | cut -d, -f"$col") |
    awk -F, '$1 != $2 && $1 != "base" { bad++ } END { exit bad > 0 }' && ok || bad "run chose other networks than evaluate ($kind)"

# run on image files (decoded by msprune, resized with Darknet's resize).
python3 - "$TMP" <<'PY' || bad "could not write test images"
import sys, gzip
d = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()
for i in range(2):
    px = d[16 + 784 * i:16 + 784 * (i + 1)]
    open(f'{sys.argv[1]}/img{i}.pgm', 'wb').write(b'P5\n28 28\n255\n' + px)
PY
expect 0 "" -- "$MSPRUNE" run "$B" "$TMP/img0.pgm" "$TMP/img1.pgm" --csv "$TMP/img.csv"
grep -q "img1.pgm" "$TMP/out" && ok || bad "run images: $(cat "$TMP/out")"
# A PGM is read exactly, so the answers equal the IDX run's.
cmp -s <(tail -n +2 "$TMP/img.csv") <(sed -n 2,3p "$TMP/run.csv") && ok || bad "image and IDX answers differ"
expect 2 "cannot open image" -- "$MSPRUNE" run "$B" "$TMP/missing.png"

# A gate-cnn bundle: it reads only the pixels group; run agrees with evaluate.
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$TMP/bundle-gate" --premodel gate-cnn
grep -q 'kind = "gate-cnn"; features = "pixels"' "$TMP/bundle-gate/manifest.conf" && ok ||
    bad "gate-cnn bundle: $(grep -n premodel -A3 "$TMP/bundle-gate/manifest.conf" | head -5)"
expect 0 "" -- "$MSPRUNE" run "$TMP/bundle-gate" --idx "$T500" --limit 60 --csv "$TMP/run-gate.csv" -q
col=$(head -1 "$TMP/sa/per-input.csv" | tr , '\n' | grep -nx "gate-cnn" | cut -d: -f1)
paste -d, <(tail -n +2 "$TMP/run-gate.csv" | cut -d, -f3) <(tail -n +2 "$TMP/sa/per-input.csv" | head -60 | cut -d, -f"$col") |
    awk -F, '$1 != $2 && $1 != "base" { bad++ } END { exit bad > 0 }' && ok || bad "gate-cnn: run chose other networks than evaluate"
expect 2 "gate-cnn reads images, and a --table has only features" -- "$MSPRUNE" premodel --table x.csv --premodel gate-cnn

# profile the bundle, then retrain the premodel for those latencies.
expect 0 "" -- "$MSPRUNE" profile "$B" --out "$TMP/dev.conf" --runs 5 --warmup 1
grep -q 'name = "s2"; latency_ms = ' "$TMP/dev.conf" && ok || bad "profile: $(cat "$TMP/dev.conf")"
# A device where the base is the cheapest: labels follow the device's latencies.
sed 's/name = "base"; latency_ms = [^;]*;/name = "base"; latency_ms = 1.0e-04;/' "$TMP/dev.conf" >"$TMP/dev-fast.conf"
expect 0 "" -- "$MSPRUNE" premodel "$TMP/dep.conf" --latencies "$TMP/dev-fast.conf" -v
grep -q "base: latency 0.0001 ms" "$TMP/err" && ok || bad "premodel --latencies did not use the profile"
# The base now labels every input it gets right, so the greedy choice starts with it.
grep -q '"networks_chosen": \[{"name": "base"' "$TMP/sa/selector/premodels.json" && ok ||
    bad "premodel --latencies: base not chosen first: $(grep networks_chosen "$TMP/sa/selector/premodels.json")"
sed 's/name = "s1"/name = "zz"/' "$TMP/dev.conf" >"$TMP/dev-bad.conf"
expect 2 "no latency for network 's1'" -- "$MSPRUNE" premodel "$TMP/dep.conf" --latencies "$TMP/dev-bad.conf"
expect 2 "--latencies goes with a CONFIG" -- "$MSPRUNE" premodel --table x.csv --latencies "$TMP/dev.conf"

# A cascade whose chain runs through the three specialists before the base:
# evaluate, the bundle and run agree, input by input, with the chain applied
# by hand to evaluate's outcomes of every network.
rm -rf "$TMP/sc" && cp -r "$TMP/sa" "$TMP/sc"
sed -e "s|output = \"$TMP/sa\"|output = \"$TMP/sc\"|" \
    -e 's|premodels = \["logistic", "gate-cnn"\];|premodels = ["cascade"]; cascade_stages = 2;|' "$TMP/dep.conf" >"$TMP/chain.conf"
expect 0 "" -- "$MSPRUNE" premodel "$TMP/chain.conf"
grep -Eq "^  cascade +chain [a-z0-9]+ \((on below p [0-9.]+|on if 'other')\) > .*base" "$TMP/out" && ok || bad "premodel: the cascade's chain: $(cat "$TMP/out")"
# (the chain starts where the tuned one does: the premodel file's start)
python3 - "$TMP/sc/selector/premodels.json" >"$TMP/chain" <<'PY' || bad "could not set the chain in premodels.json"
import json, sys
d = json.load(open(sys.argv[1]))
[p] = d["premodels"]
start = p["chain"][0]
p["chain"] = [start] + [n for n in ("s0", "s1", "s2") if n != start]
p["min_prob"] = {"base": 0}
p["min_prob"].update({n: (0.9, 0.8, 0.7)[k] for k, n in enumerate(p["chain"])})
json.dump(d, open(sys.argv[1], "w"))
print(" ".join(p["chain"]))
PY
read -r c0 c1 c2 <"$TMP/chain"
expect 0 "" -- "$MSPRUNE" evaluate "$TMP/chain.conf" --selector
grep -Eq "^  chain: $c0 [0-9]+ > $c1 [0-9]+ > $c2 [0-9]+ > base [0-9]+ \(inputs each network answered\)" "$TMP/out" && ok || bad "evaluate: the chain's line: $(cat "$TMP/out")"
expect 0 "" -- "$MSPRUNE" deploy "$TMP/chain.conf" --out "$TMP/bundle-chain"
grep -q "chain = \[$((${c0#s} + 1)), $((${c1#s} + 1)), $((${c2#s} + 1))\]; };" "$TMP/bundle-chain/manifest.conf" && ok || bad "deploy: the chain: $(grep safety "$TMP/bundle-chain/manifest.conf")"
expect 0 "" -- "$MSPRUNE" run "$TMP/bundle-chain" --idx "$T500" --csv "$TMP/run-chain.csv" -q
python3 - "$TMP/sc/selector/outcomes-test.csv" "$TMP/sc/summary.json" "$TMP/run-chain.csv" $c0 $c1 $c2 <<'PY' && ok || bad "run and evaluate disagree on the chain"
import csv, json, sys
rows = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))
s = json.load(open(sys.argv[2]))
[p] = s["premodels"]
names = [n["name"] for n in s["networks"]]
chain = sys.argv[4:7]
th = {n: (0.9, 0.8, 0.7)[k] for k, n in enumerate(chain)}
start = names[p["chosen"].index(500)]
assert start == chain[0], (start, chain)
want = []
for r in rows:
    net = start
    while net != "base" and (int(r[net + ".pred"]) < 0 or float(r[net + ".prob"]) < th[net]):
        net = chain[chain.index(net) + 1] if chain.index(net) + 1 < len(chain) else "base"
    want.append(net)
got = [r["network"] for r in csv.DictReader(open(sys.argv[3]))]
assert got == want, [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w][:5]
assert p["answered"] == [want.count(n) for n in names], (p["answered"], [want.count(n) for n in names])
assert p["chain"] == chain and p["escalated"] == sum(w not in ("base", start) for w in want)
assert len(set(want)) >= 3, "the chain should be exercised: %s" % set(want)
PY

# Tampered bundles: exit 2 with a clear message.
tamper() { rm -rf "$TMP/tb" && cp -r "$B" "$TMP/tb"; }
tamper; sed -i 's|cfg = "nets/s1.cfg"|cfg = "../x"|' "$TMP/tb/manifest.conf"
expect 2 "'cfg' is \"../x\": '.' and '..' are not allowed" -- "$MSPRUNE" run "$TMP/tb" "$TMP/img0.pgm"
tamper; sed -i 's|path = "premodel.bin"|path = "/etc/passwd"|' "$TMP/tb/manifest.conf"
expect 2 "absolute paths are not allowed" -- "$MSPRUNE" run "$TMP/tb" "$TMP/img0.pgm"
tamper; printf '\x55' | dd of="$TMP/tb/nets/s0.weights" bs=1 seek=1000 conv=notrunc status=none
expect 2 "nets/s0.weights: checksum mismatch" -- "$MSPRUNE" run "$TMP/tb" "$TMP/img0.pgm"
tamper; truncate -s 100 "$TMP/tb/nets/base.weights"
expect 2 "nets/base.weights: truncated" -- "$MSPRUNE" profile "$TMP/tb"
tamper; sed -i 's/width = 28;/width = 100000;/' "$TMP/tb/manifest.conf"
expect 2 "manifest.conf:4: 'width' is 100000" -- "$MSPRUNE" run "$TMP/tb" --idx /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
tamper; rm "$TMP/tb/nets/s2.cfg"
expect 2 "nets/s2.cfg: missing from the bundle" -- "$MSPRUNE" run "$TMP/tb" "$TMP/img0.pgm"
tamper; sed -i 's/^version = 1;/version = 1;\nsigned = true;/' "$TMP/tb/manifest.conf"
expect 2 "unknown key 'signed'" -- "$MSPRUNE" run "$TMP/tb" "$TMP/img0.pgm"
expect 2 "no bundle manifest here" -- "$MSPRUNE" run "$TMP" "$TMP/img0.pgm"
