# tests/cli/specialise.sh: sourced by tests/cli/run after the end-to-end
# section (uses its $TMP, $W = trained tiny weights, expect/ok/bad).
# The same family must come out of a sequential run, a -j 2 run, a
# --jobs-file run through xargs -P, and a run killed with SIGKILL at several
# points and restarted.

spec_conf() { # spec_conf NAME OUTPUT K WEIGHTS
    cat >"$TMP/$1.conf" <<CONF
name = "$1";
seed = 11;
output = "$2";
data = {
    train_images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    train_labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
    test_images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    test_labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    validation = 0.1;
    train_limit = 3000;
    test_limit = 500;
};
base = { cfg = "tests/data/tiny-fashion.cfg"; weights = "$4"; batch = 32; };
evaluate = { latency_runs = 5; warmup = 1; };
specialise = { clustering = "confusion"; k = $3; criterion = "taylor"; target_flops = 0.6;
               steps = 2; finetune_epochs = 1; other_share = 0.5; };
CONF
}

# same_family DIR_A DIR_B: every specialist's cfg and weights are identical.
same_family() {
    local f n=0
    for f in "$1"/family/s*.weights "$1"/family/s*.cfg; do
        cmp -s "$f" "$2/family/${f##*/}" || { echo "differs: ${f##*/}"; return 1; }
        n=$((n + 1))
    done
    [ "$n" -ge 2 ]
}

expect 2 "give one experiment config" -- "$MSPRUNE" specialise
spec_conf nobase "$TMP/nobase" 3 "$TMP/none.weights"
expect 2 "run \`msprune train" -- "$MSPRUNE" specialise "$TMP/nobase.conf"
spec_conf many "$TMP/many" 65 "$W"
expect 2 "k' must be between 0 and 64" -- "$MSPRUNE" check "$TMP/many.conf"
spec_conf many "$TMP/many" 11 "$W"
expect 2 "11 clusters asked for, but only 10 classes" -- "$MSPRUNE" specialise "$TMP/many.conf"

