#!/bin/sh
# run.sh NAME PROGRAM SECONDS DIR INPUT... - run the libFuzzer program
# PROGRAM for SECONDS, its corpus growing in DIR/corpus/NAME from the
# INPUT folders that exist, its log in DIR/NAME.log and what it finds in
# DIR/artifacts/NAME/.  Print a line with the executions and the time;
# exit 1 on a crash, leak, sanitizer report, huge allocation or hang.
# FUZZ_SEED, when set and not empty, seeds the fuzzer's choices.
set -u
name=$1 prog=$2 seconds=$3 dir=$4
shift 4
mkdir -p "$dir/corpus/$name" "$dir/artifacts/$name"
for input; do
	shift
	[ -d "$input" ] && set -- "$@" "$input"
done
log=$dir/$name.log
# Idle threads sleep rather than spin: the cores are shared.
export OMP_WAIT_POLICY=passive
start=$(date +%s)
"$prog" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 \
	-timeout=30 ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name/" \
	"$dir/corpus/$name" "$@" > "$log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
	echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} executions in $secs s; see $log" >&2
	grep -m 1 -A 12 -E '^==[0-9]+==ERROR|runtime error|^fuzz: |ERROR: libFuzzer' "$log" >&2
	grep -m 1 'Test unit written to' "$log" >&2
	exit 1
fi
echo "fuzz $name: ${execs:-?} executions in $secs s"
