#!/usr/bin/env bats
# rec-recommend --diversify, --similarity and --max-per; rec-eval
# --similarity.

setup() {
	load test_helper
	# Popularity p 4, q 3, r 2, s 1; users of p {1,2,3,4}, q {1,2,3},
	# r {5,6}, s {1}.
	printf 'user,item\n1,p\n2,p\n3,p\n4,p\n1,q\n2,q\n3,q\n5,r\n6,r\n1,s\n' > mmr.csv
	printf 'item,genres\np,Action\nq,Action|Comedy\nr,Action\ns,Drama\n' > genres.csv
}

@test "LAMBDA 0 gives the plain list" {
	rec-train -q -a itemknn -o m.recm "$FIXTURES/split.csv"
	rec-recommend -m m.recm -n 3 -o plain.csv
	run rec-recommend -m m.recm -n 3 --diversify 0
	assert_success
	assert_output "$(cat plain.csv)"
}

# Relevance min-max normalised: p 1, q 2/3, r 1/3, s 0.  Co-occurrence:
# cos(p, q) = 3 / sqrt(12) = 0.866, cos(p, r) = 0, cos(p, s) = 1/2,
# cos(q, s) = 1 / sqrt(3), r shares no user.  At LAMBDA 1/2: p first;
# then r (1/6) beats q (1/3 - 0.433) and s (0 - 1/4); then q, its mean
# similarity 0.433 (1/3 - 0.217), beats s, 1/4 (0 - 1/8); listed by score.
# At 0.9: p, r (1/30), then s (-0.9 / 4) beats q (0.067 - 0.9 x 0.433).
# At 0.2: p, q (0.533 - 0.173) beats r (0.267), then r.
@test "a hand-worked case of maximal marginal relevance" {
	rec-train -q -a pop -o pop.recm mmr.csv
	run --separate-stderr rec-recommend -v -m pop.recm -n 3 --users <(echo new) \
		--diversify 0.5
	assert_success
	assert_output "user,item,rank,score
new,p,1,4
new,q,2,3
new,r,3,2"
	[[ $stderr == *"similarity: cooccurrence"* ]]
	run rec-recommend -q -m pop.recm -n 3 --users <(echo new) --diversify 0.9
	assert_output "user,item,rank,score
new,p,1,4
new,r,2,2
new,s,3,1"
	run rec-recommend -q -m pop.recm -n 2 --users <(echo new) --diversify 0.2
	assert_output "user,item,rank,score
new,p,1,4
new,q,2,3"
	run rec-recommend -q -m pop.recm -n 2 --users <(echo new) --diversify 0.5
	assert_output "user,item,rank,score
new,p,1,4
new,r,2,2"
}

@test "--max-per holds on every list" {
	rec-pivot -q -o g.recd --multi genres --item-features genres.csv mmr.csv
	rec-train -q -a itemknn -o m.recm g.recd
	rec-recommend -m m.recm -n 4 --include-seen --max-per genres=1 -o out.csv
	run awk -F, 'BEGIN { g["p"] = "A"; g["q"] = "AC"; g["r"] = "A"; g["s"] = "D" }
		NR > 1 { n = split(g[$2], c, ""); for (x = 1; x <= n; x++)
			if (++count[$1 SUBSEP c[x]] > 1) print "user " $1 " has two of " c[x]
			lists[$1] = 1 }
		END { for (u in lists) k++; print k " lists" }' out.csv
	assert_output "6 lists"
	run rec-recommend -q -m m.recm -n 3 --users <(echo new) --max-per genres=1
	assert_output "user,item,rank,score
new,p,1,4
new,s,2,1"
}

@test "--similarity attributes uses the attributes; absent sources are errors" {
	rec-pivot -q -o g.recd --multi genres --item-features genres.csv mmr.csv
	rec-train -q -a pop -o pop.recm g.recd
	run --separate-stderr rec-recommend -v -m pop.recm -n 2 --users <(echo new) \
		--diversify 0.9
	[[ $stderr == *"similarity: attributes"* ]]
	# r shares Action with p; s shares nothing.
	assert_output "user,item,rank,score
new,p,1,4
new,s,2,1"
	run -1 rec-recommend -m pop.recm --diversify 0.5 --similarity vectors
	assert_output --partial "needs a model whose family learns item vectors; not pop"
	rec-train -q -a pop -o plain.recm mmr.csv
	run -1 rec-recommend -m plain.recm --diversify 0.5 --similarity attributes
	assert_output --partial "needs item attributes"
	run -1 rec-recommend -m plain.recm --max-per genres=1
	assert_output --partial "no item attribute is named 'genres=...'"
}

