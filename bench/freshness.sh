#!/bin/sh
# Freshness: how fast the stream answers, how much learning as events
# arrive is worth, and what incremental training costs against a retrain.
#
#  1. rec-recommend --stream latency per event (p50, p99, max) and events
#     per second, one thread, 64 factors, for every model, on MovieLens
#     latest-small (about 9,700 items) and a generated 27,000-item log,
#     beside the floor: one bare single-thread product of a user's vector
#     with every item's (sgemm-floor with blocks of one user).
#  2. Prequential HR@10: train on the first 70% of the events by time,
#     replay the last 30% with and without folding each event in.
#  3. Incremental training: events by time split 80/10/10; a full retrain
#     on the first 90% against rec-train --init from the 80% model with the
#     next 10%; NDCG@10 on the last 10%, and the training times (the least
#     wall time of REC_BENCH_RUNS runs, default 3, after a warm-up).
#
# Data sets that are absent are skipped.  REC_BENCH_MODELS overrides the
# list of models (default: every algorithm rec-train lists), REC_BENCH_PARTS
# the parts (default: stream prequential incremental).
. "$(dirname "$0")/helpers"
set -eu
export OPENBLAS_NUM_THREADS=1

models=${REC_BENCH_MODELS:-$(rec-train --help | sed -n '/^Algorithms/,$p' |
	awk '/^  [a-z]/ { print $1 }' | tr '\n' ' ')}

# options ALGO: training options of each model for these benchmarks.
options() {
	case $1 in
	mf | bpr | ials) echo "-k 64" ;;
	sasrec) echo "-k 64 -e ${REC_BENCH_SASREC_EPOCHS:-20}" ;;
	*) echo "" ;;
	esac
}

# sorted NAME FILE...: a user,item,rating,timestamp CSV in time order, ties
# in file order, from MovieLens' formats.
sorted_100k() {
	awk -F'\t' 'BEGIN { OFS = "," } { print $1, $2, $3, $4 }' "$1" |
		sort -s -t, -k4,4n | sed '1i user,item,rating,timestamp'
}

sorted_latest() {
	tail -n +2 "$1" | sort -s -t, -k4,4n | sed '1i user,item,rating,timestamp'
}

# cut_at FILE FRACTION OUT_HEAD OUT_TAIL: the first FRACTION of the events
# of FILE and the rest, each with the header.
cut_at() {
	n=$(($(wc -l < "$1") - 1))
	h=$(awk -v n="$n" -v f="$2" 'BEGIN { printf "%d", n * f }')
	head -n $((h + 1)) "$1" > "$3"
	(head -n 1 "$1"; tail -n +$((h + 2)) "$1") > "$4"
}

stream_latency() {
	name=$1 log=$2
	cut_at "$log" 0.7 "$TMP/old.csv" "$TMP/new.csv"
	items=$(rec-pivot --stats -o "$TMP/x.recd" "$log" | awk -F, '$1 == "items" { print $2 }')
	floor=$(sgemm-floor 20000 64 "$items" 1 | awk '{ printf "%.1f", $1 / 20000 * 1e6 }')
	head -n 5001 "$TMP/new.csv" > "$TMP/stream.csv"
	printf '%s: %s items; floor (one 1 x 64 x %s product) %s us\n' \
		"$name" "$items" "$items" "$floor"
	printf '  %-8s %10s %8s %8s %8s %10s\n' model events/s p50_us p99_us max_us p99/floor
	for algo in $models; do
		# shellcheck disable=SC2046
		rec-train -q -j 1 -a "$algo" $(options "$algo") -o "$TMP/m.recm" "$TMP/old.csv"
		rec-recommend -q -v -j 1 -m "$TMP/m.recm" --stream < "$TMP/stream.csv" \
			2>&1 > /dev/null | awk -v a="$algo" -v floor="$floor" '/latency/ {
				printf "  %-8s %10s %8s %8s %8s %9.2fx\n", a, $4, $9, $11, $13,
					$11 / floor }'
	done
}

