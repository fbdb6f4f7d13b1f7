#!/usr/bin/env bats
# The hybrid family (factors of users, items and their attributes), users
# and items known by their attributes alone, and rec-train --init adding
# them to a model without training.

setup() {
	load test_helper
	# Two sides: users uA<n> saw three of the items a1-a4 (genre=A), users
	# uB<n> three of b1-b4 (genre=B).  a5 and b5 have attributes and no
	# events; so do the users uA9 and uB9.
	{
		echo user,item
		for s in A B; do
			l=$(echo $s | tr AB ab)
			for n in 1 2 3 4; do
				for i in 1 2 3 4; do
					[ "$i" -ne "$n" ] && echo "u$s$n,$l$i"
				done
			done
		done
	} > events.csv
	{
		echo item,genre
		for i in 1 2 3 4 5; do echo "a$i,A"; echo "b$i,B"; done
	} > items.csv
	{
		echo user,side
		for n in 1 2 3 4 9; do echo "uA$n,A"; echo "uB$n,B"; done
	} > users.csv
	grep -v '^[ab]5,' items.csv > old-items.csv
	# the ridges of the maps from attributes for a handful of rows
	SMALL="-p map_reg=1 -p cold_reg=1"
	rec-pivot -o d.recd --item-features items.csv --user-features users.csv events.csv
}

# items USER: the items of the list in $output for USER, in rank order.
items() {
	awk -F, -v u="$1" '$1 == u { printf "%s ", $2 }' <<<"$output"
}

@test "hybrid: an item with attributes and no events is recommended, by either loss" {
	for loss in bpr warp; do
		rec-train -a hybrid -p loss=$loss -k 8 -e 60 $SMALL -j 1 -o m.recm d.recd
		run -0 rec-recommend -m m.recm -n 2 --users <(echo uA1)
		[[ $(items uA1) == "a1 a5 " || $(items uA1) == "a5 a1 " ]] ||
			fail "$loss: uA1 got $(items uA1)"
	done
}

@test "hybrid: the same seed on one thread trains the same file" {
	rec-train -a hybrid -k 4 -e 5 -j 1 --seed 7 -o m1.recm d.recd
	rec-train -a hybrid -k 4 -e 5 -j 1 --seed 7 -o m2.recm d.recd
	cmp m1.recm m2.recm
	rec-train -a hybrid -k 4 -e 5 -j 1 --seed 8 -o m3.recm d.recd
	! cmp -s m1.recm m3.recm
}

@test "hybrid: a user with attributes and no events gets his side's items with events" {
	rec-train -a hybrid -k 8 -e 60 $SMALL -j 1 -o m.recm d.recd
	run -0 rec-recommend -m m.recm -n 4 --users <(printf 'uA9\nuB9\n')
	assert_equal "$(items uA9 | tr -d '0-9 ')" aaaa
	assert_equal "$(items uB9 | tr -d '0-9 ')" bbbb
	# without attributes, the popularity, as pop gives it
	rec-pivot -o plain.recd --item-features items.csv events.csv
	rec-train -a hybrid -k 8 -e 5 -j 1 -o plain.recm plain.recd
	rec-train -a pop -o pop.recm plain.recd
	run -0 rec-recommend -m plain.recm -n 10 --users <(echo uA9)
	got=$output
	run -0 rec-recommend -m pop.recm -n 10 --users <(echo uA9)
	assert_equal "$(cut -d, -f1-3 <<<"$got")" "$(cut -d, -f1-3 <<<"$output")"
}

