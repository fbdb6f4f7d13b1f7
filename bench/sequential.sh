#!/bin/sh
# Leave-last-out with every item ranked: each user's newest event is the
# test.  HR@10, NDCG@10, training time and seconds per epoch of pop, ease,
# ials, neumf and sasrec on MovieLens 100K and latest-small.  sasrec stops
# early on the validation NDCG@10 of the event before the test, which
# rec-train --validation last carves out and folds back in once trained,
# so that, as the PyTorch reference in ../shared/peers does, it has seen
# that event before it is tested.
. "$(dirname "$0")/helpers"
set -eu

# train ALGO: train on train (all but the last event of each user), sasrec
# with the last of those for validation, and print seconds.
train() {
	s=$(date +%s.%N)
	if [ "$1" = sasrec ]; then
		set -- "$1" --validation last
	fi
	rec-train -a "$@" -j 2 --progress -o "$TMP/m.recm" "$TMP/train.recd" \
		2> "$TMP/progress"
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", e - s }'
}

# per_epoch: the median seconds per epoch of the last training's progress.
per_epoch() {
	awk '/^epoch/ { print $NF + 0 }' "$TMP/progress" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else printf "-" }'
}

dataset() {
	name=$1 file=$2
	shift 2
	leave_last "$name" "$file" "$@" || return 0
	echo "$name: leave-last-out, every item ranked"
	printf '  %-8s %8s %8s %8s %8s\n' model hr@10 ndcg@10 train_s s/epoch
	for algo in pop ease ials neumf sasrec; do
		secs=$(train "$algo")
		rec-eval -q -m "$TMP/m.recm" --test "$TMP/test.recd" -k 10 > "$TMP/eval.csv"
		awk -F, -v a="$algo" -v t="$secs" -v p="$(per_epoch)" '
			$1 == "hr" { hr = $3 } $1 == "ndcg" { nd = $3 }
			END { printf "  %-8s %8.4f %8.4f %8s %8s\n", a, hr, nd, t, p }' "$TMP/eval.csv"
	done
}

dataset "MovieLens 100K" "$DATA/movielens-100k/u.data" --no-header -d tab -r 3 -t 4
dataset "MovieLens latest-small" "$DATA/movielens-latest-small/ratings.csv" -u userId -i movieId
exit 0
