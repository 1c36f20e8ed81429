# tests/cli/hostile-manifest.sh: sourced by tests/cli/run after deploy.sh (uses
# its bundle $B, image $TMP/img0.pgm, expect/ok/bad). A manifest edited to say
# something `run` cannot honour is refused at load with exit 2 and
# manifest.conf:LINE, before any image is classified. The manifest carries no
# checksum of its own, so an edited copy is checked on its meaning alone.

# hm_edit PYTHON: a fresh copy of the bundle in $TMP/hm, its manifest text
# rewritten by the Python expression PYTHON over the string m.
hm_edit() {
    rm -rf "$TMP/hm" && cp -r "$B" "$TMP/hm"
    python3 - "$TMP/hm/manifest.conf" "$1" <<'PY' || bad "could not edit the manifest: $1"
import re, sys
p, expr = sys.argv[1], sys.argv[2]
m = open(p).read()
new = eval(expr)
assert new != m, "the edit changed nothing"
open(p, "w").write(new)
PY
}

# The base answers "other" where Sandal (class 5) was: no network could ever say Sandal.
hm_edit 'm.replace("outputs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]", "outputs = [0, 1, 2, 3, 4, -1, 6, 7, 8, 9]", 1)'
expect 2 "manifest.conf:8: networks[0] 'base' is the base network: output 5 must be class 5, not -1" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
# 65,536 class names for networks of 10 outputs.
hm_edit 're.sub(r"classes = \[[^]]*\]", "classes = [" + ", ".join("\"c%d\"" % i for i in range(65536)) + "]", m)'
expect 2 "manifest.conf:8: networks[0] 'base' is the base network: it has 10 outputs for 65536 classes" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
# A specialist as the fallback: classes outside its cluster could not be answered.
hm_edit 'm.replace("fallback = 0;", "fallback = 1;")'
expect 2 "safety.fallback is network 1 ('s0'), which does not answer every class" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"

# Strings where thresholds belong were read as zeros; wrong-type scalars too.
hm_edit 're.sub(r"min_prob = [^;]*;", "min_prob = [\"a\", \"b\", \"c\", \"d\"];", m)'
expect 2 "'min_prob' entry 0 has the wrong type: a float is needed, not a string" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
hm_edit 'm.replace("fallback = 0;", "fallback = 0.0;")'
expect 2 "'fallback' has the wrong type: an integer is needed, not a float" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
hm_edit 're.sub(r"min_confidence = [^;]*;", "min_confidence = 0;", m)'
expect 2 "'min_confidence' has the wrong type: a float is needed, not an integer" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"

# Class names (here "0" to "9") with a newline or ESC never reach the terminal raw.
hm_edit 'm.replace("\"5\"", "\"San\\ndal\"")'
expect 2 "manifest.conf:5: class 5 has a control character or invalid UTF-8 at byte 4" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
hm_edit 'm.replace("\"5\"", "\"\\x1b]0;owned\\x07Sandal\"")'
expect 2 "manifest.conf:5: class 5 has a control character or invalid UTF-8 at byte 1" -- \
    "$MSPRUNE" run "$TMP/hm" "$TMP/img0.pgm"
hm_edit 'm.replace("name = \"s0\"", "name = \"s0\\x1b[2J\"")'
expect 2 "'name' is \"s0?[2J\": a name uses only letters" -- "$MSPRUNE" profile "$TMP/hm" --out "$TMP/hm-profile.conf"
grep -q "$(printf '\033')" "$TMP/out" "$TMP/err" && bad "an ESC from the manifest reached the terminal" || ok

# A device profile of another experiment (its networks may share the names).
sed 's/^experiment = "sa";/experiment = "other";/' "$TMP/dev.conf" >"$TMP/dev-other.conf"
expect 2 "dev-other.conf:4: a profile of experiment 'other', but $TMP/dep.conf is experiment 'sa'" -- \
    "$MSPRUNE" premodel "$TMP/dep.conf" --latencies "$TMP/dev-other.conf"
sed 's/^experiment = "sa";/experiment = "s\\x1b[2Ja";/' "$TMP/dev.conf" >"$TMP/dev-esc.conf"
expect 2 "'experiment' and 'machine' must be short strings of printable text" -- \
    "$MSPRUNE" premodel "$TMP/dep.conf" --latencies "$TMP/dev-esc.conf"
