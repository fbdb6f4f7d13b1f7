#!/usr/bin/env bats
# The checks that stop a likely mistake before it gives numbers that look
# right: a model and data that share few IDs, a rating model on equal
# ratings, --predict without ratings, time options on data without times,
# users the model does not know; temporal splits by the share of events;
# bad lines of a stream; a model or a dataset where the other, or CSV, is
# wanted.

setup() {
	load test_helper
	# tiny.csv: users a b c, items x y z, ratings 1 to 5, times 0..200
	rec-train -a mf -e 5 -o mf.recm "$FIXTURES/tiny.csv"
	rec-train -a pop -o pop.recm "$FIXTURES/tiny.csv"
	# of its three users one is the model's, of its two items none
	printf 'user,item,rating\np,m,3\nq,n,4\na,m,2\n' > other.csv
}

known="1 of 3 users and 0 of 2 items are known to the model (--force to go on)"

# refuses PROG MESSAGE ARGS...: PROG ARGS fails with status 1, nothing on
# standard output and "PROG: MESSAGE" alone on standard error.
refuses() {
	local prog=$1 msg=$2

	shift 2
	run -1 --separate-stderr "$prog" "$@"
	assert_output ""
	assert_equal "$stderr" "$prog: $msg"
}

@test "rec-eval -m refuses a test set of other data, unless --force" {
	refuses rec-eval "other.csv: $known" -m mf.recm --test other.csv
	run -0 rec-eval -m mf.recm --test other.csv --force
	assert_line --index 0 "metric,k,value"
	# half of the users known is enough
	printf 'user,item,rating\np,m,3\na,m,2\n' > half.csv
	run -0 rec-eval -m mf.recm --test half.csv
}

@test "rec-recommend --predict refuses pairs of other data, unless --force" {
	refuses rec-recommend "other.csv: $known" -m mf.recm --predict other.csv
	run -0 rec-recommend -m mf.recm --predict other.csv --force
	assert_line --index 0 "user,item,rating,prediction"
}

@test "rec-train --init refuses events of other data, unless --force" {
	run -1 rec-train --init mf.recm -o more.recm other.csv
	assert_output "rec-train: other.csv: $known"
	[ ! -e more.recm ]
	run -0 rec-train --init mf.recm --force -o more.recm other.csv
	[ -s more.recm ]
}

@test "mf refuses equal ratings and names the families for them" {
	run -1 rec-train -a mf -o m.recm "$FIXTURES/no-rating.csv"
	assert_output "rec-train: $FIXTURES/no-rating.csv: every rating is 1: mf learns ratings and has nothing to learn from equal ones; for implicit feedback try -a bpr or -a ials (--force to go on)"
	[ ! -e m.recm ]
	printf 'user,item,rating\nu,a,5\nv,b,5\n' > fives.csv
	run -1 rec-train -a mf -o m.recm fives.csv
	assert_output --partial "fives.csv: every rating is 5: mf learns"
	run -0 rec-train -a mf --force -o m.recm fives.csv
	run -0 rec-train -a bpr -o b.recm "$FIXTURES/no-rating.csv"
}

@test "--predict wants a model that predicts ratings, unless --force" {
	refuses rec-recommend "pop.recm: a pop model ranks items and predicts no ratings; --predict wants one that does, such as mf (--force to write its scores anyway)" \
		-m pop.recm --predict "$FIXTURES/tiny.csv"
	run -0 rec-recommend -m pop.recm --predict "$FIXTURES/tiny.csv" --force
	assert_line --index 1 "a,x,5,3"
	run -0 rec-recommend -m mf.recm --predict "$FIXTURES/tiny.csv"
	usage_message rec-recommend "--force goes with --predict" -m mf.recm --force
}

