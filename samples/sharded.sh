#!/bin/sh
# sharded.sh - recommend and evaluate shard by shard of users under GNU
# parallel: on this machine by default, over ssh on the hosts of
# REC_HOSTS otherwise.  See "Past one machine" in rec(7).
#
#   sh samples/sharded.sh [-n SHARDS] [-k LIST] [-c COUNT] TRAIN TEST MODEL OUTDIR
#
# writes into OUTDIR:
#   train-I.recd  the training set's entries of shard I's users (rec-pivot
#                 --shards), for the sharded training to come
#   recs-I.csv    the top-COUNT lists of shard I's users (rec-recommend --shard)
#   part-I        the sums of their evaluation (rec-eval --shard --partial)
#   metrics.csv   the metrics of all (rec-eval --merge): exactly what one
#                 rec-eval of all the lists prints
#
# REC_HOSTS is a host list for GNU parallel's -S (such as "8/alice,8/bob"
# or ":,bob", where ":" is this machine).  The rec programs must be on the
# hosts' PATH; TRAIN, TEST and MODEL, given as paths relative to the
# current folder, are sent to each host once (--basefile), and each job's
# two files come back (--return) and are removed there (--cleanup).
set -eu

usage() {
	echo "usage: sh sharded.sh [-n SHARDS] [-k LIST] [-c COUNT] TRAIN TEST MODEL OUTDIR" >&2
	exit 2
}

shards=4 cutoffs=10 count=10
while getopts n:k:c: opt; do
	case $opt in
	n) shards=$OPTARG ;;
	k) cutoffs=$OPTARG ;;
	c) count=$OPTARG ;;
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

# 1. The training set by shard of users.  Training shard by shard, each
# job solving its users' factors against the shared item factors and a
# merge joining them, is the step to come here; until then the model is
# trained on one machine and shipped whole to every job.
rec-pivot --shards "$shards" -o "$out/train" "$train"

# 2 and 3. One job a shard: its users' lists, then the sums of their
# evaluation.  Each job reads the whole test and training sets: a part
# records their hash, and --merge joins only parts of one evaluation.
job="mkdir -p '$out' &&
	rec-recommend -q -m '$model' -n $count --shard {}/$shards > '$out/recs-{}.csv' &&
	rec-eval -q --test '$test' --train '$train' -k $cutoffs --shard {}/$shards \
		--partial -o '$out/part-{}' '$out/recs-{}.csv'"
if [ -n "${REC_HOSTS:-}" ]; then
	parallel --will-cite --halt now,fail=1 -S "$REC_HOSTS" \
		--basefile "$train" --basefile "$test" --basefile "$model" \
		--return "$out/recs-{}.csv" --return "$out/part-{}" --cleanup \
		"$job" ::: $(seq 1 "$shards")
else
	parallel --will-cite --halt now,fail=1 "$job" ::: $(seq 1 "$shards")
fi

# 4. The metrics of all the users, from the parts in any order.
rec-eval --merge -o "$out/metrics.csv" "$out"/part-*
