#!/usr/bin/env bats
# rec-eval --prequential on a hand-worked replay.
#
# The pop model of tiny.csv counts x 3, y 1, z 1 (indices x 0, y 1, z 2);
# a had x and y.  Replayed, learning each event:
#   new,y,300  popularity x3 y1 z1: y is 2nd;          then y2
#   new,z,301  x3 z1 (y seen): z is 2nd;               then z2
#   a,z,302    x and y seen: z is 1st;                 then z3
#   d,x,303    x3 y2 z3, the tie to the lower index: x is 1st
#   a,x,304    a had x: not ranked
#   a,w,305    w is unknown: not ranked
# At k=1: hr = ndcg = mrr = 2/4.  At k=2: hr 1, mrr (1/2+1/2+1+1)/4 = 0.75,
# ndcg (2/log2(3) + 2)/4 = 0.815465.
# Frozen, new's z meets x3 y1 z1 and y wins the tie: 3rd, out of the top 2:
# hr 3/4, mrr (1/2+1+1)/4 = 0.625, ndcg (1/log2(3) + 2)/4 = 0.657732.

setup() {
	load test_helper
	rec-train -a pop -o pop.recm "$FIXTURES/tiny.csv"
	printf 'user,item,timestamp\nnew,y,300\nnew,z,301\na,z,302\nd,x,303\na,x,304\na,w,305\n' > replay.csv
}

@test "each event is ranked before it is learned" {
	run -0 rec-eval --prequential -m pop.recm -k 1,2 replay.csv
	assert_output "metric,k,value
hr,1,0.500000
hr,2,1.000000
ndcg,1,0.500000
ndcg,2,0.815465
mrr,1,0.500000
mrr,2,0.750000
events,,4
rec-eval: not ranked: 1 events of unknown items, 1 of items the user had"
}

@test "--no-update ranks with the model as trained" {
	run -0 rec-eval -q --prequential -m pop.recm -k 2 --no-update replay.csv
	assert_output "metric,k,value
hr,2,0.750000
ndcg,2,0.657732
mrr,2,0.625000
events,,4"
}

@test "events replay in time order whatever the file order" {
	(head -1 replay.csv; tail -n +2 replay.csv | tac) > shuffled.csv
	[ "$(rec-eval -q --prequential -m pop.recm -k 1,2 shuffled.csv)" = \
	  "$(rec-eval -q --prequential -m pop.recm -k 1,2 replay.csv)" ]
}

@test "--window groups by window start after the overall rows" {
	run -0 rec-eval -q --prequential -m pop.recm -k 2 --window 2s replay.csv
	assert_output "window,metric,k,value
,hr,2,1.000000
,ndcg,2,0.815465
,mrr,2,0.750000
,events,,4
300,hr,2,1.000000
300,ndcg,2,0.630930
300,mrr,2,0.500000
300,events,,2
302,hr,2,1.000000
302,ndcg,2,1.000000
302,mrr,2,1.000000
302,events,,2"
}

@test "--time-format iso prints the windows' starts as ISO 8601 UTC" {
	run -0 rec-eval -q --prequential -m pop.recm -k 2 --window 2s --time-format iso replay.csv
	assert_output "$(rec-eval -q --prequential -m pop.recm -k 2 --window 2s replay.csv |
		sed 's/^300,/1970-01-01T00:05:00Z,/; s/^302,/1970-01-01T00:05:02Z,/')"
	run -0 rec-eval -q --prequential -m pop.recm -k 2 --window 1d --time-format seconds \
		replay.csv
	[ "${lines[5]}" = "0,hr,2,1.000000" ]
	run -2 rec-eval --prequential -m pop.recm --time-format iso replay.csv
	assert_output --partial "--time-format goes with --window"
	run -2 rec-eval --prequential -m pop.recm --window 2 --time file-order \
		--time-format iso replay.csv
	assert_output --partial "--time-format iso wants times"
	run -2 rec-eval --prequential -m pop.recm --window 2s --time-format $'iso\r' replay.csv
	assert_output --partial "bad --time-format 'iso\\r' (want seconds or iso)"
	run -2 rec-eval --time-format iso --test replay.csv replay.csv
	assert_output --partial "go with --prequential"
}

@test "--per-user groups by the events the user had before" {
	# before: new 0 then 1, a 2, d 0; ranks 2 and 1 in both groups.
	run -0 rec-eval -q --prequential -m pop.recm -k 1 --per-user replay.csv
	assert_output "before,metric,k,value
,hr,1,0.500000
,ndcg,1,0.500000
,mrr,1,0.500000
,events,,4
0,hr,1,0.500000
0,ndcg,1,0.500000
0,mrr,1,0.500000
0,events,,2
1,hr,1,0.500000
1,ndcg,1,0.500000
1,mrr,1,0.500000
1,events,,2"
}

@test "a dataset replays like its CSV" {
	rec-pivot -o replay.recd replay.csv
	run -0 rec-eval -q --prequential -m pop.recm -k 2 replay.recd
	assert_line --index 1 "hr,2,1.000000"
	assert_line --index 4 "events,,4"
}

@test "itemknn with updates beats itself frozen on a log where tastes pair up" {
	rec-train -a itemknn -o knn.recm "$FIXTURES/stream-train.csv"
	printf 'user,item,timestamp\nn1,a,20\nn1,b,21\nn2,c,22\nn2,d,23\n' > r.csv
	fresh=$(rec-eval -q --prequential -m knn.recm -k 1 r.csv | sed -n 2p)
	frozen=$(rec-eval -q --prequential -m knn.recm -k 1 --no-update r.csv | sed -n 2p)
	[ "$fresh" = "hr,1,0.500000" ]
	[ "$frozen" = "hr,1,0.000000" ]
}

@test "bad uses of --prequential are refused" {
	run -2 rec-eval --prequential replay.csv
	assert_output --partial "--prequential needs -m MODEL"
	run -2 rec-eval --prequential -m pop.recm --test x.csv replay.csv
	assert_output --partial "takes neither --test"
	run -2 rec-eval --prequential -m pop.recm --per-user --window 1d replay.csv
	assert_output --partial "do not go together"
	run -2 rec-eval --no-update --test x.csv replay.csv
	assert_output --partial "go with --prequential"
	run -2 rec-eval --prequential -m pop.recm --window 3x replay.csv
	assert_output --partial "bad --window"
	run -1 rec-eval --prequential -m pop.recm missing.csv
	assert_output --partial "missing.csv"
}
