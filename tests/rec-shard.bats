#!/usr/bin/env bats
# Shards of users: rec-recommend --shard, rec-eval --shard --partial and
# --merge, rec-pivot --shards; the pieces joined give exactly what one
# run gives, and every way of joining them wrongly is refused.

setup() {
	load test_helper
	SAMPLES=$BATS_TEST_DIRNAME/../samples
}

# The first 5000 events of the sample, split leave-last-out, and a model.
experiment() {
	head -n 5001 "$SAMPLES/events.csv" > events.csv
	rec-pivot -o data.recd events.csv
	rec-split --method last --count 1 --train train.recd --test test.recd data.recd
	rec-train -q -a ials -k 4 -e 2 -o model.recm train.recd
}

# merge_by_order WHOLE PARTS...: the rows of PARTS put in the order of
# WHOLE's users (first appearance), each user's rows in the order of its
# part; the header of WHOLE first.
merge_by_order() {
	local whole=$1

	shift
	head -n 1 "$whole"
	awk -F, 'FNR == 1 { next }
		NR == FNR { if (!($1 in pos)) pos[$1] = ++n; next }
		{ print pos[$1] "\t" FNR "\t" $0 }' "$whole" "$@" |
		sort -t "$(printf '\t')" -k1,1n -k2,2n | cut -f 3-
}

@test "the shard of an ID is the FNV-1a hash of rec(7), computed by awk apart" {
	printf '%s\n' a foobar u1 42 > ids
	# rec(7): 64-bit FNV-1a of the bytes, modulo N, plus 1; values from
	# the test_shard.c script: a 2 of 3, foobar 1, u1 3, 42 2
	printf 'user,item,rating\na,x,1\nfoobar,x,1\nu1,x,1\n42,x,1\n' > ev.csv
	rec-train -q -a pop -o pop.recm ev.csv
	run -0 rec-recommend -m pop.recm --users ids --include-seen --shard 1/3
	assert_output "$(printf 'user,item,rank,score\nfoobar,x,1,4')"
	run -0 rec-recommend -m pop.recm --users ids --include-seen --shard 2/3
	assert_output "$(printf 'user,item,rank,score\na,x,1,4\n42,x,1,4')"
	run -0 rec-recommend -m pop.recm --users ids --include-seen --shard 3/3
	assert_output "$(printf 'user,item,rank,score\nu1,x,1,4')"
}

@test "rec-recommend: the shards are the whole output filtered, and merge back into it" {
	experiment
	rec-recommend -m model.recm -n 5 > whole.csv
	for n in 1 3 7; do
		files=()
		for i in $(seq 1 "$n"); do
			rec-recommend -m model.recm -n 5 --shard "$i/$n" > "r$i.csv"
			files+=("r$i.csv")
		done
		merge_by_order whole.csv "${files[@]}" > merged.csv
		cmp whole.csv merged.csv
		# each shard holds its users' rows in the whole's order, and
		# no user is in two shards
		for i in $(seq 1 "$n"); do
			tail -n +2 "r$i.csv" | cut -d, -f1 | sort -u > "u$i"
			awk -F, 'NR == FNR { u[$1]; next } FNR > 1 && ($1 in u)' "u$i" whole.csv |
				cmp - <(tail -n +2 "r$i.csv")
		done
		[ "$(cat u* | sort | uniq -d | wc -l)" -eq 0 ]
		rm -f u* r*.csv
	done
}

@test "rec-recommend --users and --predict keep the shard's users, in the same order" {
	experiment
	tail -n +2 events.csv | cut -d, -f1 | sort -r -u | head -n 40 > users
	rec-recommend -m model.recm --users users > whole.csv
	rec-recommend -m model.recm --predict test.recd --force > preds.csv
	for i in 1 2; do
		rec-recommend -m model.recm --users users --shard "$i/2" > "r$i.csv"
		rec-recommend -m model.recm --predict test.recd --force --shard "$i/2" > "p$i.csv"
	done
	merge_by_order whole.csv r1.csv r2.csv | cmp - whole.csv
	merge_by_order preds.csv p1.csv p2.csv | cmp - preds.csv
	[ "$(wc -l < r1.csv)" -gt 1 ] && [ "$(wc -l < r2.csv)" -gt 1 ]
}

