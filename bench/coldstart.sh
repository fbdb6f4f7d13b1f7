#!/bin/sh
# Cold start on MovieLens 100K: NDCG@10 of items and users without training
# events.  Prints figures; never passes or fails.  Usage: coldstart.sh [SEED ...]
set -u
DATA=${DATA:-/work/shared/data/movielens-100k}
BIN=${REC_BIN:-$(dirname "$0")/../bin}
PATH=$BIN:$PATH
[ -r "$DATA/u.data" ] || { echo "coldstart: no $DATA/u.data, skipped"; exit 0; }
T=$(mktemp -d) && trap 'rm -rf "$T"' EXIT
awk 'BEGIN { print "user,item,rating,time" } { print $1 "," $2 "," $3 "," $4 }' \
	"$DATA/u.data" > "$T/events.csv"
# genres (the 19 0/1 columns after the URL) and the release year
awk -F'|' 'BEGIN { print "item,feature,value" }
	{ for (g = 6; g <= 24; g++) if ($g == 1) print $1 ",genre=" g - 6 ",1"
	  if (length($3) >= 4) print $1 ",year=" substr($3, length($3) - 3) ",1" }' \
	"$DATA/u.item" > "$T/items.csv"
awk -F'|' 'BEGIN { print "user,feature,value" }
	{ print $1 ",gender=" $3 ",1"; print $1 ",age=" int($2 / 10) ",1"
	  print $1 ",occupation=" $4 ",1" }' "$DATA/u.user" > "$T/users.csv"
rec-pivot -q -o "$T/d.recd" --item-features "$T/items.csv" \
	--user-features "$T/users.csv" "$T/events.csv" || exit 0
ndcg() {
	awk -F, '$1 == "ndcg" && $2 == 10 { print $3 }'
}
for seed in "${@:-1 2 3}"; do
	rec-split -q --method cold-items --ratio 0.2 --seed "$seed" \
		--train "$T/tr.recd" --test "$T/te.recd" "$T/d.recd" || continue
	rec-pivot -q --format long "$T/te.recd" | awk -F, 'NR > 1 { print $2 }' |
		sort -u > "$T/cold-items"
	for a in content hybrid ials pop; do
		rec-train -q -a "$a" --seed "$seed" -o "$T/m.recm" "$T/tr.recd" || continue
		printf 'cold-items seed %s %-8s ndcg@10 %s\n' "$seed" "$a" "$(rec-eval -q \
			-m "$T/m.recm" --test "$T/te.recd" --items "$T/cold-items" | ndcg)"
	done
	rec-split -q --method cold-users --ratio 0.2 --seed "$seed" \
		--train "$T/tr.recd" --test "$T/te.recd" "$T/d.recd" || continue
	for a in pop hybrid; do
		rec-train -q -a "$a" --seed "$seed" -o "$T/m.recm" "$T/tr.recd" || continue
		printf 'cold-users seed %s %-8s ndcg@10 %s\n' "$seed" "$a" "$(rec-eval -q \
			-m "$T/m.recm" --test "$T/te.recd" | ndcg)"
	done
done