spec_conf sa "$TMP/sa" 3 "$W"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf"
[ -s "$TMP/sa/family.conf" ] && [ -s "$TMP/sa/clusters.json" ] && grep -q '"k": 3' "$TMP/sa/clusters.json" &&
    [ "$(grep -c 'name = "s' "$TMP/sa/family.conf")" = 3 ] && ok || bad "specialise: family.conf or clusters.json missing"
grep -q "family of sa: confusion clustering, k = 3" "$TMP/out" && ok || bad "specialise: no family table: $(cat "$TMP/out")"
# Every network in the manifest is a valid cfg + weights pair.
for c in "$TMP"/sa/family/*.cfg; do
    expect 0 "" -- "$MSPRUNE" check --cfg "$c" "${c%.cfg}.weights"
done
# A second run finds every specialist done and changes nothing.
cp -r "$TMP/sa/family" "$TMP/sa-before"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf"
grep -q "s2: done already" "$TMP/err" && ok || bad "specialise rerun did not skip finished jobs"
for f in "$TMP"/sa-before/s*.weights; do cmp -s "$f" "$TMP/sa/family/${f##*/}" || bad "rerun changed ${f##*/}"; done

# Generalists: the base pruned to each listed FLOPs share, every class kept,
# after the specialists (or alone with specialists = false); the jobs file
# holds one line per network.
spec_conf gen "$TMP/gen" 2 "$W"
sed -i 's/other_share = 0.5; };/other_share = 0.5; generalists = [0.6, 0.3]; };/' "$TMP/gen.conf"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/gen.conf" --jobs-file "$TMP/gjobs.txt"
[ "$(wc -l <"$TMP/gjobs.txt")" = 4 ] && grep -q -- "--job 3 " "$TMP/gjobs.txt" && ok || bad "generalists' jobs file: $(cat "$TMP/gjobs.txt")"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/gen.conf" -j 2
[ "$(grep -o 'name = "[a-z0-9]*"' "$TMP/gen/family.conf" | tr '\n' ' ')" = 'name = "base" name = "s0" name = "s1" name = "g0" name = "g1" ' ] &&
    ok || bad "family with generalists: $(grep -o 'name = "[a-z0-9]*"' "$TMP/gen/family.conf" | tr '\n' ' ')"
for g in g0 g1; do
    expect 0 "" -- "$MSPRUNE" check --cfg "$TMP/gen/family/$g.cfg" "$TMP/gen/family/$g.weights"
done
# Each generalist keeps every class, serves every input and fits its
# budget, which the manifest records.
flops_of() { sed -n 's/.*flops = \([0-9]*\)L.*/\1/p'; }
base_flops=$(grep -A2 'name = "base"' "$TMP/gen/family.conf" | flops_of)
for gs in g0:0.6 g1:0.3; do
    g=${gs%:*} share=${gs#*:}
    block=$(grep -A2 "name = \"$g\"" "$TMP/gen/family.conf")
    flops=$(echo "$block" | flops_of)
    echo "$block" | grep -q 'cluster = -1' && echo "$block" | grep -q 'outputs = \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\]' &&
        echo "$block" | grep -q "budget = $(printf '%.10e' "$share");" &&
        awk -v f="$flops" -v b="$base_flops" -v s="$share" 'BEGIN { exit !(f > 0 && f <= s * b) }' &&
        ok || bad "$g: outputs, cluster or FLOPs ($flops of $base_flops, share $share): $block"
done
grep -q "g1: .* MFLOPs, validation top-1" "$TMP/gen/family/g1.log" && ok || bad "g1's log: $(cat "$TMP/gen/family/g1.log")"
sed -i 's/generalists = \[0.6, 0.3\]/specialists = false; generalists = [0.6, 0.3]/' "$TMP/gen.conf"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/gen.conf"
[ "$(grep -c 'name = "' "$TMP/gen/family.conf")" = 3 ] && ! grep -q 'name = "s0"' "$TMP/gen/family.conf" &&
    ok || bad "specialists = false: $(grep 'name = ' "$TMP/gen/family.conf")"
sed -i 's/generalists = \[0.6, 0.3\]/generalists = []/' "$TMP/gen.conf"
expect 2 "specialists = false and no generalists" -- "$MSPRUNE" check "$TMP/gen.conf"

# A ladder beside the derived networks: the family holds both, the ladder
# last; the premodel stage tunes the cascade over the derived networks, over
# the ladder and over both, and evaluate measures the three. A ladder name of
# a derived network's form is refused before anything runs.
spec_conf lad "$TMP/lad" 2 "$W"
sed -i 's/^seed = 11;$/seed = 11;\nladder = ( { name = "tiny"; cfg = "tests\/data\/tiny-fashion.cfg"; weights = "W_PATH"; } );\nselector = { premodels = ["cascade"]; cv_folds = 2; label_images = 300; };/' "$TMP/lad.conf"
sed -i "s|W_PATH|$W|" "$TMP/lad.conf"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/lad.conf" -q
[ "$(grep -o 'name = "[a-z0-9]*"' "$TMP/lad/family.conf" | tr '\n' ' ')" = 'name = "base" name = "s0" name = "s1" name = "tiny" ' ] &&
    cmp -s "$W" "$TMP/lad/family/tiny.weights" && ok || bad "family with a ladder: $(grep -o 'name = "[a-z0-9]*"' "$TMP/lad/family.conf" | tr '\n' ' ')"
expect 0 "" -- "$MSPRUNE" premodel "$TMP/lad.conf" -q
expect 0 "" -- "$MSPRUNE" evaluate "$TMP/lad.conf" --selector -q
python3 - "$TMP/lad/summary.json" <<'PY' && ok || bad "ablation of a family with a ladder: $(grep -A4 ablation "$TMP/lad/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
parts = {a["networks"]: a["chain"] for a in s["ablation"]}
assert list(parts) == ["derived", "ladder", "all"], list(parts)
assert parts["ladder"] == ["tiny"] and "tiny" not in parts["derived"], parts
PY
sed -i 's/name = "tiny"/name = "g12"/' "$TMP/lad.conf"
expect 2 "lad.conf:3: ladder network 'g12' has the form of a derived network's name (s0, s1, ... and g0, g1, ...): rename it" -- "$MSPRUNE" check "$TMP/lad.conf"

# -j 2: jobs as processes, same family.
spec_conf sa "$TMP/sb" 3 "$W"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf" -j 2
same_family "$TMP/sa" "$TMP/sb" && ok || bad "-j 2 made another family"

# --jobs-file: plain shell lines, run by xargs -P 2, then the manifest.
spec_conf sa "$TMP/sc" 3 "$W"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf" --jobs-file "$TMP/jobs.txt"
[ "$(wc -l <"$TMP/jobs.txt")" = 3 ] && grep -q -- "--job 2 " "$TMP/jobs.txt" && ok || bad "jobs file: $(cat "$TMP/jobs.txt")"
# A line refuses to run once what the family is built from changed.
sed -i 's/latency_runs = 5;/latency_runs = 6;/' "$TMP/sa.conf"
expect 2 "refusing to run: evaluate.latency_runs changed (5 -> 6) since the jobs were handed out" -- sh -c "$(head -1 "$TMP/jobs.txt")"
sed -i 's/latency_runs = 6;/latency_runs = 5;/' "$TMP/sa.conf"
xargs -P 2 -I{} sh -c {} <"$TMP/jobs.txt" >/dev/null 2>&1 && ok || bad "a job line failed"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf" --jobs-file "$TMP/jobs2.txt"
[ ! -s "$TMP/jobs2.txt" ] && ok || bad "jobs file after the jobs ran is not empty"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf"
same_family "$TMP/sa" "$TMP/sc" && ok || bad "--jobs-file run made another family"

# SIGKILL at deterministic points, restarting each time, until a run
# completes: MSP_TEST_KILL_AT=commit@N makes msprune kill itself right after
# the N-th file it renames into place (src/base/testpoint.h), whatever the
# machine's speed. A run rewrites up to four files before it resumes the work
# (plan.conf, clusters.json, the cfgs handed to Darknet), so N from 6 to 11
# always leaves some progress, and the changing N moves the kills across the
# phases of a job. The family must equal the uninterrupted one, and no final
# name may ever hold a partial file (every .weights present must fit its cfg).
spec_conf sa "$TMP/sd" 3 "$W"
kills=0
for round in $(seq 1 80); do
    n=$(( (round % 6) + 6 ))
    MSP_TEST_KILL_AT=commit@$n "$MSPRUNE" specialise "$TMP/sa.conf" -q >/dev/null 2>"$TMP/kill.err"
    st=$?
    if [ "$st" = 137 ]; then
        kills=$((kills + 1))
    elif [ "$st" != 0 ]; then
        bad "specialise killed at commit@$n: exit $st, $(cat "$TMP/kill.err")"
        break
    fi
    for w in "$TMP"/sd/family/s*.work/step*-pruned.weights "$TMP"/sd/family/s?.weights; do
        [ -e "$w" ] || continue
        c=${w%.weights}.cfg
        "$MSPRUNE" check --cfg "$c" "$w" >/dev/null 2>&1 || bad "after kill $kills: $w is not a whole weights file"
    done
    [ -s "$TMP/sd/family.conf" ] && break
done
[ -s "$TMP/sd/family.conf" ] && ok || bad "specialise did not finish after $kills kills"
expect 0 "" -- "$MSPRUNE" specialise "$TMP/sa.conf"
[ "$kills" -ge 3 ] && ok || bad "only $kills kills before the run finished"
same_family "$TMP/sa" "$TMP/sd" && ok || bad "killed and resumed specialise made another family ($kills kills)"
echo "specialise: killed $kills times, resumed to the same family" >&2
