#!/usr/bin/env bats
# rec-eval: metrics of recommendations, predictions and models, every
# value checked against a computation worked by hand in the comments.

setup() {
	load test_helper
}

# usage_error ARGS...: rec-eval must refuse ARGS as a usage error.
usage_error() {
	run -2 --separate-stderr rec-eval "$@"
	assert_equal "$output" ""
	[[ $stderr == *"Try 'rec-eval --help' for more information."* ]] ||
		fail "no hint in: $stderr"
}

# value FILE METRIC K: the value of METRIC at K (empty K: none) in a
# metrics CSV.
value() {
	awk -F, -v m="$2" -v k="$3" '$1 == m && $2 == k { print $3 }' "$1"
}

# check FILE METRIC K EXPECTED: the value must be EXPECTED exactly.
check() {
	local got
	got=$(value "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "$2@$3: expected $4, got '$got'"
}

# --- options and help ---

@test "--help prints the usage on standard output and exits 0" {
	run -0 --separate-stderr rec-eval --help
	assert_line --index 0 --partial "usage: rec-eval"
	assert_output --partial "--per-user"
	assert_output --partial "--format F"
	assert_output --partial "--skip-bad"
	assert_equal "$stderr" ""
}

@test "--version prints the version from the VERSION file" {
	run -0 --separate-stderr rec-eval --version
	assert_output "rec-eval $(cat "$BATS_TEST_DIRNAME/../VERSION")"
}

@test "the man page's SYNOPSIS lists the options of the usage" {
	local page=$BATS_TEST_DIRNAME/../man/rec-eval.1
	[ -f "$page" ] || skip "no man page"
	command -v mandoc > /dev/null || skip "no mandoc"
	run -0 rec-eval --help
	usage=$(printf '%s\n' "$output" | sed -n '1,/^$/p' |
		grep -o -- '-[-a-zA-Z]*' | sort -u)
	synopsis=$(mandoc -Tascii "$page" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep -o -- '-[-a-zA-Z]*' | sort -u)
	assert_equal "$synopsis" "$usage"
}

@test "-k 0 and bad cut-off lists are usage errors" {
	usage_error -k 0 --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
	[[ $stderr == *"-k '0' is out of range"* ]]
	usage_error -k 5,,10 --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
	usage_error -k ten --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
	[[ $stderr == *"bad -k 'ten'"* ]]
	usage_error -k 5, --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
}

@test "other bad options are usage errors" {
	usage_error --bogus
	usage_error --format json "$FIXTURES/eval-preds.csv"
	[[ $stderr == *"bad --format 'json'"* ]]
	usage_error -j two "$FIXTURES/eval-preds.csv"
	usage_error "$FIXTURES/eval-preds.csv" "$FIXTURES/eval-preds.csv"
}

@test "the common options: -j as everywhere, no --seed nor --progress; --help to a full device fails" {
	common_values rec-eval "$FIXTURES/eval-preds.csv"
	usage_message rec-eval "option '--seed' has no use here" --seed 5000000000 "$FIXTURES/eval-preds.csv"
	usage_message rec-eval "option '--progress' has no use here" --progress "$FIXTURES/eval-preds.csv"
	usage_message rec-eval "option '--no-progress' has no use here" --no-progress "$FIXTURES/eval-preds.csv"
	help_to_full rec-eval
}

@test "recommendations without --test are a usage error" {
	usage_error "$FIXTURES/eval-recs.csv"
	[[ $stderr == *"recommendations need --test FILE"* ]]
}

@test "-m needs --test and takes no FILE" {
	usage_error -m model.recm
	[[ $stderr == *"-m needs --test FILE"* ]]
	usage_error -m model.recm --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
}

# --- ranking metrics from lists ---
#
# eval-test.csv:  u1 {a, b}   u2 {c}   u3 {d}   u4 {e, f, g}
# eval-recs.csv, ordered by rank (ties in file order):
#   u1: q a y b     (rows out of order in the file; q is in no test set)
#   u2: y c z       (y and c both rank 1: y comes first in the file)
#   u3: nothing     (scores zero, but counts in every mean)
#   u4: e           (fewer than k)
#   u9: a           (not in the test set: ignored)
# Writing L = 1/log2(3) = 0.6309298, the discount of rank 2.
#
# k = 3, lists u1 q,a,y (hit at 2), u2 y,c,z (hit at 2), u4 e (hit at 1):
#   precision  u1 1/3, u2 1/3, u3 0, u4 1/3           mean 1/4 = 0.250000
#   recall     u1 1/2, u2 1,   u3 0, u4 1/3           mean 11/24 = 0.458333
#   f1         u1 2(1/3)(1/2)/(5/6) = 2/5, u2 2(1/3)/(4/3) = 1/2, u4 1/3
#              mean (2/5 + 1/2 + 1/3)/4 = 37/120 = 0.308333
#   hr         u1 1, u2 1, u3 0, u4 1                 mean 0.750000
#   ndcg       u1 L / (1 + L) = 0.3868528 (ideal: min(3, 2) = 2 hits)
#              u2 L / 1 = 0.6309298; u4 1 / (1 + L + 1/2) = 0.4692787
#              mean 1.4870613/4 = 0.371765
#   map        u1 (1/2)/min(3,2) = 1/4, u2 (1/2)/1 = 1/2, u4 1/min(3,3) = 1/3
#              mean (1/4 + 1/2 + 1/3)/4 = 13/48 = 0.270833
#   mrr        u1 1/2, u2 1/2, u4 1                   mean 2/4 = 0.500000
# k = 1, lists u1 q, u2 y, u4 e: only u4 hits, at rank 1:
#   precision 1/4, recall (1/3)/4 = 0.083333, f1 2(1)(1/3)/(4/3) = 1/2
#   -> 0.125000, hr ndcg map mrr each 1/4 = 0.250000

@test "ranking metrics of lists match the hand computation" {
	run -0 rec-eval --test "$FIXTURES/eval-test.csv" -k 3,1 -o m.csv \
		"$FIXTURES/eval-recs.csv"
	assert_output ""
	check m.csv precision 3 0.250000
	check m.csv recall 3 0.458333
	check m.csv f1 3 0.308333
	check m.csv hr 3 0.750000
	check m.csv ndcg 3 0.371765
	check m.csv map 3 0.270833
	check m.csv mrr 3 0.500000
	check m.csv precision 1 0.250000
	check m.csv recall 1 0.083333
	check m.csv f1 1 0.125000
	check m.csv hr 1 0.250000
	check m.csv ndcg 1 0.250000
	check m.csv map 1 0.250000
	check m.csv mrr 1 0.250000
}

@test "the metrics CSV: header, metric order, cut-offs ascending, no auc" {
	run -0 --separate-stderr rec-eval --test "$FIXTURES/eval-test.csv" -k 3,1,3 \
		"$FIXTURES/eval-recs.csv"
	assert_line --index 0 "metric,k,value"
	assert_line --index 1 "precision,1,0.250000"
	assert_line --index 2 "precision,3,0.250000"
	assert_line --index 3 "recall,1,0.083333"
	assert_line --index 13 "mrr,1,0.250000"
	assert_line --index 14 "mrr,3,0.500000"
	assert_equal "${#lines[@]}" 15
	refute_output --partial "auc"
	refute_output --partial "coverage"
}

@test "the default cut-off is 10" {
	# At k = 10 the lists are whole: u1 q,a,y,b hits a (2) and b (4);
	# precision (2/10 + 1/10 + 0 + 1/10)/4 = 0.1
	run -0 rec-eval --test "$FIXTURES/eval-test.csv" -o m.csv "$FIXTURES/eval-recs.csv"
	check m.csv precision 10 0.100000
	# recall u1 2/2, u2 1, u3 0, u4 1/3: (7/3)/4 = 0.583333
	check m.csv recall 10 0.583333
}

@test "the test set may be a dataset, and recommendations may come on standard input" {
	run -0 rec-pivot -o test.recd "$FIXTURES/eval-test.csv"
	run -0 rec-eval --test test.recd -k 3 -o a.csv "$FIXTURES/eval-recs.csv"
	run -0 rec-eval --test "$FIXTURES/eval-test.csv" -k 3 -o b.csv - \
		< "$FIXTURES/eval-recs.csv"
	diff -u a.csv b.csv
}

@test "--per-user rows for every test user, zeros for a user without a list" {
	run -0 --separate-stderr rec-eval --per-user --test "$FIXTURES/eval-test.csv" \
		-k 3 "$FIXTURES/eval-recs.csv"
	assert_line --index 0 "user,metric,k,value"
	assert_line --index 1 "u1,precision,3,0.333333"
	assert_line --index 2 "u1,recall,3,0.500000"
	assert_line --index 3 "u1,f1,3,0.400000"
	assert_line --index 4 "u1,hr,3,1.000000"
	assert_line --index 5 "u1,ndcg,3,0.386853"
	assert_line --index 6 "u1,map,3,0.250000"
	assert_line --index 7 "u1,mrr,3,0.500000"
	assert_line --index 8 "u2,precision,3,0.333333"
	assert_line --index 12 "u2,ndcg,3,0.630930"
	assert_line --index 15 "u3,precision,3,0.000000"
	assert_line --index 21 "u3,mrr,3,0.000000"
	assert_line --index 22 "u4,precision,3,0.333333"
	assert_line --index 26 "u4,ndcg,3,0.469279"
	assert_line --index 27 "u4,map,3,0.333333"
	assert_equal "${#lines[@]}" 29
	refute_output --partial "u9"
}

@test "--format table aligns the columns" {
	run -0 rec-eval --format table --test "$FIXTURES/eval-test.csv" -k 1,3 \
		"$FIXTURES/eval-recs.csv"
	assert_line --index 0 "metric     k     value"
	assert_line --index 1 "precision  1  0.250000"
	assert_line --index 4 "recall     3  0.458333"
	assert_line --index 14 "mrr        3  0.500000"
}

@test "--per-user --format table has a user column" {
	run -0 rec-eval --per-user --format table "$FIXTURES/eval-preds.csv"
	assert_line --index 0 "user  metric  k     value"
	assert_line --index 1 "u1    rmse       0.790569"
}

# --- beyond accuracy, against eval-train.csv ---
#
# Training users with items: u1..u5, so |U| = 5.  The catalogue is the
# training set's items x y z a c e, with these training users:
#   x {u1,u2,u4} 3   y {u1,u3,u4} 3   z {u2,u4} 2   a {u5} 1   c {u5} 1   e {u5} 1
# q is unknown to the training set: no user has it, p(q) = 1/(5+1).
#
# k = 3: lists u1 q,a,y   u2 y,c,z   u4 e   (7 items recommended)
#   coverage   {a, y, c, z, e} of 6 items = 5/6 = 0.833333
#   novelty    -log2 p: q log2 6 = 2.5849625, a c e log2 5 = 2.3219281 each,
#              y log2(5/3) = 0.7369656 (twice), z log2(5/2) = 1.3219281
#              sum 12.3466061 / 7 = 1.763801
#   popularity (0 + 1 + 3 + 3 + 1 + 2 + 1)/7 = 11/7 = 1.571429
#   diversity  u1: q has no users (cos 0), a and y share none: 1, 1, 1 -> 1
#              u2: y,c 1; c,z 1; y,z share u4: 1 - 1/sqrt(3*2) = 0.5917517
#              -> 2.5917517/3 = 0.8639172; u4 has one item, left out
#              mean (1 + 0.8639172)/2 = 0.931959
#   gini       counts x 0, y 2, z 1, a 1, c 1, e 1 sorted 0 1 1 1 1 2, n 6:
#              sum (2i-7) x_i = -3 - 1 + 1 + 3 + 10 = 10; 10/(6*6) = 0.277778
# k = 1: lists u1 q, u2 y, u4 e
#   coverage {y, e} 2/6 = 0.333333; novelty (2.5849625 + 0.7369656 +
#   2.3219281)/3 = 1.881285; popularity (0 + 3 + 1)/3 = 1.333333;
#   diversity: no list of two, 0; gini counts sorted 0 0 0 0 1 1:
#   (3 + 5)/(6*2) = 0.666667

@test "beyond-accuracy metrics match the hand computation" {
	run -0 rec-eval --test "$FIXTURES/eval-test.csv" --train "$FIXTURES/eval-train.csv" \
		-k 1,3 -o m.csv "$FIXTURES/eval-recs.csv"
	check m.csv coverage 3 0.833333
	check m.csv novelty 3 1.763801
	check m.csv popularity 3 1.571429
	check m.csv diversity 3 0.931959
	check m.csv gini 3 0.277778
	check m.csv coverage 1 0.333333
	check m.csv novelty 1 1.881285
	check m.csv popularity 1 1.333333
	check m.csv diversity 1 0.000000
	check m.csv gini 1 0.666667
	# and the ranking metrics are the same as without --train
	check m.csv ndcg 3 0.371765
	run -0 tail -n 1 m.csv
	assert_output "gini,3,0.277778"
}

# --- predictions ---
#
# eval-preds.csv: errors u1 -0.5, 1; u2 0, 2
#   rmse sqrt((0.25 + 1 + 0 + 4)/4) = sqrt(1.3125) = 1.145644
#   mae  (0.5 + 1 + 0 + 2)/4 = 0.875
#   u1: rmse sqrt(1.25/2) = 0.790569, mae 0.75; u2: rmse sqrt(2) = 1.414214, mae 1

@test "predictions give RMSE and MAE, without --test" {
	run -0 --separate-stderr rec-eval "$FIXTURES/eval-preds.csv"
	assert_output "metric,k,value
rmse,,1.145644
mae,,0.875000"
}

@test "predictions --per-user" {
	run -0 --separate-stderr rec-eval --per-user "$FIXTURES/eval-preds.csv"
	assert_output "user,metric,k,value
u1,rmse,,0.790569
u1,mae,,0.750000
u2,rmse,,1.414214
u2,mae,,1.000000"
}

# --- bad input ---

@test "a bad rank is an error that names file, line and column" {
	run -1 rec-eval --test "$FIXTURES/eval-test.csv" "$FIXTURES/eval-bad-rank.csv"
	assert_output "rec-eval: $FIXTURES/eval-bad-rank.csv:3:3: bad rank 'x'"
}

@test "a rank below 1 and a bad prediction are errors" {
	printf 'user,item,rank\nu1,a,0\n' > r.csv
	run -1 rec-eval --test "$FIXTURES/eval-test.csv" r.csv
	assert_output "rec-eval: r.csv:2:3: rank '0' is out of range [1, 9223372036854775807]"
	printf 'user,item,rating,prediction\nu1,a,4,high\n' > p.csv
	run -1 rec-eval p.csv
	assert_output "rec-eval: p.csv:2:4: bad prediction 'high'"
}

@test "an input with neither rank nor prediction is an error" {
	printf 'user,item,score\nu1,a,1\n' > r.csv
	run -1 rec-eval --test "$FIXTURES/eval-test.csv" r.csv
	assert_output "rec-eval: r.csv:1: no rank or prediction column in the header"
	printf 'user,item,prediction\n' > p.csv
	run -1 rec-eval p.csv
	assert_output "rec-eval: p.csv:1: a prediction column but no rating column in the header"
}

@test "an item listed twice for a user is an error" {
	printf 'user,item,rank\nu1,a,1\nu2,a,1\nu1,a,2\n' > r.csv
	run -1 rec-eval --test "$FIXTURES/eval-test.csv" r.csv
	assert_output "rec-eval: r.csv:4: item 'a' is listed twice for user 'u1'"
}

@test "empty input is an error; header only scores zero" {
	: > r.csv
	run -1 rec-eval --test "$FIXTURES/eval-test.csv" r.csv
	assert_output "rec-eval: r.csv: empty input"
	printf 'user,item,rank,score\n' > r.csv
	run -0 rec-eval --test "$FIXTURES/eval-test.csv" -k 2 -o m.csv r.csv
	check m.csv hr 2 0.000000
	check m.csv ndcg 2 0.000000
}

@test "a missing test file is an error" {
	run -1 rec-eval --test nosuch.csv "$FIXTURES/eval-recs.csv"
	assert_output --partial "rec-eval: nosuch.csv"
}

@test "a full disk is an error" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -1 --separate-stderr sh -c \
		'rec-eval --test "$1" "$2" > /dev/full' sh \
		"$FIXTURES/eval-test.csv" "$FIXTURES/eval-recs.csv"
	[[ $stderr == *"write failed"* ]]
	run -1 rec-eval -o /dev/full "$FIXTURES/eval-preds.csv"
}

