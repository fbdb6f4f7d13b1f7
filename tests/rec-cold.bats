#!/usr/bin/env bats
# Cold start: rec-eval ranking given candidates only, the metrics of the
# users and items the training set does not have, and ials and sasrec
# scoring items by their attributes.

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

# train.csv holds a, b, c; d and e have no training event, nor has u9.
# The lists at k = 2 against the tests:
#   u3 c e  test {c, e}: ndcg 1           cold items {e}: e second, 1/log2(3)
#   u2 d    test {d}:    ndcg 1           cold items {d}: d first, 1
#   u9 b a  test {a}:    1/log2(3)        a cold user, with no cold item
# ndcg: all (2 + 0.630930)/3 = 0.876977, cold_users 0.630930,
# cold_items (0.630930 + 1)/2 = 0.815465; mrr of cold_items (1/2 + 1)/2.
@test "rec-eval --cold: the cold users' and the cold items' metrics, worked by hand" {
	pop_model
	printf 'user,item\nu3,c\nu3,e\nu2,d\nu9,a\n' > test.csv
	printf 'user,item,rank\nu3,c,1\nu3,e,2\nu2,d,1\nu9,b,1\nu9,a,2\n' > recs.csv
	run -0 rec-eval --cold --test test.csv --train train.csv -k 2 recs.csv
	assert_equal "$(value ndcg 2)" 0.876977
	assert_equal "$(value cold_users:ndcg 2)" 0.630930
	assert_equal "$(value cold_users:mrr 2)" 0.500000
	assert_equal "$(value cold_items:ndcg 2)" 0.815465
	assert_equal "$(value cold_items:mrr 2)" 0.750000
	assert_equal "$(value cold_items:precision 2)" 0.500000
	# the scopes follow the overall rows, cold users first
	assert_equal "$(sed -n 14p <<<"$output")" "cold_users:precision,2,0.500000"
	assert_equal "$(tail -n 1 <<<"$output")" "cold_items:mrr,2,0.750000"
	run -0 rec-eval --cold --format table --test test.csv --train train.csv -k 2 recs.csv
	assert_line --regexp '^cold_items:ndcg +2 +0\.815465$'
}

@test "rec-eval --cold: a scope without users is left out; auc of cold users by a model" {
	pop_model
	# u3 is warm and c has events: no scope at all
	printf 'user,item\nu3,c\n' > test.csv
	run -0 rec-eval --cold -m m.recm --test test.csv -k 2
	refute_output --partial cold_
	# u9, unknown to the model, gets the popular items a, b: a first
	printf 'user,item\nu3,c\nu9,a\n' > test.csv
	run -0 rec-eval --cold -m m.recm --test test.csv -k 2
	assert_equal "$(value cold_users:ndcg 2)" 1.000000
	assert_equal "$(value cold_users:auc '')" 1.000000
	refute_output --partial cold_items
}

@test "rec-eval --cold: needs a training set, and takes no --per-user" {
	pop_model
	printf 'user,item\nu3,c\n' > test.csv
	printf 'user,item,rank\nu3,c,1\n' > recs.csv
	run -2 rec-eval --cold --test test.csv recs.csv
	assert_output --partial "--cold needs --train or -m"
	run -2 rec-eval --cold --per-user -m m.recm --test test.csv
	assert_output --partial "--cold needs"
}

# Users uA<n> saw three of a1-a4 (genre A), uB<n> three of b1-b4; a5 and
# b5 have their genre and no events.  An A user's first item is the A item
# with events that he has not seen; a5, known by its genre, comes second.
sides() {
	{
		echo user,item
		for s in A B; do
			l=$(echo $s | tr AB ab)
			for n in 1 2 3 4; do
				for i in 1 2 3 4; do
					if [ "$i" -ne "$n" ]; then echo "u$s$n,$l$i"; fi
				done
			done
		done
	} > events.csv
	{
		echo item,genre
		for i in 1 2 3 4 5; do echo "a$i,A"; echo "b$i,B"; done
	} > items.csv
}

@test "ials: an item with attributes and no events is recommended by them" {
	sides
	rec-pivot -o d.recd --item-features items.csv events.csv
	rec-train -a ials -p factors=4 -p map_reg=1 -o m.recm d.recd
	run -0 rec-recommend -m m.recm -n 2
	assert_line --regexp '^uA1,a5,2,'
	assert_line --regexp '^uB1,b5,2,'
	# without the map, a5 and b5 are never among the first two
	rec-train -a ials -p factors=4 -p attributes=0 -o m0.recm d.recd
	run -0 rec-recommend -m m0.recm -n 2
	refute_output --regexp ',[ab]5,[12],'
}

