#!/usr/bin/env bats
# rec-train --init: a model continued on new events.

setup() {
	load test_helper
}

# lists MODEL: every user's top 5 with scores.
lists() {
	rec-recommend -m "$1" -n 5
}

@test "an empty delta leaves every family's lists as they were" {
	head -1 "$FIXTURES/stream-train.csv" > empty.csv
	for algo in pop itemknn mf ease; do
		rec-train -a $algo --force -o $algo.recm "$FIXTURES/stream-train.csv"
		rec-train --init $algo.recm -o $algo-2.recm empty.csv
		[ "$(lists $algo.recm)" = "$(lists $algo-2.recm)" ] || fail "$algo changed"
	done
}

@test "the same events twice give the same model as once" {
	rec-train -a itemknn -o a.recm "$FIXTURES/stream-train.csv"
	rec-train --init a.recm -o b.recm "$FIXTURES/stream-train.csv"
	[ "$(lists a.recm)" = "$(lists b.recm)" ]
}

@test "new users and items join the dictionaries and the lists" {
	rec-train -a itemknn -o a.recm "$FIXTURES/stream-train.csv"
	printf 'user,item,timestamp\nnew,a,20\nnew,e,21\np1,e,22\n' > delta.csv
	rec-train --init a.recm -o b.recm delta.csv
	# a is had by p1 p2 new, b by p1 p2, e by new p1; shrink 10:
	# sim(a,b) = sim(a,e) = 2 / (sqrt(3 * 2) + 10), sim(b,e) = 1 / (2 + 10),
	# and new's b and p2's e both score their sum, 0.2439825.
	run -0 rec-recommend -m b.recm -n 2 --users <(printf 'new\np2\n')
	assert_output "user,item,rank,score
new,b,1,0.243982494
new,c,2,0
p2,e,1,0.243982494
p2,c,2,0"
}

@test "itemknn continued equals itemknn trained on all the events" {
	head -8 "$FIXTURES/stream-train.csv" > first.csv
	(head -1 "$FIXTURES/stream-train.csv"; tail -n +9 "$FIXTURES/stream-train.csv") > rest.csv
	rec-train -a itemknn -o first.recm first.csv
	rec-train --init first.recm -o more.recm rest.csv
	rec-train -a itemknn -o all.recm "$FIXTURES/stream-train.csv"
	[ "$(lists more.recm)" = "$(lists all.recm)" ]
}

@test "mf re-solves the users the new events touch and no other" {
	printf 'user,item,rating\np1,a,5\np1,b,4\np2,a,5\np2,c,1\np3,c,2\np3,d,1\n' > r.csv
	rec-train -a mf -p solver=sgd -o a.recm r.csv
	printf 'user,item,rating\np1,d,1\nnew,a,4\n' > delta.csv
	rec-train --init a.recm -e 0 -o grown.recm delta.csv
	rec-train --init a.recm -e 2 -o b.recm delta.csv
	printf 'user,item\np2,b\np3,a\np1,c\n' > pairs.csv
	before=$(rec-recommend -m a.recm --predict pairs.csv)
	# -e 0 only grows the model: no prediction moves.
	[ "$(rec-recommend -m grown.recm --predict pairs.csv)" = "$before" ]
	# two passes move p1 and the items p1 and new rated.
	after=$(rec-recommend -m b.recm --predict pairs.csv)
	[ "$(sed -n 4p <<<"$after")" != "$(sed -n 4p <<<"$before")" ]
}

@test "--init keeps the model's family and parameters" {
	rec-train -a pop -o a.recm "$FIXTURES/tiny.csv"
	run -2 rec-train --init a.recm -a mf -o b.recm "$FIXTURES/tiny.csv"
	assert_output --partial "a.recm is a pop model, not mf"
	run -0 rec-train --init a.recm -a pop -o b.recm "$FIXTURES/tiny.csv"
	run -2 rec-train --init a.recm -k 3 -o b.recm "$FIXTURES/tiny.csv"
	assert_output --partial "only -e may be given"
	run -2 rec-train --init a.recm --validation x.csv -o b.recm "$FIXTURES/tiny.csv"
	assert_output --partial "--init takes no --validation"
}

@test "--init of a file that is not a model fails" {
	rec-pivot -o d.recd "$FIXTURES/tiny.csv"
	run -1 rec-train --init d.recd -o b.recm "$FIXTURES/tiny.csv"
	assert_output --partial "d.recd"
	run -1 rec-train --init missing.recm -o b.recm "$FIXTURES/tiny.csv"
	assert_output --partial "missing.recm"
	[ ! -e b.recm ]
}

@test "--init with bad new events fails on them, and a bad model comes first" {
	rec-train -a pop -o a.recm "$FIXTURES/tiny.csv"
	printf 'user,item\nu1\n' > bad.csv
	run -1 rec-train --init a.recm -o b.recm bad.csv
	assert_output --partial "bad.csv:2"
	run -1 rec-train --init missing.recm -o b.recm bad.csv
	assert_output --partial "missing.recm"
	refute_output --partial "bad.csv"
	run -1 rec-train --init a.recm -o b.recm missing.csv
	assert_output --partial "missing.csv"
	[ ! -e b.recm ]
}