# u1 (side A) saw x, u2 (B) saw y.  Centred, their attributes are
# (1/2, -1/2) and (-1/2, 1/2); for u9 (A), z = (X^T X + I)^-1 (1/2, -1/2)
# = (1/4, -1/4), so x scores its mean 1/2 plus u1's weight 1/4, and y
# 1/2 - 1/4.  A large cold_reg leaves the mean.
@test "hybrid: a user without events scores by the regression on attributes, by hand" {
	printf 'user,item\nu1,x\nu2,y\n' > two.csv
	printf 'user,side\nu1,A\nu2,B\nu9,A\n' > two-users.csv
	rec-pivot -o two.recd --user-features two-users.csv two.csv
	rec-train -a hybrid -k 2 -e 1 -p cold_reg=1 -o m.recm two.recd
	run -0 rec-recommend -m m.recm -n 2 --users <(echo u9)
	assert_line 'u9,x,1,0.75'
	assert_line 'u9,y,2,0.25'
	rec-train -a hybrid -k 2 -e 1 -p cold_reg=1e9 -o m.recm two.recd
	run -0 rec-recommend -m m.recm -n 2 --users <(echo u9)
	assert_line --regexp '^u9,[xy],1,0\.5$'
}

@test "content: a user with attributes and no events gets the popularity" {
	rec-train -a content -o m.recm d.recd
	rec-train -a pop -o pop.recm d.recd
	run -0 rec-recommend -m m.recm -n 10 --users <(echo uA9)
	got=$output
	run -0 rec-recommend -m pop.recm -n 10 --users <(echo uA9)
	assert_equal "$got" "$output"
}

@test "hybrid: --validation keeps the best epoch, --stream folds a new user in" {
	rec-split --method user --ratio 0.34 --train tr.recd --test te.recd d.recd
	run -0 --separate-stderr rec-train -a hybrid -k 4 -e 8 -j 1 -p patience=2 --progress \
		--validation te.recd -o m.recm tr.recd
	[[ $stderr == *"kept epoch "* ]] || fail "no kept epoch in: $stderr"
	rec-train -a hybrid -k 8 -e 60 $SMALL -j 1 -o m.recm d.recd
	run -0 rec-recommend -m m.recm --stream -n 3 <<<"user,item
new,b1
new,b2"
	assert_equal "$(tail -n 3 <<<"$output" | cut -d, -f2 | tr -d '0-9\n')" bbb
}

@test "--init --item-features adds items without training, and --stream serves them" {
	rec-pivot -o old.recd --item-features old-items.csv --user-features users.csv events.csv
	for algo in "hybrid -k 8 -e 60 $SMALL" content; do
		rec-train -a $algo -j 1 -o old.recm old.recd
		run -0 rec-recommend -m old.recm --stream -n 10 <<<"user,item
new,a1"
		refute_output --partial a5
		printf 'item,genre\na5,A\nb5,B\na1,B\n' > new.csv
		rec-train --init old.recm --item-features new.csv -o new.recm
		run -0 rec-recommend -m new.recm --stream -n 4 <<<"user,item
new,a1"
		assert_line --regexp '^new,a5,[1-4],'
		# a1, which the model knew, keeps its genre A
		run -0 rec-recommend -m new.recm --stream -n 4 <<<"user,item
new,b1"
		[[ $algo != content ]] || refute_output --partial ',a1,'
	done
}

@test "--init --user-features adds users, scored by their attributes" {
	grep -v '^u[AB]9,' users.csv > old-users.csv
	rec-pivot -o old.recd --item-features items.csv --user-features old-users.csv events.csv
	rec-train -a hybrid -k 8 -e 60 $SMALL -j 1 -o old.recm old.recd
	printf 'user,side\nuA9,A\n' > new.csv
	rec-train --init old.recm --user-features new.csv -o new.recm
	run -0 rec-recommend -m new.recm -n 4 --users <(echo uA9)
	assert_equal "$(items uA9 | tr -d '0-9 ')" aaaa
}

@test "--item-features: without --init, with a model without attributes" {
	run -2 rec-train -a hybrid --item-features items.csv -o m.recm d.recd
	assert_output --partial "--item-features and --user-features go with --init"
	rec-pivot -o plain.recd events.csv
	rec-train -a hybrid -k 4 -e 2 -o plain.recm plain.recd
	run -1 rec-train --init plain.recm --item-features items.csv -o new.recm
	assert_output --partial "plain.recm: a hybrid model without item attributes"
	rec-train -a pop -o pop.recm d.recd
	run -1 rec-train --init pop.recm --item-features items.csv -o new.recm
	assert_output --partial "pop.recm: a pop model cannot grow without training"
	[ ! -e new.recm ]
}
