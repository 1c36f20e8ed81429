# tests/cli/help.sh: sourced by tests/cli/run (uses its expect/ok/bad, $TMP,
# $MSPRUNE). Every command in `msprune --help` has a --help in the common
# layout and accepts -q/--quiet and -v/--verbose; --version; Darknet's layer
# table only with --verbose; the man page covers every command and key.

# The commands, as `msprune --help` lists them.
"$MSPRUNE" --help >"$TMP/help" 2>&1
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' "$TMP/help")
[ "$(echo "$cmds" | wc -w)" -ge 10 ] && ok || bad "msprune --help lists too few commands: $cmds"

# help_layout FILE CMD: usage line(s), blank, description, blank, "options:",
# an aligned table (continuation lines at the description column), blank,
# "exit status:" last. Prints what is wrong, nothing if all is well.
help_layout() {
    awk -v cmd="$2" '
        NR == 1 && index($0, "usage: msprune " cmd) != 1 { print "line 1 is not usage: msprune " cmd; bad = 1 }
        { line[NR] = $0 }
        /^options:$/ { opt = NR }
        END {
            if (bad) exit
            if (!opt) { print "no options: line"; exit }
            if (line[opt - 1] != "") print "no blank line before options:"
            col = 0
            for (i = opt + 1; i <= NR && line[i] != ""; i++) {
                if (match(line[i], /^  (-[a-zA-Z], )?--[a-z-]+( [A-Za-z.|]+)? +/)) {
                    c = RLENGTH + 1
                    if (substr(line[i], RLENGTH - 1, 2) != "  ") print "one space only: " line[i]
                } else if (match(line[i], /^ +/)) {
                    c = RLENGTH + 1
                } else { print "not an option line: " line[i]; continue }
                if (!col) col = c
                else if (c != col) print "misaligned (column " c ", not " col "): " line[i]
            }
            if (i != NR - 1 || line[NR - 1] != "") print "options table not followed by one blank line and the exit status"
            if (index(line[NR], "exit status: 0 ") != 1) print "last line is not the exit status: " line[NR]
        }' "$1"
}

for c in $cmds; do
    expect 0 "" -- "$MSPRUNE" "$c" --help
    cp "$TMP/out" "$TMP/help-$c"
    problems=$(help_layout "$TMP/help-$c" "$c")
    [ -z "$problems" ] && ok || bad "msprune $c --help layout: $problems"
    for o in "-q, --quiet" "-v, --verbose" "-h, --help"; do
        grep -qF -- "  $o " "$TMP/help-$c" && ok || bad "msprune $c --help does not list $o"
    done
    # The flags are accepted by the parser, not only documented.
    expect 0 "" -- "$MSPRUNE" "$c" -q -v --help
    expect 0 "" -- "$MSPRUNE" "$c" --quiet --verbose --help
    # A bad option: one line that names the command, exit 2.
    expect 2 "" -- "$MSPRUNE" "$c" --no-such-option
    [ "$(cat "$TMP/err")" = "msprune $c: unrecognized option '--no-such-option'" ] && ok ||
        bad "msprune $c --no-such-option: stderr is not one line naming the command: $(cat "$TMP/err")"
done
expect 0 "" -- "$MSPRUNE" evaluate --selector --help
cp "$TMP/out" "$TMP/help-evaluate-selector"
problems=$(help_layout "$TMP/out" evaluate)
[ -z "$problems" ] && ok || bad "msprune evaluate --selector --help layout: $problems"
mkdir -p "$TMP/help-bundle" && : >"$TMP/help-bundle/manifest.conf"
expect 0 "" -- "$MSPRUNE" profile "$TMP/help-bundle" --help
cp "$TMP/out" "$TMP/help-profile-bundle"
problems=$(help_layout "$TMP/out" "profile BUNDLE")
[ -z "$problems" ] && ok || bad "msprune profile BUNDLE --help layout: $problems"

# --- every help fits 80 columns ---------------------------------------------
# too_wide FILE: its lines wider than 80 characters, or with a tab.
too_wide() {
    (
        export LC_ALL=C.UTF-8
        n=0
        while IFS= read -r line || [ -n "$line" ]; do
            n=$((n + 1))
            if [ ${#line} -gt 80 ] || [[ $line == *$'\t'* ]]; then
                echo "line $n, ${#line} columns: $line"
            fi
        done <"$1"
    )
}
printf 'fits\n%081d\n' 0 >"$TMP/wide"
[ "$(too_wide "$TMP/wide" | wc -l)" = 1 ] && ok || bad "too_wide misses an 81-column line"
for h in help $(printf 'help-%s ' $cmds) help-evaluate-selector help-profile-bundle; do
    wide=$(too_wide "$TMP/$h")
    [ -z "$wide" ] && ok || bad "a --help ($h) is wider than 80 columns: $wide"
done

# --- version: one string, from src/cli/version.h -------------------------------
release=$(sed -n 's/^#define MSP_VERSION_RELEASE "\(.*\)"$/\1/p' src/cli/version.h)
expect 0 "" -- "$MSPRUNE" --version
grep -qE "^msprune $release( \(git [0-9a-z.-]+\))?$" "$TMP/out" && ok || bad "--version: $(cat "$TMP/out")"
cp "$TMP/out" "$TMP/version"
expect 0 "" -- "$MSPRUNE" version
cmp -s "$TMP/out" "$TMP/version" && ok || bad "'version' and '--version' differ"
expect 0 "" -- "$MSPRUNE" version -q
[ "$(cat "$TMP/out")" = "$release" ] && ok || bad "version -q: $(cat "$TMP/out")"
expect 2 "takes no arguments" -- "$MSPRUNE" version extra

# --- Darknet's layer table: hidden unless --verbose ------------------------
expect 0 "" -- "$MSPRUNE" profile --cfg tests/data/tiny-fashion.cfg --runs 1
grep -q "BFLOPs" "$TMP/err" && bad "Darknet's layer table shown without -v" || ok
expect 0 "BFLOPs" -- "$MSPRUNE" profile --cfg tests/data/tiny-fashion.cfg --runs 1 -v

# --- the man page names every command and every config key -----------------
out=$(HELP_DIR=$TMP MSPRUNE=$MSPRUNE tests/cli/check-man msprune.1 src/data/expconf.c 2>&1) && ok || bad "check-man: $out"