@test "--half-life refuses data without times, unless --time file-order" {
	run -1 rec-train -a pop --half-life 1d -o m.recm "$FIXTURES/no-rating.csv"
	assert_output "rec-train: $FIXTURES/no-rating.csv: no timestamp column for --half-life; --time file-order takes the order of the rows for time"
	run -0 rec-train -a pop --half-life 1s --time file-order -o m.recm "$FIXTURES/no-rating.csv"
	# rows 0 1 2 at now 2: x,p weighs 1/4, y,q 1/2, x,q 1
	run -0 rec-recommend -m m.recm --users <(echo z) -q
	assert_output "user,item,rank,score
z,q,1,1.5
z,p,2,0.25"
	# a model with a half-life continued on events without times
	rec-train -a pop --half-life 1d -o hl.recm "$FIXTURES/tiny.csv"
	printf 'user,item\na,z\n' > more.csv
	run -1 rec-train --init hl.recm -o m2.recm more.csv
	assert_output "rec-train: more.csv: no timestamp column for the model's half-life; --time file-order takes the order of the rows for time"
	usage_message rec-train "bad --time 'rows' (want column or file-order)" -a pop --time rows
}

@test "temporal and last splits refuse data without times, unless --time file-order" {
	for method in temporal last; do
		run -1 rec-split --method $method --train tr.csv --test te.csv "$FIXTURES/no-rating.csv"
		assert_output "rec-split: $FIXTURES/no-rating.csv: no timestamp column for --method $method; --time file-order takes the order of the rows for time"
		[ ! -e tr.csv ]
	done
	run -0 rec-split --method last --time file-order --format long --train tr.csv \
		--test te.csv "$FIXTURES/no-rating.csv"
	run -0 cat te.csv
	assert_output "user,item
x,q"
	run -0 rec-split --method random --format long --train tr.csv --test te.csv \
		"$FIXTURES/no-rating.csv"
}

@test "rec-eval --window refuses events without times, unless --time file-order" {
	refuses rec-eval "$FIXTURES/no-rating.csv: no timestamp column for --window; --time file-order takes the order of the rows for time" \
		--prequential -m pop.recm --window 1d "$FIXTURES/no-rating.csv"
	run -0 --separate-stderr rec-eval --prequential -m pop.recm --window 1d --time file-order \
		"$FIXTURES/no-rating.csv"
	assert_line --index 0 "window,metric,k,value"
	run -0 rec-eval --prequential -m pop.recm "$FIXTURES/no-rating.csv"
}

@test "a stream without times refuses a model with a half-life, unless --time file-order" {
	rec-train -a pop --half-life 1d -o hl.recm "$FIXTURES/tiny.csv"
	run -1 --separate-stderr rec-recommend -m hl.recm --stream -n 1 <<< $'user,item\nb,y'
	assert_equal "$stderr" "rec-recommend: standard input:2: no timestamp column for the model's half-life; --time file-order takes the order of the rows for time"
	run -0 rec-recommend -m hl.recm --stream -n 1 --time file-order <<< $'user,item\nnew,y'
	assert_output --regexp '^new,x,1,[0-9.]+$'
	run -0 rec-recommend -m pop.recm --stream -n 1 <<< $'user,item\nb,y'
	usage_message rec-recommend "--strict and --time go with --stream" -m pop.recm --time file-order
}

@test "--users counts the users the model does not know; --unknown skip drops them" {
	printf 'user\na\nnobody\nc\n' > users.txt
	run -0 --separate-stderr rec-recommend -m pop.recm -n 1 --users users.txt
	assert_equal "$stderr" "rec-recommend: 2 of 4 users are unknown to the model"
	assert_output "user,item,rank,score
user,x,1,3
a,z,1,1
nobody,x,1,3
c,y,1,1"
	run -0 --separate-stderr rec-recommend -m pop.recm -n 1 --users users.txt --unknown skip
	assert_equal "$stderr" "rec-recommend: 2 of 4 users are unknown to the model and skipped"
	assert_output "user,item,rank,score
a,z,1,1
c,y,1,1"
	run -0 --separate-stderr rec-recommend -q -m pop.recm -n 1 --users users.txt --unknown popular
	assert_equal "$stderr" ""
	usage_message rec-recommend "bad --unknown 'drop' (want popular or skip)" -m pop.recm --users users.txt --unknown drop
	usage_message rec-recommend "--unknown goes with --users" -m pop.recm --unknown skip
}

