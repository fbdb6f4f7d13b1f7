#!/usr/bin/env bats
# rec-train: the model families on hand-worked fixtures, determinism, and
# refusals.  tiny.csv: a{x,y} b{x,z} c{x}; times 0..200.

setup() {
	load test_helper
}

@test "pop scores are event counts" {
	run -0 rec-train -a pop -o pop.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m pop.recm -n 3 --include-seen --users <(echo a)
	assert_output "user,item,rank,score
a,x,1,3
a,y,2,1
a,z,3,1"
}

@test "pop with --half-life weights each event by 2^(-age/half-life)" {
	# now = 200: x = 2^-2 + 2^-1 + 1 = 1.75, y = 0.5, z = 1
	run -0 rec-train -a pop --half-life 100s -o pop.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m pop.recm -n 3 --include-seen --users <(echo a)
	assert_output "user,item,rank,score
a,x,1,1.75
a,z,2,1
a,y,3,0.5"
}

@test "--now moves the reference time of the decay" {
	# now = 300: x = 2^-3 + 2^-2 + 2^-1 = 0.875
	run -0 rec-train -a pop --half-life 100s --now 300 -o pop.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m pop.recm -n 1 --include-seen --users <(echo a)
	assert_line "a,x,1,0.875"
}

@test "itemknn scores are sums of cosine similarities" {
	# x has users {a,b,c}, y {a}, z {b}: cos(x,y) = cos(x,z) = 1/sqrt(3),
	# cos(y,z) = 0.  c saw x: y and z score 1/sqrt(3) each, ties by index.
	run -0 rec-train -a itemknn -p shrink=0 -o knn.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m knn.recm -n 2 --users <(echo c)
	assert_output "user,item,rank,score
c,y,1,0.577350259
c,z,2,0.577350259"
}

@test "itemknn shrinkage divides by the norms plus shrink" {
	# 1 / (sqrt(3) * 1 + 1) = 0.366025...
	run -0 rec-train -a itemknn -p shrink=1 -o knn.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m knn.recm -n 1 --users <(echo c)
	assert_output "user,item,rank,score
c,y,1,0.366025388"
}

@test "itemknn keeps only the top neighbours" {
	# With one neighbour, x keeps y (the lower index of the tie), so b, who
	# saw x and z, is offered y through x only.
	run -0 rec-train -a itemknn -p shrink=0 -p neighbors=1 -o knn.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m knn.recm -n 1 --users <(echo b)
	assert_output "user,item,rank,score
b,y,1,0.577350259"
}

@test "mf: one thread and one seed give byte-identical models" {
	rec-train -j1 --seed 3 -a mf -k 4 -e 5 -o a.recm "$FIXTURES/tiny.csv"
	rec-train -j1 --seed 3 -a mf -k 4 -e 5 -o b.recm "$FIXTURES/tiny.csv"
	rec-train -j1 --seed 4 -a mf -k 4 -e 5 -o c.recm "$FIXTURES/tiny.csv"
	cmp a.recm b.recm
	run -1 cmp -s a.recm c.recm
}

@test "mf's default sampler gives the same model on one thread and on three" {
	genevents -n 3000 -o events.csv
	rec-train -j1 --half-life 30d -a mf -k 4 -e 4 -o a.recm events.csv
	rec-train -j3 --half-life 30d -a mf -k 4 -e 4 -o b.recm events.csv
	cmp a.recm b.recm
}

@test "mf's init of 0 is 1 for the sampler and 0.1 for the gradient solvers" {
	for solver in gibbs:1 sgd:0.1; do
		rec-train -j1 -a mf -k 4 -e 5 -p solver="${solver%:*}" -o a.recm "$FIXTURES/tiny.csv"
		rec-train -j1 -a mf -k 4 -e 5 -p solver="${solver%:*}" -p init="${solver#*:}" \
			-o b.recm "$FIXTURES/tiny.csv"
		rec-train -j1 -a mf -k 4 -e 5 -p solver="${solver%:*}" -p init=0.5 \
			-o c.recm "$FIXTURES/tiny.csv"
		rec-recommend -m a.recm --predict "$FIXTURES/tiny.csv" > a.csv
		rec-recommend -m b.recm --predict "$FIXTURES/tiny.csv" > b.csv
		rec-recommend -m c.recm --predict "$FIXTURES/tiny.csv" > c.csv
		diff -u a.csv b.csv
		run -1 cmp -s a.csv c.csv
	done
}