# --- a model: every item ranked ---
#
# eval-model-train.csv: A {i1, i2}  B {i1, i3}  C {i1, i2, i4}
# pop scores: i1 3, i2 2, i3 1, i4 1; ties go to the lower index (i3).
# eval-model-test.csv: A {i3}  B {i2}  D {i3} (unknown user)  E {i9}
# (unknown user, and an item the model does not know).
#   A: seen i1 i2 excluded; ranking i3 (1), i4 (1)  -> i3 first
#      HR@1 1, HR@3 1; AUC: i3 ties i4 -> 1/2
#   B: seen i1 i3 excluded; ranking i2 (2), i4 (1)  -> HR@1 1, HR@3 1
#      AUC: i2 above i4 -> 1
#   D: popularity, nothing excluded: i1 i2 i3 i4 -> i3 third: HR@1 0, HR@3 1
#      AUC: i3 below i1 and i2, ties i4: (0 + 0 + 1/2)/3 = 1/6
#   E: i9 has no score and ranks below every item: HR 0, AUC 0/4 = 0
#   HR@1 (1+1+0+0)/4 = 0.5   HR@3 3/4 = 0.75
#   MRR@3 (1 + 1 + 1/3 + 0)/4 = 0.583333
#   AUC (1/2 + 1 + 1/6 + 0)/4 = 5/12 = 0.416667
# Beyond accuracy against the model's training set (3 users, 4 items):
#   top 1: A i3, B i2, D i1, E i1 -> coverage@1 3/4 = 0.75
#   popularity@1 (1 + 2 + 3 + 3)/4 = 2.25

