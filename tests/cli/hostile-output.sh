# tests/cli/hostile-output.sh: sourced by tests/cli/run after deploy.sh (uses
# its $TMP/dep.conf, its bundle $B, expect/ok/bad). Outputs never replace
# anything but a regular file; write errors (stdout included) are never
# silent; a deploy over an existing bundle is atomic at every kill point, and
# a full disk or a file-size limit leaves the previous bundle whole.

# FIVE: an IDX file of the first five test images.
FIVE=$TMP/five.idx
python3 - "$FIVE" <<'PY' || bad "could not write $FIVE"
import gzip, sys
d = gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').read()
open(sys.argv[1], 'wb').write(d[:4] + (5).to_bytes(4, 'big') + d[8:16] + d[16:16 + 5 * 784])
PY
T10K=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
# tree_sums DIR: checksums of every file under DIR, to compare bundles.
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r md5sum); }
# leftovers PATH: temporary files of atomic writes under PATH, and temporary
# folders of deploys to PATH beside it.
leftovers() {
    find "$1" -name '*.tmp.*' 2>/dev/null
    ls -d "$1".tmp.* "$1".old.* 2>/dev/null
}

# --- outputs refuse to replace anything but a regular file ------------------
# A character device of our own (/dev/full itself where mknod is refused:
# without root, /dev cannot be written either).
H=$TMP/hostile
mkdir -p "$H/dir"
CHR=$H/full
mknod "$CHR" c 1 7 2>/dev/null || CHR=/dev/full
mkfifo "$H/fifo"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$H/sock"
echo precious >"$H/target.csv"
ln -s "$H/target.csv" "$H/link.csv"
for t in "$CHR:is a character device" "$H/fifo:is a FIFO" "$H/dir:is a directory" \
    "$H/sock:is a socket" "$H/link.csv:is a symbolic link"; do
    expect 2 "msprune: ${t%%:*}: ${t#*:}" -- "$MSPRUNE" run "$B" --idx "$FIVE" --csv "${t%%:*}"
    # Refused before any work: no per-input line, no summary.
    [ ! -s "$TMP/out" ] && ok || bad "run --csv ${t%%:*}: worked before refusing: $(head -2 "$TMP/out")"
done
[ -c "$CHR" ] && [ -p "$H/fifo" ] && [ -d "$H/dir" ] && [ -S "$H/sock" ] && [ -L "$H/link.csv" ] &&
    [ "$(cat "$H/target.csv")" = precious ] && ok || bad "run --csv replaced a special file: $(ls -l "$H")"
[ -z "$(leftovers "$H")" ] && ok || bad "refused outputs left temporary files: $(leftovers "$H")"
# Every writer has the rule: a device profile, predictions, a report, a bundle.
expect 2 "msprune: $H/fifo: is a FIFO" -- "$MSPRUNE" profile "$B" --out "$H/fifo" --runs 1 --warmup 0
expect 2 "msprune: $H/fifo: is a FIFO" -- "$MSPRUNE" evaluate "$TMP/dep.conf" --predictions "$H/fifo" -q
mkdir -p "$H/rep" && mkfifo "$H/rep/report.html"
expect 2 "msprune: $H/rep/report.html: is a FIFO" -- "$MSPRUNE" report "$TMP/dep.conf" --out "$H/rep" -q
expect 2 "msprune: $H/fifo: is a FIFO (named pipe), not a folder" -- "$MSPRUNE" report "$TMP/dep.conf" --out "$H/fifo" -q
expect 2 "msprune: $H/fifo: is a FIFO" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$H/fifo"
expect 2 "msprune: $H/target.csv: is a file: a bundle is a folder" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$H/target.csv"
ln -s "$B" "$H/bundle-link"
expect 2 "msprune: $H/bundle-link: is a symbolic link" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$H/bundle-link"
# A folder with anything but bundle files is not replaced (deploy swaps whole folders).
mkdir -p "$H/mine/nets" && echo notes >"$H/mine/notes.txt" && echo x >"$H/mine/nets/keep.cfg"
expect 2 "msprune: $H/mine/notes.txt: not a bundle file" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$H/mine"
[ "$(ls "$H/mine")" = "$(printf 'nets\nnotes.txt')" ] && [ "$(cat "$H/mine/notes.txt")" = notes ] && ok ||
    bad "deploy into a folder of other files changed it: $(ls -R "$H/mine")"
