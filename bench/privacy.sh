#!/bin/sh
# privacy.sh - pseudonyms and forgetting on MovieLens 100K, every rating a
# positive, per-user 80/20 split (seed 1).
#
#  1. The pipeline under a key of rec-pivot --genkey: pivot, split, train
#     and recommend with --pseudonymize.  The users of every dataset
#     written (rec-pivot --format long) and of the model (its lists, which
#     name every user of the model by the ID it holds) that are raw IDs of
#     u.data: expected 0 (and 943 for the dataset without a key, which
#     shows that the count sees them).  Then rec-eval of pop, itemknn, ease and ials against
#     the same pipeline without a key: the largest difference of a metric
#     (expected 1e-6 at most).
#  2. rec-train --init --forget of 5% of the users (those whose ID's
#     Knuth hash, seeded with 1, falls below 5% of 2^32): for ials, NDCG@10
#     of the other users with the model that forgot (-e 1, the default, and
#     -e 3) against a model retrained without them (target: within 0.002);
#     for pop, itemknn and ease, cmp of the model that forgot and the model
#     retrained (expected identical).
. "$(dirname "$0")/helpers"

THREADS=2
ML=$DATA/movielens-100k

# pipeline NAME [--pseudonymize KEY]: NAME-train.recd, NAME-test.recd and
# NAME-ALGO.recm of every algorithm of ALGORITHMS.
pipeline() {
	name=$1
	shift
	rec-pivot -q --implicit 0 --no-header -d tab -r 3 -t 4 "$@" -o "$TMP/$name-all.recd" \
		"$ML/u.data" &&
		rec-split -q --method user --ratio 0.2 --seed 1 "$@" --train "$TMP/$name-train.recd" \
			--test "$TMP/$name-test.recd" "$TMP/$name-all.recd" || return 1
	for algo in $ALGORITHMS; do
		rec-train -a "$algo" -j "$THREADS" -q "$@" -o "$TMP/$name-$algo.recm" \
			"$TMP/$name-train.recd" || return 1
	done
}

# raw_users FILE: how many users of FILE's first column (after its header)
# are raw IDs of u.data.
raw_users() {
	awk -F, 'NR == FNR { raw[$1] = 1; next }
		FNR > 1 && ($1 in raw) && !seen[$1]++ { n++ }
		END { print n + 0 }' "$TMP/raw" "$1"
}

pseudonyms() {
	section "rec-pivot --genkey; pivot, split, train, recommend with --pseudonymize"
	rec-pivot --genkey "$TMP/key" || return 0
	pipeline key --pseudonymize "$TMP/key" || return 0
	cut -f1 "$ML/u.data" | sort -u > "$TMP/raw"
	figure "raw user IDs of u.data" "$(wc -l < "$TMP/raw")"
	rec-pivot --format long -o "$TMP/long.csv" "$TMP/plain-all.recd" || return 0
	figure "all.recd without a key: raw IDs among its users" "$(raw_users "$TMP/long.csv")"
	for set in all train test; do
		rec-pivot --format long -o "$TMP/long.csv" "$TMP/key-$set.recd" || return 0
		figure "$set.recd: raw IDs among its users" "$(raw_users "$TMP/long.csv")" \
			"of $(cut -d, -f1 "$TMP/long.csv" | sed 1d | sort -u | wc -l)"
	done
	for algo in $ALGORITHMS; do
		rec-recommend -m "$TMP/key-$algo.recm" -j "$THREADS" -n 1 --pseudonymize "$TMP/key" \
			-o "$TMP/lists.csv" || return 0
		figure "$algo.recm: raw IDs among its users" "$(raw_users "$TMP/lists.csv")" \
			"of $(sed 1d "$TMP/lists.csv" | cut -d, -f1 | sort -u | wc -l)"
	done
	for algo in $ALGORITHMS; do
		rec-eval -m "$TMP/key-$algo.recm" -j "$THREADS" --test "$TMP/key-test.recd" \
			-k 10,20 -o "$TMP/key.csv" &&
			rec-eval -m "$TMP/plain-$algo.recm" -j "$THREADS" \
				--test "$TMP/plain-test.recd" -k 10,20 -o "$TMP/plain.csv" || return 0
		figure "$algo: largest |metric with key - without|" "$(awk -F, '
			NR == FNR { v[$1 "," $2] = $3; next }
			FNR > 1 { d = $3 - v[$1 "," $2]; if (d < 0) d = -d; if (d > max) max = d; n++ }
			END { printf "%.3g (%d metrics)", max, n }' "$TMP/plain.csv" "$TMP/key.csv")"
	done
}

# ndcg MODEL: NDCG@10 of MODEL on the test set of the users kept.
ndcg() {
	rec-eval -m "$1" -j "$THREADS" --test "$TMP/rest-test.recd" -k 10 -o "$TMP/eval.csv" &&
		metric "$TMP/eval.csv" ndcg 10
}

forget() {
	section "rec-train --init M --forget F: 5% of the users, against a retrain without them"
	rec-pivot -q --format long -o "$TMP/long.csv" "$TMP/plain-train.recd" || return 0
	sed 1d "$TMP/long.csv" | cut -d, -f1 | sort -u |
		awk '(($1 * 2654435761 + 1) % 4294967296) < 0.05 * 4294967296' > "$TMP/forget"
	figure "users forgotten" "$(wc -l < "$TMP/forget")" \
		"of $(sed 1d "$TMP/long.csv" | cut -d, -f1 | sort -u | wc -l)"
	rec-pivot -q --forget "$TMP/forget" -o "$TMP/rest-train.recd" "$TMP/plain-train.recd" &&
		rec-pivot -q --forget "$TMP/forget" -o "$TMP/rest-test.recd" \
			"$TMP/plain-test.recd" || return 0
	for algo in $ALGORITHMS; do
		rec-train -a "$algo" -j "$THREADS" -q -o "$TMP/retrained.recm" "$TMP/rest-train.recd" &&
			rec-train -q --init "$TMP/plain-$algo.recm" --forget "$TMP/forget" \
				-j "$THREADS" -o "$TMP/forgot.recm" || continue
		case $algo in
		ials)
			before=$(ndcg "$TMP/plain-ials.recm")
			retrained=$(ndcg "$TMP/retrained.recm")
			forgot=$(ndcg "$TMP/forgot.recm")
			rec-train -q --init "$TMP/plain-ials.recm" --forget "$TMP/forget" -e 3 \
				-j "$THREADS" -o "$TMP/forgot3.recm" || continue
			forgot3=$(ndcg "$TMP/forgot3.recm")
			figure "ials NDCG@10 of the others: before forgetting" "$before"
			figure "ials: retrained without them" "$retrained"
			figure "ials: --forget (-e 1)" "$forgot" \
				"$(calc "$forgot - $retrained" 4) against the retrain"
			figure "ials: --forget -e 3" "$forgot3" \
				"$(calc "$forgot3 - $retrained" 4) against the retrain"
			;;
		*)
			if cmp -s "$TMP/forgot.recm" "$TMP/retrained.recm"; then
				figure "$algo: --forget against the retrain" identical
			else
				figure "$algo: --forget against the retrain" different
			fi
			;;
		esac
	done
}

need "$ML/u.data" || exit 0
ALGORITHMS=$(algorithms pop itemknn ease ials)
pipeline plain || exit 0
pseudonyms
forget