@test "more shards than users: most are empty, all of them together are the whole" {
	printf 'user,item\nu1,a\nu1,b\nu2,b\nu2,c\nfoobar,a\n' > ev.csv
	rec-train -q -a pop -o pop.recm ev.csv
	rec-recommend -m pop.recm > whole.csv
	files=()
	for i in $(seq 1 50); do
		rec-recommend -m pop.recm --shard "$i/50" > "r$i.csv"
		files+=("r$i.csv")
	done
	merge_by_order whole.csv "${files[@]}" | cmp - whole.csv
	# by the script of test_shard.c: u1 in shard 8 of 50, u2 and foobar 19
	for i in $(seq 1 50); do
		[ "$(wc -l < "r$i.csv")" -eq 1 ] || echo "$i"
	done > filled
	assert_equal "$(cat filled)" "$(printf '8\n19')"
	assert_equal "$(cut -d, -f1 r19.csv | uniq)" "$(printf 'user\nu2\nfoobar')"
}

@test "rec-eval --partial and --merge: exactly the metrics of one run, in list mode" {
	experiment
	rec-recommend -m model.recm -n 10 > recs.csv
	run -0 rec-eval --test test.recd --train train.recd -k 1,5,10 recs.csv
	whole=$output
	parts=()
	for i in 3 1 2; do
		rec-recommend -m model.recm -n 10 --shard "$i/3" > "r$i.csv"
		rec-eval --test test.recd --train train.recd -k 1,5,10 --shard "$i/3" \
			--partial -o "p$i" "r$i.csv"
		parts+=("p$i")
	done
	run -0 rec-eval --merge "${parts[@]}"
	assert_equal "$output" "$whole"
	run -0 rec-eval --merge --format table p1 p2 p3
	assert_equal "$output" "$(rec-eval --test test.recd --train train.recd -k 1,5,10 \
		--format table recs.csv)"
	# the whole recommendations given to each part: the same sums
	for i in 1 2 3; do
		rec-eval --test test.recd --train train.recd -k 1,5,10 --shard "$i/3" \
			--partial -o "q$i" recs.csv
		cmp "p$i" "q$i"
	done
}

@test "rec-eval --partial and --merge: exactly the metrics of one run, with a model" {
	experiment
	run -0 rec-eval --test test.recd -k 5,10 -m model.recm
	whole=$output
	assert_line --partial "auc,,"
	assert_line --partial "gini,10,"
	for i in 1 2 3 4; do
		rec-eval --test test.recd -k 5,10 -m model.recm --shard "$i/4" --partial -o "p$i"
	done
	run -0 rec-eval --merge p4 p2 p3 p1
	assert_equal "$output" "$whole"
	# one part of one: the same again
	rec-eval --test test.recd -k 5,10 -m model.recm --partial -o all
	run -0 rec-eval --merge all
	assert_equal "$output" "$whole"
	run -0 head -n 2 all
	assert_output "$(printf 'rec-eval-part,1\nshard,1,1')"
	# the model read from standard input is the same model
	rec-eval --test test.recd -k 5,10 -m - --shard 1/4 --partial -o s1 < model.recm
	cmp s1 p1
}

@test "rec-eval --partial and --merge of predictions: the RMSE and MAE of one run" {
	experiment
	rec-recommend -m model.recm --predict test.recd --force > preds.csv
	run -0 rec-eval preds.csv
	whole=$output
	for i in 1 2; do
		rec-eval --shard "$i/2" --partial -o "p$i" preds.csv
	done
	run -0 rec-eval --merge p1 p2
	assert_equal "$output" "$whole"
}

@test "rec-pivot --shards: the shards' entries are the dataset's, each user in one shard" {
	experiment
	rec-pivot --shards 3 -o part data.recd
	rec-pivot --format long -o whole.csv data.recd
	for i in 1 2 3; do
		rec-pivot --format long -o "p$i.csv" "part-$i.recd"
		[ "$(tail -n +2 "p$i.csv" | cut -d, -f1 | sort -u | wc -l)" -gt 0 ]
	done
	cat p1.csv p2.csv p3.csv | grep -v '^user,' | sort > union
	tail -n +2 whole.csv | sort | cmp - union
	[ "$(for i in 1 2 3; do tail -n +2 "p$i.csv" | cut -d, -f1 | sort -u; done |
		sort | uniq -d | wc -l)" -eq 0 ]
	# the same users as rec-recommend --shard puts in each shard
	for i in 1 2 3; do
		rec-recommend -m model.recm --shard "$i/3" | tail -n +2 | cut -d, -f1 | sort -u > ru
		tail -n +2 "p$i.csv" | cut -d, -f1 | sort -u | comm -23 - ru | wc -l |
			grep -qx 0
	done
}

# placed PREFIX N: "user shard" for the users of PREFIX-1.recd to
# PREFIX-N.recd, sorted.
placed() {
	for i in $(seq 1 "$2"); do
		rec-pivot --format long "$1-$i.recd" -o - | tail -n +2 | cut -d, -f1 |
			sed "s/\$/ $i/"
	done | sort -u
}

