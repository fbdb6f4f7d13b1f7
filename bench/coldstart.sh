#!/bin/sh
# coldstart.sh - NDCG@10 of items and users without training events, every
# rating a positive.  Seeds: COLD_SEEDS (default 1 2 3).
#
#  1. Cold items, MovieLens 100K (u.item: genres, release year, words of
#     the title) and latest-small (movies.csv: genres, year; tags.csv:
#     tags): rec-split --method cold-items --ratio 0.2 moves every event
#     of a seeded 20% of the items to the test set; each test user ranks
#     those items alone (rec-eval --items).  content, hybrid, ials and pop
#     beside a numpy reference run on the same split: iALS with 32
#     factors and a ridge regression from attributes to item vectors
#     (coldstart-baseline.py), and the ratio of hybrid's and ials's
#     NDCG@10 to it.
#  2. Cold users, MovieLens 100K (u.user: gender, age band, occupation):
#     --method cold-users --ratio 0.2; every item ranked; pop and hybrid.
#  3. The cost of adding 1,000 items known by their attributes alone to a
#     trained model: wall and CPU (user + sys) seconds of rec-train --init
#     MODEL --item-features NEW.csv for hybrid and ials on latest-small,
#     the whole program (reading and writing the model too), RUNS runs.
. "$(dirname "$0")/helpers"

SEEDS=${COLD_SEEDS:-1 2 3}
ALGORITHMS=$(algorithms content hybrid ials pop)
BASELINE=$ROOT/bench/coldstart-baseline.py
# Debian's python3 with its numpy (python3-numpy), whatever else PATH has
PYTHON=${PYTHON:-/usr/bin/python3}
ML=$DATA/movielens-100k
LS=$DATA/movielens-latest-small

# common FILE: the rows of a long attribute CSV whose feature two
# entities or more have.
common() {
	awk -F, 'NR == FNR { if (FNR > 1) n[$2]++; next } FNR == 1 || n[$2] >= 2' "$1" "$1"
}

# features_100k: genres, release year and title words of u.item.
features_100k() {
	awk -F'|' 'BEGIN { print "item,feature" }
		{ for (g = 6; g <= 24; g++) if ($g == 1) print $1 ",genre=" g - 6
		  if (length($3) >= 4) print $1 ",year=" substr($3, length($3) - 3)
		  t = tolower($2); sub(/ *\([0-9]+\) *$/, "", t)
		  n = split(t, w, /[^a-z0-9]+/)
		  for (j = 1; j <= n; j++) if (w[j] != "") print $1 ",word=" w[j] }' \
		"$ML/u.item" | sort -u -t, -k1,1n -k2,2
}

