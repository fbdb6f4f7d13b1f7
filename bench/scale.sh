#!/bin/sh
# scale.sh - the pipeline on generated logs too large for the shipped
# samples, step by step: wall seconds, peak resident memory and bytes of
# memory per event of each step.
#
#   REC_BENCH_LARGE=1  2x10^7 events (140,000 users, 27,000 items): the
#                      pipeline in one process per step beside the same
#                      pipeline in 4 shards under GNU parallel
#                      (samples/sharded.sh), 3 sweeps of ials, k 64
#   REC_BENCH_HUGE=1   10^8 events (10^6 users, 10^5 items): generate,
#                      pivot, split, 5 sweeps of ials k 64, top-10 lists
#                      of every user, rec-eval of the lists and rec-eval -m
#                      (about 20 GB of disk, 6 GB of memory, an hour)
. "$(dirname "$0")/helpers"

SWEEPS=3
TRAIN_OPTS="-k 64 --seed 7"

# step NAME EVENTS CMD...: time CMD and print its figures.
step() {
	name=$1 events=$2
	shift 2
	timed "$@" || return 1
	row "$name" "$SECS" "$(calc "$KB / 1024" 0)" "$(calc "$KB * 1024 / $events" 1)"
}

# prepare EVENTS USERS ITEMS: the log generated, pivoted and split into
# $TMP/train.recd and $TMP/test.recd (each user's newest event).
prepare() {
	row "" "wall s" "peak MB" "B/event"
	step genevents "$1" genevents -n "$1" -u "$2" -i "$3" -o "$TMP/events.csv" || return 1
	step rec-pivot "$1" rec-pivot -q --implicit 0 -o "$TMP/all.recd" "$TMP/events.csv" ||
		return 1
	rm -f "$TMP/events.csv"
	step rec-split "$1" rec-split -q --method last --count 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || return 1
	rm -f "$TMP/all.recd"
}

# model EVENTS SWEEPS: train ials, write every user's top 10 and evaluate
# them, one process a step; MODEL_SECS is the sum of the three steps.
model() {
	# shellcheck disable=SC2086 # TRAIN_OPTS is a list of options
	step "rec-train ials x$2" "$1" rec-train -q -a ials -e "$2" $TRAIN_OPTS \
		-o "$TMP/model.recm" "$TMP/train.recd" || return 1
	MODEL_SECS=$SECS
	figure "ials seconds a sweep" "$(calc "$SECS / $2" 2)" s
	step rec-recommend "$1" sh -c "rec-recommend -q -m '$TMP/model.recm' -n 10 \
		> '$TMP/recs.csv'" || return 1
	MODEL_SECS=$(calc "$MODEL_SECS + $SECS" 2)
	step "rec-eval of the lists" "$1" rec-eval -q --test "$TMP/test.recd" \
		--train "$TMP/train.recd" -o "$TMP/metrics.csv" "$TMP/recs.csv" || return 1
	MODEL_SECS=$(calc "$MODEL_SECS + $SECS" 2)
}

large() {
	section "2x10^7 generated events: one process a step, and 4 shards"
	if [ "$REC_BENCH_LARGE" != 1 ]; then
		skip "set REC_BENCH_LARGE=1 to run it"
		return 0
	fi
	if ! have parallel; then
		skip "no GNU parallel"
		return 0
	fi
	prepare 20000000 140000 27000 && model 20000000 "$SWEEPS" || return 0
	figure "train, recommend and evaluate" "$MODEL_SECS" s
	REC_TRAIN_OPTS=$TRAIN_OPTS timed sh "$ROOT/samples/sharded.sh" -n 4 -t "$SWEEPS" \
		"$TMP/train.recd" "$TMP/test.recd" "$TMP/sharded.recm" "$TMP/shards" || return 0
	figure "the same in 4 shards (samples/sharded.sh)" "$SECS" s
	figure "4 shards / one process" "$(calc "$SECS / $MODEL_SECS" 2)" x
	if cmp -s "$TMP/metrics.csv" "$TMP/shards/metrics.csv"; then
		figure "metrics of the shards" "equal" ""
	else
		figure "metrics of the shards" "differ" ""
	fi
	rm -rf "$TMP/shards" "$TMP"/*.recd "$TMP"/*.recm "$TMP"/*.csv
}

huge() {
	section "10^8 generated events, 10^6 users, 10^5 items"
	if [ "$REC_BENCH_HUGE" != 1 ]; then
		skip "set REC_BENCH_HUGE=1 to run it"
		return 0
	fi
	start=$(date +%s)
	prepare 100000000 1000000 100000 && model 100000000 5 || return 0
	step "rec-eval -m" 100000000 rec-eval -q -m "$TMP/model.recm" --test "$TMP/test.recd" \
		-o "$TMP/metrics.csv" || return 0
	figure "end to end" "$(($(date +%s) - start))" s
}

large
huge
