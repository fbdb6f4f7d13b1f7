#!/bin/sh
# sharded.sh - train, recommend and evaluate shard by shard under GNU
# parallel: on this machine by default, over ssh on the hosts of
# REC_HOSTS otherwise.  See "Past one machine" in rec(7).
#
#   sh samples/sharded.sh [-n SHARDS] [-k LIST] [-c COUNT] [-t SWEEPS]
#                         TRAIN TEST MODEL OUTDIR
#
# writes into OUTDIR:
#   train-I.recd  the training set's entries of shard I's users (rec-pivot
#                 --shards)
#   recs-I.csv    the top-COUNT lists of shard I's users (rec-recommend --shard)
#   part-I        the sums of their evaluation (rec-eval --shard --partial)
#   metrics.csv   the metrics of all (rec-eval --merge): exactly what one
#                 rec-eval of all the lists prints
#
# With -t SWEEPS, MODEL is not read but written first: an ials model
# trained in SWEEPS sweeps of alternating least squares, each half sweep
# SHARDS jobs (rec-train --solve --shard) and a merge (rec-train --merge),
# from the seeded initial model (rec-train -e 0, with the options of
# REC_TRAIN_OPTS, such as "-k 32 --seed 7"); byte for byte the model of
# rec-train -a ials -e SWEEPS.  OUTDIR then also holds
#   train-by-item-I.recd  the entries of shard I's items
#   sweep-S.recm          the model after sweep S (sweep-0.recm: initial)
#
# REC_HOSTS is a host list for GNU parallel's -S (such as "8/alice,8/bob"
# or ":,bob", where ":" is this machine).  The rec programs must be on the
# hosts' PATH; TRAIN, TEST and MODEL, given as paths relative to the
# current folder, are sent to each host once (--basefile), as is each
# half sweep's model; a shard's training set goes to its job
# (--transferfile), and each job's files come back (--return) and are
# removed there (--cleanup).
set -eu

usage() {
	echo "usage: sh sharded.sh [-n SHARDS] [-k LIST] [-c COUNT] [-t SWEEPS]" \
		"TRAIN TEST MODEL OUTDIR" >&2
	exit 2
}

shards=4 cutoffs=10 count=10 sweeps=0
while getopts n:k:c:t: opt; do
	case $opt in
	n) shards=$OPTARG ;;
	k) cutoffs=$OPTARG ;;
	c) count=$OPTARG ;;
	t) sweeps=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || usage
train=$1 test=$2 model=$3 out=$4

command -v parallel > /dev/null || {
	echo "sharded.sh: GNU parallel is missing (Debian package parallel)" >&2
	exit 1
}
mkdir -p "$out"

# jobs JOB [PARALLEL-OPTION...]: JOB once for each shard {}, here or on
# the hosts of REC_HOSTS with the options given for the files.
jobs() {
	job=$1
	shift
	if [ -n "${REC_HOSTS:-}" ]; then
		parallel --will-cite --halt now,fail=1 -S "$REC_HOSTS" "$@" --cleanup \
			"$job" ::: $(seq 1 "$shards")
	else
		parallel --will-cite --halt now,fail=1 "$job" ::: $(seq 1 "$shards")
	fi
}

# half MODEL SIDE DATA NEXT: one half sweep of MODEL, the shards of DATA
# solving the vectors of SIDE (users or items), merged into NEXT.
half() {
	jobs "mkdir -p '$out' && rec-train -q --init '$1' --solve $2 --shard {}/$shards \
			-o '$out/$2-{}.part' '$3-{}.recd'" \
		--basefile "$1" --transferfile "$3-{}.recd" --return "$out/$2-{}.part"
	rec-train -q --merge "$1" -o "$4" "$out/$2"-*.part
	rm -f "$out/$2"-*.part
}

# 1. The training set by shard of users, and with -t by shard of items,
# and the model trained in sweeps of two half sweeps, items then users.
rec-pivot --shards "$shards" -o "$out/train" "$train"
if [ "$sweeps" -gt 0 ]; then
	rec-pivot --shards "$shards" --by item -o "$out/train-by-item" "$train"
	# shellcheck disable=SC2086 # REC_TRAIN_OPTS is a list of options
	rec-train -q -a ials -e 0 ${REC_TRAIN_OPTS:-} -o "$out/sweep-0.recm" "$train"
	for s in $(seq 1 "$sweeps"); do
		half "$out/sweep-$((s - 1)).recm" items "$out/train-by-item" "$out/half-$s.recm"
		half "$out/half-$s.recm" users "$out/train" "$out/sweep-$s.recm"
		rm -f "$out/half-$s.recm"
	done
	cp "$out/sweep-$sweeps.recm" "$model"
fi

# 2 and 3. One job a shard: its users' lists, then the sums of their
# evaluation.  Each job reads the whole test and training sets: a part
# records their hash, and --merge joins only parts of one evaluation.
jobs "mkdir -p '$out' &&
	rec-recommend -q -m '$model' -n $count --shard {}/$shards > '$out/recs-{}.csv' &&
	rec-eval -q --test '$test' --train '$train' -k $cutoffs --shard {}/$shards \
		--partial -o '$out/part-{}' '$out/recs-{}.csv'" \
	--basefile "$train" --basefile "$test" --basefile "$model" \
	--return "$out/recs-{}.csv" --return "$out/part-{}"

# 4. The metrics of all the users, from the parts in any order.
rec-eval --merge -o "$out/metrics.csv" "$out"/part-*
