#!/bin/sh
# explain.sh - are the reasons of rec-recommend --explain true, and what do
# they cost?  MovieLens 100K, every rating a positive, per-user 80/20 split
# (seed 1).
#
#  1. Faithfulness, for ials, itemknn, ease and bpr: for each row of every
#     user's top 10 with --explain=1, the listed item's score when the user
#     is folded in again without the named item and without another item of
#     his history drawn at random (explain-check, seed 1); the rate of rows
#     where the named item's removal lowers the score more (target: 95% or
#     more).
#  2. For itemknn and ease, whose shares are exact: the largest difference
#     between a row's score and the sum of all its shares (--explain=1000,
#     more than any user's history), as written with nine digits: absolute
#     and relative to the score (the target: 1e-5).
#  3. Cost: wall seconds of rec-recommend -n 10 of every user with and
#     without --explain, for ials and itemknn, the least and the median of
#     EXPLAIN_RUNS runs (default 7) after a warm-up (targets: at most 3x for
#     ials, 2x for itemknn).
. "$(dirname "$0")/helpers"

THREADS=2
SPLIT="rec-split --method user --ratio 0.2 --seed 1"
EXPLAIN_RUNS=${EXPLAIN_RUNS:-7}
ALGORITHMS=$(algorithms ials itemknn ease bpr)

# faithful ALGO: the rate of rows whose reason is faithful.
faithful() {
	rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 --explain=1 \
		-o "$TMP/lists.csv" || return 0
	explain-check "$TMP/$1.recm" 1 < "$TMP/lists.csv" > "$TMP/check" || return 0
	read -r rows good ties skipped < "$TMP/check"
	row "$1" "$rows" "$good" "$ties" "$skipped" "$(calc "100 * $good / $rows" 2)"
}

# deviation ALGO: the largest |score - sum of shares| of every row, and
# the largest relative to the score.
deviation() {
	rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 --explain=1000 \
		-o "$TMP/lists.csv" || return 0
	figure "$1: max |score - sum of shares|" "$(awk -F, 'NR > 1 {
			n = split($5, r, "|"); s = 0
			for (i = 1; i <= n; i++) { sub(/.*:/, "", r[i]); s += r[i] }
			d = $4 - s; if (d < 0) d = -d
			if (d > max) max = d
			if ($4 != 0 && d / ($4 < 0 ? -$4 : $4) > rel) rel = d / ($4 < 0 ? -$4 : $4)
		}
		END { printf "%.3g abs, %.3g rel", max, rel }' "$TMP/lists.csv")"
}

# walls CMD...: EXPLAIN_RUNS wall times of CMD after a warm-up, in
# nanosecond clock readings; leaves the least in LEAST and the median in
# MEDIAN, in seconds.
walls() {
	"$@" > /dev/null || return 1
	: > "$TMP/walls"
	n=0
	while [ "$n" -lt "$EXPLAIN_RUNS" ]; do
		start=$(date +%s%N)
		"$@" > /dev/null || return 1
		echo $(($(date +%s%N) - start)) >> "$TMP/walls"
		n=$((n + 1))
	done
	sort -n "$TMP/walls" > "$TMP/walls.sorted"
	LEAST=$(awk 'NR == 1 { printf "%.3f", $1 / 1e9 }' "$TMP/walls.sorted")
	MEDIAN=$(awk '{ t[NR] = $1 } END {
			m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
			printf "%.3f", m / 1e9 }' "$TMP/walls.sorted")
}

# cost ALGO: rec-recommend -n 10 with and without --explain.
cost() {
	walls rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 || return 0
	plain_least=$LEAST plain_median=$MEDIAN
	walls rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 --explain || return 0
	row "$1" "$plain_least" "$plain_median" "$LEAST" "$MEDIAN" \
		"$(calc "$LEAST / $plain_least" 2)" "$(calc "$MEDIAN / $plain_median" 2)"
}

section "MovieLens 100K, every rating a positive, $SPLIT"
need "$DATA/movielens-100k/u.data" || exit 0
rec-pivot -q --implicit 0 --no-header -d tab -r 3 -t 4 -o "$TMP/all.recd" \
	"$DATA/movielens-100k/u.data" &&
	rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || exit 0
for algo in $ALGORITHMS; do
	rec-train -a "$algo" -j "$THREADS" -q -o "$TMP/$algo.recm" "$TMP/train.recd" ||
		ALGORITHMS=$(echo "$ALGORITHMS" | sed "s/$algo //")
done

section "faithfulness: top 10 --explain=1; named item out against a random one (explain-check, seed 1)"
if have explain-check; then
	row "" "rows" "faithful" "ties" "skipped" "rate %"
	for algo in $ALGORITHMS; do
		faithful "$algo"
	done
else
	skip "no explain-check in $BIN (make bench builds it)"
fi

section "exact shares: the score against the sum of its shares (--explain=1000)"
for algo in $ALGORITHMS; do
	case $algo in
	itemknn | ease) deviation "$algo" ;;
	esac
done

section "cost: rec-recommend -n 10 -j $THREADS, seconds, $EXPLAIN_RUNS runs after a warm-up"
row "" "least" "median" "explain" "median" "x least" "x median"
for algo in $ALGORITHMS; do
	case $algo in
	ials | itemknn) cost "$algo" ;;
	esac
done