@test "mf predictions stay within the training ratings" {
	rec-train -j1 -a mf -k 4 -e 50 --lr 0.05 -o m.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m m.recm --predict "$FIXTURES/tiny.csv"
	assert_line --index 0 "user,item,rating,prediction"
	echo "$output" | awk -F, 'NR > 1 && ($4 < 1 || $4 > 5) { exit 1 }'
}

@test "mf with Adam trains and predicts" {
	run -0 rec-train -j1 -a mf -p solver=adam -k 4 -e 3 -o m.recm "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m m.recm -n 1 --users <(echo c)
	assert_line --index 0 "user,item,rank,score"
	assert_equal "${#lines[@]}" 2
}

@test "--validation reports the validation rmse each epoch" {
	run -0 --separate-stderr rec-train -j1 -a mf -k 2 -e 3 --progress \
		--validation "$FIXTURES/tiny.csv" -o m.recm "$FIXTURES/tiny.csv"
	[ "$(printf '%s\n' "$stderr" | grep -c '^epoch .* validation rmse [0-9]')" -eq 3 ]
	grep -q '^kept epoch [1-3]: validation rmse [0-9]' <<<"$stderr"
}

@test "early stopping ends before the last epoch when validation stops improving" {
	# A validation set the model cannot fit: its ratings are the opposite.
	printf 'user,item,rating\na,x,1\na,y,5\nb,x,1\nb,z,5\nc,x,5\n' > val.csv
	run -0 --separate-stderr rec-train -j1 -a mf -k 2 -e 50 --lr 0.05 -p patience=2 \
		--progress --validation val.csv -o m.recm "$FIXTURES/tiny.csv"
	[ "$(printf '%s\n' "$stderr" | grep -c '^epoch')" -lt 50 ]
}

@test "every family that trains in epochs refuses a validation set of users it does not know" {
	# No validation user has training events: no epoch could be told from
	# another.
	printf 'user,item,rating\nstranger,x,5\nnobody,nosuch,1\n' > val.csv
	for algo in mf bpr ials neumf sasrec; do
		run -1 rec-train -j1 -a "$algo" -e 2 --validation val.csv -o m.recm \
			"$FIXTURES/tiny.csv"
		assert_output "rec-train: no user of the validation set has events in the training set"
		[ ! -e m.recm ]
	done
}

@test "input can be an events CSV on standard input" {
	run -0 rec-train -a pop -o pop.recm < "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m pop.recm -n 1
	assert_line --index 1 "a,z,1,1"
}

@test "unknown algorithm is a usage error" {
	run -2 rec-train -a nope -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "unknown algorithm 'nope'"
	assert_output --partial "Try 'rec-train --help'"
}

@test "missing -a is a usage error" {
	run -2 rec-train -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "no algorithm"
}

@test "-k 0, a negative --lr and unknown parameters are usage errors" {
	run -2 rec-train -a mf -k 0 -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "factors '0' is out of range"
	run -2 rec-train -a mf --lr -0.1 -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "lr '-0.1' is out of range"
	run -2 rec-train -a pop -k 8 -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "pop has no parameter 'factors'"
	run -2 rec-train -a mf -p solver=newton -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "bad solver 'newton'"
	run -2 rec-train -a mf -p factors -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "bad -p"
	run -2 rec-train -a mf -k 2.5 -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "not a whole number"
	run -2 rec-train -a pop --half-life 3x -o m.recm "$FIXTURES/tiny.csv"
	assert_output --partial "bad --half-life '3x'"
}

@test "-k, -e, --lr and --reg reach the model whole, however long" {
	local long=123456789012345678901234567890123456789012345678901234567890x

	usage_message rec-train "bad factors '$long'" -a mf -k "$long" -o m.recm "$FIXTURES/tiny.csv"
	usage_message rec-train "bad epochs '9${long}'" -a mf -p epochs="9$long" -o m.recm "$FIXTURES/tiny.csv"
	usage_message rec-train "bad lr '$long'" -a mf --lr "$long" -o m.recm "$FIXTURES/tiny.csv"
	usage_message rec-train "bad reg '$long'" -a mf --reg "$long" -o m.recm "$FIXTURES/tiny.csv"
	# 2 written with 60 digits is 2 factors, and the 0 of its first 50 none.
	run -0 rec-train -a bpr -k "$(printf '0%.0s' {1..59})2" -e 1 -o m.recm "$FIXTURES/tiny.csv"
	run -0 rec-train -a bpr -k 2 -e 1 -o k2.recm "$FIXTURES/tiny.csv"
	cmp m.recm k2.recm
}