prequential() {
	name=$1 log=$2
	cut_at "$log" 0.7 "$TMP/old.csv" "$TMP/new.csv"
	printf '%s: train on the first 70%% by time, replay the last 30%%\n' "$name"
	printf '  %-8s %10s %10s %6s\n' model hr@10_upd hr@10_frz gain
	for algo in $models; do
		# shellcheck disable=SC2046
		rec-train -q -a "$algo" $(options "$algo") -o "$TMP/m.recm" "$TMP/old.csv"
		upd=$(rec-eval -q --prequential -m "$TMP/m.recm" "$TMP/new.csv" | awk -F, '$1 == "hr" { print $3 }')
		frz=$(rec-eval -q --prequential --no-update -m "$TMP/m.recm" "$TMP/new.csv" | awk -F, '$1 == "hr" { print $3 }')
		awk -v a="$algo" -v u="$upd" -v f="$frz" \
			'BEGIN { printf "  %-8s %10.4f %10.4f %5.2fx\n", a, u, f, (f > 0 ? u / f : 0) }'
	done
}

incremental() {
	name=$1 log=$2
	cut_at "$log" 0.9 "$TMP/p90.csv" "$TMP/last.csv"
	cut_at "$TMP/p90.csv" 0.888889 "$TMP/p80.csv" "$TMP/next.csv"
	printf '%s: NDCG@10 on the last 10%% by time\n' "$name"
	printf '  %-8s %9s %9s %9s %9s %6s %6s\n' model full_ndcg full_s init_ndcg init_s ratio time
	for algo in $models; do
		opts=$(options "$algo")
		# shellcheck disable=SC2086
		clock rec-train -q -a "$algo" $opts -o "$TMP/full.recm" "$TMP/p90.csv" || continue
		tf=$SECS
		# shellcheck disable=SC2086
		rec-train -q -a "$algo" $opts -o "$TMP/base.recm" "$TMP/p80.csv"
		clock rec-train -q --init "$TMP/base.recm" -o "$TMP/inc.recm" "$TMP/next.csv" ||
			continue
		ti=$SECS
		nf=$(rec-eval -q -m "$TMP/full.recm" --test "$TMP/last.csv" -k 10 | awk -F, '$1 == "ndcg" { print $3 }')
		ni=$(rec-eval -q -m "$TMP/inc.recm" --test "$TMP/last.csv" -k 10 | awk -F, '$1 == "ndcg" { print $3 }')
		awk -v a="$algo" -v nf="$nf" -v tf="$tf" -v ni="$ni" -v ti="$ti" 'BEGIN {
			printf "  %-8s %9.4f %9.3f %9.4f %9.3f %5.3f %5.1f%%\n", a, nf, tf, ni, ti,
				(nf > 0 ? ni / nf : 0), (tf > 0 ? 100 * ti / tf : 0) }'
	done
}

ml100k=$DATA/movielens-100k/u.data
latest=$DATA/movielens-latest-small/ratings.csv
have_100k=0 have_latest=0
if [ -r "$ml100k" ]; then
	sorted_100k "$ml100k" > "$TMP/ml100k.csv"
	have_100k=1
else
	echo "MovieLens 100K: absent ($ml100k), skipped"
fi
if [ -r "$latest" ]; then
	sorted_latest "$latest" > "$TMP/latest.csv"
	have_latest=1
else
	echo "MovieLens latest-small: absent ($latest), skipped"
fi
for part in ${REC_BENCH_PARTS:-stream prequential incremental}; do
	case $part in
	stream)
		echo "== stream latency, one thread"
		[ $have_latest = 1 ] && stream_latency "MovieLens latest-small" "$TMP/latest.csv"
		genevents --events 2000000 --users 14000 --items 27000 -o "$TMP/gen.csv"
		stream_latency "generated, 27,000 items" "$TMP/gen.csv"
		;;
	prequential)
		echo "== prequential HR@10, with updates and frozen"
		[ $have_100k = 1 ] && prequential "MovieLens 100K" "$TMP/ml100k.csv"
		[ $have_latest = 1 ] && prequential "MovieLens latest-small" "$TMP/latest.csv"
		;;
	incremental)
		echo "== incremental training against a full retrain"
		[ $have_100k = 1 ] && incremental "MovieLens 100K" "$TMP/ml100k.csv"
		[ $have_latest = 1 ] && incremental "MovieLens latest-small" "$TMP/latest.csv"
		;;
	esac
	echo
done
exit 0
