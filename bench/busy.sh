#!/bin/sh
# busy.sh - the default thread count against -j 1 when another job holds
# a core: wall seconds of ials's prequential replay (rec-eval
# --prequential) and of its stream (rec-recommend --stream), each with
# -j 1 and with the default threads, on an idle machine and beside a busy
# loop (sh -c 'while :; do :; done'), and the default's ratio to -j 1;
# then ials's training with -j 1 and -j 2, idle and beside the loop.
#
# The events: samples/events.csv and MovieLens 100K, split by time as
# README's Freshness section does, the first 70% to train on (ials with
# its defaults), the last 30% replayed or streamed.  Each figure is the
# least of REC_BENCH_RUNS runs (default 3); the machine's other load shows
# in every one.  MovieLens 100K is skipped when absent.
. "$(dirname "$0")/helpers"

BUSY=
trap '[ -z "$BUSY" ] || kill "$BUSY" 2> /dev/null; rm -rf "$TMP"' EXIT

busy_start() {
	sh -c 'while :; do :; done' &
	BUSY=$!
}

busy_stop() {
	kill "$BUSY" 2> /dev/null
	wait "$BUSY" 2> /dev/null
	BUSY=
}

# least CMD...: the least wall seconds of RUNS runs of CMD, in SECS.
least() {
	low=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		timed "$@" || return 1
		if [ -z "$low" ] || [ "$(calc "$SECS < $low" 0)" = 1 ]; then
			low=$SECS
		fi
		i=$((i + 1))
	done
	SECS=$low
}

# versus LABEL CMD...: CMD with -j 1 and with the default threads, and the
# default's ratio to -j 1.
versus() {
	label=$1
	shift
	least "$@" -j 1 || return 0
	one=$SECS
	least "$@" || return 0
	row "$label" "$one" "$SECS" "$(calc "$SECS / $one" 2)"
}

# replays NAME EVENTS: train ials on the first 70% of EVENTS by time, then
# time its replay and its stream of the rest, idle and busy.
replays() {
	rec-pivot -q -o "$TMP/data.recd" "$2"
	rec-split -q --method temporal --ratio 0.3 --train "$TMP/early.recd" \
		--test "$TMP/later.recd" "$TMP/data.recd"
	rec-pivot -q --format long -o "$TMP/later.csv" "$TMP/later.recd"
	rec-train -q -a ials -o "$TMP/early.recm" "$TMP/early.recd"
	printf '  %s: %s events replayed\n' "$1" "$(($(wc -l < "$TMP/later.csv") - 1))"
	row "" "-j 1 s" "default s" "ratio"
	for load in idle busy; do
		[ "$load" = busy ] && busy_start
		versus "prequential, $load" rec-eval -q --prequential -m "$TMP/early.recm" -k 10 \
			"$TMP/later.recd"
		versus "stream, $load" sh -c 'm=$1 in=$2; shift 2
			exec rec-recommend -q -m "$m" --stream -n 10 "$@" < "$in"' \
			sh "$TMP/early.recm" "$TMP/later.csv"
		[ "$load" = busy ] && busy_stop
	done
}

# training NAME EVENTS: ials's training on EVENTS with -j 1 and -j 2.
training() {
	rec-pivot -q -o "$TMP/data.recd" "$2"
	printf '  %s: ials training\n' "$1"
	row "" "-j 1 s" "-j 2 s" "ratio"
	for load in idle busy; do
		[ "$load" = busy ] && busy_start
		least rec-train -q -a ials -j 1 -o "$TMP/m.recm" "$TMP/data.recd" || return 0
		one=$SECS
		least rec-train -q -a ials -j 2 -o "$TMP/m.recm" "$TMP/data.recd" || return 0
		row "$load" "$one" "$SECS" "$(calc "$SECS / $one" 2)"
		[ "$load" = busy ] && busy_stop
	done
}

ml100k=$DATA/movielens-100k/u.data
section "Replay and stream of ials, -j 1 against the default threads"
replays "samples/events.csv" "$ROOT/samples/events.csv"
if need "$ml100k"; then
	awk -F'\t' 'BEGIN { OFS = ","; print "user,item,rating,timestamp" }
		{ print $1, $2, $3, $4 }' "$ml100k" > "$TMP/ml100k.csv"
	replays "MovieLens 100K" "$TMP/ml100k.csv"
	section "Training, -j 1 against -j 2"
	training "MovieLens 100K" "$TMP/ml100k.csv"
fi
exit 0
