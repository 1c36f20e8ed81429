# tests/cli/hostile-inputs.sh: sourced by tests/cli/run after deploy.sh (uses
# its bundle $B, config $TMP/dep.conf, image $TMP/img0.pgm, expect/ok/bad).
#  - every kind of input given as a FIFO or device is refused without
#    blocking (the `timeout` only turns a hang into a failure);
#  - libconfig files: no @include, bounded group size;
#  - `check` refuses what a later stage would;
#  - weights with a NaN; memory limits (ulimit -v) end in exit 0 or 1,
#    never a signal or a hang.
HI=$TMP/hi
mkdir -p "$HI"
mkfifo "$HI/fifo"
ln -s fifo "$HI/fifo.conf"
ln -s fifo "$HI/fifo.cfg"
T60="timeout 60"

# --- FIFOs: refused by name, nothing waits for a writer ----------------------
expect 2 "fifo.conf: is a FIFO (named pipe), not a regular file" -- $T60 "$MSPRUNE" check "$HI/fifo.conf"
expect 2 "fifo.cfg: is a FIFO (named pipe), not a regular file" -- $T60 "$MSPRUNE" check "$HI/fifo.cfg"
expect 2 "fifo: is a FIFO (named pipe), not a regular file" -- \
    $T60 "$MSPRUNE" check --cfg tests/data/tiny-fashion.cfg "$HI/fifo"
expect 2 "fifo: is a FIFO (named pipe), not a regular file" -- $T60 "$MSPRUNE" premodel --table "$HI/fifo"
expect 2 "fifo: is a FIFO (named pipe), not a regular file" -- \
    $T60 "$MSPRUNE" premodel "$TMP/dep.conf" --latencies "$HI/fifo"
rm -rf "$HI/bf" && cp -r "$B" "$HI/bf" && rm "$HI/bf/manifest.conf" && mkfifo "$HI/bf/manifest.conf"
expect 2 "manifest.conf: is a FIFO (named pipe), not a regular file" -- \
    $T60 "$MSPRUNE" run "$HI/bf" "$TMP/img0.pgm"
for key in test_images test_labels; do
    for dev in "$HI/fifo" /dev/zero; do
        sed "s|^\( *$key = \).*|\1\"$dev\";|" "$TMP/dep.conf" >"$HI/dev.conf"
        expect 2 "dev.conf:" -- $T60 "$MSPRUNE" check "$HI/dev.conf"
        grep -q "$key: '$dev' is a .*, not a regular file" "$TMP/err" && ok ||
            bad "$key = $dev: $(cat "$TMP/err")"
    done
done

# --- libconfig files: @include, group size -----------------------------------
printf '@include "/dev/stdin"\n' >"$HI/bi.conf"
cat "$B/manifest.conf" >>"$HI/bi.conf"
rm -rf "$HI/bi" && cp -r "$B" "$HI/bi" && cp "$HI/bi.conf" "$HI/bi/manifest.conf"
expect 2 "manifest.conf:1: @include is not supported" -- $T60 "$MSPRUNE" run "$HI/bi" "$TMP/img0.pgm" </dev/null
{ echo 'name = "x";'; echo '@include "/usr/share"'; } >"$HI/incdir.conf"
expect 2 "incdir.conf:2: @include is not supported" -- $T60 "$MSPRUNE" check "$HI/incdir.conf"
# 105,000 settings in one group fit in the 1 MiB limit; libconfig would take
# minutes over them (each name is compared with every earlier one).
python3 -c "
import sys
sys.stdout.write(open(sys.argv[1]).read() + ''.join('k%d=1;\n' % i for i in range(105000)))" \
    "$B/manifest.conf" >"$HI/many.conf"
rm -rf "$HI/bm" && cp -r "$B" "$HI/bm" && cp "$HI/many.conf" "$HI/bm/manifest.conf"
expect 2 "more than 1000 settings in one group" -- $T60 "$MSPRUNE" run "$HI/bm" "$TMP/img0.pgm"

