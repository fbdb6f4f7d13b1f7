#!/bin/sh
# ease.sh - ease with a dense B (-p keep=0) beside the default sparse one
# (keep=256), on MovieLens 100K and latest-small, every rating a positive,
# split per user 80/20: the model file's size, the CPU and wall seconds of
# loading it and recommending for one user (rec-recommend -j 1, REC_BENCH_RUNS
# runs, least and most), and NDCG@10 of rec-eval -m over the split drawn with
# seeds 1 to EASE_SEEDS (default 3): their mean and range.  With
# REC_BENCH_LARGE=1, Last.fm's 17,600 artists too (sizes and times; the dense
# inverse alone takes minutes there).
. "$(dirname "$0")/helpers"

THREADS=2
EASE_SEEDS=${EASE_SEEDS:-3}
VARIANTS="dense:0 sparse:256"

# one_user MODEL: least and most CPU (user + sys) and wall seconds of
# RUNS loads of MODEL recommending 10 items for the user in $TMP/one.txt.
one_user() {
	: > "$TMP/times"
	run=1
	while [ "$run" -le "$RUNS" ]; do
		/usr/bin/time -f '%e %U %S' -a -o "$TMP/times" rec-recommend -m "$1" -j 1 \
			-n 10 --users "$TMP/one.txt" -o /dev/null || return 1
		run=$((run + 1))
	done
	awk '{ c = $2 + $3; if (NR == 1 || c < cl) cl = c; if (NR == 1 || c > ch) ch = c
		if (NR == 1 || $1 < wl) wl = $1; if (NR == 1 || $1 > wh) wh = $1 }
		END { printf "%.2f-%.2f %.2f-%.2f", cl, ch, wl, wh }' "$TMP/times"
}

# sizes_and_times SEED: each variant trained on $TMP/train.recd: its file
# size, training seconds and the load and list of the test set's first
# user.
sizes_and_times() {
	rec-pivot --format long "$TMP/test.recd" | awk -F, 'NR == 2 { print $1 }' > "$TMP/one.txt"
	printf '  rec-split --method user --ratio 0.2 --seed %s; one user: %s\n' "$1" \
		"$(cat "$TMP/one.txt")"
	row "" "MB" "% of dense" "train s" "1 user cpu s" "wall s"
	dense_bytes=
	for v in $VARIANTS; do
		name=${v%%:*} keep=${v#*:}
		timed rec-train -a ease -p keep="$keep" -j "$THREADS" -q -o "$TMP/$name.recm" \
			"$TMP/train.recd" || continue
		bytes=$(wc -c < "$TMP/$name.recm")
		: "${dense_bytes:=$bytes}"
		# shellcheck disable=SC2046
		row "$name (keep=$keep)" "$(calc "$bytes / 1e6" 1)" \
			"$(calc "100 * $bytes / $dense_bytes" 1)" "$SECS" $(one_user "$TMP/$name.recm")
	done
}

# ndcg_of_variants SEED: each variant's NDCG@10 on the split of SEED,
# added to $TMP/ndcg.csv.
ndcg_of_variants() {
	for v in $VARIANTS; do
		rec-train -a ease -p keep="${v#*:}" -j "$THREADS" -q -o "$TMP/m.recm" \
			"$TMP/train.recd" || continue
		rec-eval -m "$TMP/m.recm" -j "$THREADS" --test "$TMP/test.recd" -k 10 \
			-o "$TMP/eval.csv" || continue
		echo "${v%%:*},$1,$(metric "$TMP/eval.csv" ndcg 10)" >> "$TMP/ndcg.csv"
	done
}

# ndcg_over_seeds: NDCG@10 of each variant over the per-user splits of
# $TMP/all.recd drawn with seeds 1 to EASE_SEEDS.
ndcg_over_seeds() {
	: > "$TMP/ndcg.csv"
	each_split "$EASE_SEEDS" ndcg_of_variants || return 0
	printf '  NDCG@10, rec-split --method user --ratio 0.2, seeds 1 to %s\n' "$EASE_SEEDS"
	row "" "mean" "min" "max" "vs dense"
	# shellcheck disable=SC2046
	awk -F, '{ n[$1]++; s[$1] += $3; d[$1 "," $2] = $3
			if (n[$1] == 1 || $3 < lo[$1]) lo[$1] = $3
			if (n[$1] == 1 || $3 > hi[$1]) hi[$1] = $3 }
		END { for (v in n) { r = 0; k = 0
				for (key in d) if (index(key, v ",") == 1) {
					split(key, p, ","); r += d[key] / d["dense," p[2]]; k++ }
				printf "%s %.4f %.4f %.4f %+.2f%%\n", v, s[v] / n[v], lo[v], hi[v],
					100 * (r / k - 1) } }' "$TMP/ndcg.csv" | sort |
		while read -r v mean lo hi rel; do
			row "$v" "$mean" "$lo" "$hi" "$rel"
		done
}

# dataset NAME FILE yes|no PIVOT-OPTIONS...: sizes and times on the split
# of seed 1, and with yes NDCG@10 over EASE_SEEDS splits.
dataset() {
	name=$1 file=$2 ndcg=$3
	shift 3
	section "$name, every rating a positive"
	need "$file" || return 0
	rec-pivot -q --implicit 0 "$@" -o "$TMP/all.recd" "$file" || return 0
	each_split 1 sizes_and_times || return 0
	[ "$ndcg" = yes ] && ndcg_over_seeds
	return 0
}

dataset "MovieLens 100K" "$DATA/movielens-100k/u.data" yes -d tab --no-header -r 3 -t 4
dataset "MovieLens latest-small" "$DATA/movielens-latest-small/ratings.csv" yes -i movieId
if [ "$REC_BENCH_LARGE" = 1 ]; then
	dataset "Last.fm (hetrec 2011)" "$DATA/lastfm-hetrec2011/user_artists.dat" no \
		-d tab -u userID -i artistID -r weight
else
	section "Last.fm (hetrec 2011)"
	skip "set REC_BENCH_LARGE=1 to run it"
fi