@test "rec-pivot --shards: a user lands in the same shard in two different datasets" {
	printf 'user,item\nu1,a\nu2,b\nfoobar,c\n42,a\nzed,b\n' > one.csv
	printf 'user,item\nzed,q\nnew,r\n42,s\nfoobar,t\nu1,u\nu2,v\nmore,w\n' > two.csv
	rec-pivot --shards 4 -o one one.csv
	rec-pivot --shards 4 -o two two.csv
	placed one 4 > one.txt
	placed two 4 > two.txt
	[ "$(wc -l < one.txt)" -eq 5 ] && [ "$(wc -l < two.txt)" -eq 7 ]
	# by the script of test_shard.c: 42 and u1 in shard 4 of 4, u2 in 3,
	# foobar and zed in 1; new 2, more 1
	run -0 comm -12 one.txt two.txt
	assert_output "$(printf '42 4\nfoobar 1\nu1 4\nu2 3\nzed 1')"
	assert_equal "$(grep -E '^(new|more) ' two.txt)" "$(printf 'more 1\nnew 2')"
}

@test "rec-pivot --shards --by item: each item's entries in one shard" {
	experiment
	rec-pivot --shards 2 --by item -o it data.recd
	rec-pivot --format long -o whole.csv data.recd
	for i in 1 2; do rec-pivot --format long -o "p$i.csv" "it-$i.recd"; done
	cat p1.csv p2.csv | grep -v '^user,' | sort | cmp - <(tail -n +2 whole.csv | sort)
	[ "$(for i in 1 2; do tail -n +2 "p$i.csv" | cut -d, -f2 | sort -u; done |
		sort | uniq -d | wc -l)" -eq 0 ]
}

@test "usage errors: the shard and its count, and what goes with what" {
	experiment
	usage_message rec-recommend "--shard index '0' is out of range [1, 3]" \
		-m model.recm --shard 0/3
	usage_message rec-recommend "--shard index '4' is out of range [1, 3]" \
		-m model.recm --shard 4/3
	usage_message rec-recommend "--shard count '0' is out of range [1, 1000000]" \
		-m model.recm --shard 1/0
	usage_message rec-recommend "bad --shard '2' (want I/N, such as 2/8)" \
		-m model.recm --shard 2
	usage_message rec-recommend "--shard does not go with --stream" \
		-m model.recm --stream --shard 1/2
	usage_message rec-eval "--shard index '5' is out of range [1, 4]" \
		--test test.recd -m model.recm --shard 5/4 --partial
	usage_message rec-eval "--merge needs the parts to merge" --merge
	usage_message rec-eval "--merge takes the parts alone, with --format and -o" \
		--merge --test test.recd p1
	usage_message rec-eval "--merge takes the parts alone, with --format and -o" \
		--merge -k 5 p1
	usage_message rec-eval "--partial goes with neither --per-user nor --format" \
		--test test.recd -m model.recm --partial --per-user
	usage_message rec-eval "--prequential takes neither --shard nor --partial" \
		--prequential -m model.recm --shard 1/2 events.csv
	usage_message rec-pivot "--shards needs -o PREFIX" --shards 2 data.recd
	usage_message rec-pivot "--shards '0' is out of range [1, 1000000]" \
		--shards 0 -o x data.recd
	usage_message rec-pivot "--by goes with --shards" --by item -o x.recd data.recd
	usage_message rec-pivot "bad --by (want user or item) 'both'" \
		--shards 2 --by both -o x data.recd
	usage_message rec-pivot "--shards writes datasets: no --format" \
		--shards 2 --format long -o x data.recd
	usage_message rec-split "option '--shard' has no use here" \
		--shard 1/2 --train a --test b data.recd
	[ ! -e x-1.recd ]
}

# parts P1 ... for the bad merges: the three parts of a model evaluation.
model_parts() {
	for i in 1 2 3; do
		rec-eval --test test.recd -k 5 -m model.recm --shard "$i/3" --partial -o "p$i"
	done
}

# merge_fails MESSAGE PARTS...: --merge exits 1 with MESSAGE, writing
# nothing to its -o file.
merge_fails() {
	local msg=$1

	shift
	echo untouched > out.csv
	run -1 --separate-stderr rec-eval --merge -o out.csv "$@"
	assert_equal "$stderr" "rec-eval: $msg"
	assert_equal "$(cat out.csv)" untouched
}

