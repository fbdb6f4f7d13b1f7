#!/usr/bin/env bats
# rec-train -a ease: the closed form worked by hand, a planted group
# structure, max_items, the refusal of a matrix beyond memory, and
# determinism.
#
# ease-hand.csv: u1{a,b} u2{b,c}, every rating 2, every time 0.  With
# lambda = 1, in item order a, b, c:
#
#   X^T X = [1 1 0]   G = X^T X + I = [2 1 0]   det G = 2*5 - 1*2 = 8
#           [1 2 1]                   [1 3 1]
#           [0 1 1]                   [0 1 2]
#
#   P = G^-1 = adj(G) / 8 = 1/8 [ 5 -2  1]   (check: G P = I)
#                               [-2  4 -2]
#                               [ 1 -2  5]
#
#   B_ij = -P_ij / P_jj, B_jj = 0, with P_aa = P_cc = 5/8, P_bb = 4/8:
#
#   B = [  0   0.5 -0.2]
#       [0.4    0   0.4]
#       [-0.2  0.5    0]
#
# so u1 = (1 1 0) scores x B = (0.4 0.5 0.2) and u2 = (0 1 1) scores
# (0.2 0.5 0.4).  Scores are floats printed with %.9g, so each is compared
# with the exact value within 1e-6 by near() below.

setup() {
	load test_helper
}

# near FILE: every "user,item,score" line of FILE within 1e-6 of the
# recommendation with that user and item in the output being checked.
near() {
	awk -F, 'NR == FNR { want[$1 "," $2] = $3; n++; next }
		FNR > 1 { d = $4 - want[$1 "," $2]; if (!(($1 "," $2) in want) || d > 1e-6 || d < -1e-6) bad++; seen++ }
		END { exit bad || seen != n }' "$1" -
}

@test "ease scores are x_u B from G + lambda I inverted by hand" {
	rec-train -a ease -p lambda=1 -o m.recm "$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3 --include-seen
	assert_output "user,item,rank,score
u1,b,1,0.5
u1,a,2,0.400000006
u1,c,3,0.200000003
u2,b,1,0.5
u2,c,2,0.400000006
u2,a,3,0.200000003"
	printf 'u1,b,0.5\nu1,a,0.4\nu1,c,0.2\nu2,b,0.5\nu2,c,0.4\nu2,a,0.2\n' > want
	echo "$output" | near want
}

@test "ease leaves out seen items and predicts 0 for unknown users and items" {
	rec-train -a ease -p lambda=1 -o m.recm "$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3
	printf 'u1,c,0.2\nu2,a,0.2\n' > want
	echo "$output" | near want
	printf 'user,item\nu1,c\nu1,nosuch\nnosuch,a\n' > pairs.csv
	run -0 rec-recommend -m m.recm --predict pairs.csv --force
	assert_line "u1,c,,0.200000003"
	assert_line "u1,nosuch,,0"
	assert_line "nosuch,a,,0"
}

@test "ease with weighting=rating scales X by the ratings" {
	# Every rating 2: G = 4 X^T X + lambda I, so lambda = 4 gives 4 (X^T X
	# + I), the same B, and x_u twice as large: twice the scores.
	rec-train -a ease -p lambda=4 -p weighting=rating -o m.recm "$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3 --include-seen
	printf 'u1,b,1\nu1,a,0.8\nu1,c,0.4\nu2,b,1\nu2,c,0.8\nu2,a,0.4\n' > want
	echo "$output" | near want
}

@test "ease with --half-life weights X by the decay" {
	# Every event is one half-life old: X/2, G = X^T X / 4 + lambda I, so
	# lambda = 1/4 gives (X^T X + I) / 4, the same B, and half the scores.
	rec-train -a ease -p lambda=0.25 --half-life 100s --now 100 -o m.recm \
		"$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3 --include-seen
	printf 'u1,b,0.25\nu1,a,0.2\nu1,c,0.1\nu2,b,0.25\nu2,c,0.2\nu2,a,0.1\n' > want
	echo "$output" | near want
}

@test "ease with max_items never recommends the items left out" {
	# Popularity a 1, b 2, c 1: max_items=2 keeps b and a (the tie goes to
	# the lower index).  On {a, b}: G = [2 1; 1 3], P = [3 -1; -1 2] / 5,
	# B_ba = 1/3 and B_ab = 1/2.  u2 saw b and gets a at 1/3; u1 saw a and
	# b and gets nothing, since c has no score.
	rec-train -a ease -p lambda=1 -p max_items=2 -o m.recm "$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3
	printf 'u2,a,0.333333333\n' > want
	echo "$output" | near want
	refute_line --partial ",c,"
}