@test "the common options: -j and --seed as everywhere; --help to a full device fails" {
	common_values rec-train -a pop -o m.recm "$FIXTURES/tiny.csv"
	help_to_full rec-train
	[ ! -e m.recm ]
}

@test "--seed takes all 64 bits" {
	# 705032704 is 5000000000 modulo 2^32.
	run -0 rec-train -j1 -a bpr -k 2 -e 2 --seed 5000000000 -o a.recm "$FIXTURES/tiny.csv"
	run -0 rec-train -j1 -a bpr -k 2 -e 2 --seed 705032704 -o b.recm "$FIXTURES/tiny.csv"
	run -1 cmp -s a.recm b.recm
	run -0 rec-train -j1 -a bpr -k 2 -e 2 --seed 18446744073709551615 -o c.recm "$FIXTURES/tiny.csv"
}

@test "-v reports each epoch, as --progress does; -q silences it" {
	run -0 --separate-stderr rec-train -j1 -a bpr -k 2 -e 2 -v -o m.recm "$FIXTURES/tiny.csv"
	[ "$(printf '%s\n' "$stderr" | grep -c '^epoch [12] ')" -eq 2 ]
	run -0 --separate-stderr rec-train -j1 -a bpr -k 2 -e 2 --progress -q -o m.recm "$FIXTURES/tiny.csv"
	assert_equal "$stderr" ""
}

@test "a model is not written to a terminal, nor to a full disk" {
	run -1 rec-train -a pop -o /dev/full "$FIXTURES/tiny.csv"
	assert_output --partial "/dev/full"
	if command -v script >/dev/null; then
		run script -qec "rec-train -a pop $FIXTURES/tiny.csv" /dev/null
		assert_output --partial "not writing a binary model to a terminal"
	fi
}

@test "bad input data fails with the file and line" {
	run -1 rec-train -a pop -o m.recm "$FIXTURES/bad-rating.csv"
	assert_output --regexp "bad-rating.csv:[0-9]+:[0-9]+: bad rating"
	[ ! -e m.recm ]
}

@test "--help lists every algorithm and its parameters" {
	run -0 rec-train --help
	assert_output --partial "pop"
	assert_output --partial "neighbors=100"
	assert_output --partial "solver=gibbs"
	assert_output --partial "lambda=500"
}

@test "--validation last stops early on each user's newest event, then folds it in" {
	rec-split --method last --count 1 --train train.recd --test val.recd \
		"$FIXTURES/sasrec-order.csv"
	rec-pivot -q --format long -o val.csv val.recd
	for algo in mf bpr ials neumf; do
		run -0 --separate-stderr rec-train -j1 -a "$algo" -e 3 --progress --force \
			--validation last -o last.recm "$FIXTURES/sasrec-order.csv"
		grep -q '^epoch 3 .* validation ' <<<"$stderr" || fail "$algo: $stderr"
		rec-train -j1 -a "$algo" -e 3 --force --validation val.recd -o m.recm train.recd
		rec-recommend -m m.recm --stream --save folded.recm < val.csv > /dev/null
		cmp last.recm folded.recm || fail "$algo differs from the fold by hand"
	done
	# Without epochs, the validation set is not used: all events train.
	rec-train -j1 -a ease --validation last -o last.recm "$FIXTURES/sasrec-order.csv"
	rec-train -j1 -a ease -o m.recm "$FIXTURES/sasrec-order.csv"
	cmp last.recm m.recm
}

@test "--validation last needs a user with two events" {
	printf 'user,item\na,x\nb,y\n' > one.csv
	run -1 rec-train -a bpr --validation last -o m.recm one.csv
	assert_output "rec-train: no user of the validation set has events in the training set"
	[ ! -e m.recm ]
}
