#!/bin/sh
# search.sh - rec-train --search for ials: every event a positive, 20% of
# each user's events held out for the test (seed 1), and 20% of each
# user's remaining events for the validation (seed 1).  Test NDCG@10 of
# ials with its defaults, of the search's best values trained again on
# the training and validation sets (the default), and of the search's
# own model (--no-refit), with the values chosen and the seconds of each;
# on Last.fm (user_artists.dat), MovieLens 100K, latest-small and 200,000
# generated events: the four data sets that chose ials's defaults.
. "$(dirname "$0")/helpers"

THREADS=2
GRID="-p reg=0.1,0.2,0.3,0.5 -p unobserved=0.05,0.1,0.3"

# ndcg MODEL: the test NDCG@10 of MODEL.
ndcg() {
	rec-eval -m "$1" -j "$THREADS" --test "$TMP/test.recd" -k 10 -o "$TMP/eval.csv" &&
		metric "$TMP/eval.csv" ndcg 10
}

# dataset NAME FILE PIVOT-OPTIONS...: split, then ials's defaults against
# the search with and without the refit.
dataset() {
	name=$1 file=$2
	shift 2
	section "$name, ials, rec-train --search $GRID"
	need "$file" || return 0
	rec-pivot -q "$@" -o "$TMP/all.recd" "$file" &&
		rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/train.recd" \
			--test "$TMP/test.recd" "$TMP/all.recd" &&
		rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/fit.recd" \
			--test "$TMP/val.recd" "$TMP/train.recd" || return 0
	row "" "NDCG@10" "train s" "values"
	timed rec-train -a ials -j "$THREADS" -q -o "$TMP/default.recm" "$TMP/train.recd" &&
		row "defaults" "$(ndcg "$TMP/default.recm")" "$SECS"
	for refit in "" --no-refit; do
		# shellcheck disable=SC2086
		timed rec-train -a ials -j "$THREADS" -q --search $refit $GRID \
			--validation "$TMP/val.recd" -o "$TMP/search.recm" "$TMP/fit.recd" || continue
		best=$(awk -F, 'NR > 1 && $NF > b { b = $NF; v = $1 "/" $2 } END { print v }' \
			"$TMP/out")
		row "search ${refit:-(refit)}" "$(ndcg "$TMP/search.recm")" "$SECS" \
			"reg/unobs $best"
	done
}

dataset "Last.fm" "$DATA/lastfm-hetrec2011/user_artists.dat" -u userID -i artistID -r none
dataset "MovieLens 100K" "$DATA/movielens-100k/u.data" -d tab --no-header -r 3 -t 4 \
	--implicit 0
dataset "MovieLens latest-small" "$DATA/movielens-latest-small/ratings.csv" -i movieId \
	--implicit 0
genevents -n 200000 -o "$TMP/events.csv" &&
	dataset "generated, 200,000 events (genevents)" "$TMP/events.csv" --implicit 0
