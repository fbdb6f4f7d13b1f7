#!/bin/sh
# diversity.sh - what rec-recommend --diversify buys and costs on MovieLens
# 100K, every rating a positive, per-user 80/20 split (seed 1), the items'
# genres from u.item as attributes (a wide file item,genre, read with
# --multi genre, so that each genre is an attribute genre=NAME).
#
#  1. For ials and itemknn, each LAMBDA of 0 0.1 ... 0.9 (by 0.05 from 0.6
#     to 0.8, where NDCG@10 falls by about 5%): NDCG@10 and the
#     intra-list diversity of the top 10 of --diversify LAMBDA --similarity
#     attributes, measured by rec-eval with the same similarity; a table,
#     and the curve drawn by gnuplot (the PNG in the temporary directory,
#     its path printed, copied into REC_BENCH_PLOTS if that is set).  The
#     target: a LAMBDA whose diversity is 25% or more above LAMBDA 0's
#     while NDCG@10 is at most 5% below it; the smallest such is printed,
#     and the LAMBDA of the most diversity within the 5%.
#  2. --max-per genre=2: the number of lists with three items or more of
#     one genre (expected 0), and the mean length of the lists.
. "$(dirname "$0")/helpers"

THREADS=2
LAMBDAS="0 0.1 0.2 0.3 0.4 0.5 0.6 0.65 0.7 0.75 0.8 0.9"
ALGORITHMS=$(algorithms ials itemknn)
ML=$DATA/movielens-100k

# genres: the wide attribute file item,genre of u.item, the 19 0/1 genre
# columns from the sixth joined with '|'.
genres() {
	awk -F'|' 'BEGIN {
			n = split("unknown Action Adventure Animation Children'\''s Comedy " \
				"Crime Documentary Drama Fantasy Film-Noir Horror Musical " \
				"Mystery Romance Sci-Fi Thriller War Western", g, " ")
			print "item,genre"
		}
		{
			s = ""
			for (i = 1; i <= n; i++)
				if ($(i + 5) == 1)
					s = s (s == "" ? "" : "|") g[i]
			print $1 "," s
		}' "$ML/u.item"
}

# curve ALGO: NDCG@10 and diversity of every LAMBDA into $TMP/ALGO.dat.
curve() {
	: > "$TMP/$1.dat"
	for lambda in $LAMBDAS; do
		rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 --diversify "$lambda" \
			--similarity attributes -o "$TMP/lists.csv" &&
			rec-eval --test "$TMP/test.recd" --train "$TMP/train.recd" -j "$THREADS" \
				--similarity attributes -k 10 -o "$TMP/eval.csv" "$TMP/lists.csv" ||
			return 0
		echo "$lambda $(metric "$TMP/eval.csv" ndcg 10) $(metric "$TMP/eval.csv" diversity 10)" \
			>> "$TMP/$1.dat"
	done
}

# table ALGO: the curve against LAMBDA 0, and the smallest LAMBDA that
# meets the target.
table() {
	row "$1: lambda" "NDCG@10" "diversity" "NDCG %" "div %"
	awk 'NR == 1 { n0 = $2; d0 = $3 }
		{ printf "  %-22s %11.4f %11.4f %+11.1f %+11.1f\n", $1, $2, $3,
			100 * ($2 / n0 - 1), 100 * ($3 / d0 - 1) }' "$TMP/$1.dat"
	figure "$1: least lambda, diversity +25%, NDCG -5% at most" "$(awk '
		NR == 1 { n0 = $2; d0 = $3 }
		NR > 1 && $3 >= 1.25 * d0 && $2 >= 0.95 * n0 { print $1; found = 1; exit }
		END { if (!found) print "none" }' "$TMP/$1.dat")"
	figure "$1: most diversity, NDCG -5% at most" "$(awk '
		NR == 1 { n0 = $2; d0 = $3; best = 0 }
		$2 >= 0.95 * n0 && $3 / d0 - 1 >= best { best = $3 / d0 - 1; at = $1 }
		END { printf "%+.1f%% at %s", 100 * best, at }' "$TMP/$1.dat")"
}

plot() {
	have gnuplot || { skip "no gnuplot: no plot"; return 0; }
	cmd="set terminal png size 800,600; set output '$TMP/diversity.png'"
	cmd="$cmd; set xlabel 'intra-list diversity (genres)'; set ylabel 'NDCG@10' noenhanced"
	cmd="$cmd; set title 'MovieLens 100K: --diversify 0 to 0.9'; set key bottom left"
	sep="; plot"
	for algo in $ALGORITHMS; do
		cmd="$cmd$sep '$TMP/$algo.dat' using 3:2 with linespoints title '$algo'"
		cmd="$cmd, '' using 3:2:1 with labels offset 1,0.5 notitle"
		sep=","
	done
	gnuplot -e "$cmd" || return 0
	figure "plot" "$TMP/diversity.png"
	if [ -n "$REC_BENCH_PLOTS" ]; then
		mkdir -p "$REC_BENCH_PLOTS" && cp "$TMP/diversity.png" "$REC_BENCH_PLOTS/" &&
			figure "plot copied to" "$REC_BENCH_PLOTS/diversity.png"
	fi
}

# max_per ALGO: the lists of --max-per genre=2 with more than two items of
# one genre, and their mean length.
max_per() {
	rec-recommend -m "$TMP/$1.recm" -j "$THREADS" -n 10 --max-per genre=2 \
		-o "$TMP/lists.csv" || return 0
	figure "$1: lists over 2 of a genre / mean length" "$(awk -F, '
		NR == FNR { if (FNR > 1) g[$1] = $2; next }
		FNR == 1 { next }
		$1 != user { user = $1; lists++ }
		{
			items++
			n = split(g[$2], gs, "|")
			for (i = 1; i <= n; i++)
				if (++count[user, gs[i]] == 3)
					bad[user] = 1
		}
		END { for (u in bad) over++; printf "%d / %.2f", over, items / lists }' \
		"$TMP/genres.csv" "$TMP/lists.csv")"
}

section "MovieLens 100K, genres of u.item, rec-split --method user --ratio 0.2 --seed 1"
need "$ML/u.data" "$ML/u.item" || exit 0
genres > "$TMP/genres.csv"
# The genres join the dataset in a second pass, for rec-pivot reads an
# attribute file with the events' delimiter and header options.
rec-pivot -q --implicit 0 --no-header -d tab -r 3 -t 4 -o "$TMP/events.recd" "$ML/u.data" &&
	rec-pivot -q --item-features "$TMP/genres.csv" --multi genre -o "$TMP/all.recd" \
		"$TMP/events.recd" &&
	rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || exit 0
for algo in $ALGORITHMS; do
	rec-train -a "$algo" -j "$THREADS" -q -o "$TMP/$algo.recm" "$TMP/train.recd" || exit 0
	curve "$algo"
done

section "--diversify LAMBDA --similarity attributes, top 10; rec-eval --similarity attributes"
for algo in $ALGORITHMS; do
	table "$algo"
done
plot

section "--max-per genre=2, top 10"
for algo in $ALGORITHMS; do
	max_per "$algo"
done
