#!/bin/sh
# defaults.sh - are the defaults of ease, mf, neumf, content, hybrid and
# sasrec far from good?  On each data set, 20% of each user's events held
# out for the test (seed 1) and 20% of each user's remaining events for
# the validation (seed 1), as bench/search.sh splits them: the test
# metric of the family's defaults beside that of the winner of
# rec-train --search over a small grid around them, trained again on the
# training and validation sets (the refit), with the winner's values and
# the epochs of its refit, and the search's table of validation metrics
# below.  The metric is the test RMSE for mf
# (rec-recommend --predict) and the NDCG@10 for the others; every run has
# one thread and the default seed.
#
# Data sets: MovieLens 100K (u.data, genres of u.item), latest-small
# (ratings.csv, genres of movies.csv), Last.fm (user_artists.dat, no
# ratings; its artists' tags) and 200,000 generated events (genevents,
# with its item genres); ratings are kept, which only content's and
# ease's weighting=rating and mf read.  mf runs on the two MovieLens sets
# alone, content's weighting=rating where there are ratings, and sasrec
# on MovieLens 100K alone: one run of it costs more than three processor
# minutes on the others.
#
# Usage: sh bench/defaults.sh [FAMILY...]   (default: all six)
. "$(dirname "$0")/helpers"

FAMILIES=${*:-ease mf neumf content hybrid sasrec}
ML=$DATA/movielens-100k
LS=$DATA/movielens-latest-small
FM=$DATA/lastfm-hetrec2011

# grid FAMILY: the --search lists around FAMILY's defaults (8 or fewer
# combinations).  The families that train in epochs get more epochs than
# their default and early stopping on the validation set.
grid() {
	case "$1" in
	ease) echo "-p lambda=125,500,2000" ;;
	mf) echo "-k 5,10,20,40 -e 150,300" ;;
	neumf) echo "-e 30 -p reg=0.001,0.005,0.02 -p candidates=1,5" ;;
	content) echo "-p weighting=implicit,rating" ;;
	hybrid) echo "-p loss=bpr,warp -p reg=0.01,0.04,0.3" ;;
	sasrec) echo "-p dropout=0.2,0.5" ;;
	esac
}

# score FAMILY MODEL: the test metric of MODEL.
score() {
	if [ "$1" = mf ]; then
		rec-recommend -m "$2" --predict "$TMP/test.recd" -o "$TMP/pred.csv" &&
			rec-eval -o "$TMP/eval.csv" "$TMP/pred.csv" &&
			metric "$TMP/eval.csv" rmse ""
	else
		rec-eval -m "$2" -j 1 --test "$TMP/test.recd" -k 10 -o "$TMP/eval.csv" &&
			metric "$TMP/eval.csv" ndcg 10
	fi
}

# winner FAMILY: the best row of the search's table in $TMP/out, as
# name=value pairs (the least RMSE for mf, the largest NDCG@10 otherwise).
winner() {
	awk -F, -v low="$([ "$1" = mf ] && echo 1 || echo 0)" '
		NR == 1 { for (c = 1; c < NF; c++) name[c] = $c; next }
		best == "" || (low ? $NF < best : $NF > best) {
			best = $NF; v = ""
			for (c = 1; c < NF; c++) v = v (c > 1 ? " " : "") name[c] "=" $c
		}
		END { print v }' "$TMP/out"
}

# review FAMILY: the defaults against the search's winner.
review() {
	a=$1
	timed rec-train -a "$a" -j 1 -q -o "$TMP/default.recm" "$TMP/train.recd" || return 0
	d=$(score "$a" "$TMP/default.recm") ds=$SECS
	# shellcheck disable=SC2046
	timed rec-train -a "$a" -j 1 -v --search $(grid "$a") --validation "$TMP/val.recd" \
		-o "$TMP/search.recm" "$TMP/fit.recd" || return 0
	epochs=$(sed -n 's/.*refit on .*, \([0-9]*\) epochs.*/\1/p' "$TMP/err")
	row "$a" "$d" "$ds" "$(score "$a" "$TMP/search.recm")" "$SECS" \
		"$(winner "$a")${epochs:+ (refit $epochs epochs)}"
	sed 's/^/      /' "$TMP/out"
}

# dataset FAMILIES FILE PIVOT-OPTIONS...: split FILE, then review each of
# FAMILIES that the command line names.
dataset() {
	families=$1 file=$2
	shift 2
	rec-pivot -q "$@" -o "$TMP/all.recd" "$file" &&
		rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/train.recd" \
			--test "$TMP/test.recd" "$TMP/all.recd" &&
		rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/fit.recd" \
			--test "$TMP/val.recd" "$TMP/train.recd" || return 0
	row family defaults "train s" winner "search s" "winner's values"
	for a in $families; do
		case " $FAMILIES " in
		*" $a "*) review "$a" ;;
		esac
	done
}

movielens_100k() {
	section "MovieLens 100K"
	need "$ML/u.data" "$ML/u.item" || return 0
	awk 'BEGIN { print "user,item,rating,time" } { print $1 "," $2 "," $3 "," $4 }' \
		"$ML/u.data" > "$TMP/ml.csv"
	awk -F'|' 'BEGIN { print "item,feature" }
		{ for (g = 6; g <= 24; g++) if ($g == 1) print $1 ",genre=" g - 6 }' \
		"$ML/u.item" > "$TMP/items.csv"
	dataset "ease mf neumf content hybrid sasrec" "$TMP/ml.csv" \
		--item-features "$TMP/items.csv"
}

latest_small() {
	section "MovieLens latest-small"
	need "$LS/ratings.csv" "$LS/movies.csv" || return 0
	awk 'BEGIN { print "movieId,feature" }
		NR > 1 { sub(/\r$/, ""); id = $0; sub(/,.*/, "", id); g = $0; sub(/.*,/, "", g)
			n = split(g, gs, "|")
			for (j = 1; j <= n; j++) if (gs[j] !~ /^\(/) print id ",genre=" gs[j] }' \
		"$LS/movies.csv" > "$TMP/items.csv"
	dataset "ease mf neumf content hybrid" "$LS/ratings.csv" -i movieId \
		--item-features "$TMP/items.csv"
}

lastfm() {
	section "Last.fm"
	need "$FM/user_artists.dat" "$FM/user_taggedartists.dat" || return 0
	awk -F'\t' 'BEGIN { print "artistID,feature" }
		NR > 1 && !seen[$2 "," $3]++ { print $2 ",tag=" $3 }' \
		"$FM/user_taggedartists.dat" > "$TMP/items.csv"
	dataset "ease neumf content hybrid" "$FM/user_artists.dat" -u userID -i artistID \
		-r none --item-features "$TMP/items.csv"
}

generated() {
	section "generated, 200,000 events (genevents)"
	genevents -n 200000 --item-features "$TMP/items.csv" -o "$TMP/events.csv" &&
		dataset "ease neumf content hybrid" "$TMP/events.csv" \
			--item-features "$TMP/items.csv"
}

movielens_100k
latest_small
lastfm
generated
