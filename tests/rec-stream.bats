#!/usr/bin/env bats
# rec-recommend --stream: each event folded in and answered at once.
#
# stream-train.csv has two pairs of items that go together, a with b and
# c with d, bought by two users each, and x, the most popular item, bought
# by three others.  Item indices follow first appearance: a b c d x.

setup() {
	load test_helper
	rec-train -a itemknn -o knn.recm "$FIXTURES/stream-train.csv"
}

# answer: the items of the next answer of the coprocess, one line, spaces
# between; an answer ends with an empty line.
answer() {
	local line items=

	while read -t 20 -r line <&"${STREAM[0]}"; do
		[ -z "$line" ] && break
		items="$items${items:+ }$(echo "$line" | cut -d, -f2)"
	done
	echo "$items"
}

send() {
	echo "$1" >&"${STREAM[1]}"
}

@test "a conversation: each answer comes before the next event and follows it" {
	coproc STREAM { rec-recommend -m knn.recm --stream -n 2 --emit before; }
	send "user,item,timestamp"
	send "new,a,20"
	[ "$(answer)" = "x a" ]
	send "new,c,21"
	[ "$(answer)" = "b c" ]
	send "new,x,22"
	[ "$(answer)" = "b d" ]
	exec {STREAM[1]}>&-
	wait
}

@test "--emit after answers with what the event taught, the event's item left out" {
	coproc STREAM { rec-recommend -m knn.recm --stream -n 2; }
	send "user,item"
	send "p1,c"
	[ "$(answer)" = "d x" ]
	exec {STREAM[1]}>&-
	wait
}

@test "a whole stream gives one block of user,item,rank,score per event" {
	printf 'user,item\nnew,a\nnew,c\n' > ev.csv
	run -0 rec-recommend -m knn.recm --stream -n 2 < ev.csv
	assert_output "new,b,1,0.166666672
new,c,2,0

new,b,1,0.166666672
new,d,2,0.166666672"
}

@test "events of unknown items are answered, not learned, and counted" {
	printf 'user,item\nnew,nothing\nnew,a\nnew,nothing\n' > ev.csv
	run -0 rec-recommend -m knn.recm --stream -n 1 < ev.csv
	assert_line --index 0 "new,x,1,3"
	assert_line --index 1 "new,b,1,0.166666672"
	assert_line --index 2 "new,b,1,0.166666672"
	assert_line --index 3 "rec-recommend: events of unknown items, not learned: 2"
	run -0 rec-recommend -q -m knn.recm --stream -n 1 < ev.csv
	refute_output --partial "unknown"
}

@test "--save keeps what the stream learned, new users included" {
	printf 'user,item\nnew,a\np3,a\n' > ev.csv
	rec-recommend -m knn.recm --stream -n 2 --save after.recm < ev.csv > stream.out
	printf 'new\np3\n' > users.txt
	run -0 rec-recommend -m after.recm -n 2 --users users.txt
	assert_output "user,item,rank,score
$(sed '/^$/d' stream.out)"
}

@test "mf folds a new user's ratings in and saves the user" {
	printf 'user,item,rating\np1,a,5\np1,b,5\np2,a,5\np2,b,4\np3,c,1\np3,d,2\np4,c,1\nq1,x,3\n' > r.csv
	rec-train -a mf -p solver=sgd -e 50 -o mf.recm r.csv
	printf 'user,item,rating\nnew,c,1\nnew,d,1\n' > ev.csv
	rec-recommend -m mf.recm --stream -n 3 --save after.recm < ev.csv > stream.out
	run -0 rec-recommend -q -m mf.recm -n 3 --users <(echo new)
	assert_output "user,item,rank,score
new,a,1,2
new,b,2,2
new,c,3,2"
	run -0 rec-recommend -m after.recm -n 3 --users <(echo new)
	[ "$(sed 1d <<<"$output" | cut -d, -f1-3)" = "$(sed -n 5,7p stream.out | cut -d, -f1-3)" ]
}

@test "SIGTERM during --stream --save leaves a valid model with what was learned" {
	mkfifo in
	rec-recommend -m knn.recm --stream -n 1 --save after.recm < in > out &
	pid=$!
	exec {w}> in
	printf 'user,item\nnew,a\n' >&$w
	for _ in $(seq 100); do [ -s out ] && break; sleep 0.1; done
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	exec {w}>&-
	[ "$status" -eq 0 ]
	run -0 rec-recommend -m after.recm -n 1 --users <(echo new)
	assert_output "user,item,rank,score
new,b,1,0.166666672"
}

@test "with --strict, a bad event stops the stream with its line" {
	printf 'user,item,rating\nnew,a,1\nnew,b,zz\n' > ev.csv
	run -1 rec-recommend -m knn.recm --stream --strict -n 1 < ev.csv
	assert_output --partial "standard input:3:3: bad rating"
}

@test "--stream refuses --predict and --users; --save and --emit need it right" {
	run -2 rec-recommend -m knn.recm --stream --predict x.csv
	assert_output --partial "--stream goes with neither"
	run -2 rec-recommend -m knn.recm --save x.recm
	assert_output --partial "--save needs --stream"
	run -2 rec-recommend -m knn.recm --stream --emit sometime
	assert_output --partial "bad --emit 'sometime' (want before or after)"
}