@test "temporal --ratio holds out the newest share of events, ties with the cut" {
	printf 'user,item,timestamp\nu,a,1\nu,b,2\nv,a,2\nv,b,2\nw,c,3\n' > ties.csv
	# round(0.4 * 5) = 2: the second newest is at 2, so all three at 2 go too
	run -0 rec-split --method temporal --ratio 0.4 --format long --train tr.csv \
		--test te.csv ties.csv
	run -0 cat te.csv
	assert_output "user,item,timestamp
u,b,2
v,a,2
v,b,2
w,c,3"
	# round(0.2 * 5) = 1: the newest alone
	run -0 rec-split --method temporal --ratio 0.2 --format long --train tr.csv \
		--test te.csv ties.csv
	run -0 cat te.csv
	assert_output "user,item,timestamp
w,c,3"
	# --span: the last 0.4 of the range 1..3 starts at 3 - floor(0.8) = 3
	run -0 rec-split --method temporal --span 0.4 --format long --train tr.csv \
		--test te.csv ties.csv
	run -0 cat te.csv
	assert_output "user,item,timestamp
w,c,3"
	usage_message rec-split "--span goes with --method temporal" --method random --span 0.1 \
		--train tr.csv --test te.csv ties.csv
	usage_message rec-split "--span goes with neither --ratio nor --before" --method temporal \
		--span 0.1 --ratio 0.1 --train tr.csv --test te.csv ties.csv
}

@test "a bad line of a stream is reported with its line number and skipped" {
	rec-train -a itemknn -o knn.recm "$FIXTURES/stream-train.csv"
	printf 'user,item,rating\nnew,a,1\nnew,b,zz\nnew,c,1\nx,,1\ny\nnew,d,1\nlast,a,?\n' > ev.csv
	run -0 --separate-stderr rec-recommend -m knn.recm --stream -n 1 < ev.csv
	assert_equal "$stderr" "rec-recommend: standard input:3: bad rating 'zz'; line skipped
rec-recommend: standard input:6: missing item column (the row has 1 field); line skipped
rec-recommend: standard input:8: bad rating '?'; line skipped
rec-recommend: 4 bad lines skipped in all"
	# three answers, each a list and an empty line
	[ "${#lines[@]}" -eq 3 ]
	run -1 --separate-stderr rec-recommend -m knn.recm --stream --strict -n 1 < ev.csv
	assert_equal "$stderr" "rec-recommend: standard input:3:3: bad rating 'zz'"
	[ "${#lines[@]}" -eq 1 ]
	run -0 --separate-stderr rec-recommend -q -m knn.recm --stream -n 1 < ev.csv
	assert_equal "$stderr" ""
	usage_message rec-recommend "--strict and --skip-bad do not go together" -m knn.recm \
		--stream --strict --skip-bad
	usage_message rec-recommend "--strict and --time go with --stream" -m knn.recm --strict
}

@test "a model where events or CSV are wanted is named a model" {
	msg="mf.recm: a model (.recm), not CSV"
	refuses rec-pivot "$msg" mf.recm
	refuses rec-pivot "standard input: a model (.recm), not CSV" - < mf.recm
	refuses rec-split "$msg" --train a.recd --test b.recd mf.recm
	refuses rec-train "$msg" -a pop -o m.recm mf.recm
	refuses rec-eval "$msg" --prequential -m pop.recm mf.recm
	refuses rec-eval "$msg" --test "$FIXTURES/tiny.csv" mf.recm
	refuses rec-recommend "$msg" -m pop.recm --users mf.recm
	# uncompressed, with rows after the magic that would parse as CSV
	{ gzip -dc mf.recm | head -c 8; printf 'user,item\nu1,a\n'; } > plain.recm
	refuses rec-pivot "plain.recm: a model (.recm), not CSV" --no-header plain.recm
	# and after a byte order mark
	{ printf '\357\273\277'; cat plain.recm; } > marked.recm
	refuses rec-pivot "marked.recm: a model (.recm), not CSV" --no-header marked.recm
}

