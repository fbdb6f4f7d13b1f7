#!/usr/bin/env bats
# rec-split: a dataset -> training and test sets.

setup() {
	load test_helper
}

# usage_error ARGS...: rec-split must refuse ARGS as a usage error.
usage_error() {
	run -2 --separate-stderr rec-split "$@"
	assert_equal "$output" ""
	[[ $stderr == *"Try 'rec-split --help' for more information."* ]] ||
		fail "no hint in: $stderr"
}

# rows FILE: the data rows of a CSV, sorted.
rows() {
	tail -n +2 "$1" | sort
}

# per_user FILE: "user count" for each user with rows in FILE.
per_user() {
	tail -n +2 "$1" | cut -d, -f1 | sort | uniq -c | awk '{ print $2, $1 }'
}

# partition TRAIN TEST: the two hold every event of split.csv once.
partition() {
	diff -u <(rows "$FIXTURES/split.csv") <(sort <(rows "$1") <(rows "$2"))
	run -0 comm -12 <(rows "$1") <(rows "$2")
	assert_output ""
}

# --- options and help ---

@test "--help prints the usage on standard output and exits 0" {
	run -0 --separate-stderr rec-split --help
	assert_line --index 0 --partial "usage: rec-split"
	assert_output --partial "--fold I/K"
	assert_output --partial "--train FILE"
	assert_equal "$stderr" ""
}

@test "--version prints the version from the VERSION file" {
	run -0 rec-split --version
	assert_output "rec-split $(cat "$BATS_TEST_DIRNAME/../VERSION")"
}

@test "the common options: -j and --seed as everywhere; --help to a full device fails" {
	common_values rec-split --train a --test b "$FIXTURES/split.csv"
	help_to_full rec-split
	[ ! -e a ] && [ ! -e b ]
}

@test "--seed takes all 64 bits" {
	# 705032704 is 5000000000 modulo 2^32.
	run -0 rec-split --seed 5000000000 --format long --train a.csv --test b.csv "$FIXTURES/split.csv"
	run -0 rec-split --seed 705032704 --format long --train c.csv --test d.csv "$FIXTURES/split.csv"
	run -1 cmp -s b.csv d.csv
	run -0 rec-split --seed 18446744073709551615 --train e.recd --test f.recd "$FIXTURES/split.csv"
}

@test "--progress reports the counts; -q silences them, -v overrules --no-progress" {
	run -0 --separate-stderr rec-split --progress --train a.recd --test b.recd "$FIXTURES/split.csv"
	assert_equal "$stderr" "rec-split: 15 events: 12 train, 3 test"
	run -0 --separate-stderr rec-split -v --no-progress --train a.recd --test b.recd "$FIXTURES/split.csv"
	assert_equal "$stderr" "rec-split: 15 events: 12 train, 3 test"
	run -0 --separate-stderr rec-split -q --progress --train a.recd --test b.recd "$FIXTURES/split.csv"
	assert_equal "$stderr" ""
	run -0 --separate-stderr rec-split --train a.recd --test b.recd "$FIXTURES/split.csv"
	assert_equal "$stderr" ""
}

@test "--train and --test are both required" {
	usage_error --test te.recd "$FIXTURES/split.csv"
	[[ $stderr == *"both --train and --test are needed"* ]]
	usage_error --train tr.recd "$FIXTURES/split.csv"
	[ ! -e te.recd ] && [ ! -e tr.recd ]
}

@test "unknown options, -o and two inputs are usage errors" {
	usage_error --bogus --train a --test b "$FIXTURES/split.csv"
	usage_error -o out --train a --test b "$FIXTURES/split.csv"
	usage_error --train a --test b "$FIXTURES/split.csv" "$FIXTURES/split.csv"
	[[ $stderr == *"one input file at most"* ]]
}

