#!/bin/sh
# The whole pipeline on the shipped sample: pivot, leave-last-out split,
# train, recommend, evaluate; then cold start with the items' and users'
# genres, and freshness.  Run by 'make demo' from the top of the tree.
set -eu
PATH=$(pwd)/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

echo "== rec-pivot: samples/events.csv"
rec-pivot --stats -o "$work/data.recd" samples/events.csv
echo
echo "== rec-split: each user's newest event is the test"
rec-split -v --method last --count 1 --train "$work/train.recd" --test "$work/test.recd" "$work/data.recd"
echo
for algo in pop itemknn mf; do
	rec-train -q -a "$algo" -o "$work/$algo.recm" "$work/train.recd"
	rec-recommend -m "$work/$algo.recm" -n 10 > "$work/$algo.csv"
	echo "== $algo: top-10 lists against the held-out events"
	rec-eval --format table --test "$work/test.recd" --train "$work/train.recd" -k 10 "$work/$algo.csv"
	echo
done
echo "== mf: rating prediction on a random 20% of the ratings"
rec-split --method random --ratio 0.2 --train "$work/rtrain.recd" --test "$work/rtest.recd" "$work/data.recd"
rec-train -q -a mf -o "$work/rmf.recm" "$work/rtrain.recd"
rec-recommend -m "$work/rmf.recm" --predict "$work/rtest.recd" | rec-eval --format table
echo
echo "== cold start: a tenth of the items lose their events, the genres stay"
rec-pivot -q --item-features samples/items.csv --user-features samples/users.csv \
	--multi genres -o "$work/attr.recd" samples/events.csv
rec-split -v --method cold-items --ratio 0.1 --train "$work/ctrain.recd" --test "$work/ctest.recd" "$work/attr.recd"
rec-pivot -q --format long "$work/ctest.recd" | awk -F, 'NR > 1 { print $2 }' | sort -u > "$work/cold"
echo
# One thread, so that hybrid's figures repeat.
for algo in pop ials hybrid; do
	rec-train -q -j 1 -a "$algo" -o "$work/cold-$algo.recm" "$work/ctrain.recd"
	echo "== $algo: only the cold items ranked, against their held-out events"
	rec-eval --format table -m "$work/cold-$algo.recm" --test "$work/ctest.recd" --items "$work/cold" -k 10
	echo
done
echo "== freshness: itemknn replaying the newest 30% of the year, learning or frozen"
make -s -C samples freshness
