# tests/cli/run-list.sh: sourced by tests/cli/run after deploy.sh (uses its
# bundle $B, its `run --idx --limit 60 --csv` answers in $TMP/run.csv, and
# expect/ok/bad/bad_usage). run --list on a Darknet image list: the answers
# equal run's on the same images, the accuracy equals a count made here, and
# a bad line is refused at LIST:LINE before anything is printed or written.

# The first 40 test images as PGM files (read exactly: the same pixels as
# the IDX file), at LABEL/NAME.pgm with names of letters only, so that the
# bundle's class names ("0" to "9") name exactly one class per path.
L=$TMP/lst
mkdir -p "$L/pics"
python3 - "$L" <<'PY' || bad "could not write the image list"
import gzip, os, sys
os.chdir(sys.argv[1])
d = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()
y = gzip.open('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz').read()
abc = 'abcdefghijklmnopqrstuvwxyz'
with open('list.txt', 'w') as f:
    for i in range(40):
        os.makedirs(str(y[8 + i]), exist_ok=True)
        p = f'{y[8 + i]}/{abc[i % 26]}{abc[i // 26]}.pgm'
        open(p, 'wb').write(b'P5\n28 28\n255\n' + d[16 + 784 * i:16 + 784 * (i + 1)])
        f.write(p + '\n' + ('\n' if i == 10 else ''))  # a blank line is skipped
PY
MSP_ABS=$(cd "$(dirname "$MSPRUNE")" && pwd)/$(basename "$MSPRUNE")
# run_in DIR ARGS...: msprune ARGS with DIR as the working folder.
run_in() { local d=$1; shift; env -C "$d" "$MSP_ABS" "$@"; }

expect 0 "" -- run_in "$L" run "$B" --list list.txt --csv "$TMP/list.csv"
cp "$TMP/out" "$TMP/list.out"
# The answers are run's on the same images: as image files and as the IDX file.
mapfile -t files < <(grep . "$L/list.txt")
expect 0 "" -- run_in "$L" run "$B" "${files[@]}" --csv "$TMP/files.csv" -q
cmp -s "$TMP/list.csv" "$TMP/files.csv" && ok || bad "run --list and run on the files answer differently"
cmp -s <(tail -n +2 "$TMP/list.csv") <(sed -n 2,41p "$TMP/run.csv") && ok || bad "run --list and run --idx answer differently"
# One line per image naming it by its path, in the list's order.
[ "$(grep -c "$(printf '\t')" "$TMP/list.out")" = 40 ] &&
    cmp -s <(cut -f1 "$TMP/list.out" | grep '\.pgm$') <(printf '%s\n' "${files[@]}") && ok ||
    bad "run --list: per-image lines: $(head -3 "$TMP/list.out")"
# The accuracy, overall and per class, counted here from the paths and the CSV.
paste -d, <(printf '%s\n' "${files[@]}" | cut -d/ -f1) <(tail -n +2 "$TMP/list.csv" | cut -d, -f2) |
    awk -F, '{ n[$1]++; t++; if ($1 == $2) { c[$1]++; ct++ } }
        END { printf "top-1 accuracy %.2f%% (%d of %d images)\n", 100 * ct / t, ct, t
              printf "  %-16s %8s %8s %9s\n", "class", "images", "correct", "accuracy"
              for (k = 0; k < 10; k++) if (n[k]) printf "  %-16s %8d %8d %8.2f%%\n", k, n[k], c[k], 100 * c[k] / n[k] }' >"$TMP/acc.want"
sed -n '/^top-1 accuracy/,/^wrote/p' "$TMP/list.out" | grep -v '^wrote' >"$TMP/acc.got"
cmp -s "$TMP/acc.got" "$TMP/acc.want" && [ "$(wc -l <"$TMP/acc.want")" = 12 ] && ok ||
    bad "run --list accuracy: got $(cat "$TMP/acc.got"), want $(cat "$TMP/acc.want")"
# What the selector did: each network's answers are the CSV's, every input had one choice.
for net in base s0 s1 s2; do
    want=$(tail -n +2 "$TMP/list.csv" | cut -d, -f3 | grep -cx "$net")
    grep -qE "^  $net +chosen [0-9]+, answered $want\$" "$TMP/list.out" && ok ||
        bad "run --list: $net answered $want times: $(grep "^  $net " "$TMP/list.out")"
done
[ "$(sed -n 's/^  [a-z0-9]* *chosen \([0-9]*\),.*/\1/p' "$TMP/list.out" | awk "{ s += \$1 } END { print s }")" = 40 ] &&
    grep -q "^40 inputs: median [0-9.]* ms per input, mean [0-9.]* ms" "$TMP/list.out" && ok ||
    bad "run --list summary: $(cat "$TMP/list.out")"
# --limit: the first images only; classes without an image are counted.
expect 0 "" -- run_in "$L" run "$B" --list list.txt --limit 3 -q
grep -q "^top-1 accuracy .* of 3 images)$" "$TMP/out" &&
    [ "$(grep -c '^  [0-9] ' "$TMP/out")" = "$(printf '%s\n' "${files[@]:0:3}" | cut -d/ -f1 | sort -u | wc -l)" ] &&
    grep -q "of the bundle's 10 classes have no image in the list)$" "$TMP/out" && ok ||
    bad "run --list --limit 3: $(cat "$TMP/out")"

# A path that names no class: the answers, and why there is no accuracy.
cp "$L/9/aa.pgm" "$L/pics/aa.pgm"
sed '3s|.*|pics/aa.pgm|' "$L/list.txt" >"$L/noclass.txt"
expect 0 "" -- run_in "$L" run "$B" --list noclass.txt
grep -q "^no accuracy: noclass.txt:3: image path 'pics/aa.pgm' " "$TMP/out" &&
    ! grep -q "top-1 accuracy" "$TMP/out" && [ "$(grep -c "$(printf '\t')" "$TMP/out")" = 40 ] &&
    grep -q "^pics/aa.pgm$(printf '\t')9 (9)" "$TMP/out" && ok || bad "run --list without classes: $(cat "$TMP/out")"

# A missing or damaged image: refused at its line, nothing printed or written.
sed '5s|.*|3/zz.pgm|' "$L/list.txt" >"$L/missing.txt"
expect 2 "missing.txt:5: cannot open image '3/zz.pgm'" -- run_in "$L" run "$B" --list missing.txt --csv "$TMP/lm.csv"
[ ! -s "$TMP/out" ] && [ ! -e "$TMP/lm.csv" ] && ok || bad "a refused list printed or wrote: $(cat "$TMP/out")"
head -c 200 "$L/9/aa.pgm" >"$L/9/cut.pgm"
sed '40s|.*|9/cut.pgm|' "$L/list.txt" >"$L/cut.txt"
expect 2 "cut.txt:40: image '9/cut.pgm' cannot be decoded" -- run_in "$L" run "$B" --list cut.txt
[ ! -s "$TMP/out" ] && ok || bad "a list with a damaged image printed: $(cat "$TMP/out")"
: >"$L/empty.txt"
expect 2 "empty.txt: image list has no image paths" -- run_in "$L" run "$B" --list empty.txt
expect 2 "cannot open image list" -- "$MSPRUNE" run "$B" --list "$L/none.txt"
expect 2 "give one of IMAGE files, --idx FILE or --list FILE" -- "$MSPRUNE" run "$B" --list "$L/list.txt" "$TMP/img0.pgm"
bad_usage "msprune run: option '--list' requires an argument" run "$B" --list