@test "a stream fed a model, a dataset or gzip data says what it got" {
	rec-pivot -o tiny.recd "$FIXTURES/tiny.csv"
	refuses rec-recommend "standard input: a model (.recm), not CSV" -m pop.recm --stream \
		< mf.recm
	refuses rec-recommend "standard input: a dataset (.recd), not CSV" -m pop.recm --stream \
		< tiny.recd
	gzip -c "$FIXTURES/tiny.csv" > tiny.csv.gz
	msg="standard input: gzip data: read line by line, the input must be plain text"
	refuses rec-recommend "$msg" -m pop.recm --stream < tiny.csv.gz
}

@test "a dataset where a model or CSV is wanted is named a dataset" {
	rec-pivot -o tiny.recd "$FIXTURES/tiny.csv"
	refuses rec-recommend "tiny.recd: a dataset (.recd), not a model (.recm)" -m tiny.recd
	refuses rec-eval "tiny.recd: a dataset (.recd), not a model (.recm)" -m tiny.recd \
		--test tiny.recd
	refuses rec-train "tiny.recd: a dataset (.recd), not a model (.recm)" --init tiny.recd \
		-o m.recm tiny.recd
	refuses rec-pivot "tiny.recd: a dataset (.recd), not CSV" tiny.recd "$FIXTURES/tiny.csv"
	refuses rec-eval "tiny.recd: a dataset (.recd), not CSV" --test tiny.recd tiny.recd
	refuses rec-recommend "tiny.recd: a dataset (.recd), not CSV" -m pop.recm --users tiny.recd
}

@test "bad values of options, data and files are quoted with escapes: a CR shows as \\r" {
	local x=$'x\r' tiny="$FIXTURES/tiny.csv"
	local -a cmds=(
		"rec-pivot --dedup X $tiny" "rec-pivot --format X $tiny" "rec-pivot -d X $tiny"
		"rec-pivot -u X $tiny" "rec-split --method X --train a --test b $tiny"
		"rec-split --format X --train a --test b $tiny"
		"rec-split --method kfold --fold X --train a --test b $tiny"
		"rec-split --method temporal --before X --train a --test b $tiny"
		"rec-train -a X -o m $tiny" "rec-train -a ials -p X=1 -o m $tiny"
		"rec-train -a ials -p factors=X -o m $tiny" "rec-train -a mf -p solver=X -o m $tiny"
		"rec-train -a ials -e X -o m $tiny" "rec-train -a pop --time X -o m $tiny"
		"rec-train -a pop --half-life X -o m $tiny" "rec-train --init pop.recm --solve X"
		"rec-train -a ials --search -p X=1,2 --validation $tiny -o m $tiny"
		"rec-eval --format X" "rec-eval -k X" "rec-eval --shard X"
		"rec-eval -m pop.recm --test $tiny --similarity X"
		"rec-eval --prequential -m pop.recm --window 1d --time-format X $tiny"
		"rec-recommend -m pop.recm -n X" "rec-recommend -m pop.recm --unknown X --users $tiny"
		"rec-recommend -m pop.recm --diversify 0.5 --similarity X"
		"rec-recommend -m pop.recm --stream --emit X"
	)
	for cmd in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		run --separate-stderr ${cmd//X/$x}
		[[ $status -eq 1 || $status -eq 2 ]] &&
			[[ "${stderr_lines[0]}" == *"x\\r"* && "$stderr" != *$'\r'* ]] ||
			{ echo "$cmd: ${stderr_lines[0]}"; false; }
	done
	printf 'user,item,rating\nu,i,"4\r"\n' > cr.csv
	run -1 --separate-stderr rec-pivot -o d.recd cr.csv
	assert_equal "$stderr" "rec-pivot: cr.csv:2:3: bad rating '4\\r'"
	printf 'user,item,rank\na,"x\r",1\na,"x\r",2\n' > recs.csv
	run -1 --separate-stderr rec-eval --test "$tiny" recs.csv
	assert_equal "$stderr" "rec-eval: recs.csv:3: item 'x\\r' is listed twice for user 'a'"
}