@test "bad --ratio, --count, --before, --method and --format are usage errors" {
	usage_error --ratio 2 --train a --test b "$FIXTURES/split.csv"
	[[ $stderr == *"--ratio '2' is out of range"* ]]
	usage_error --ratio -0.1 --train a --test b "$FIXTURES/split.csv"
	usage_error --ratio half --train a --test b "$FIXTURES/split.csv"
	usage_error --count 0 --train a --test b "$FIXTURES/split.csv"
	usage_error --before soon --train a --test b "$FIXTURES/split.csv"
	[[ $stderr == *"bad --before 'soon'"* ]]
	usage_error --method bogus --train a --test b "$FIXTURES/split.csv"
	[[ $stderr == *"bad --method 'bogus'"* ]]
	usage_error --format wide --train a --test b "$FIXTURES/split.csv"
	usage_error --dedup bogus --train a --test b "$FIXTURES/split.csv"
	usage_error --seed -1 --train a --test b "$FIXTURES/split.csv"
}

@test "bad --fold values are usage errors" {
	usage_error --method kfold --fold 6/5 --train a --test b "$FIXTURES/split.csv"
	[[ $stderr == *"--fold index '6' is out of range [1, 5]"* ]]
	usage_error --method kfold --fold 0/5 --train a --test b "$FIXTURES/split.csv"
	usage_error --method kfold --fold 1/1 --train a --test b "$FIXTURES/split.csv"
	usage_error --method kfold --fold 3 --train a --test b "$FIXTURES/split.csv"
	usage_error --method kfold --fold a/b --train a --test b "$FIXTURES/split.csv"
	usage_error --method kfold --train a --test b "$FIXTURES/split.csv"
	[[ $stderr == *"--method kfold needs --fold I/K"* ]]
}

# --- methods ---

@test "random holds out a --ratio of all events (default 0.2)" {
	run -0 rec-split --format long --train tr.csv --test te.csv "$FIXTURES/split.csv"
	partition tr.csv te.csv
	[ "$(rows te.csv | wc -l)" -eq 3 ]
	run -0 rec-split --ratio 0.4 --format long --train tr.csv --test te.csv "$FIXTURES/split.csv"
	partition tr.csv te.csv
	[ "$(rows te.csv | wc -l)" -eq 6 ]
}

@test "random with --ratio 0 and 1 puts everything on one side" {
	run -0 rec-split --ratio 0 --format long --train tr.csv --test te.csv "$FIXTURES/split.csv"
	diff -u "$FIXTURES/split.csv" tr.csv
	assert_equal "$(cat te.csv)" "user,item,rating,timestamp"
	run -0 rec-split --ratio 1 --format long --train tr.csv --test te.csv "$FIXTURES/split.csv"
	diff -u "$FIXTURES/split.csv" te.csv
	assert_equal "$(cat tr.csv)" "user,item,rating,timestamp"
}

@test "the same seed gives byte-identical files" {
	rec-split --seed 7 --train a-tr.recd --test a-te.recd "$FIXTURES/split.csv"
	rec-split --seed 7 --train b-tr.recd --test b-te.recd "$FIXTURES/split.csv"
	cmp a-tr.recd b-tr.recd
	cmp a-te.recd b-te.recd
	rec-split --train c-tr.recd --test c-te.recd "$FIXTURES/split.csv"
	rec-split --seed 42 --train d-tr.recd --test d-te.recd "$FIXTURES/split.csv"
	cmp c-te.recd d-te.recd
}

@test "a different seed gives a different split" {
	rec-split --seed 1 --format long --train a-tr.csv --test a-te.csv "$FIXTURES/split.csv"
	rec-split --seed 2 --format long --train b-tr.csv --test b-te.csv "$FIXTURES/split.csv"
	run -1 cmp -s a-te.csv b-te.csv
	partition a-tr.csv a-te.csv
	partition b-tr.csv b-te.csv
}

@test "-j does not change a split" {
	rec-split -j 1 --train a-tr.recd --test a-te.recd "$FIXTURES/split.csv"
	rec-split -j 2 --train b-tr.recd --test b-te.recd "$FIXTURES/split.csv"
	cmp a-te.recd b-te.recd
}

@test "user --ratio holds out a share of each user's events" {
	run -0 rec-split --method user --ratio 0.5 --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	partition tr.csv te.csv
	# llround(0.5 n), at most n - 1: 5 -> 3, 4 -> 2, 3 -> 2, 2 -> 1, 1 -> 0
	run -0 per_user te.csv
	assert_output "u1 3
u2 2
u3 2
u4 1"
}

