# tests/cli/own-images.sh: sourced by tests/cli/run (uses expect/ok/bad and
# $TMP). A user's own images end to end: folders of PNGs named after their
# classes (tshirt and shirt among them), image lists written by `find`, a
# names file, and a config that leaves width, height and channels to the
# network's cfg. check and all pass; all then reruns training when
# base.epochs changes and when one training image is touched, says so each
# time, and runs nothing when nothing changed; a checkpoint made with other
# settings or another cfg is not resumed; check calls weights of another cfg
# out of date rather than wrong; the bundle speaks the class names.
OI="$TMP/own"
case $MSPRUNE in /*) OM=$MSPRUNE ;; *) OM=$PWD/$MSPRUNE ;; esac # runs from $OI
mkdir -p "$OI"
python3 - "$OI" <<'PY' || bad "own images: could not write the dataset"
import os, random, struct, sys, zlib
root = sys.argv[1]
classes = ['tshirt', 'shirt', 'bag', 'sneaker']
rng = random.Random(7)

def png(w, h, rgb):
    raw = b''.join(b'\0' + bytes(rgb[y * w * 3:(y + 1) * w * 3]) for y in range(h))
    chunk = lambda t, d: (struct.pack('>I', len(d)) + t + d +
                          struct.pack('>I', zlib.crc32(t + d)))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))

def image(c):
    px = []
    for y in range(16):
        for x in range(16):
            on = [y < 8, y < 8 and x % 4 == 0, 4 <= x < 12 and 4 <= y < 12, y >= 10][c]
            base = [200, 60, 60] if on else [30, 30, 30]
            px += [max(0, min(255, v + rng.randint(-25, 25))) for v in base]
    return png(16, 16, px)

for split, n in (('train', 40), ('test', 10)):
    for c, name in enumerate(classes):
        os.makedirs(f'{root}/data/{split}/{name}', exist_ok=True)
        for i in range(n):
            open(f'{root}/data/{split}/{name}/{i}.png', 'wb').write(image(c))
open(f'{root}/data/names.txt', 'w').write('\n'.join(classes) + '\n')
PY
(cd "$OI" && find data/train -name '*.png' | sort >data/train.list &&
    find data/test -name '*.png' | sort >data/test.list)
cat >"$OI/own.cfg" <<'CFG'
[net]
batch=16
width=16
height=16
channels=3
momentum=0.9
decay=0.0005
learning_rate=0.05
policy=poly
power=2
max_batches=1000

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[connected]
output=4
activation=linear

[softmax]
CFG
own_conf() { # EPOCHS [CFG]
    cat >"$OI/own.conf" <<CONF
name = "own";
seed = 3;
output = "results";
data = {
    format = "list";
    train_list = "data/train.list";
    test_list = "data/test.list";
    names = "data/names.txt";
    validation = 0.25;
};
base = { cfg = "${2:-own.cfg}"; weights = "results/base.weights"; epochs = $1; batch = 16; };
evaluate = { latency_runs = 3; warmup = 1; };
specialise = { k = 2; target_flops = 0.5; protect_first = false; finetune_epochs = 1;
               generalists = [0.3]; };
selector = { premodels = ["cascade"]; cv_folds = 2; };
CONF
}
own() { (cd "$OI" && "$OM" "$@" >"$TMP/out" 2>"$TMP/err"); }
own_conf 1

own check own.conf
st=$?
[ "$st" = 0 ] && ok || bad "own images: check -> exit $st: $(head -c 600 "$TMP/err")"
own all own.conf
st=$?
[ "$st" = 0 ] && grep -q "pipeline of own done" "$TMP/out" && ok ||
    bad "own images: all -> exit $st: $(tail -c 900 "$TMP/err")"
grep -qF "stage train: base" "$TMP/err" && ok || bad "own images: all did not train"

# The family has a generalist and specialists: the ablation's three
# cascades, each over its own part; the one over every network is the
# cascade premodel itself, so their test numbers agree (but for the
# cascade's own cost, a few nanoseconds to pick its first network).
python3 - "$OI/results/summary.json" "$OI/results/selector/premodels.json" <<'PY' && ok || bad "own images: the ablation in summary.json"
import json, sys
s, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
parts = {a["networks"]: a for a in s["ablation"]}
assert list(parts) == ["generalists", "specialists", "all"], list(parts)
assert all(n.startswith("g") for n in parts["generalists"]["chain"]), parts["generalists"]
assert all(n.startswith("s") for n in parts["specialists"]["chain"]), parts["specialists"]
[c] = [q for q in s["premodels"] if q["premodel"] == "cascade"]
assert parts["all"]["chain"] == c["chain"] and parts["all"]["top1"] == c["top1"], (parts["all"], c)
assert abs(parts["all"]["mean_latency_ms"] + c["premodel_ms"] - c["mean_latency_ms"]) < 1e-9
assert [a["networks"] for a in p["ablation"]] == list(parts)
for a in s["ablation"]:
    assert sum(a["answered"]) == s["test_inputs"], a
PY
grep -q "^## Which networks earn their place" "$OI/results/report.md" && grep -q "Which networks earn their place</h2>" "$OI/results/report.html" &&
    ok || bad "own images: the report has no ablation table"

# Nothing changed: no stage runs.
own all own.conf
st=$?
[ "$st" = 0 ] && ! grep -q "stage " "$TMP/err" && ok ||
    bad "own images: all on unchanged inputs -> exit $st, ran: $(grep 'stage ' "$TMP/err" | head -3)"

# A setting training reads: retrained, and said why.
own_conf 2
own all own.conf
st=$?
[ "$st" = 0 ] && grep -qF "msprune: stage train: base: base.epochs changed (1 -> 2): retraining" "$TMP/err" &&
    grep -qF "stage specialise: results/base.weights changed: building the family again" "$TMP/err" &&
    ok || bad "own images: all after base.epochs changed -> exit $st: $(grep 'stage ' "$TMP/err" | head -3)"

# One training image touched: retrained, and the image named.
touch -d '2030-01-01' "$OI/data/train/shirt/3.png"
own all own.conf
st=$?
[ "$st" = 0 ] && grep -qF "msprune: stage train: base: data/train/shirt/3.png changed: retraining" "$TMP/err" &&
    ok || bad "own images: all after touching an image -> exit $st: $(grep 'stage ' "$TMP/err" | head -3)"
own all own.conf
[ $? = 0 ] && ! grep -q "stage " "$TMP/err" && ok || bad "own images: all ran again after the retraining"

# A checkpoint of other settings is not resumed: killed after its first
# epoch's checkpoint with 3 epochs, then run with 4.
own_conf 3
(cd "$OI" && MSP_TEST_KILL_AT=train-checkpoint "$OM" all own.conf; :) >/dev/null 2>&1
[ -f "$OI/results/checkpoint.weights" ] && ok || bad "own images: the killed run left no checkpoint"
own_conf 4
own all own.conf
st=$?
[ "$st" = 0 ] && grep -qF "msprune: warning: not resuming the checkpoint in results: it was made from other inputs (base.epochs changed (3 -> 4)); training from the start" "$TMP/err" &&
    ! grep -q "resuming at epoch" "$TMP/err" && ok ||
    bad "own images: a checkpoint of other settings -> exit $st: $(head -c 900 "$TMP/err")"

# Nor is one of another cfg (it would not even load into this one).
(cd "$OI" && MSP_TEST_KILL_AT=train-checkpoint "$OM" all own.conf; :) >/dev/null 2>&1
sed 's/^filters=16$/filters=24/' "$OI/own.cfg" >"$OI/own2.cfg"
own_conf 4 own2.cfg
own all own.conf
st=$?
[ "$st" = 0 ] && grep -qF "msprune: warning: not resuming the checkpoint in results: it was made from other inputs (base.cfg changed (own.cfg -> own2.cfg)); training from the start" "$TMP/err" &&
    ok || bad "own images: a checkpoint of another cfg -> exit $st: $(head -c 900 "$TMP/err")"

# check, before a cfg switch back: the weights do not fit the cfg, but all
# retrains them, so that is not an error.
own_conf 4 own.cfg
own check own.conf
st=$?
[ "$st" = 0 ] && grep -qF "weights out of date (base.cfg changed (own2.cfg -> own.cfg)): \`msprune all\` trains them again" "$TMP/out" &&
    ok || bad "own images: check after a cfg switch -> exit $st: $(head -c 600 "$TMP/out" "$TMP/err")"
own_conf 4 own2.cfg

# The bundle and run speak the class names from the names file.
own deploy own.conf --out bundle
st=$?
[ "$st" = 0 ] && grep -qF 'classes = ["tshirt", "shirt", "bag", "sneaker"];' "$OI/bundle/manifest.conf" &&
    ok || bad "own images: the bundle's class names: $(grep -F classes "$OI/bundle/manifest.conf") $(head -c 400 "$TMP/err")"
own run bundle data/test/sneaker/0.png data/test/tshirt/1.png
grep -qP '^data/test/sneaker/0.png\t(tshirt|shirt|bag|sneaker) \(\d\)\t' "$TMP/out" && ok ||
    bad "own images: run prints no class names: $(head -c 300 "$TMP/out")"