# features_latest: genres and year of movies.csv, tags of tags.csv (a
# quoted title or tag may hold commas).
features_latest() {
	{
		echo "movieId,feature"
		awk 'NR > 1 { sub(/\r$/, ""); id = $0; sub(/,.*/, "", id); g = $0; sub(/.*,/, "", g)
			n = split(g, gs, "|")
			for (j = 1; j <= n; j++) if (gs[j] !~ /^\(/) print id ",genre=" gs[j]
			if (match($0, /\(([0-9][0-9][0-9][0-9])\)"?,[^,]*$/))
				print id ",year=" substr($0, RSTART + 1, 4) }' "$LS/movies.csv"
		awk 'NR > 1 { sub(/\r$/, ""); line = $0; sub(/^[^,]*,/, "", line); id = line
			sub(/,.*/, "", id); sub(/^[^,]*,/, "", line); sub(/,[^,]*$/, "", line)
			t = tolower(line); gsub(/[",]/, "", t)
			if (t != "") print id ",tag=" t }' "$LS/tags.csv"
	} | awk 'NR == 1 || !seen[$0]++'
}

users_100k() {
	awk -F'|' 'BEGIN { print "user,feature" }
		{ print $1 ",gender=" $3; print $1 ",age=" int($2 / 10)
		  print $1 ",occupation=" $4 }' "$ML/u.user"
}

ndcg() {
	rec-eval -q "$@" | awk -F, '$1 == "ndcg" && $2 == 10 { printf "%.4f", $3 }'
}

# cold_items NAME: the cold-items figures of $TMP/all.recd, whose item
# attributes are $TMP/items.csv.
cold_items() {
	section "Cold items, $1: NDCG@10 of the 20% of items without events"
	row seed $ALGORITHMS baseline hybrid/base ials/base
	for seed in $SEEDS; do
		rec-split -q --method cold-items --ratio 0.2 --seed "$seed" \
			--train "$TMP/tr.recd" --test "$TMP/te.recd" "$TMP/all.recd" || continue
		rec-pivot -q --format long -o "$TMP/tr.csv" "$TMP/tr.recd"
		rec-pivot -q --format long -o "$TMP/te.csv" "$TMP/te.recd"
		awk -F, 'NR > 1 { print $2 }' "$TMP/te.csv" | sort -u > "$TMP/cold-items"
		set --
		for a in $ALGORITHMS; do
			rec-train -q -a "$a" --seed "$seed" -o "$TMP/m.recm" "$TMP/tr.recd" &&
				v=$(ndcg -m "$TMP/m.recm" --test "$TMP/te.recd" \
					--items "$TMP/cold-items") || v=-
			eval "ndcg_$a=\$v"
			set -- "$@" "$v"
		done
		base=-
		if "$PYTHON" -c 'import numpy' 2>/dev/null; then
			base=$(OPENBLAS_NUM_THREADS=1 "$PYTHON" "$BASELINE" "$TMP/tr.csv" "$TMP/te.csv" \
				"$TMP/items.csv" "$TMP/cold-items" "$seed") || base=-
		fi
		row "$seed" "$@" "$base" "$(ratio "${ndcg_hybrid:--}" "$base")" \
			"$(ratio "${ndcg_ials:--}" "$base")"
	done
}

ratio() {
	case "$1$2" in
	*-*) echo - ;;
	*) calc "$1 / $2" 2 ;;
	esac
}

cold_users() {
	section "Cold users, MovieLens 100K: NDCG@10 over every item"
	row seed pop hybrid hybrid/pop
	for seed in $SEEDS; do
		rec-split -q --method cold-users --ratio 0.2 --seed "$seed" \
			--train "$TMP/tr.recd" --test "$TMP/te.recd" "$TMP/all.recd" || continue
		set --
		for a in pop hybrid; do
			rec-train -q -a "$a" --seed "$seed" -o "$TMP/m.recm" "$TMP/tr.recd" &&
				set -- "$@" "$(ndcg -m "$TMP/m.recm" --test "$TMP/te.recd")"
		done
		row "$seed" "$@" "$(ratio "${2:--}" "${1:--}")"
	done
}

# add_items: rec-train --init of 1,000 new items on latest-small, RUNS
# times.
add_items() {
	section "Adding 1,000 items by their attributes, latest-small (s)"
	awk -F, 'NR == 1 { print "item,feature"; next } { n[$1] = n[$1] "," $2 } END {
		k = 0; for (i in n) ids[k++] = i
		for (j = 0; j < 1000; j++) { m = split(substr(n[ids[j % k]], 2), f, ",")
			for (x = 1; x <= m; x++) print "new" j "," f[x] } }' \
		"$TMP/items.csv" > "$TMP/new.csv"
	for a in hybrid ials; do
		rec-train -q -a "$a" -o "$TMP/m.recm" "$TMP/all.recd" || continue
		for run in $(seq "$RUNS"); do
			/usr/bin/time -f '%e %U %S' -o "$TMP/time" rec-train -q --init \
				"$TMP/m.recm" --item-features "$TMP/new.csv" -o "$TMP/m2.recm" ||
				break
			read -r wall user sys < "$TMP/time"
			figure "$a, run $run: wall, CPU" "$wall $(calc "$user + $sys" 2)" s
		done
	done
}

if need "$ML/u.data" "$ML/u.item" "$ML/u.user"; then
	features_100k > "$TMP/all-features.csv"
	common "$TMP/all-features.csv" > "$TMP/items.csv"
	users_100k > "$TMP/users.csv"
	awk 'BEGIN { print "user,item,rating,time" } { print $1 "," $2 "," $3 "," $4 }' \
		"$ML/u.data" > "$TMP/events.csv"
	rec-pivot -q --implicit 0 -o "$TMP/all.recd" --item-features "$TMP/items.csv" \
		--user-features "$TMP/users.csv" "$TMP/events.csv" && cold_items "MovieLens 100K" && cold_users
fi
if need "$LS/ratings.csv" "$LS/movies.csv" "$LS/tags.csv"; then
	features_latest > "$TMP/all-features.csv"
	common "$TMP/all-features.csv" > "$TMP/items.csv"
	rec-pivot -q --implicit 0 -i movieId -o "$TMP/all.recd" \
		--item-features "$TMP/items.csv" "$LS/ratings.csv" &&
		cold_items "MovieLens latest-small" && add_items
fi
