#!/usr/bin/env bats
# rec-recommend: top-N lists, candidates, unknown users, predictions and
# refusals, on the pop model of tiny.csv (x: 3 events, y: 1, z: 1).

setup() {
	load test_helper
	rec-train -a pop -o pop.recm "$FIXTURES/tiny.csv"
}

@test "every user gets the most popular items they have not seen" {
	run -0 rec-recommend -m pop.recm -n 2
	assert_output "user,item,rank,score
a,z,1,1
b,y,1,1
c,y,1,1
c,z,2,1"
}

@test "--include-seen keeps the training items" {
	run -0 rec-recommend -m pop.recm -n 1 --include-seen
	assert_output "user,item,rank,score
a,x,1,3
b,x,1,3
c,x,1,3"
}

@test "--users picks users in the order listed; unknown ones get the popular items" {
	printf 'nobody\nb\n' > users.txt
	run -0 --separate-stderr rec-recommend -m pop.recm -n 2 --users users.txt
	assert_output "user,item,rank,score
nobody,x,1,3
nobody,y,2,1
b,y,1,1"
	assert_equal "$stderr" "rec-recommend: 1 of 2 users are unknown to the model"
}

@test "--items restricts the candidates" {
	printf 'z\nunknown\n' > items.txt
	run -0 rec-recommend -m pop.recm -n 2 --items items.txt
	assert_output "user,item,rank,score
a,z,1,1
c,z,1,1"
}

@test "IDs that need quoting come out quoted" {
	printf 'user,item\n"a,1","x ""q"""\nb,y\n' > q.csv
	rec-train -a pop -o q.recm q.csv
	run -0 rec-recommend -m q.recm -n 1 --users <(echo b)
	assert_output "user,item,rank,score
b,\"x \"\"q\"\"\",1,1"
}

@test "--predict scores pairs, with the popularity for unknown users" {
	printf 'user,item,rating\na,y,3\nnew,x,4\na,new,2\n' > pairs.csv
	run -0 rec-recommend -m pop.recm --predict pairs.csv --force
	assert_output "user,item,rating,prediction
a,y,3,1
a,new,2,0
new,x,4,3"
}

@test "threads do not change the output" {
	rec-train -a itemknn -o knn.recm "$FIXTURES/split.csv"
	rec-recommend -j1 -m knn.recm -n 5 > one.csv
	rec-recommend -j2 -m knn.recm -n 5 > two.csv
	cmp one.csv two.csv
}

@test "a dataset given as a model is refused" {
	rec-pivot -o data.recd "$FIXTURES/tiny.csv"
	run -1 rec-recommend -m data.recd
	assert_output --partial "data.recd: a dataset (.recd), not a model (.recm)"
}

@test "a truncated model is refused" {
	head -c 100 pop.recm > cut.recm
	run -1 rec-recommend -m cut.recm
	assert_output --partial "cut.recm"
}

@test "a model whose contents do not match its checksum is refused" {
	recd_unpack pop.recm raw
	flip_byte raw 40
	recd_pack raw bad.recm
	run -1 rec-recommend -m bad.recm
	assert_output --partial "bad.recm"
}

@test "missing -m, a bad -n and output to a full disk" {
	run -2 rec-recommend -n 3
	assert_output --partial "no model"
	run -2 rec-recommend -m pop.recm -n 0
	assert_output --partial "--count '0' is out of range"
	run -1 rec-recommend -m pop.recm -o /dev/full
	assert_output --partial "write failed"
	run -1 rec-recommend -m missing.recm
	assert_output --partial "missing.recm: No such file or directory"
}

@test "the common options: -j as everywhere, no --seed nor --progress; --help to a full device fails" {
	common_values rec-recommend -m pop.recm
	usage_message rec-recommend "option '--seed' has no use here" -m pop.recm --seed 5000000000
	usage_message rec-recommend "option '--progress' has no use here" -m pop.recm --progress
	usage_message rec-recommend "option '--no-progress' has no use here" -m pop.recm --no-progress
	help_to_full rec-recommend
}

@test "the events-CSV options go with --predict or --stream only" {
	usage_message rec-recommend "the events-CSV options go with --predict or --stream" -m pop.recm -u user
	usage_message rec-recommend "the events-CSV options go with --predict or --stream" -m pop.recm --skip-bad
	printf 'user;item\na;y\n' > pairs.csv
	run -0 rec-recommend -m pop.recm -d ';' --predict pairs.csv --force
	assert_output "user,item,rating,prediction
a,y,,1"
}