@test "--merge refuses a missing, a repeated and a foreign part" {
	experiment
	model_parts
	merge_fails "part 2 of 3 is missing" p1 p3
	merge_fails "part 3 of 3 is given twice: 'p3' and 'again'" p3 p1 p2 \
		"$(cp p3 again && echo again)"
	rec-eval --test test.recd -k 5 -m model.recm --shard 2/4 --partial -o q2
	merge_fails "'q2' is part 2 of 4 but 'p1' is part 1 of 3" p1 q2 p3
	# another cut-off
	rec-eval --test test.recd -k 10 -m model.recm --shard 2/3 --partial -o k2
	merge_fails "'p1' and 'k2' are parts of different evaluations: the metrics, \
cut-offs or catalogue sizes differ" p1 k2 p3
	# another model
	rec-train -q -a ials -k 4 -e 3 -o other.recm train.recd
	rec-eval --test test.recd -k 5 -m other.recm --shard 2/3 --partial -o m2
	merge_fails "'p1' and 'm2' are parts of different evaluations: the models differ" \
		p1 m2 p3
	# another test set
	rec-split --method last --count 2 --train train2.recd --test test2.recd data.recd
	rec-eval --test test2.recd -k 5 -m model.recm --shard 2/3 --partial -o t2
	merge_fails "'p1' and 't2' are parts of different evaluations: the test sets or \
training sets differ" p1 t2 p3
	# another catalogue, in list mode: the same lists, another --train
	rec-recommend -m model.recm > recs.csv
	for i in 1 2; do
		rec-eval --test test.recd --train train.recd --shard "$i/2" --partial -o "l$i" recs.csv
	done
	rec-eval --test test.recd --train data.recd --shard 2/2 --partial -o c2 recs.csv
	merge_fails "'l1' and 'c2' are parts of different evaluations: the test sets or \
training sets differ" l1 c2
	run -0 rec-eval --merge l1 l2
}

@test "--merge refuses damaged parts: a flipped byte, a cut, a newer version" {
	experiment
	model_parts
	sed 's/^sum,precision,5,\([0-9]\)/sum,precision,5,1\1/' p2 > bad
	run -1 --separate-stderr rec-eval --merge -o out.csv p1 bad p3
	assert_output ""
	assert_regex "$stderr" "^rec-eval: bad:$(wc -l < bad): CRC-32 mismatch: the part says \
$(tail -n 1 p2 | cut -d, -f2), its text gives [0-9a-f]{8}\$"
	[ ! -e out.csv ]
	head -n 12 p2 > cut
	merge_fails "cut:13: the part ends early" p1 cut p3
	sed '1s/,1$/,2/' p2 > newer
	merge_fails "newer:1: part version 2 is newer than this program reads (1)" p1 newer p3
	merge_fails "recs.csv:1: not a part of an evaluation (want a first line \
rec-eval-part,1)" p1 "$(rec-recommend -m model.recm > recs.csv && echo recs.csv)" p3
	merge_fails "nowhere: No such file or directory" p1 nowhere p3
	: > empty
	merge_fails "empty:1: the part ends early" empty p1
}

@test "--partial to a full disk fails; the parts under GNU parallel merge exactly" {
	experiment
	run -1 --separate-stderr rec-eval --test test.recd -m model.recm --partial -o /dev/full
	assert_equal "$stderr" "rec-eval: /dev/full: write failed: No space left on device"
	command -v parallel > /dev/null ||
		fail "GNU parallel is not installed: run build-aux/deps (package parallel)"
	parallel --version | head -n 1 | grep -q 'GNU parallel' ||
		fail "'parallel' is not GNU parallel (moreutils?): install the Debian package parallel"
	rec-pivot --shards 3 -o shard data.recd
	parallel --will-cite -j 2 rec-recommend -m model.recm -n 10 --shard {}/3 '>' r{}.csv \
		::: 1 2 3
	parallel --will-cite -j 2 rec-eval --test test.recd --train train.recd -k 5,10 \
		--shard {}/3 --partial -o p{} r{}.csv ::: 1 2 3
	rec-recommend -m model.recm -n 10 > recs.csv
	run -0 rec-eval --merge p1 p2 p3
	assert_equal "$output" "$(rec-eval --test test.recd --train train.recd -k 5,10 recs.csv)"
}

@test "samples/sharded.sh runs the whole sharded flow under GNU parallel" {
	command -v parallel > /dev/null ||
		fail "GNU parallel is not installed: run build-aux/deps (package parallel)"
	experiment
	run -0 sh "$SAMPLES/sharded.sh" -n 3 -k 5,10 train.recd test.recd model.recm out
	[ -s out/train-3.recd ]
	rec-recommend -m model.recm -n 10 > recs.csv
	assert_equal "$(cat out/metrics.csv)" \
		"$(rec-eval --test test.recd --train train.recd -k 5,10 recs.csv)"
	merge_by_order recs.csv out/recs-1.csv out/recs-2.csv out/recs-3.csv | cmp - recs.csv
}