@test "ials: vectors by default, in the stream too" {
	rec-train -q -a ials -o m.recm "$FIXTURES/split.csv"
	run --separate-stderr rec-recommend -v -m m.recm -n 2 --diversify 0.5
	assert_success
	[[ $stderr == *"similarity: vectors"* ]]
	run rec-recommend -m m.recm --stream -n 2 --diversify 0.5 <<<'user,item
u1,f'
	assert_success
	assert_equal "${#lines[@]}" 2
}

@test "bad --diversify, --similarity and --max-per are usage errors" {
	rec-train -q -a pop -o pop.recm mmr.csv
	run -2 rec-recommend -m pop.recm --diversify 2
	assert_output --partial "--diversify"
	run -2 rec-recommend -m pop.recm --diversify 0.5 --similarity colour
	assert_output --partial "bad --similarity 'colour' (want attributes, vectors or cooccurrence)"
	run -2 rec-recommend -m pop.recm --similarity vectors
	assert_output --partial "--similarity goes with --diversify"
	run -2 rec-recommend -m pop.recm --max-per genres
	assert_output --partial "--max-per is FEATURE=N"
	run -2 rec-recommend -m pop.recm --max-per genres=0
	assert_output --partial "--max-per"
}

# Attribute cosines: cos(p, q) = cos(q, r) = 1 / sqrt(2), cos(p, r) = 1,
# s and the unknown z share nothing.  At k 2: user 7 [p,q] 1 - 0.7071,
# user 8 [q,s] 1, mean 0.646447.  At k 4: user 7 (0.2929 + 0 + 1 +
# 0.2929 + 1 + 1) / 6 = 0.597631, user 8 [q,s,z] 1, mean 0.798816.
@test "rec-eval --similarity attributes: a hand-worked diversity" {
	rec-pivot -q -o g.recd --multi genres --item-features genres.csv mmr.csv
	printf 'user,item,rank,score\n7,p,1,4\n7,q,2,3\n7,r,3,2\n7,s,4,1\n8,q,1,3\n8,s,2,1\n8,z,3,0\n' > recs.csv
	printf 'user,item\n7,p\n8,s\n' > test.csv
	run rec-eval --test test.csv --train g.recd -k 2,4 --similarity attributes recs.csv
	assert_success
	assert_line "diversity,2,0.646447"
	assert_line "diversity,4,0.798816"
	# The other rows do not change.
	rec-eval --test test.csv --train g.recd -k 2,4 recs.csv | grep -v '^diversity' > plain.csv
	assert_equal "$(grep -v '^diversity' <<<"$output")" "$(cat plain.csv)"
	run -1 rec-eval --test test.csv --train mmr.csv --similarity attributes recs.csv
	assert_output --partial "needs item attributes"
}

@test "rec-eval: co-occurrence is the default; vectors need a family that has them" {
	rec-pivot -q -o g.recd --multi genres --item-features genres.csv mmr.csv
	rec-train -q -a pop -o pop.recm g.recd
	rec-eval -m pop.recm --test mmr.csv -k 2,3 -o default.csv
	run rec-eval -m pop.recm --test mmr.csv -k 2,3 --similarity cooccurrence
	assert_success
	assert_output "$(cat default.csv)"
	grep -q '^diversity,3,' default.csv
	run rec-eval -m pop.recm --test mmr.csv -k 2,3 --similarity attributes
	assert_success
	refute_output "$(cat default.csv)"
	run -1 rec-eval -m pop.recm --test mmr.csv --similarity vectors
	assert_output --partial "needs a model whose family learns item vectors; not pop"
	run -1 rec-eval --test mmr.csv --train g.recd --similarity vectors <(echo user,item,rank,score)
	assert_output --partial "needs a model whose family learns item vectors"
	rec-train -q -a ials -o ials.recm "$FIXTURES/split.csv"
	run rec-eval -m ials.recm --test "$FIXTURES/split.csv" --similarity vectors
	assert_success
	assert_line --regexp '^diversity,10,[01]\.[0-9]+$'
}

@test "rec-eval: bad --similarity and its conflicts are usage errors" {
	rec-train -q -a pop -o pop.recm mmr.csv
	run -2 rec-eval -m pop.recm --test mmr.csv --similarity colour
	assert_output --partial "bad --similarity 'colour' (want attributes, vectors or cooccurrence)"
	run -2 rec-eval -m pop.recm --test mmr.csv --similarity attributes --partial
	assert_output --partial "--similarity needs"
	run -2 rec-eval -m pop.recm --test mmr.csv --similarity attributes --per-user
	assert_output --partial "--similarity needs"
	run -2 rec-eval --test mmr.csv --similarity attributes <(echo user,item,rank,score)
	assert_output --partial "--similarity needs --train or -m"
	run -2 rec-eval --merge --similarity cooccurrence part
	assert_output --partial "--similarity"
}