@test "user --count holds out that many of each user's events, keeping one" {
	run -0 rec-split --method user --count 1 --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	partition tr.csv te.csv
	run -0 per_user te.csv
	assert_output "u1 1
u2 1
u3 1
u4 1"
	run -0 rec-split --method user --count 2 --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	partition tr.csv te.csv
	run -0 per_user te.csv
	assert_output "u1 2
u2 2
u3 2
u4 1"
	run -0 per_user tr.csv
	assert_output "u1 3
u2 2
u3 1
u4 1
u5 1"
}

@test "last --count 1 holds out exactly each user's newest event" {
	run -0 rec-split --method last --count 1 --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	golden split-last1-test.csv te.csv
	golden split-last1-train.csv tr.csv
}

@test "last holds out one event per user by default" {
	run -0 rec-split --method last --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	golden split-last1-test.csv te.csv
	golden split-last1-train.csv tr.csv
}

@test "last --count 2 holds out the two newest, keeping one in train" {
	run -0 rec-split --method last --count 2 --format long --train tr.csv --test te.csv \
		"$FIXTURES/split.csv"
	partition tr.csv te.csv
	run -0 cat te.csv
	assert_output "user,item,rating,timestamp
u1,d,2,130
u1,e,1,140
u2,e,5,125
u2,f,2,135
u3,d,2,111
u3,f,3,121
u4,g,5,150"
}

@test "temporal --before holds out the events at or after the cut" {
	run -0 rec-split --method temporal --before 130 --format long --train tr.csv \
		--test te.csv "$FIXTURES/split.csv"
	golden split-before130-test.csv te.csv
	partition tr.csv te.csv
	run -0 rec-split --method temporal --before 1970-01-01T00:02:10Z --format long \
		--train tr2.csv --test te2.csv "$FIXTURES/split.csv"
	golden split-before130-test.csv te2.csv
	cmp tr.csv tr2.csv
}

@test "temporal --span holds out the last share of the time range" {
	# times 100..160: a quarter of 60 is 15, so the cut is at 145
	run -0 rec-split --method temporal --span 0.25 --format long --train tr.csv \
		--test te.csv "$FIXTURES/split.csv"
	golden split-ratio25-test.csv te.csv
	partition tr.csv te.csv
}

@test "temporal --ratio holds out the newest share of the events" {
	# 15 events: round(0.25 * 15) = 4, the newest being at 135, 140, 150, 160
	run -0 rec-split --method temporal --ratio 0.25 --format long --train tr.csv \
		--test te.csv "$FIXTURES/split.csv"
	run -0 cat te.csv
	assert_output "user,item,rating,timestamp
u1,e,1,140
u2,f,2,135
u4,g,5,150
u5,h,3,160"
	partition tr.csv te.csv
}

@test "kfold: folds 1..k partition the data exactly" {
	# (bats' run uses i, so the loop does not)
	for fold in 1 2 3 4 5; do
		run -0 rec-split --method kfold --fold "$fold/5" --seed 3 --format long \
			--train "tr$fold.csv" --test "te$fold.csv" "$FIXTURES/split.csv"
		partition "tr$fold.csv" "te$fold.csv"
		[ "$(rows "te$fold.csv" | wc -l)" -eq 3 ]
	done
	# the union of the test folds is the data set, and no event is in two
	diff -u <(rows "$FIXTURES/split.csv") \
		<(sort <(rows te1.csv) <(rows te2.csv) <(rows te3.csv) <(rows te4.csv) <(rows te5.csv))
	run -0 bash -c 'for f in te?.csv; do tail -n +2 "$f"; done | sort | uniq -d'
	assert_output ""
}

@test "kfold with 4 folds of 15 events gives 3, 4, 4, 4" {
	for fold in 1 2 3 4; do
		rec-split --method kfold --fold "$fold/4" --format long --train tr.csv \
			--test "te$fold.csv" "$FIXTURES/split.csv"
	done
	run -0 bash -c 'for f in te?.csv; do tail -n +2 "$f" | wc -l; done'
	assert_output "3
4
4
4"
	diff -u <(rows "$FIXTURES/split.csv") \
		<(sort <(rows te1.csv) <(rows te2.csv) <(rows te3.csv) <(rows te4.csv))
}

# --- files ---

