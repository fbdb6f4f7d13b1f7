#!/usr/bin/env bats
# Cold start: rec-eval ranking given candidates only, the metrics of the
# users and items the training set does not have, and ials scoring items
# by their attributes.

setup() {
	load test_helper
}

# value METRIC K: the value of METRIC at K in the CSV held in $output.
value() {
	awk -F, -v m="$1" -v k="$2" '$1 == m && $2 == k { print $3 }' <<<"$output"
}

# The popularity model of a: 3 users, b: 2, c: 1; u3 had a.
pop_model() {
	printf 'user,item\nu1,a\nu2,a\nu3,a\nu1,b\nu2,b\nu1,c\n' > train.csv
	rec-pivot -o train.recd train.csv
	rec-train -a pop -o m.recm train.recd
}

@test "rec-eval --items: the model ranks only the listed items" {
	pop_model
	printf 'user,item\nu3,c\n' > test.csv
	# Every item: b then c, so c is second: ndcg@2 = 1 / log2(3).
	run -0 rec-eval -m m.recm --test test.csv -k 2
	assert_equal "$(value ndcg 2)" 0.630930
	assert_equal "$(value mrr 2)" 0.500000
	# c and an unknown d: c alone is ranked, first.
	printf 'c\nd\n' > cand
	run -0 rec-eval -m m.recm --test test.csv -k 2 --items cand
	assert_equal "$(value ndcg 2)" 1.000000
	assert_equal "$(value mrr 2)" 1.000000
	assert_equal "$(value precision 2)" 0.500000
	# b alone: c is never ranked.
	echo b > cand
	run -0 rec-eval -m m.recm --test test.csv -k 2 --items cand
	assert_equal "$(value hr 2)" 0.000000
}

@test "rec-eval --items: goes with -m only; a missing file is an error" {
	pop_model
	printf 'user,item\nu3,c\n' > test.csv
	printf 'user,item,rank\nu3,c,1\n' > recs.csv
	run -2 rec-eval --test test.csv --items cand recs.csv
	assert_output --partial "--items goes with -m"
	run -1 rec-eval -m m.recm --test test.csv --items absent
	assert_output --partial "absent"
	printf 'c\n""\n' > cand
	run -1 rec-eval -m m.recm --test test.csv --items cand
	assert_output --partial "cand:2: empty ID"
}
