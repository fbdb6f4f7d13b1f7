#!/usr/bin/env bats
# rec-recommend --explain: the because column.

setup() {
	load test_helper
}

# sum_check FILE: for each row, the shares of its because field sum to
# its score within 1e-5; prints the rows checked.
sum_check() {
	awk -F, 'NR > 1 {
		n = split($5, r, "|"); s = 0
		for (x = 1; x <= n; x++) { split(r[x], p, ":"); s += p[2] }
		d = s - $4; if (d < 0) d = -d
		if (d > 1e-5) { print "row " NR ": shares " s " score " $4; bad = 1 }
		rows++
	} END { print rows " rows"; exit bad }' "$1"
}

# shares_sum FAMILY [OPTION...]: train FAMILY on split.csv and check
# every row.
shares_sum() {
	rec-train -q -a "$@" -o m.recm "$FIXTURES/split.csv"
	rec-recommend -m m.recm -n 4 --explain=100 -o out.csv
	sum_check out.csv
}

@test "itemknn and ease: the shares sum to the score" {
	for family in itemknn ease; do
		run shares_sum "$family"
		assert_success
		assert_output "19 rows"
	done
}

@test "ease with a sparse B: the shares sum to the score" {
	run shares_sum ease -p keep=2
	assert_success
	assert_output "19 rows"
}

# With a penalty that does not move with the history's size, an ials
# share is exactly the drop of the score when the item is folded out:
# u1's history a..e streamed as new users, whole and without each item.
@test "ials: a share is the drop of the score without its item" {
	rec-train -q -a ials -p reg_exp=0 -o m.recm "$FIXTURES/split.csv"
	rec-recommend -m m.recm -n 1 --explain=5 --users <(echo u1) > explained.csv
	for without in all a b c d e; do
		for item in a b c d e; do
			[ "$item" = "$without" ] || echo "$without,$item"
		done
	done | sed '1i user,item' | rec-recommend -m m.recm --stream -n 3 > streamed.csv
	run awk -F, 'NR == FNR { if ($2 == "f") score[$1] = $4; next }
		FNR == 2 {
			n = split($5, r, "|")
			for (x = 1; x <= n; x++) {
				split(r[x], p, ":")
				d = p[2] - (score["all"] - score[p[1]]); if (d < 0) d = -d
				print p[1], (d < 1e-5 ? "ok" : p[2] " against " score["all"] - score[p[1]])
			}
		}' streamed.csv explained.csv
	assert_success
	assert_output "b ok
d ok
c ok
e ok
a ok"
}

# Items x = {a, b}, y = {a, b, c}, z = {c}: cos(x, y) = 2 / sqrt(6),
# cos(y, z) = 1 / sqrt(3), cos(x, z) = 0.  a and b get z from y alone,
# c gets x from y alone.
@test "itemknn: the shares of a hand-worked case" {
	printf 'user,item\na,x\na,y\nb,x\nb,y\nc,y\nc,z\n' > three.csv
	rec-train -q -a itemknn -p shrink=0 -o m.recm three.csv
	run rec-recommend -m m.recm --explain
	assert_success
	assert_line --index 0 "user,item,rank,score,because"
	assert_equal "${#lines[@]}" 4
	run awk -F, 'NR > 1 {
		split($5, p, ":")
		want = $2 == "z" ? 1 / sqrt(3) : 2 / sqrt(6)
		d = p[2] - want; if (d < 0) d = -d
		print $1, $2, p[1], (d < 1e-6 ? "ok" : p[2] " != " want)
	}' <(rec-recommend -m m.recm --explain)
	assert_output "a z y ok
b z y ok
c x y ok"
}

@test "the column holds at most N reasons, largest first, as item:share|..." {
	rec-train -q -a itemknn -o m.recm "$FIXTURES/split.csv"
	run rec-recommend -m m.recm -n 1 --explain=2 --users <(echo u1)
	assert_success
	assert_output "user,item,rank,score,because
u1,f,1,0.413657933,b:0.0833333358|c:0.0833333358"
	run rec-recommend -m m.recm -n 1 --explain --users <(echo u1)
	assert_line --index 1 "u1,f,1,0.413657933,b:0.0833333358|c:0.0833333358|d:0.0833333358"
}

@test "an unknown user and a pop model say popular" {
	rec-train -q -a itemknn -o m.recm "$FIXTURES/split.csv"
	run rec-recommend -q -m m.recm -n 2 --explain --users <(echo nobody)
	assert_success
	assert_output "user,item,rank,score,because
nobody,a,1,3,popular
nobody,b,2,2,popular"
	rec-train -q -a pop -o pop.recm "$FIXTURES/split.csv"
	run rec-recommend -m pop.recm -n 1 --explain --users <(echo u1)
	assert_output --partial ",popular"
}

@test "mf explains by occlusion" {
	rec-train -q -a mf -o m.recm "$FIXTURES/split.csv"
	run rec-recommend -m m.recm -n 1 --explain=1 --users <(echo u2)
	assert_success
	assert_line --index 1 --regexp '^u2,[a-z],1,[-0-9.e]+,[a-z]:[-0-9.e]+$'
}

@test "--stream prints the column" {
	rec-train -q -a itemknn -o m.recm "$FIXTURES/split.csv"
	run rec-recommend -m m.recm --stream -n 1 --explain=1 <<<'user,item
u1,f
new,a'
	assert_success
	assert_line --index 0 --regexp '^u1,[a-z],1,[-0-9.e]+,[a-z]:[-0-9.e]+$'
	assert_line --index 1 --regexp '^new,[a-z],1,[-0-9.e]+,a:[-0-9.e]+$'
}

@test "--explain: bad counts and --predict are usage errors" {
	rec-train -q -a itemknn -o m.recm "$FIXTURES/split.csv"
	run -2 rec-recommend -m m.recm --explain=0
	assert_output --partial "--explain"
	run -2 rec-recommend -m m.recm --explain=x
	assert_output --partial "--explain"
	run -2 rec-recommend -m m.recm --explain --predict "$FIXTURES/split.csv"
	assert_output --partial "--explain does not go with --predict"
}
