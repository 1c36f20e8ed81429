# tests/cli/slurm.sh: sourced by tests/cli/run after specialise.sh (uses its
# $TMP, $W, $TMP/sa = the family of sa.conf, same_family, expect/ok/bad).
# `specialise --slurm` against stand-ins for sbatch, squeue and scancel that
# log their arguments and answer as a file says: the exact sbatch command
# lines, what is recorded, following a submission, and every refusal (no
# sbatch, an unreachable controller, a rejected submission, a bad record)
# leaving nothing behind. The batch scripts it writes are then run by hand,
# task by task as Slurm would, and must build sa's family. A real Slurm runs
# in tests/cli/slurm-family (make test-slurm).

FAKE=$TMP/fake
mkdir -p "$FAKE/bin" "$TMP/nobin"
cat >"$FAKE/bin/sbatch" <<SH
#!/bin/sh
echo "\$*" >>"$FAKE/sbatch.calls"
n=\$(wc -l <"$FAKE/sbatch.calls")
case \$(cat "$FAKE/sbatch.mode" 2>/dev/null) in
down) echo "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)" >&2; exit 1 ;;
reject2) [ "\$n" -ge 2 ] && { echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1; } ;;
esac
echo \$((100 + n))
SH
cat >"$FAKE/bin/squeue" <<SH
#!/bin/sh
for a; do case \$a in --jobs=*) ids=\${a#--jobs=} ;; esac; done
[ -s "$FAKE/squeue.err" ] && { cat "$FAKE/squeue.err" >&2; exit 1; }
n=\$((\$(cat "$FAKE/squeue.n" 2>/dev/null || echo 0) + 1))
echo \$n >"$FAKE/squeue.n"
[ "\$n" = "\$(cat "$FAKE/squeue.fail-at" 2>/dev/null)" ] &&
    { echo "squeue: error: Socket timed out on send/recv operation" >&2; exit 1; }
while IFS='|' read -r t s e; do
    if [ "\$t" = F ]; then echo "\${ids##*,}|\$s|\$e"; else echo "\${ids%%,*}_\$t|\$s|\$e"; fi
done <"$FAKE/squeue.states"
SH
cat >"$FAKE/bin/scancel" <<SH
#!/bin/sh
echo "\$*" >>"$FAKE/scancel.calls"
SH
chmod +x "$FAKE"/bin/*
: >"$FAKE/squeue.states"
fake() { env PATH="$FAKE/bin:$PATH" "$@"; }
calls() { wc -l <"$FAKE/sbatch.calls" 2>/dev/null || echo 0; }

# sl: sa's experiment (same name, plan and family) written elsewhere, with a slurm group.
sed "s#^output = .*#output = \"$TMP/sl\";#" "$TMP/sa.conf" >"$TMP/sl.conf"
printf 'slurm = { partition = "debug"; time = "30"; sbatch_args = ["--qos=low"]; };\n' >>"$TMP/sl.conf"
nothing_left() { # nothing of a submission that did not happen
    [ ! -e "$TMP/sl/slurm/submitted.conf" ] && [ ! -e "$TMP/sl/slurm/jobs.sh" ] &&
        [ ! -e "$TMP/sl/slurm/family.sh" ] && [ ! -e "$TMP/sl/stamps/specialise-submitted.inputs" ] &&
        ok || bad "$1: a failed submission left files: $(ls "$TMP/sl/slurm" "$TMP/sl/stamps" 2>&1 | tr '\n' ' ')"
}

# --- refusals ---------------------------------------------------------------
expect 2 "sbatch is not on the PATH: --slurm needs Slurm's commands" -- \
    env PATH="$TMP/nobin" "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
nothing_left "no sbatch"
echo down >"$FAKE/sbatch.mode"
expect 1 "sl.conf: sbatch failed (exit status 1): sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)" -- \
    fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
nothing_left "controller down"
echo reject2 >"$FAKE/sbatch.mode"
: >"$FAKE/sbatch.calls"
expect 1 "Invalid partition name specified" -- fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
[ "$(calls)" = 2 ] && [ "$(cat "$FAKE/scancel.calls" 2>/dev/null)" = 101 ] && ok ||
    bad "a rejected family job did not cancel the array: scancel $(cat "$FAKE/scancel.calls" 2>&1)"
nothing_left "rejected family job"

# Usage: one way to run the jobs, settings only with --slurm, values checked.
expect 2 "go with --slurm" -- "$MSPRUNE" specialise "$TMP/sl.conf" --wait
expect 2 "go with --slurm" -- "$MSPRUNE" specialise "$TMP/sl.conf" --partition debug
expect 2 "one at most" -- "$MSPRUNE" specialise "$TMP/sl.conf" --slurm -j 2
expect 2 "one at most" -- "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --jobs-file "$TMP/x.txt"
expect 2 "--time 'soon': a time limit is minutes" -- "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --time soon
expect 2 "--mem '4GB': memory is a whole number" -- "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --mem 4GB
expect 2 "--cpus '0': an integer in [1, 4096]" -- "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --cpus 0
expect 2 "--sbatch-arg '--array=1': msprune sets this sbatch option itself" -- \
    "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --sbatch-arg=--array=1
expect 2 "-j or --slurm, not both" -- "$MSPRUNE" all "$TMP/sl.conf" --slurm -j 2
nothing_left "usage errors"

# --- a submission: the exact command lines and the record ------------------
rm -f "$FAKE/sbatch.mode" "$FAKE/sbatch.calls" "$FAKE/scancel.calls"
expect 0 "" -- fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --time 4:00:00 --sbatch-arg=--account=vision
grep -q "submitted 3 jobs of sa to Slurm as array 101 (logs $TMP/sl/family/NAME.log), and family job 102 after them" "$TMP/out" &&
    ok || bad "--slurm: $(cat "$TMP/out")"
grep -q "s2: Slurm job 101_2, log $TMP/sl/family/s2.log" "$TMP/err" && ok || bad "--slurm: no log path: $(cat "$TMP/err")"
R=$(realpath "$TMP/sl")
res="--partition=debug --time=4:00:00 --cpus-per-task=1 --qos=low --account=vision"
printf '%s\n' "--parsable --job-name=msprune-sa $res --array=0,1,2 --output=$R/slurm/%A_%a.out --open-mode=append $R/slurm/jobs.sh" \
    "--parsable --job-name=msprune-sa-family $res --dependency=afterok:101 --kill-on-invalid-dep=yes --output=$R/slurm/family.log --open-mode=append $R/slurm/family.sh" \
    >"$TMP/sbatch.want"
cmp -s "$FAKE/sbatch.calls" "$TMP/sbatch.want" && ok || bad "sbatch command lines: $(diff "$TMP/sbatch.want" "$FAKE/sbatch.calls")"
printf '%s\n' "# The jobs \`msprune specialise --slurm\` gave Slurm: array task N builds job N." \
    'array = "101";' 'family = "102";' 'jobs = [0, 1, 2];' >"$TMP/submitted.want"
cmp -s "$TMP/sl/slurm/submitted.conf" "$TMP/submitted.want" && ok || bad "submitted.conf: $(cat "$TMP/sl/slurm/submitted.conf")"

# Still queued: a second --slurm submits nothing and says so.
printf '0|RUNNING|0\n1|PENDING|0\n2|PENDING|0\nF|PENDING|0\n' >"$FAKE/squeue.states"
expect 0 "still in Slurm's queue: nothing new is submitted" -- fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
[ "$(calls)" = 2 ] && grep -q "already in Slurm's queue: array 101, family job 102" "$TMP/out" && ok ||
    bad "a queued submission was submitted again: $(cat "$TMP/out")"
# An unreachable controller while looking: exit 1, nothing submitted.
echo "squeue: error: Unable to contact slurm controller (connect failure)" >"$FAKE/squeue.err"
expect 1 "squeue failed (exit status 1): squeue: error: Unable to contact slurm controller" -- \
    fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
[ "$(calls)" = 2 ] && ok || bad "sbatch ran although squeue failed"
rm "$FAKE/squeue.err"
# A corrupt record is refused where it is wrong.
cp "$TMP/sl/slurm/submitted.conf" "$TMP/submitted.keep"
printf 'array = 5;\n' >"$TMP/sl/slurm/submitted.conf"
expect 2 "submitted.conf:1: 'array' must be a job id in double quotes" -- fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
cp "$TMP/submitted.keep" "$TMP/sl/slurm/submitted.conf"

# Ended badly: resubmitted (no job is done), then followed to the end (a
# squeue that fails once on the way is tried again), and every job that did
# not finish is named with its state, exit status and log.
printf '0|FAILED|512\n1|NODE_FAIL|0\n2|CANCELLED|15\nF|CANCELLED|0\n' >"$FAKE/squeue.states"
echo 0 >"$FAKE/squeue.n"
echo 2 >"$FAKE/squeue.fail-at" # the first look while following
expect 1 "the family was not written: 3 jobs did not finish: s0 FAILED, exit status 2 ($TMP/sl/family/s0.log); s1 NODE_FAIL, exit status 0 ($TMP/sl/family/s1.log); s2 CANCELLED ($TMP/sl/family/s2.log). \`msprune specialise $TMP/sl.conf --slurm\` runs the unfinished ones again" -- \
    fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --wait
grep -q "s0 (103_0): FAILED, exit status 2: see $TMP/sl/family/s0.log and $TMP/sl/slurm/103_0.out" "$TMP/err" && ok ||
    bad "--wait did not report the failed task: $(cat "$TMP/err")"
[ "$(calls)" = 4 ] && grep -q 'array = "103";' "$TMP/sl/slurm/submitted.conf" && ok || bad "no resubmission after the jobs ended"
grep -q "squeue failed (exit status 1): squeue: error: Socket timed out on send/recv operation; trying again in 2 s" "$TMP/err" &&
    [ "$(cat "$FAKE/squeue.n")" = 3 ] && ok || bad "a failing squeue was not tried again: $(cat "$TMP/err")"
rm "$FAKE/squeue.fail-at"
grep -q "s1 (101_1) ended NODE_FAIL, exit status 0: see $TMP/sl/family/s1.log; submitting it again" "$TMP/err" && ok ||
    bad "the resubmission did not say how the last submission's jobs ended: $(cat "$TMP/err")"

# --- the batch scripts, run by hand as Slurm runs them ----------------------
sed -i 's/latency_runs = 5;/latency_runs = 6;/' "$TMP/sl.conf"
SLURM_ARRAY_TASK_ID=0 sh "$TMP/sl/slurm/jobs.sh"
[ $? = 2 ] && grep -q "refusing to run: evaluate.latency_runs changed (5 -> 6) since the jobs were handed out" "$TMP/sl/family/s0.log" &&
    ok || bad "a job ran with changed inputs: $(tail -2 "$TMP/sl/family/s0.log")"
sed -i 's/latency_runs = 6;/latency_runs = 5;/' "$TMP/sl.conf"
for t in 0 1 2; do
    SLURM_ARRAY_TASK_ID=$t sh "$TMP/sl/slurm/jobs.sh" || bad "array task $t failed: $(tail -2 "$TMP/sl/family/s$t.log")"
done
SLURM_ARRAY_TASK_ID=7 sh "$TMP/sl/slurm/jobs.sh" 2>/dev/null
[ $? = 2 ] && ok || bad "the array script ran a task that is no job"
# Every job done, the family not written: the family job goes in alone (no
# array, no dependency); when it fails, --wait says so and where to look.
printf 'F|FAILED|256\n' >"$FAKE/squeue.states"
expect 1 "every job is done, but the job that writes the family (105) ended FAILED, exit status 1: see $TMP/sl/slurm/family.log" -- \
    fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm --wait
[ "$(calls)" = 5 ] && [ "$(tail -1 "$FAKE/sbatch.calls")" = "--parsable --job-name=msprune-sa-family --partition=debug --time=30 --cpus-per-task=1 --qos=low --output=$R/slurm/family.log --open-mode=append $R/slurm/family.sh" ] &&
    grep -q '^array = "";' "$TMP/sl/slurm/submitted.conf" && ok || bad "the family job alone: $(tail -1 "$FAKE/sbatch.calls")"
sh "$TMP/sl/slurm/family.sh" >>"$TMP/sl/slurm/family.log" 2>&1 && ok || bad "the family job failed: $(tail -2 "$TMP/sl/slurm/family.log")"
same_family "$TMP/sa" "$TMP/sl" && ok || bad "the batch scripts built another family"
: >"$FAKE/squeue.states"
expect 0 "every job is done and the family written: nothing to submit" -- fake "$MSPRUNE" specialise "$TMP/sl.conf" --slurm
grep -q "^family of sa" "$TMP/out" && [ "$(calls)" = 5 ] && ok || bad "an up-to-date family was submitted again"
spec_conf nosub "$TMP/nosub" 2 "$W"
expect 2 "refusing to run: there is no record of a submission" -- "$MSPRUNE" specialise "$TMP/nosub.conf" --job 0 --as-submitted