[ -p "$H/fifo" ] && [ -p "$H/rep/report.html" ] && [ "$(cat "$H/target.csv")" = precious ] && [ -L "$H/bundle-link" ] &&
    ok || bad "an output replaced a special file: $(ls -l "$H" "$H/rep")"
[ -z "$(leftovers "$H")" ] && ok || bad "refused outputs left temporary files: $(leftovers "$H")"
# A link planted at the temporary name is not written through (exec keeps the pid).
echo victim >"$H/victim"
expect 0 "" -- bash -c 'ln -s "$1" "$2.tmp.$$" && exec "$0" run "$3" --idx "$4" --csv "$2" -q' \
    "$MSPRUNE" "$H/victim" "$H/planted.csv" "$B" "$FIVE"
[ "$(cat "$H/victim")" = victim ] && [ -f "$H/planted.csv" ] && [ ! -L "$H/planted.csv" ] &&
    [ "$(wc -l <"$H/planted.csv")" = 6 ] && ok || bad "run --csv wrote through a planted link: $(ls -l "$H")"

# --- write errors on stdout: reported, exit 1 --------------------------------
expect 1 "msprune: stdout: write error: No space left on device" -- bash -c 'exec "$@" >/dev/full' \
    _ "$MSPRUNE" run "$B" --idx "$FIVE"
expect 1 "msprune: stdout: write error: No space left on device" -- bash -c 'exec "$@" >/dev/full' \
    _ "$MSPRUNE" premodel --table tests/data/table-mt.csv --premodel logistic
expect 1 "msprune: stdout: write error: No space left on device" -- bash -c 'exec "$@" >/dev/full' _ "$MSPRUNE" --help
expect 1 "msprune: stdout: write error: No space left on device" -- bash -c 'exec "$@" >/dev/full' \
    _ "$MSPRUNE" check cfg/fashion-base.cfg
# A closed stdout is an error too, and its descriptor is not reused for a file.
expect 1 "msprune: stdout: write error: Bad file descriptor" -- bash -c 'exec "$@" >&-' \
    _ "$MSPRUNE" run "$B" --idx "$FIVE" --csv "$H/closed.csv"
[ "$(wc -l <"$H/closed.csv")" = 6 ] && head -1 "$H/closed.csv" | grep -q '^index,class,network,p0' && ok ||
    bad "with stdout closed, run --csv wrote: $(head -c 300 "$H/closed.csv")"
# A pipe whose reader has gone (| head -1): quiet, exit 141 like SIGPIPE.
cat >"$TMP/closed-pipe.py" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)  # the reader is gone before msprune writes anything
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stderr.buffer.write(p.stderr)
sys.exit(p.returncode if p.returncode >= 0 else 99)  # 99: killed by a signal
PY
expect 141 "" -- python3 "$TMP/closed-pipe.py" "$MSPRUNE" run "$B" --idx "$T10K" --limit 300 --csv "$H/piped.csv"
[ ! -s "$TMP/err" ] && ok || bad "a closed pipe on stdout printed: $(head -c 300 "$TMP/err")"
[ -z "$(leftovers "$H")" ] && ok || bad "stdout errors left temporary files: $(leftovers "$H")"

# --- a file-size limit (ulimit -f, KiB): run --csv and deploy ----------------
expect 1 "$H/big.csv: write failed: File too large" -- \
    bash -c 'ulimit -f 1; exec "$@"' _ "$MSPRUNE" run "$B" --idx "$T10K" --limit 60 --csv "$H/big.csv" -q
[ ! -e "$H/big.csv" ] && [ -z "$(leftovers "$H")" ] && ok || bad "ulimit -f run --csv left: $(ls "$H")"
before=$(tree_sums "$B")
expect 1 ".weights: write failed: File too large" -- \
    bash -c 'ulimit -f 8; exec "$@"' _ "$MSPRUNE" deploy "$TMP/dep.conf" --out "$B" --premodel gate-cnn
[ "$(tree_sums "$B")" = "$before" ] && [ -z "$(leftovers "$B")" ] && ok ||
    bad "ulimit -f deploy changed the bundle or left: $(leftovers "$B")"

