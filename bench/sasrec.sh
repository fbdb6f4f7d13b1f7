#!/bin/sh
# sasrec with its defaults under leave-last-out, every item ranked, early
# stopping on each user's event before the test (--validation last, which
# folds it back in):
#
#  1. ml100k: MovieLens 100K, NDCG@10 of each of REC_BENCH_SASREC_SEEDS
#     (default 1 2 3) on one thread, their mean and spread, and whether
#     two threads write the same model as one (the first seed); for each
#     seed, a model of the oldest 90% of the training events continued by
#     rec-train --init on the newest 10% for -e 1, 2, 3 and 5 passes, against
#     the full retrain: NDCG@10, the ratio of the two, and CPU seconds
#     (user + sys) of each.
#  2. versus: sasrec and ease on MovieLens latest-small and on a generated
#     log whose users' tastes drift (samples/genevents, 30,000 events).
#
# REC_BENCH_PARTS picks the parts (default: ml100k versus).
# Several minutes a training on an idle machine: the whole takes an hour.
. "$(dirname "$0")/helpers"
set -eu

seeds=${REC_BENCH_SASREC_SEEDS:-1 2 3}

# train OUT DATA [OPTIONS...]: sasrec with the defaults on one thread,
# leaving its CPU seconds in CPU.
train() {
	out=$1 data=$2
	shift 2
	/usr/bin/time -f '%U %S' -o "$TMP/time" rec-train -q -a sasrec -j 1 "$@" \
		-o "$out" "$data"
	CPU=$(awk '{ printf "%.1f", $1 + $2 }' "$TMP/time")
}

# ndcg MODEL TEST: NDCG@10.
ndcg() {
	rec-eval -q -m "$1" --test "$2" -k 10 > "$TMP/eval.csv"
	metric "$TMP/eval.csv" ndcg 10
}

# inits SEED FULL FULL_CPU: the model of the oldest 90% of the training
# events continued on the newest 10%, against the full retrain.
inits() {
	train "$TMP/base.recm" "$TMP/old.recd" --validation last --seed "$1"
	for e in 1 2 3 5; do
		/usr/bin/time -f '%U %S' -o "$TMP/time" rec-train -q -j 1 --seed "$1" \
			--init "$TMP/base.recm" -e "$e" -o "$TMP/inc.recm" "$TMP/new.recd"
		CPU=$(awk '{ printf "%.1f", $1 + $2 }' "$TMP/time")
		nd=$(ndcg "$TMP/inc.recm" "$TMP/test.recd")
		printf '  %-22s %8s %8s %7s %6s%%\n' "  --init -e $e" "$nd" \
			"$(calc "$nd / $2" 3)" "$CPU" "$(calc "100 * $CPU / $3" 1)"
	done
}

ml100k() {
	leave_last "MovieLens 100K" "$DATA/movielens-100k/u.data" \
		--no-header -d tab -r 3 -t 4 || return 0
	rec-split -q --method temporal --ratio 0.1 --train "$TMP/old.recd" \
		--test "$TMP/new.recd" "$TMP/train.recd"
	echo "MovieLens 100K: sasrec by seed, one thread; --init on the newest 10%"
	printf '  %-22s %8s %8s %7s %7s\n' model ndcg@10 ratio cpu_s time
	: > "$TMP/ndcgs"
	for seed in $seeds; do
		train "$TMP/m$seed.recm" "$TMP/train.recd" --validation last --seed "$seed"
		full=$(ndcg "$TMP/m$seed.recm" "$TMP/test.recd")
		echo "$full" >> "$TMP/ndcgs"
		printf '  %-22s %8s %8s %7s %7s\n' "seed $seed" "$full" 1 "$CPU" 100%
		inits "$seed" "$full" "$CPU"
	done
	awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
		END { printf "  %-22s %8.4f  (%.4f to %.4f)\n", "mean of " NR " seeds", s / NR, lo, hi }' \
		"$TMP/ndcgs"
	set -- $seeds
	rec-train -q -a sasrec -j 2 --validation last --seed "$1" -o "$TMP/j2.recm" \
		"$TMP/train.recd"
	if cmp -s "$TMP/m$1.recm" "$TMP/j2.recm"; then
		echo "  two threads, seed $1: the same model byte for byte"
	else
		echo "  two threads, seed $1: NDCG@10 $(ndcg "$TMP/j2.recm" "$TMP/test.recd")"
	fi
}

# ease_sasrec NAME: NDCG@10 of both on $TMP's split, sasrec by seed.
ease_sasrec() {
	rec-train -q -a ease -o "$TMP/ease.recm" "$TMP/train.recd"
	ease=$(ndcg "$TMP/ease.recm" "$TMP/test.recd")
	for seed in $seeds; do
		train "$TMP/m.recm" "$TMP/train.recd" --validation last --seed "$seed"
		printf '  %-22s %8s %8s %8s\n' "$1" "$seed" "$(ndcg "$TMP/m.recm" "$TMP/test.recd")" \
			"$ease"
	done
}

versus() {
	echo "sasrec against ease, NDCG@10"
	printf '  %-22s %8s %8s %8s\n' data seed sasrec ease
	if leave_last "MovieLens latest-small" "$DATA/movielens-latest-small/ratings.csv" \
		-u userId -i movieId; then
		ease_sasrec "latest-small"
	fi
	genevents --events 30000 --seed 1 -o "$TMP/drift.csv"
	leave_last "drift" "$TMP/drift.csv"
	ease_sasrec "drifting tastes"
}

for part in ${REC_BENCH_PARTS:-ml100k versus}; do
	"$part"
	echo
done
exit 0
