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
#  3. Cost: rec-recommend -j 1 -n 10 of every user with and without
#     --explain, for ials and itemknn: user+sys CPU seconds and wall
#     seconds of ten runs in a row (one run is too short for the clock),
#     the two alternating, EXPLAIN_RUNS times (default 3); the ratio of
#     each pair, least, median and most (targets: at most 3x for ials, 2x
#     for itemknn).  CPU time is the figure to trust on a busy machine.
. "$(dirname "$0")/helpers"

THREADS=2
SPLIT="rec-split --method user --ratio 0.2 --seed 1"
EXPLAIN_RUNS=${EXPLAIN_RUNS:-3}
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

# ten MODEL [--explain]: "wall cpu" seconds of ten runs of rec-recommend
# -j 1 -n 10 in a row.
ten() {
	/usr/bin/time -f '%e %U %S' -o "$TMP/time" sh -c '
		for run in 1 2 3 4 5 6 7 8 9 10; do
			rec-recommend -m "$0" -j 1 -n 10 $1 > /dev/null || exit 1
		done' "$@" || return 1
	awk '{ printf "%s %.2f", $1, $2 + $3 }' "$TMP/time"
}

# spread FILE: the least, median and most of a column of numbers.
spread() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%.2f %.2f %.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# cost ALGO: the ratios of --explain's CPU and wall seconds to the plain
# lists', EXPLAIN_RUNS pairs after a warm-up of each.
cost() {
	ten "$TMP/$1.recm" > /dev/null && ten "$TMP/$1.recm" --explain > /dev/null || return 0
	: > "$TMP/cpu"
	: > "$TMP/wall"
	n=0
	while [ "$n" -lt "$EXPLAIN_RUNS" ]; do
		plain=$(ten "$TMP/$1.recm") && explained=$(ten "$TMP/$1.recm" --explain) ||
			return 0
		echo "$plain $explained" | awk '{ print $4 / $2 }' >> "$TMP/cpu"
		echo "$plain $explained" | awk '{ print $3 / $1 }' >> "$TMP/wall"
		printf '  %-22s %11s %11s %11s %11s\n' "$1 (10 runs)" $plain $explained
		n=$((n + 1))
	done
	row "" "least" "median" "most"
	row "$1 x cpu" $(spread "$TMP/cpu")
	row "$1 x wall" $(spread "$TMP/wall")
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

section "cost: rec-recommend -j 1 -n 10, seconds of 10 runs, $EXPLAIN_RUNS pairs after a warm-up"
row "" "wall" "cpu" "explain" "cpu"
for algo in $ALGORITHMS; do
	case $algo in
	ials | itemknn) cost "$algo" ;;
	esac
done
