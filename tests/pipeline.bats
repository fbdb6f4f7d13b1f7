#!/usr/bin/env bats
# The five programs as one pipeline, through pipes and through files, on
# a log whose metrics are worked by hand.
#
# tests/fixtures/pipeline.csv: leave-last-out holds out u1's b and the d
# of u2, u3 and u4.  Training counts: a 4 users, b 3, c 2, d none.  The
# popularity lists (seen items excluded) are u1: b c; u2: c d; u3: d;
# u4: d.  At 1: hits for u1, u3, u4, so HR = NDCG = MRR = 3/4.  At 2:
# u2's d at rank 2, so HR = 1, NDCG = (3 + 1/log2 3)/4 = 0.907732 and
# MRR = (3 + 1/2)/4 = 0.875; precision@2 = 4 hits / (4 users x 2) = 0.5.
# AUC: u1's b beats c and d (1), u2's d loses to c (0); u3 and u4 have no
# negative to rank: 1/2.  Coverage@1: b, c, d of 4 items.  Popularity@1:
# (3 + 2 + 0 + 0)/4 = 1.25.  Novelty@1: (-log2 3/4 - log2 2/4 + 2 log2 5)/4
# = 1.514723 (d, which no training user has, counts as 1/(4 + 1)).
# Diversity@2: u1's b and c share 2 users, 1 - 2/sqrt(3 x 2); u2's d has
# none, 1: 0.591752.  Gini@1 of the counts 0 1 1 2: 6 / (4 x 4) = 0.375.

setup() {
	load test_helper
	EVENTS=$FIXTURES/pipeline.csv
}

@test "pipeline: pivot, split, train, recommend and evaluate through pipes, worked by hand" {
	rec-pivot -q -o - "$EVENTS" |
		rec-split -q --method last --count 1 --train train.recd --test test.recd -
	run -0 bash -c "rec-train -q -a pop -o - train.recd | rec-recommend -m - -n 2 |
		rec-eval --test test.recd -k 1,2 -"
	assert_output "metric,k,value
precision,1,0.750000
precision,2,0.500000
recall,1,0.750000
recall,2,1.000000
f1,1,0.750000
f1,2,0.666667
hr,1,0.750000
hr,2,1.000000
ndcg,1,0.750000
ndcg,2,0.907732
map,1,0.750000
map,2,0.875000
mrr,1,0.750000
mrr,2,0.875000"
}

@test "pipeline: the model ranking every item gives the lists' metrics, and the catalogue's by hand" {
	rec-split -q --method last --count 1 --train train.recd --test test.recd "$EVENTS"
	rec-train -q -a pop -o pop.recm train.recd
	rec-recommend -m pop.recm -n 2 > lists.csv
	rec-eval --test test.recd --train train.recd -k 1,2 lists.csv > lists-metrics.csv
	rec-eval -m pop.recm --test test.recd -k 1,2 > model-metrics.csv
	run -0 diff lists-metrics.csv <(grep -v '^auc,' model-metrics.csv)
	run -0 grep -E '^(auc|coverage,1|popularity,1|novelty,1|diversity,2|gini,1),' \
		model-metrics.csv
	assert_output "auc,,0.500000
coverage,1,0.750000
novelty,1,1.514723
diversity,2,0.591752
popularity,1,1.250000
gini,1,0.375000"
}

@test "pipeline: files, pipes and gzip give the same bytes" {
	rec-pivot -q -o data.recd "$EVENTS"
	gzip -c "$EVENTS" > events.csv.gz
	rec-pivot -q -o - < events.csv.gz | cmp - data.recd
	rec-split -q --method last --count 1 --train train.recd --test test.recd data.recd
	rec-split -q --method last --count 1 --train train2.recd --test test2.recd - < data.recd
	cmp train.recd train2.recd
	cmp test.recd test2.recd
	for a in pop itemknn ials ease; do
		rec-train -q -a "$a" -j 1 -o model.recm train.recd
		rec-train -q -a "$a" -j 1 -o - < train.recd | cmp - model.recm
		rec-recommend -m model.recm -n 3 > lists.csv
		rec-recommend -m - -n 3 < model.recm | cmp - lists.csv
		rec-eval --test test.recd -k 3 -o metrics.csv lists.csv
		rec-eval --test test.recd -k 3 < lists.csv | cmp - metrics.csv
	done
}

@test "pipeline: a bad row stops it with the row's place and leaves the good files as they were" {
	rec-pivot -q -o data.recd "$EVENTS"
	cp data.recd before.recd
	printf 'user,item,rating,timestamp\nu1,a,1,1\nu2,b,x,2\n' > bad.csv
	run -1 rec-pivot -q -o data.recd bad.csv
	assert_output --partial "bad.csv:3:"
	cmp data.recd before.recd
	run -1 bash -c "set -o pipefail; rec-pivot -q -o - bad.csv |
		rec-split -q --method last --count 1 --train train.recd --test test.recd -"
	[ ! -e train.recd ] && [ ! -e test.recd ]
	ls -A > files
	run -0 cat files
	assert_output "bad.csv
before.recd
data.recd
files"
}