# --- a re-deploy killed at every rename: the old bundle or the new one -------
# Old: the logistic premodel; new: gate-cnn (other bytes, other answers).
R=$TMP/redeploy
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$R-old" --premodel logistic -q
expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$R-new" --premodel gate-cnn -q
expect 0 "" -- "$MSPRUNE" run "$R-old" --idx "$FIVE" --csv "$TMP/old.csv" -q
expect 0 "" -- "$MSPRUNE" run "$R-new" --idx "$FIVE" --csv "$TMP/new.csv" -q
old_sums=$(tree_sums "$R-old") new_sums=$(tree_sums "$R-new")
[ "$old_sums" != "$new_sums" ] && ok || bad "the two bundles are identical: the kill test would prove nothing"
kills=0 kept_old=0 got_new=0
for n in $(seq 1 40); do
    rm -rf "$R" && cp -a "$R-old" "$R"
    MSP_TEST_KILL_AT=commit@$n "$MSPRUNE" deploy "$TMP/dep.conf" --out "$R" --premodel gate-cnn -q >/dev/null 2>"$TMP/kill.err"
    st=$?
    [ "$st" = 0 ] && break
    if [ "$st" != 137 ]; then
        bad "deploy killed at commit@$n: exit $st, $(cat "$TMP/kill.err")"
        break
    fi
    kills=$((kills + 1))
    sums=$(tree_sums "$R")
    if [ "$sums" = "$old_sums" ]; then kept_old=$((kept_old + 1)); want=$TMP/old.csv
    elif [ "$sums" = "$new_sums" ]; then got_new=$((got_new + 1)); want=$TMP/new.csv
    else bad "deploy killed at commit@$n left a bundle that is neither: $(diff <(echo "$old_sums") <(echo "$sums"))"; want=; fi
    "$MSPRUNE" run "$R" --idx "$FIVE" --csv "$TMP/kill.csv" -q >/dev/null 2>"$TMP/kill.err" &&
        [ -n "$want" ] && cmp -s "$TMP/kill.csv" "$want" && ok ||
        bad "after a kill at commit@$n: run $(cat "$TMP/kill.err")"
done
# The kills fell before the swap (old kept) and after it (new in place), and
# the run after the last kill finished: new bundle, no temporary folder left.
[ "$kills" -ge 2 ] && [ "$kept_old" -ge 1 ] && [ "$got_new" -ge 1 ] && [ "$st" = 0 ] && ok ||
    bad "re-deploy kills: $kills (old kept $kept_old, new $got_new), last exit $st"
[ "$(tree_sums "$R")" = "$new_sums" ] && [ -z "$(leftovers "$R")" ] && ok ||
    bad "after the kills a deploy did not clean up: $(leftovers "$R")"
echo "deploy over a bundle: killed $kills times ($kept_old left the old bundle, $got_new the new one)" >&2

# --- a full disk during deploy (small tmpfs; skipped where mount is refused) --
M=$TMP/mnt-deploy
mkdir -p "$M"
if mount -t tmpfs -o size=4m tmpfs "$M" 2>/dev/null; then
    expect 0 "" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$M/b" --premodel logistic -q
    before=$(tree_sums "$M/b")
    # Leave 16 KiB: less than the base's weights (36 KiB), so even a deploy
    # that replaced files one by one would fail midway.
    avail=$(df -k --output=avail "$M" | tail -1)
    dd if=/dev/zero of="$M/filler" bs=1k count=$((avail - 16)) status=none 2>/dev/null
    expect 1 ": write failed: No space left on device" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$M/b" --premodel gate-cnn -q
    grep -q "$M/b\.tmp\.[0-9]*/\(nets/\|premodel.bin\|manifest.conf\|README\)" "$TMP/err" && ok ||
        bad "disk full: the message does not name the bundle file written: $(cat "$TMP/err")"
    expect 1 "No space left on device" -- "$MSPRUNE" deploy "$TMP/dep.conf" --out "$M/c" --premodel gate-cnn -q
    [ "$(tree_sums "$M/b")" = "$before" ] && [ ! -e "$M/c" ] && [ -z "$(leftovers "$M/b")$(leftovers "$M/c")" ] &&
        ok || bad "deploy on a full disk: bundle changed or left: $(ls -a "$M") $(leftovers "$M/b")"
    umount "$M"
else
    echo "hostile-output: full-disk deploy skipped: mount is not permitted here" >&2
fi