@test "ease with keep=1 fits each column on its one item of largest partial correlation" {
	# P's partial correlations |P_pq| / sqrt(P_pp P_qq): a-b and b-c
	# 2 / sqrt(20), a-c 1 / 5.  Column a keeps b, column c keeps b, and
	# column b keeps a (the tie with c goes to the lower row).  Each weight
	# is then G_pq / G_pp, the ridge regression on one item: B_ba = B_bc =
	# 1/3, B_ab = 1/2, the others 0.  u1 = (1 1 0) scores (1/3 1/2 1/3), u2
	# = (0 1 1) scores (1/3 0 1/3).
	rec-train -a ease -p lambda=1 -p keep=1 -o m.recm "$FIXTURES/ease-hand.csv"
	run -0 rec-recommend -m m.recm -n 3 --include-seen
	printf 'u1,b,0.5\nu1,a,0.333333333\nu1,c,0.333333333\nu2,a,0.333333333\nu2,c,0.333333333\nu2,b,0\n' > want
	echo "$output" | near want
	printf 'user,item\nu1,c\nu2,b\n' > pairs.csv
	run -0 rec-recommend -m m.recm --predict pairs.csv --force
	assert_line "u1,c,,0.333333313"
	assert_line "u2,b,,0"
}

# ease-hand-1.0.recm: ease-hand.csv with lambda=1 by a build before keep,
# whose models are dense and say nothing of keep.
@test "ease with keep=0 or keep of every other item is dense, and an older dense model loads" {
	rec-train -a ease -p lambda=1 -p keep=0 -o dense.recm "$FIXTURES/ease-hand.csv"
	rec-train -a ease -p lambda=1 -p keep=2 -o all.recm "$FIXTURES/ease-hand.csv"
	rec-train -a ease -p lambda=1 -p keep=1 -o sparse.recm "$FIXTURES/ease-hand.csv"
	gzip -dc < dense.recm | grep -a -q BMAT
	gzip -dc < all.recm | grep -a -q BMAT
	run -1 grep -a -c BMAT <(gzip -dc < sparse.recm)
	gzip -dc < sparse.recm | grep -a -q BWGT
	diff <(rec-recommend -m dense.recm -n 3) <(rec-recommend -m all.recm -n 3)
	diff <(rec-recommend -m dense.recm -n 3) \
		<(rec-recommend -m "$FIXTURES/ease-hand-1.0.recm" -n 3)
}

@test "ease recommendations stay within a planted group" {
	# Users p* have only items a*, users q* only b*: G is block diagonal,
	# so is B, and no item of the other group gets a score above 0.
	rec-train -a ease -p lambda=1 -o m.recm "$FIXTURES/ease-groups.csv"
	run -0 rec-recommend -m m.recm -n 1
	[ "${#lines[@]}" -eq 13 ]
	echo "$output" | awk -F, 'NR > 1 && (substr($1, 1, 1) == "p") != (substr($2, 1, 1) == "a") { exit 1 }'
	run -0 rec-recommend -m m.recm -n 8 --include-seen
	echo "$output" | awk -F, 'NR > 1 && (substr($1, 1, 1) == "p") != (substr($2, 1, 1) == "a") && $4 != 0 { exit 1 }'
}

@test "ease refuses a matrix larger than memory and names max_items" {
	n=$(awk -v p="$(getconf _PHYS_PAGES)" -v s="$(getconf PAGESIZE)" \
		'BEGIN { printf "%d", sqrt(p * s / 4) + 1 }')
	awk -v n="$n" 'BEGIN { print "user,item"; for (i = 0; i < n; i++) print "u" i % 10 ",i" i }' > many.csv
	run -1 --separate-stderr rec-train -a ease -o m.recm many.csv
	assert_equal "$output" ""
	[[ "$stderr" == "rec-train: ease needs $n^2 floats = "*" GB for $n items, more than the "*"; use -p max_items=N"* ]]
	[ ! -e m.recm ]
	run -0 rec-train -a ease -p max_items=100 -o m.recm many.csv
}

@test "ease refuses a keep whose weights overflow the 32-bit row pointers" {
	awk 'BEGIN { print "user,item"; for (i = 0; i < 70000; i++) print "u" i % 10 ",i" i }' > many.csv
	run -1 rec-train -a ease -p keep=65536 -o m.recm many.csv
	assert_output "rec-train: keep 65536 for 70000 items makes more than 2^32 weights; lower keep, or keep=0 for a dense matrix"
	[ ! -e m.recm ]
}

@test "ease refuses a singular G and asks for a larger lambda" {
	# lambda = 0: X^T X of ease-hand.csv has determinant 0.
	run -1 rec-train -a ease -p lambda=0 -o m.recm "$FIXTURES/ease-hand.csv"
	assert_output --partial "raise lambda"
}

@test "ease: one thread gives byte-identical models, dense and sparse" {
	for keep in 0 3; do
		rec-train -j1 -a ease -p keep=$keep -o a.recm "$BATS_TEST_DIRNAME/../samples/events.csv"
		rec-train -j1 -a ease -p keep=$keep -o b.recm "$BATS_TEST_DIRNAME/../samples/events.csv"
		cmp a.recm b.recm
	done
}
