#!/bin/sh
# The whole pipeline on the shipped sample: pivot, leave-last-out split,
# train, recommend, evaluate.  Run by 'make demo' from the top of the tree.
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
echo "== freshness: itemknn replaying the newest 30% of the year, learning or frozen"
make -s -C samples freshness