@test "train and test share one dictionary" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	run -0 rec-split --method last --train tr.recd --test te.recd data.recd
	run -0 rec-pivot --format wide -o te-wide.csv te.recd
	golden split-last1-test-wide.csv te-wide.csv
	run -0 rec-pivot --format wide -o tr-wide.csv tr.recd
	assert_equal "$(head -n 1 tr-wide.csv)" "$(head -n 1 te-wide.csv)"
	assert_equal "$(cut -d, -f1 tr-wide.csv)" "$(cut -d, -f1 te-wide.csv)"
}

@test "--format long writes what the .recd files hold" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	run -0 rec-split --seed 5 --train tr.recd --test te.recd data.recd
	run -0 rec-split --seed 5 --format long --train tr.csv --test te.csv data.recd
	run -0 rec-pivot --format long -o tr-long.csv tr.recd
	run -0 rec-pivot --format long -o te-long.csv te.recd
	diff -u tr.csv tr-long.csv
	diff -u te.csv te-long.csv
	partition tr.csv te.csv
}

@test "CSV input gives the same split as its .recd" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	rec-split --train a-tr.recd --test a-te.recd data.recd
	rec-split --train b-tr.recd --test b-te.recd "$FIXTURES/split.csv"
	cmp a-tr.recd b-tr.recd
	cmp a-te.recd b-te.recd
}

@test "standard input may hold a CSV or a .recd" {
	rec-split --train a-tr.recd --test a-te.recd "$FIXTURES/split.csv"
	rec-split --train b-tr.recd --test b-te.recd < "$FIXTURES/split.csv"
	cmp a-te.recd b-te.recd
	rec-pivot "$FIXTURES/split.csv" | rec-split --train c-tr.recd --test c-te.recd -
	cmp a-te.recd c-te.recd
	cmp a-tr.recd c-tr.recd
}

@test "-v reports the counts on standard error" {
	run -0 --separate-stderr rec-split -v --method last --train tr.recd --test te.recd \
		"$FIXTURES/split.csv"
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-split: 15 events: 11 train, 4 test"
	run -0 --separate-stderr rec-split --method last --train tr.recd --test te.recd \
		"$FIXTURES/split.csv"
	assert_equal "$stderr" ""
}

@test "--dedup merges repeated pairs of CSV input" {
	run -0 rec-split --dedup count --method temporal --ratio 0 --format long \
		--train tr.csv --test te.csv "$FIXTURES/dups.csv"
	golden dups-count.csv tr.csv
	assert_equal "$(cat te.csv)" "user,item,rating,timestamp"
}

@test "the events-CSV options apply to CSV input" {
	run -0 rec-split -d tab --no-header -u 3 -i 2 -r 4 -t 1 --method temporal --ratio 0 \
		--format long --train tr.csv --test te.csv "$FIXTURES/events-noheader.tsv"
	diff -u "$FIXTURES/events.csv" tr.csv
	run -0 rec-split -u who -i what -r stars -t when --method temporal --ratio 0 \
		--format long --train tr2.csv --test te2.csv "$FIXTURES/events-renamed.csv"
	diff -u "$FIXTURES/events.csv" tr2.csv
}

@test "--skip-bad skips bad rows of CSV input and counts them" {
	run -0 --separate-stderr rec-split --skip-bad --method temporal --ratio 0 --format long \
		--train tr.csv --test te.csv "$FIXTURES/bad-rows.csv"
	assert_equal "$stderr" "rec-split: skipped 4 bad rows"
	golden bad-rows-skipped.csv tr.csv
	run -1 rec-split --train tr.csv --test te.csv "$FIXTURES/bad-rows.csv"
	assert_output "rec-split: $FIXTURES/bad-rows.csv:3:3: bad rating 'lots'"
}

# --- bad input ---

@test "a missing input is an error" {
	run -1 rec-split --train tr.recd --test te.recd nope.recd
	assert_output "rec-split: nope.recd: No such file or directory"
	[ ! -e tr.recd ] && [ ! -e te.recd ]
}

@test "an empty input is an error" {
	run -1 rec-split --train tr.recd --test te.recd "$FIXTURES/empty.csv"
	assert_output "rec-split: $FIXTURES/empty.csv: empty input"
}