# --- check refuses what a later stage would, at the config's line ------------
# hi_conf KEY VALUE: $TMP/dep.conf with KEY set to VALUE (added to its group if absent).
hi_conf() {
    python3 - "$TMP/dep.conf" "$1" "$2" >"$HI/stage.conf" <<'PY'
import re, sys
text, key, value = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
group = {"criterion": "specialise", "classes": "data"}.get(key, "selector")
new = re.sub(r"\b%s = [^;]*;" % key, "%s = %s;" % (key, value), text, count=1)
if new == text:
    new = re.sub(r"\n%s = \{" % group, "\n%s = { %s = %s;" % (group, key, value), text, count=1)
assert new != text
sys.stdout.write(new)
PY
}
for case in 'premodels|["svm"]|selector.premodels: unknown premodel '"'svm'" \
    'criterion|"magic"|specialise.criterion: unknown pruning criterion '"'magic'" \
    'features|"colour,smell"|features: unknown group '"'colour'" \
    'classes|["a","b","c","d","e","f","g","h","i"]|data.classes has 9 class names, but the base network' \
    'classes|["a","b","c","d","e","f","g","h","i","j","k","l"]|data.classes has 12 class names'; do
    IFS='|' read -r key value want <<<"$case"
    hi_conf "$key" "$value"
    line=$(grep -n "\b$key = " "$HI/stage.conf" | head -1 | cut -d: -f1)
    expect 2 "stage.conf:$line: $want" -- "$MSPRUNE" check "$HI/stage.conf"
done
# `all` refuses the same before it starts any work.
hi_conf premodels '["svm"]'
expect 2 "selector.premodels: unknown premodel 'svm'" -- "$MSPRUNE" all "$HI/stage.conf"

# --- weights with a NaN ------------------------------------------------------
python3 - "$B/nets/base.weights" "$HI/nan.weights" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-8:-4] = struct.pack("<f", float("nan"))
open(sys.argv[2], "wb").write(d)
PY
expect 2 "nan.weights: weight" -- "$MSPRUNE" check --cfg "$B/nets/base.cfg" "$HI/nan.weights"
grep -q "is not a finite number" "$TMP/err" && ok || bad "NaN weights: $(cat "$TMP/err")"

# --- memory limits: a clean refusal or success, at every limit ---------------
# AddressSanitizer reserves terabytes of address space: no ulimit -v there.
if ! ldd "$MSPRUNE" 2>/dev/null | grep -q libasan; then
    python3 - "$HI/five.idx" <<'PY'
import gzip, struct, sys
d = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
open(sys.argv[1], "wb").write(struct.pack(">IIII", 0x803, 5, 28, 28) + d[16:16 + 5 * 784])
PY
    refused=0 passed=0
    for kb in 400000 450000 500000 600000 800000 1200000; do
        for threads in "" 2; do
            (ulimit -v $kb; env ${threads:+OPENBLAS_NUM_THREADS=$threads} $T60 "$MSPRUNE" run "$B" \
                --idx "$HI/five.idx" >"$TMP/out" 2>"$TMP/err")
            rc=$?
            if [ $rc = 0 ] && [ "$(wc -l <"$TMP/out")" -ge 5 ]; then
                passed=$((passed + 1))
            elif [ $rc = 1 ] && grep -q "memory" "$TMP/err"; then
                refused=$((refused + 1))
            elif [ $rc = 127 ] && grep -q "error while loading shared libraries" "$TMP/err"; then
                : # the dynamic loader itself did not fit: before msprune runs
            else
                bad "run under ulimit -v $kb (OPENBLAS_NUM_THREADS=$threads): exit $rc: $(head -c 300 "$TMP/err")"
            fi
        done
    done
    [ $passed -gt 0 ] && ok || bad "run never succeeded under a memory limit (refused $refused)"
fi

# --- premodel --table shows each premodel's progress -------------------------
expect 0 "" -- "$MSPRUNE" premodel --table tests/data/table-mt.csv --premodel knn --premodel dtree
for kind in knn dtree; do
    grep -Eq "^msprune: premodel $kind, 10 folds 100\.0% .* took " "$TMP/err" && ok ||
        bad "premodel --table: no progress line for $kind: $(cat "$TMP/err")"
done

# --- class names with a C1 control character (U+009B starts an escape
# sequence on some terminals): refused in a names file and in data.classes --
printf 'cat\nca\xc2\x9bt\n' >"$HI/c1.names"
cat >"$HI/c1-list.conf" <<CONF
name = "c1";
data: { format = "list"; train_list = "$HI/c1.names"; test_list = "$HI/c1.names";
        names = "$HI/c1.names"; width = 28; height = 28; channels = 1; };
base: { cfg = "tests/data/tiny-fashion.cfg"; weights = "$HI/none.weights"; };
CONF
expect 2 "c1.names:2: class name contains a control character" -- "$MSPRUNE" check "$HI/c1-list.conf"
hi_conf classes "[\"a\", \"b$(printf '\xc2\x9b')\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\"]"
line=$(grep -n "classes = " "$HI/stage.conf" | head -1 | cut -d: -f1)
expect 2 "stage.conf:$line: entry 2 of 'classes' contains a control character" -- "$MSPRUNE" check "$HI/stage.conf"