@test "ials: --init --item-features places new items by their attributes" {
	sides
	grep -v '^[ab]5,' items.csv > old-items.csv
	rec-pivot -o d.recd --item-features old-items.csv events.csv
	rec-train -a ials -p factors=4 -p map_reg=1 -o old.recm d.recd
	rec-train --init old.recm --item-features items.csv -o new.recm
	run -0 rec-recommend -m new.recm -n 2
	assert_line --regexp '^uA1,a5,2,'
	assert_line --regexp '^uB2,b5,2,'
}

@test "--init --item-features: a new item's attributes in another order than the model's" {
	printf 'user,item\nu1,a\nu2,b\n' > e.csv
	printf 'item,feature\na,x\nb,y\n' > f.csv
	rec-pivot -o d.recd --item-features f.csv e.csv
	rec-train -a ials -p factors=2 -o m.recm d.recd
	printf 'item,feature\nc,y\nc,x\n' > new.csv
	rec-train --init m.recm --item-features new.csv -o new.recm
	run -0 rec-recommend -m new.recm -n 3 --users <(echo u1)
	assert_line --regexp '^u1,c,'
}

# A sasrec network small enough for sides.
sasrec_sides() {
	rec-train -a sasrec -k 8 -e 30 -p max_len=4 -p batch=4 -p dropout=0.1 --lr 0.01 -j 1 "$@"
}

# own_side LISTS: every user's list ranks his side's item 5 above the
# other side's, and the A users' first two hold a5.
own_side() {
	for u in uA1 uA2 uA3 uA4 uB1 uB2 uB3 uB4; do
		own=$(echo ${u:1:1} | tr AB ab)5
		other=$(echo ${u:1:1} | tr AB ba)5
		mine=$(grep "^$u,$own," <<<"$1" | cut -d, -f3)
		theirs=$(grep "^$u,$other," <<<"$1" | cut -d, -f3)
		[ "${mine:-99}" -lt "${theirs:-99}" ] || fail "$u ranks $other above $own: $1"
		[[ $u == uB* || $mine -le 2 ]] || fail "no $own in $u's first two: $1"
	done
}

@test "sasrec: an item with attributes and no events is recommended by them" {
	sides
	rec-pivot -o d.recd --item-features items.csv events.csv
	sasrec_sides -o m.recm d.recd
	run -0 rec-recommend -m m.recm -n 7
	own_side "$output"
}

@test "sasrec with attributes: the same file on any thread count, and after a reload" {
	sides
	rec-pivot -o d.recd --item-features items.csv events.csv
	sasrec_sides -o m.recm d.recd
	sasrec_sides -j 2 -o m2.recm d.recd
	cmp m.recm m2.recm
	# loaded, given no new item and saved, the model keeps every byte
	rec-train --init m.recm --item-features items.csv -o again.recm
	cmp m.recm again.recm
	[ "$(gzip -dc m.recm | grep -c IAEM)" -eq 1 ]
}

@test "sasrec: --init --item-features places new items by their attributes, --stream folds them in" {
	sides
	grep -v '^[ab]5,' items.csv > old-items.csv
	rec-pivot -o d.recd --item-features old-items.csv events.csv
	sasrec_sides -o old.recm d.recd
	rec-train --init old.recm --item-features items.csv -o new.recm
	run -0 rec-recommend -m new.recm -n 7
	own_side "$output"
	run -0 rec-recommend -m new.recm --stream -n 3 <<<"user,item
new,b5"
	assert_equal "$(cut -d, -f2 <<<"$output" | grep -c '^b')" 3
}

@test "sasrec: --init with events and new items places every item without events by its attributes" {
	sides
	rec-pivot -o d.recd --item-features items.csv events.csv
	sasrec_sides -o m.recm d.recd
	printf 'item,genre\nc1,A\n' > new.csv
	printf 'user,item\nuA1,a1\nuB1,b1\nnew,a2\n' > more.csv
	rec-train --init m.recm --item-features new.csv -e 2 -o m2.recm more.csv
	rec-train --init m.recm --item-features new.csv -e 2 -j 2 -o m3.recm more.csv
	cmp m2.recm m3.recm
	# c1 and a5, of genre A alone and without events, score the same
	run -0 rec-recommend -m m2.recm -n 10 --users <(echo uA2)
	a5=$(grep '^uA2,a5,' <<<"$output" | cut -d, -f4)
	c1=$(grep '^uA2,c1,' <<<"$output" | cut -d, -f4)
	[ -n "$a5" ] && [ "$a5" = "$c1" ] || fail "a5 scores '$a5', c1 '$c1': $output"
}