@test "a header without rows is an error" {
	run -1 rec-split --train tr.recd --test te.recd "$FIXTURES/header-only.csv"
	assert_output "rec-split: $FIXTURES/header-only.csv: no events"
	[ ! -e tr.recd ] && [ ! -e te.recd ]
}

@test "CRLF and quoted CSV input split like any other" {
	run -0 rec-split --method temporal --ratio 0 --format long --train tr.csv --test te.csv \
		"$FIXTURES/events-crlf.csv"
	diff -u "$FIXTURES/events.csv" tr.csv
	run -0 rec-split --method last --format long --train tr.csv --test te.csv \
		"$FIXTURES/quoted.csv"
	run -0 cat te.csv
	assert_output 'user,item,rating,timestamp
"Smith, Jane",plain,2,30'
}

@test "a truncated .recd is refused" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	recd_unpack data.recd raw
	head -c 100 raw > cut
	recd_pack cut cut.recd
	run -1 rec-split --train tr.recd --test te.recd cut.recd
	assert_output "rec-split: cut.recd: truncated: the file ends at byte 100 of $(size raw)"
}

@test "a .recd cut inside its gzip stream is refused" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	head -c $(( $(size data.recd) - 20 )) data.recd > cut.recd
	run -1 rec-split --train tr.recd --test te.recd cut.recd
	assert_output --regexp "^rec-split: cut\.recd: (corrupt compressed data \(unexpected end of file\)|truncated: .*)$"
}

@test "a .recd with a flipped byte fails the checksum" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	recd_unpack data.recd raw
	flip_byte raw $(( $(size raw) - 5 ))
	recd_pack raw bad.recd
	run -1 rec-split --train tr.recd --test te.recd bad.recd
	assert_output --partial "rec-split: bad.recd: checksum mismatch: stored "
	[ ! -e tr.recd ] && [ ! -e te.recd ]
}

@test "a .recd with a flipped byte in the compressed stream is refused" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	flip_byte data.recd $(( $(size data.recd) - 6 ))
	run -1 rec-split --train tr.recd --test te.recd data.recd
	assert_output "rec-split: data.recd: corrupt compressed data (incorrect data check)"
}

@test "a .recd of a newer major version is refused" {
	rec-pivot -o data.recd "$FIXTURES/split.csv"
	recd_unpack data.recd raw
	put_bytes raw 8 9 1
	recd_pack raw v.recd
	run -1 rec-split --train tr.recd --test te.recd v.recd
	assert_output "rec-split: v.recd: format version 265.1 is newer than this program reads (1.x)"
}

# --- output errors ---

@test "a .recd to /dev/full fails" {
	run -1 rec-split --train /dev/full --test te.recd "$FIXTURES/split.csv"
	assert_output "rec-split: /dev/full: write failed: No space left on device"
	run -1 rec-split --train tr.recd --test /dev/full "$FIXTURES/split.csv"
	assert_output "rec-split: /dev/full: write failed: No space left on device"
}

@test "--format long to /dev/full fails" {
	run -1 rec-split --format long --train tr.csv --test /dev/full "$FIXTURES/split.csv"
	assert_output "rec-split: /dev/full: write failed: No space left on device"
}

@test "an output in a missing directory is an error" {
	run -1 rec-split --train no/such/tr.recd --test te.recd "$FIXTURES/split.csv"
	assert_output --partial "no/such/tr.recd"
}

@test "a dataset larger than the read buffer reads the same stored, deflated or plain" {
	genevents -n 20000 -o events.csv
	rec-pivot --format long -o direct.csv events.csv
	rec-pivot -o stored.recd events.csv
	gzip -dc stored.recd > plain.recd
	gzip -9c plain.recd > deflated.recd
	for f in stored plain deflated; do
		rec-split --method last --train "tr-$f.recd" --test "te-$f.recd" "$f.recd"
		rec-pivot --format long -o "$f.csv" "$f.recd"
		cmp direct.csv "$f.csv"
	done
	cmp tr-stored.recd tr-plain.recd
	cmp tr-stored.recd tr-deflated.recd
	cmp te-stored.recd te-deflated.recd
	[ "$(wc -c < plain.recd)" -gt 200000 ]
}