model() {
	run -0 rec-pivot -o train.recd "$FIXTURES/eval-model-train.csv"
	run -0 rec-train -a pop -o pop.recm train.recd
}

@test "-m ranks every item: HR, MRR and AUC of a popularity model" {
	model
	run -0 rec-eval -m pop.recm --test "$FIXTURES/eval-model-test.csv" -k 1,3 -o m.csv
	check m.csv hr 1 0.500000
	check m.csv hr 3 0.750000
	check m.csv mrr 3 0.583333
	check m.csv auc "" 0.416667
	check m.csv coverage 1 0.750000
	check m.csv popularity 1 2.250000
}

@test "-m --per-user gives each user's AUC" {
	model
	run -0 --separate-stderr rec-eval -m pop.recm --test "$FIXTURES/eval-model-test.csv" \
		-k 1 --per-user
	assert_line "A,auc,,0.500000"
	assert_line "B,auc,,1.000000"
	assert_line "D,auc,,0.166667"
	assert_line "E,auc,,0.000000"
	assert_line "D,hr,1,0.000000"
}

@test "-m gives the same metrics whatever the number of threads" {
	model
	local test=$FIXTURES/eval-model-test.csv
	run -0 rec-eval -j 1 -m pop.recm --test "$test" -k 1,3 -o one.csv
	run -0 rec-eval -j 3 -m pop.recm --test "$test" -k 1,3 -o three.csv
	diff -u one.csv three.csv
}

@test "-m with a damaged model is an error" {
	model
	flip_byte pop.recm 40
	run -1 rec-eval -m pop.recm --test "$FIXTURES/eval-model-test.csv"
	assert_output --partial "rec-eval: pop.recm"
}
