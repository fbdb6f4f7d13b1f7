#!/usr/bin/env bats
# rec-pivot: events CSV -> dataset, and its text forms.

setup() {
	load test_helper
}

# usage_error ARGS...: rec-pivot must refuse ARGS as a usage error.
usage_error() {
	run -2 --separate-stderr rec-pivot "$@" "$FIXTURES/events.csv"
	assert_equal "$output" ""
	[[ $stderr == *"Try 'rec-pivot --help' for more information."* ]] ||
		fail "no hint in: $stderr"
}

# --- options and help ---

@test "--help prints the usage on standard output and exits 0" {
	run -0 --separate-stderr rec-pivot --help
	assert_line --index 0 --partial "usage: rec-pivot"
	assert_output --partial "--dedup RULE"
	assert_output --partial "--min-user N"
	assert_output --partial "--skip-bad"
	assert_equal "$stderr" ""
	run -0 rec-pivot -h
	assert_line --index 0 --partial "usage: rec-pivot"
}

@test "--version prints the version from the VERSION file" {
	run -0 --separate-stderr rec-pivot --version
	assert_output "rec-pivot $(cat "$BATS_TEST_DIRNAME/../VERSION")"
}

@test "an unknown option is a usage error" {
	usage_error --bogus
	usage_error -x
}

@test "the common options: -j and --seed as everywhere; --help to a full device fails" {
	common_values rec-pivot --format long "$FIXTURES/events.csv"
	run -2 --separate-stderr rec-pivot --seed 5000000000 "$FIXTURES/events.csv"
	assert_equal "${stderr_lines[0]}" "rec-pivot: option '--seed' has no use here"
	help_to_full rec-pivot
}

@test "--progress reports the counts; -q silences them, -v overrules --no-progress" {
	run -0 --separate-stderr rec-pivot --progress --format long -o out.csv "$FIXTURES/events.csv"
	assert_equal "$stderr" "rec-pivot: 8 events, 3 users, 4 items"
	run -0 --separate-stderr rec-pivot -v --no-progress --format long -o out.csv "$FIXTURES/events.csv"
	assert_equal "$stderr" "rec-pivot: separator: comma
rec-pivot: 8 events, 3 users, 4 items"
	run -0 --separate-stderr rec-pivot --progress -q --format long -o out.csv "$FIXTURES/events.csv"
	assert_equal "$stderr" ""
	run -0 --separate-stderr rec-pivot --no-progress --format long -o out.csv "$FIXTURES/events.csv"
	assert_equal "$stderr" ""
}

@test "bad option values are usage errors" {
	usage_error --dedup bogus
	[[ $stderr == *"bad --dedup 'bogus'"* ]]
	usage_error --format bogus
	[[ $stderr == *"bad --format 'bogus'"* ]]
	usage_error --min-user -1
	[[ $stderr == *"--min-user '-1' is out of range"* ]]
	usage_error --min-item many
	[[ $stderr == *"bad --min-item 'many'"* ]]
	usage_error --implicit high
	[[ $stderr == *"bad --implicit 'high'"* ]]
	usage_error -d abc
	[[ $stderr == *"bad delimiter 'abc'"* ]]
	usage_error -d '"'
	[[ $stderr == *"bad delimiter '\"'"* ]]
	usage_error -j two
	usage_error --seed -5
}

@test "an option without its value is a usage error" {
	run -2 --separate-stderr rec-pivot --dedup
	assert_equal "$output" ""
	[[ $stderr == *"Try 'rec-pivot --help'"* ]]
}

@test "-j does not change the output" {
	run -0 rec-pivot -j 1 --format long -o out.csv "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "-- ends the options" {
	cp "$FIXTURES/events.csv" ./-events.csv
	run -0 rec-pivot --format long -o out.csv -- -events.csv
	diff -u "$FIXTURES/events.csv" out.csv
}

# --- the dataset file ---

@test "events -> .recd -> --format long reproduces the input exactly" {
	run -0 rec-pivot -o data.recd "$FIXTURES/events.csv"
	assert_output ""
	run -0 rec-pivot --format long -o back.csv data.recd
	diff -u "$FIXTURES/events.csv" back.csv
}

@test "a round trip through .recd keeps quoted IDs and deduplicates" {
	run -0 rec-pivot -o q.recd "$FIXTURES/quoted.csv"
	run -0 rec-pivot --format long -o q.csv q.recd
	golden quoted-long.csv q.csv
	run -0 rec-pivot -o d.recd "$FIXTURES/dups.csv"
	run -0 rec-pivot --format long -o d.csv d.recd
	golden dups-last.csv d.csv
}

@test "the same input gives the same bytes, and a .recd pivots to itself" {
	run -0 rec-pivot -o a.recd "$FIXTURES/events.csv"
	run -0 rec-pivot -o b.recd "$FIXTURES/events.csv"
	cmp a.recd b.recd
	run -0 rec-pivot -o c.recd a.recd
	cmp a.recd c.recd
}

@test "a .recd goes to standard output when it is not a terminal" {
	rec-pivot "$FIXTURES/events.csv" > s.recd
	rec-pivot -o f.recd "$FIXTURES/events.csv"
	cmp s.recd f.recd
	rec-pivot -o - "$FIXTURES/events.csv" > dash.recd
	cmp dash.recd f.recd
}

@test "writing replaces the target and leaves no temporary file" {
	echo old > data.recd
	run -0 rec-pivot -o data.recd "$FIXTURES/events.csv"
	run -0 ls -A
	assert_output "data.recd"
	run -0 rec-pivot --format long data.recd
	assert_line --index 1 "alice,i1,5,1000"
}

@test "a .recd is not written to a terminal" {
	command -v script > /dev/null || skip "script is not installed"
	run -2 script -qec "rec-pivot '$FIXTURES/events.csv'" /dev/null
	assert_output --partial "rec-pivot: not writing a binary dataset to a terminal; use -o FILE"
	assert_output --partial "Try 'rec-pivot --help'"
	run -0 script -qec "rec-pivot --format long '$FIXTURES/events.csv'" /dev/null
	assert_output --partial "carol,i4,3,1050"
}

# --- duplicates ---

@test "--dedup defaults to last" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-last.csv out.csv
}

@test "--dedup last keeps the newest event, ties by input order" {
	run -0 rec-pivot --dedup last --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-last.csv out.csv
}

@test "--dedup first keeps the oldest event, ties by input order" {
	run -0 rec-pivot --dedup first --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-first.csv out.csv
}

@test "--dedup sum adds the values and keeps the newest time" {
	run -0 rec-pivot --dedup sum --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-sum.csv out.csv
}

@test "--dedup mean averages the values and keeps the newest time" {
	run -0 rec-pivot --dedup mean --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-mean.csv out.csv
}

@test "--dedup max keeps the largest value and the newest time" {
	run -0 rec-pivot --dedup max --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-max.csv out.csv
}

@test "--dedup count counts the events and keeps the newest time" {
	run -0 rec-pivot --dedup count --format long -o out.csv "$FIXTURES/dups.csv"
	golden dups-count.csv out.csv
}

@test "--dedup count gives a pair seen once the count 1, not its rating" {
	printf 'user,item,rating,timestamp\na,x,5,1\na,y,3,2\na,y,4,3\nb,x,4,1\n' > in.csv
	run -0 rec-pivot --dedup count --format long in.csv
	assert_output "user,item,rating,timestamp
a,x,1,1
a,y,2,3
b,x,1,1"
}

@test "repeats in time order merge as a sort would: first, last, max" {
	printf 'user,item,rating,timestamp\na,x,5,1\na,y,3,2\na,x,2,3\na,z,1,4\na,x,4,5\n' > in.csv
	run -0 rec-pivot --dedup first --format long in.csv
	assert_output "user,item,rating,timestamp
a,x,5,1
a,y,3,2
a,z,1,4"
	run -0 rec-pivot --dedup last --format long in.csv
	assert_output "user,item,rating,timestamp
a,y,3,2
a,z,1,4
a,x,4,5"
	run -0 rec-pivot --dedup max --format long in.csv
	assert_output "user,item,rating,timestamp
a,y,3,2
a,z,1,4
a,x,5,5"
}

# --- cleaning ---

@test "--min-user 2 --min-item 2 iterates the k-core until it is stable" {
	run -0 rec-pivot --min-user 2 --min-item 2 --format long -o out.csv "$FIXTURES/kcore.csv"
	golden kcore-2-2.csv out.csv
}

@test "the k-core renumbers users and items" {
	run -0 rec-pivot --min-user 2 --min-item 2 -o k.recd "$FIXTURES/kcore.csv"
	run -0 rec-pivot --format wide -o wide.csv k.recd
	golden kcore-2-2-wide.csv wide.csv
}

@test "--min-user alone drops thin users" {
	run -0 rec-pivot --min-user 3 --format long -o out.csv "$FIXTURES/events.csv"
	golden events-min-user3.csv out.csv
}

@test "--min-item alone drops thin items" {
	run -0 rec-pivot --min-item 2 --format long -o out.csv "$FIXTURES/kcore.csv"
	golden kcore-min-item2.csv out.csv
}

@test "a k-core that leaves nothing is an error" {
	run -1 --separate-stderr rec-pivot --min-item 3 --format long "$FIXTURES/events.csv"
	assert_equal "$output" ""
	[[ $stderr == *"rec-pivot: $FIXTURES/events.csv: no events"* ]]
}

@test "--implicit keeps ratings at or above the threshold as 1" {
	run -0 rec-pivot --implicit 4 --format long -o out.csv "$FIXTURES/events.csv"
	golden events-implicit4.csv out.csv
}

@test "--implicit above every rating leaves nothing, an error" {
	run -1 rec-pivot --implicit 5.5 --format long "$FIXTURES/events.csv"
	assert_output --partial "no events"
}

# --- text forms and statistics ---

@test "--format wide prints the dense table" {
	run -0 rec-pivot --format wide -o wide.csv "$FIXTURES/events.csv"
	golden events-wide.csv wide.csv
	run -0 --separate-stderr rec-pivot --format wide "$FIXTURES/events.csv"
	diff -u "$GOLDEN/events-wide.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" ""
}

@test "--format long on standard output carries data only" {
	run -0 --separate-stderr rec-pivot --format long "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" ""
}

@test "--stats goes to standard output when the dataset goes to -o" {
	run -0 --separate-stderr rec-pivot --stats -o data.recd "$FIXTURES/events.csv"
	diff -u "$GOLDEN/events-stats.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" ""
	run -0 rec-pivot --format long -o back.csv data.recd
	diff -u "$FIXTURES/events.csv" back.csv
}

@test "--stats goes to standard error when the dataset goes to standard output" {
	run -0 --separate-stderr rec-pivot --stats --format long "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	diff -u "$GOLDEN/events-stats.csv" <(printf '%s\n' "$stderr")
}

@test "--stats without ratings or times prints the counts only" {
	run -0 --separate-stderr rec-pivot --stats -o data.recd "$FIXTURES/no-rating.csv"
	assert_output "stat,value
users,2
items,2
events,3
density,0.75"
}

@test "without rating and timestamp columns, ratings are 1 in file order" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/no-rating.csv"
	golden no-rating-long.csv out.csv
	run -0 rec-pivot --format wide "$FIXTURES/no-rating.csv"
	assert_output "user,p,q
x,1,1
y,,1"
}

@test "ISO 8601 timestamps are read as seconds, ties keep input order" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/iso.csv"
	golden iso-long.csv out.csv
	run -0 rec-pivot --stats -o iso.recd "$FIXTURES/iso.csv"
	assert_line "time_first,2024-01-01T00:00:00Z"
	assert_line "time_last,2024-02-29T12:30:15Z"
}

# --- columns and separators ---

@test "-d tab and --no-header with positions" {
	run -0 rec-pivot -d tab --no-header -u 3 -i 2 -r 4 -t 1 --format long \
		-o out.csv "$FIXTURES/events-noheader.tsv"
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "--no-header takes user and item from 1 and 2, a rating and time only from -r and -t" {
	tail -n +2 "$FIXTURES/events.csv" > nh.csv
	run -0 rec-pivot --no-header -r 3 -t 4 --format long -o out.csv nh.csv
	diff -u "$FIXTURES/events.csv" out.csv
	# the third and fourth fields are not taken for a rating and a time
	run -0 rec-pivot --no-header --format long nh.csv
	assert_line --index 0 "user,item"
	assert_line --index 1 "alice,i1"
	run -0 rec-pivot --no-header -t 4 --format long nh.csv
	assert_line --index 0 "user,item,timestamp"
	assert_line --index 1 "alice,i1,1000"
}

@test "--no-header with a latitude in the third field makes no rating of it" {
	printf '0\t2010-10-19T23:55:27Z\t30.2359\t-97.7951\t22847\n' > gw.tsv
	printf '1\t2010-10-18T22:17:43Z\t30.2691\t-97.7493\t420315\n' >> gw.tsv
	run -0 --separate-stderr rec-pivot --no-header -d tab -u 1 -i 5 -t 2 --stats -o gw.recd gw.tsv
	assert_output "stat,value
users,2
items,2
events,2
density,0.5
time_first,2010-10-18T22:17:43Z
time_last,2010-10-19T23:55:27Z"
}

@test "-r none and -t none: every event counts 1, in file order" {
	run -0 rec-pivot -r none -t none --format long "$FIXTURES/events.csv"
	assert_line --index 0 "user,item"
	run -0 rec-pivot -r none --format long "$FIXTURES/events.csv"
	assert_line --index 0 "user,item,timestamp"
	assert_line --index 1 "alice,i1,1000"
	run -0 rec-pivot -t none --format long "$FIXTURES/events.csv"
	assert_line --index 0 "user,item,rating"
	assert_line --index 1 "alice,i1,5"
	# user and item cannot be none
	run -1 rec-pivot -u none --format long "$FIXTURES/events.csv"
	assert_output "rec-pivot: $FIXTURES/events.csv:1: no user column 'none' in the header 'user,item,rating,timestamp'"
}

@test "-d takes a character or a name" {
	tr , ';' < "$FIXTURES/events.csv" > semi.csv
	run -0 rec-pivot -d ';' --format long -o a.csv semi.csv
	diff -u "$FIXTURES/events.csv" a.csv
	run -0 rec-pivot -d semicolon --format long -o b.csv semi.csv
	diff -u "$FIXTURES/events.csv" b.csv
}

@test "-d takes \t, and :: that is read in quotes and beside a single colon" {
	run -0 rec-pivot -d '\t' --format long -o a.csv "$FIXTURES/events-sniff.tsv"
	run -0 rec-pivot -d "$(printf '\t')" --format long -o b.csv "$FIXTURES/events-sniff.tsv"
	cmp a.csv b.csv
	assert_equal "$(head -2 a.csv)" "user,item,rating,timestamp
alice,i1,5,1000"
	pivot_both 0 -d :: --format long "$FIXTURES/events-colons.dat"
	assert_output "user,item,rating,timestamp
alice,i1,5,1000
alice,i2,3,1010
bob::x,i2,2,1005
bob,:i4,4.5,1030
carol,i:1,1,1001"
	# MovieLens 1M's ratings.dat, compressed and on standard input
	printf '1::1193::5::978300760\n1::661::3::978302109\n' | gzip > ratings.dat.gz
	run -0 rec-pivot --no-header -r 3 -t 4 --format long - < ratings.dat.gz
	assert_output "user,item,rating,timestamp
1,1193,5,978300760
1,661,3,978302109"
	# a NUL byte is reported where it is, as with a separator of one byte
	printf 'user::item\nu::i\0x\n' > nul.dat
	pivot_both 1 --format long nul.dat
	assert_equal "$stderr" "rec-pivot: nul.dat:2:2: NUL byte in the field"
}

@test "without -d the separator is the one that splits the first lines best, told with -v" {
	pivot_both 0 -v --format long "$FIXTURES/events-sniff.tsv"
	assert_equal "${stderr_lines[0]}" "rec-pivot: separator: tab"
	assert_line --index 3 "bob,i2,2,1005"
	pivot_both 0 -v --format long "$FIXTURES/events-semi.csv"
	assert_equal "${stderr_lines[0]}" "rec-pivot: separator: semicolon"
	assert_line --index 2 "bob,i;2,3"
	pivot_both 0 -v --format long "$FIXTURES/events-colons.dat"
	assert_equal "${stderr_lines[0]}" "rec-pivot: separator: ::"
	# a pipe splits the header into more fields, but not the next line alike
	printf 'user,item|a|b|c\nu,i|x\n' > mixed.csv
	pivot_both 0 -v -i 2 --format long mixed.csv
	assert_equal "${stderr_lines[0]}" "rec-pivot: separator: comma"
	assert_line --index 1 "u,i|x"
	# a given separator is not told
	pivot_both 0 -v -d tab --format long "$FIXTURES/events-sniff.tsv"
	assert_equal "${stderr_lines[0]}" "rec-pivot: 3 events, 2 users, 2 items"
}

@test "a header without the user column is quoted, with the separator that would find it" {
	pivot_both 1 -d comma --format long "$FIXTURES/events-sniff.tsv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/events-sniff.tsv:1: no user column in the header 'user\titem\trating\ttimestamp' (with -d tab it would be 'user')"
	pivot_both 1 -d tab -i item_id --format long "$FIXTURES/events.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/events.csv:1: no user column in the header 'user,item,rating,timestamp' (with -d comma it would be 'user')"
	printf 'who::what\nu::i\n' > w.dat
	pivot_both 1 -d , -u what --format long w.dat
	assert_equal "$stderr" "rec-pivot: w.dat:1: no user column 'what' in the header 'who::what' (with -d :: it would be 'what')"
	# a long header is cut
	{ printf 'c%d,' $(seq 1 40); printf 'item\n'; } > wide.csv
	pivot_both 1 --format long wide.csv
	assert_equal "$stderr" "rec-pivot: wide.csv:1: no user column in the header 'c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22,c'... (looked for user,user_id,userid)"
}

@test "bad values are quoted with escapes" {
	printf 'user,item,rating\nu,i,"4\r"\nu,j,"\t\001\\x'"'"'"\nu,k,1\n' > esc.csv
	pivot_both 1 --format long esc.csv
	assert_equal "$stderr" "rec-pivot: esc.csv:2:3: bad rating '4\r'"
	pivot_both 0 --skip-bad --format long esc.csv
	printf 'user,item,rating\nu,j,"\t\001\\x'"'"'"\n' > esc2.csv
	pivot_both 1 --format long esc2.csv
	assert_equal "$stderr" "rec-pivot: esc2.csv:2:3: bad rating '\t\x01\\\\x\\''"
}

@test "--na drops events with a missing value; -v counts them" {
	pivot_both 0 -v --na NA,null, --format long "$FIXTURES/na.csv"
	assert_output "user,item,rating,timestamp
alice,i1,5,1000
carol,i3,5,1040"
	assert_equal "${stderr_lines[1]}" "rec-pivot: dropped 4 events with a missing value"
	# without the empty marker, an empty rating is a bad one
	pivot_both 1 --na NA,null --format long "$FIXTURES/na.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/na.csv:5:3: bad rating ''"
	# a column not read is not looked at
	pivot_both 0 -r none --na NA,null --format long "$FIXTURES/na.csv"
	assert_line --index 1 "alice,i1,1000"
	assert_line --index 2 "bob,i4,1030"
}

@test "one user or item in more than half of the events is warned of, unless -q" {
	{ echo user,item; for i in $(seq 1 61); do echo "NA,i$i"; done
	  for i in $(seq 1 39); do echo "u$i,i$i"; done; } > dg.csv
	pivot_both 0 --stats -o dg.recd dg.csv
	assert_equal "$stderr" "rec-pivot: warning: 61% of the events have user 'NA'; see --na"
	pivot_both 0 -q -o dg.recd dg.csv
	assert_equal "$stderr" ""
	pivot_both 0 --na NA -o dg.recd dg.csv
	assert_equal "$stderr" ""
	# fewer than 100 events say too little to warn of
	head -n 99 dg.csv > small.csv
	pivot_both 0 -o small.recd small.csv
	assert_equal "$stderr" ""
	{ echo user,item; for i in $(seq 1 100); do echo "u$i,$((i % 2))"; done; } > half.csv
	pivot_both 0 -o half.recd half.csv
	assert_equal "$stderr" ""
}

@test "-u -i -r -t pick columns by header name" {
	run -0 rec-pivot -u who -i what -r stars -t when --format long -o out.csv \
		"$FIXTURES/events-renamed.csv"
	diff -u "$FIXTURES/events.csv" out.csv
	run -0 rec-pivot --user who --item what --rating stars --timestamp when \
		--format long -o long.csv "$FIXTURES/events-renamed.csv"
	diff -u "$FIXTURES/events.csv" long.csv
}

@test "-u -i -r -t pick columns by position in a file with a header" {
	run -0 rec-pivot -u 2 -i 4 -r 5 -t 1 --format long -o out.csv \
		"$FIXTURES/events-renamed.csv"
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "the default columns also go by user_id, item_id and ts" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/events-alt.csv"
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "a column name that is not in the header is an error" {
	run -1 rec-pivot -r score "$FIXTURES/events.csv"
	assert_output --partial "no rating column 'score' in the header"
}

@test "a column name with --no-header is an error" {
	run -1 rec-pivot --no-header -u who --format long "$FIXTURES/events-noheader.tsv"
	assert_output --partial "user column 'who' is a name, but there is no header"
}

@test "a column position past the end of the row is an error" {
	run -1 rec-pivot -r 9 --format long "$FIXTURES/events.csv"
	assert_output --partial "missing rating column (the row has 4 fields)"
}

# --- inputs ---

@test "gzip input is detected by content, not by name" {
	gzip -c "$FIXTURES/events.csv" > events.dat
	run -0 rec-pivot --format long -o out.csv events.dat
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "several input files make one dataset" {
	head -n 4 "$FIXTURES/events.csv" > part1.csv
	{ head -n 1 "$FIXTURES/events.csv"; tail -n +5 "$FIXTURES/events.csv"; } > part2.csv
	gzip part2.csv
	run -0 rec-pivot --format long -o out.csv part1.csv part2.csv.gz
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "duplicates across input files are merged" {
	head -n 4 "$FIXTURES/dups.csv" > a.csv
	{ head -n 1 "$FIXTURES/dups.csv"; tail -n +5 "$FIXTURES/dups.csv"; } > b.csv
	run -0 rec-pivot --dedup sum --format long -o out.csv a.csv b.csv
	golden dups-sum.csv out.csv
}

@test "standard input is read when no file or - is given" {
	run -0 rec-pivot --format long -o a.csv < "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" a.csv
	run -0 rec-pivot --format long -o b.csv - < "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" b.csv
	gzip -c "$FIXTURES/events.csv" > events.gz
	run -0 rec-pivot --format long -o c.csv < events.gz
	diff -u "$FIXTURES/events.csv" c.csv
}

@test "a .recd on standard input is read as a dataset" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	run -0 rec-pivot --format long -o a.csv < data.recd
	diff -u "$FIXTURES/events.csv" a.csv
	rec-pivot "$FIXTURES/events.csv" | rec-pivot --format long -o b.csv
	diff -u "$FIXTURES/events.csv" b.csv
}

@test "CRLF line ends are read like LF" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/events-crlf.csv"
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "quoted fields with commas and quotes come out quoted again" {
	run -0 rec-pivot --format long -o out.csv "$FIXTURES/quoted.csv"
	golden quoted-long.csv out.csv
}

@test "--skip-bad skips bad rows and counts them" {
	run -0 --separate-stderr rec-pivot --skip-bad --format long "$FIXTURES/bad-rows.csv"
	diff -u "$GOLDEN/bad-rows-skipped.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" "rec-pivot: skipped 4 bad rows"
}

@test "--skip-bad counts over several files" {
	cp "$FIXTURES/bad-rows.csv" again.csv
	run -0 --separate-stderr rec-pivot --skip-bad --format long "$FIXTURES/bad-rows.csv" again.csv
	diff -u "$GOLDEN/bad-rows-skipped.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" "rec-pivot: skipped 8 bad rows"
}

@test "-q keeps --skip-bad quiet" {
	run -0 --separate-stderr rec-pivot -q --skip-bad --format long -o out.csv "$FIXTURES/bad-rows.csv"
	assert_equal "$stderr" ""
	golden bad-rows-skipped.csv out.csv
}

@test "-v does not change the output" {
	run -0 --separate-stderr rec-pivot -v --format long "$FIXTURES/events.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
}

# --- large plain files, split in parts ---

# events FILE ROWS [COLUMNS]: a header and ROWS events of 500 users and
# 3001 items, times rising; COLUMNS "ui" leaves out rating and time.
events() {
	awk -v n="$2" -v cols="${3:-uirt}" 'BEGIN {
		print cols == "ui" ? "user,item" : "user,item,rating,timestamp"
		for (r = 1; r <= n; r++) {
			u = "u" (r * 7919 % 500); i = "i" (r * 104729 % 3001)
			if (cols == "ui") print u "," i
			else print u "," i "," (r % 5 + 1) "," (1700000000 + r)
		}
	}' > "$1"
}

# same_as_stdin FILE ARGS...: FILE read in parts on 1, 2 and 3 threads
# gives what libcsv makes of it on standard input.
same_as_stdin() {
	local file=$1
	shift
	rec-pivot "$@" --format long < "$file" > stdin.csv
	for j in 1 2 3; do
		run -0 rec-pivot -j "$j" "$@" --format long -o "j$j.csv" "$file"
		cmp stdin.csv "j$j.csv"
	done
}

@test "a large file gives the same dataset on one thread and on several" {
	events big.csv 40000
	for j in 1 2 3; do
		run -0 rec-pivot -j "$j" -o "j$j.recd" big.csv
	done
	cmp j1.recd j2.recd
	cmp j1.recd j3.recd
	same_as_stdin big.csv
	same_as_stdin big.csv --dedup sum --min-user 60
}

@test "without a time column, times count rows across the parts" {
	events ui.csv 40000 ui
	same_as_stdin ui.csv
	same_as_stdin ui.csv --dedup count
}

@test "a first row longer than the block the header is read from" {
	events big.csv 40000
	long=$(printf '%05000d' 7)
	sed -i "2s/^u[0-9]*/u$long/" big.csv
	same_as_stdin big.csv
	# the long ID is a user of its own beside the 500
	run -0 rec-pivot --stats -o out.recd big.csv
	assert_line "users,501"
}

@test "a quote anywhere sends a large file to libcsv, which parses it" {
	events big.csv 40000
	printf '"u 1","i,2",4,1800000000\n' >> big.csv
	same_as_stdin big.csv
	run -0 rec-pivot -j 2 --format long -o out.csv big.csv
	run -0 tail -n 1 out.csv
	assert_output 'u 1,"i,2",4,1800000000'
}

@test "a space or tab sends a large file to libcsv, which trims it" {
	events big.csv 40000
	sed '30000s/,/, /' big.csv > space.csv
	sed '30000s/,/,\t/' big.csv > tab.csv
	same_as_stdin space.csv
	same_as_stdin tab.csv
	run -0 rec-pivot -j 2 --format long -o space-long.csv space.csv
	run -0 rec-pivot -j 2 --format long -o plain-long.csv big.csv
	cmp plain-long.csv space-long.csv
}

@test "CRLF and empty lines in a large file count as libcsv counts them" {
	events big.csv 40000
	sed 's/$/\r/; 100s/^/\r\n\n/' big.csv > crlf.csv
	same_as_stdin crlf.csv
	# the row on line 30001 is the 29999th: the two empty lines do not count
	sed '30001s/,[0-9],/,x,/' crlf.csv > bad.csv
	run -1 --separate-stderr rec-pivot -j 2 --format long bad.csv
	assert_equal "$stderr" "rec-pivot: bad.csv:29999:3: bad rating 'x'"
	run -1 --separate-stderr rec-pivot --format long < bad.csv
	assert_equal "$stderr" "rec-pivot: standard input:29999:3: bad rating 'x'"
}

@test "a bad row in the second half of a large file names its line" {
	events big.csv 40000
	sed '30001s/,[0-9],/,3x,/' big.csv > bad.csv
	run -1 --separate-stderr rec-pivot -j 2 --format long bad.csv
	assert_equal "$stderr" "rec-pivot: bad.csv:30001:3: bad rating '3x'"
	sed '10001s/,17[0-9]*$/,soon/' bad.csv > two.csv
	run -1 --separate-stderr rec-pivot -j 2 --format long two.csv
	assert_equal "$stderr" "rec-pivot: two.csv:10001:4: bad timestamp 'soon'"
	sed '35001s/^u[0-9]*,/,/' big.csv > empty.csv
	run -1 --separate-stderr rec-pivot -j 3 --format long empty.csv
	assert_equal "$stderr" "rec-pivot: empty.csv:35001:1: empty user ID"
}

@test "--skip-bad counts the bad rows of every part" {
	events big.csv 40000
	sed '5001s/,[0-9],/,x,/; 25001s/,17[0-9]*$//; 39001s/^u[0-9]*,/,/' big.csv > bad.csv
	run -0 --separate-stderr rec-pivot -j 3 --skip-bad --format long -o out.csv bad.csv
	assert_equal "$stderr" "rec-pivot: skipped 3 bad rows"
	rec-pivot --skip-bad --format long < bad.csv > stdin.csv 2> /dev/null
	cmp stdin.csv out.csv
}

# --- bad input ---

@test "without --skip-bad the first bad row is an error" {
	run -1 --separate-stderr rec-pivot --format long "$FIXTURES/bad-rows.csv"
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-pivot: $FIXTURES/bad-rows.csv:3:3: bad rating 'lots'"
}

@test "an empty file is an error" {
	run -1 --separate-stderr rec-pivot --format long "$FIXTURES/empty.csv"
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-pivot: $FIXTURES/empty.csv: empty input"
}

@test "empty standard input is an error" {
	run -1 rec-pivot --format long < /dev/null
	assert_output --partial "empty input"
}

@test "a header without rows is an error" {
	run -1 --separate-stderr rec-pivot --format long "$FIXTURES/header-only.csv"
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-pivot: $FIXTURES/header-only.csv: no events"
}

@test "a missing item column is an error" {
	run -1 rec-pivot --format long "$FIXTURES/no-item.csv"
	assert_output "rec-pivot: $FIXTURES/no-item.csv:1: no item column in the header 'user,product,rating,timestamp' (looked for item,item_id,itemid)"
}

@test "a row with too few fields is an error" {
	run -1 rec-pivot --format long "$FIXTURES/short-row.csv"
	assert_output "rec-pivot: $FIXTURES/short-row.csv:3: missing timestamp column (the row has 3 fields)"
}

@test "a bad rating is an error that names line, column and value" {
	run -1 rec-pivot --format long "$FIXTURES/bad-rating.csv"
	assert_output "rec-pivot: $FIXTURES/bad-rating.csv:3:3: bad rating '3x'"
}

@test "a bad timestamp is an error that names line, column and value" {
	run -1 rec-pivot --format long "$FIXTURES/bad-time.csv"
	assert_output "rec-pivot: $FIXTURES/bad-time.csv:3:4: bad timestamp '2024-13-01'"
}

@test "an empty ID is an error" {
	printf 'user,item\n,a\n' > e.csv
	run -1 rec-pivot --format long e.csv
	assert_output "rec-pivot: e.csv:2:1: empty user ID"
}

@test "an unterminated quote is an error" {
	printf 'user,item\n"alice,a\n' > q.csv
	run -1 rec-pivot --format long q.csv
	assert_output --partial "rec-pivot: q.csv:2:"
}

@test "a missing file is an error" {
	run -1 --separate-stderr rec-pivot --format long nope.csv
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-pivot: nope.csv: No such file or directory"
}

@test "a truncated gzip input is an error" {
	gzip -c "$FIXTURES/events.csv" | head -c 40 > cut.gz
	run -1 rec-pivot --format long cut.gz
	assert_output "rec-pivot: cut.gz: unexpected end of file"
}

@test "a .recd with a flipped byte in its entry count is refused before allocating" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	# the top byte of the u64 entry count in META, at offset 200 + 8
	flip_byte raw 215
	recd_pack raw bad.recd
	run -1 rec-pivot --format long bad.recd
	assert_output "rec-pivot: bad.recd: more entries than the file holds"
}

@test "a .recd with a flipped stored-block length is refused" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	# gzip header (10 bytes), then the first stored block's LEN
	flip_byte data.recd 11
	run -1 rec-pivot --format long data.recd
	assert_output --regexp "^rec-pivot: data\.recd: corrupt compressed data \(.+\)$"
}

@test "a .recd with a flipped byte in the gzip trailer is refused" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	flip_byte data.recd $(( $(size data.recd) - 6 ))
	run -1 rec-pivot --format long data.recd
	assert_output "rec-pivot: data.recd: corrupt compressed data (incorrect data check)"
}

@test "a .recd with a flipped byte in its content fails the checksum" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	# the last byte before the CRC: the top byte of the last timestamp
	flip_byte raw $(( $(size raw) - 5 ))
	recd_pack raw bad.recd
	run -1 --separate-stderr rec-pivot --format long bad.recd
	assert_equal "$output" ""
	[[ $stderr =~ ^"rec-pivot: bad.recd: checksum mismatch: stored "[0-9a-f]{8}", computed "[0-9a-f]{8}$ ]] ||
		fail "unexpected: $stderr"
}

@test "a .recd of a newer major version is refused" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	put_bytes raw 8 2 0
	recd_pack raw v2.recd
	run -1 rec-pivot --format long v2.recd
	assert_output "rec-pivot: v2.recd: format version 2.1 is newer than this program reads (1.x)"
}

@test "a newer minor version is read" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	put_bytes raw 10 7 0
	# the version is covered by the CRC: recompute it for the patched bytes
	head -c $(( $(size raw) - 4 )) raw > body
	crc=$(gzip -c body | tail -c 8 | head -c 4 | od -An -tu1)
	{ cat body; printf "$(printf '\\%03o' $crc)"; } > raw2
	recd_pack raw2 v1.recd
	run -0 rec-pivot --format long -o out.csv v1.recd
	diff -u "$FIXTURES/events.csv" out.csv
}

@test "a gzip file that is not a .recd is read as CSV" {
	printf 'RECDATA' | gzip > almost.recd
	run -1 rec-pivot --format long almost.recd
	assert_output "rec-pivot: almost.recd:1: no user column in the header 'RECDATA' (looked for user,user_id,userid)"
}

@test "a .recd cut short is refused" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	head -c 100 raw > cut
	recd_pack cut cut.recd
	run -1 rec-pivot --format long cut.recd
	assert_output "rec-pivot: cut.recd: truncated: the file ends at byte 100 of $(size raw)"
}

@test "a .recd with bytes after the checksum is refused" {
	rec-pivot -o data.recd "$FIXTURES/events.csv"
	recd_unpack data.recd raw
	printf 'x' >> raw
	recd_pack raw long.recd
	run -1 rec-pivot --format long long.recd
	assert_output "rec-pivot: long.recd: trailing data after the checksum"
}

# --- both CSV readers ---

# pivot_both STATUS ARGS...: rec-pivot ARGS, reading plain files split by
# hand and then through libcsv alone (REC_TEST_LIBCSV): both must exit
# with STATUS and print the same; $output and $stderr are what they print.
pivot_both() {
	local status=$1 out err
	shift
	run "-$status" --separate-stderr env REC_TEST_LIBCSV=1 rec-pivot "$@"
	out=$output err=$stderr
	run "-$status" --separate-stderr rec-pivot "$@"
	assert_equal "$output" "$out"
	assert_equal "$stderr" "$err"
}

@test "every fixture reads the same split by hand as through libcsv alone" {
	local n=0 a b
	for f in "$FIXTURES"/*.csv "$FIXTURES"/*.tsv "$FIXTURES"/*.dat; do
		for opts in "" "--skip-bad --na NA,null," "--no-header --skip-bad" "-d tab --no-header"; do
			# shellcheck disable=SC2086
			rec-pivot $opts -o split.recd "$f" > split.out 2> split.err && a=0 || a=$?
			# shellcheck disable=SC2086
			REC_TEST_LIBCSV=1 rec-pivot $opts -o libcsv.recd "$f" > libcsv.out 2> libcsv.err &&
				b=0 || b=$?
			[ "$a" -le 1 ] || fail "rec-pivot $opts $f: status $a"
			[ "$a" = "$b" ] || fail "rec-pivot $opts $f: status $a split, $b through libcsv"
			cmp split.out libcsv.out && cmp split.err libcsv.err ||
				fail "rec-pivot $opts $f: the two readers print different things"
			if [ "$a" = 0 ]; then
				cmp split.recd libcsv.recd || fail "rec-pivot $opts $f: different datasets"
				n=$((n + 1))
			fi
			rm -f split.recd libcsv.recd
		done
	done
	# most fixtures are read, not refused
	[ "$n" -gt 50 ] || fail "only $n reads succeeded"
}

# --- hostile input ---

# bad_row NAME MESSAGE: the fixture NAME, events.csv with one bad row put
# in, is refused with MESSAGE both ways; with --skip-bad, that row is
# counted and the rest is events.csv.
bad_row() {
	pivot_both 1 --format long "$FIXTURES/$1"
	assert_equal "$output" ""
	assert_equal "$stderr" "rec-pivot: $FIXTURES/$1:$2"
	pivot_both 0 --skip-bad --format long "$FIXTURES/$1"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	assert_equal "$stderr" "rec-pivot: skipped 1 bad rows"
}

@test "a NUL byte in a row is an error, or a bad row with --skip-bad" {
	# the rest of the line is not lost, nor the rows after it
	bad_row nul-byte.csv "4:2: NUL byte in the field"
}

@test "a NUL byte in the header is an error, even with --skip-bad" {
	pivot_both 1 --format long "$FIXTURES/nul-header.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/nul-header.csv:1:2: NUL byte in the header"
	pivot_both 1 --skip-bad --format long "$FIXTURES/nul-header.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/nul-header.csv:1:2: NUL byte in the header"
}

@test "a UTF-8 byte order mark before the header is skipped" {
	pivot_both 0 --format long "$FIXTURES/bom.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	run -0 rec-pivot --format long - < "$FIXTURES/bom.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	gzip -c "$FIXTURES/bom.csv" > bom.csv.gz
	run -0 rec-pivot --format long bom.csv.gz
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
}

@test "a byte order mark before the first row is skipped with --no-header" {
	pivot_both 0 --no-header -r 3 -t 4 --format long "$FIXTURES/bom-noheader.csv"
	diff -u "$FIXTURES/events.csv" <(printf '%s\n' "$output")
	# only at the start: further on, the same bytes are part of an ID
	{ cat "$FIXTURES/bom-noheader.csv"; printf '\357\273\277dave,i1,2,1060\n'; } > late.csv
	pivot_both 0 --no-header --stats -o late.recd late.csv
	assert_line "users,4"
}

@test "a row with more fields than the header is an error, or a bad row" {
	bad_row extra-field.csv "5:5: the row has 5 fields, the header 4"
	# without a header, the first row sets the width
	tail -n +2 "$FIXTURES/extra-field.csv" > nh.csv
	pivot_both 1 --no-header --format long nh.csv
	assert_equal "$stderr" "rec-pivot: nh.csv:4:5: the row has 5 fields, the first row 4"
}

@test "a header that names a column twice is an error, even with --skip-bad" {
	pivot_both 1 --format long "$FIXTURES/dup-rating.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/dup-rating.csv:1:4: two rating columns in the header: 'rating' and 'rating'"
	pivot_both 1 --skip-bad --format long "$FIXTURES/dup-user.csv"
	assert_equal "$stderr" "rec-pivot: $FIXTURES/dup-user.csv:1:2: two user columns in the header: 'user' and 'user_id'"
	# a column named on the command line is the only one of its kind
	pivot_both 0 -u user_id --format long "$FIXTURES/dup-user.csv"
	assert_output "user,item
1,i1"
}

@test "ratings in hex, inf and nan are errors, or bad rows" {
	bad_row rating-hex.csv "3:3: bad rating '0x10'"
	bad_row rating-inf.csv "3:3: bad rating 'inf'"
	bad_row rating-nan.csv "3:3: bad rating 'nan'"
}

@test "a rating that is not zero but would be stored as zero is an error, or a bad row" {
	bad_row rating-underflow.csv "3:3: rating '1e-50' underflows to 0"
	# zero itself, and small ratings a float holds, are ratings
	sed 's/1e-50/0/' "$FIXTURES/rating-underflow.csv" > zero.csv
	pivot_both 0 --format long zero.csv
	assert_line "dave,i2,0,1060"
	sed 's/1e-50/1e-40/' "$FIXTURES/rating-underflow.csv" > small.csv
	pivot_both 0 --format long small.csv
	assert_line "dave,i2,9.9999461e-41,1060"
}

@test "a timestamp outside the years 0001 to 9999 is an error, or a bad row" {
	bad_row time-range.csv \
		"6:4: timestamp '9223372036854775807' is out of range (years 0001 to 9999)"
	# the range's ends are in it, one second past them is not
	for t in -62135596800 253402300799 0001-01-01 9999-12-31T23:59:59Z; do
		sed "s/9223372036854775807/$t/" "$FIXTURES/time-range.csv" > in.csv
		pivot_both 0 --format long in.csv
	done
	for t in -62135596801 253402300800 0000-12-31 -9223372036854775808; do
		sed "s/9223372036854775807/$t/" "$FIXTURES/time-range.csv" > out.csv
		pivot_both 1 --format long out.csv
		assert_equal "$stderr" "rec-pivot: out.csv:6:4: timestamp '$t' is out of range (years 0001 to 9999)"
	done
}

# --- output errors ---

@test "a .recd to /dev/full fails" {
	run -1 rec-pivot -o /dev/full "$FIXTURES/events.csv"
	assert_output "rec-pivot: /dev/full: write failed: No space left on device"
	run -1 bash -c 'rec-pivot "$1" > /dev/full' _ "$FIXTURES/events.csv"
	assert_output "rec-pivot: standard output: write failed: No space left on device"
}

@test "--format long and wide to /dev/full fail" {
	run -1 rec-pivot --format long -o /dev/full "$FIXTURES/events.csv"
	assert_output "rec-pivot: /dev/full: write failed: No space left on device"
	run -1 bash -c 'rec-pivot --format long "$1" > /dev/full' _ "$FIXTURES/events.csv"
	assert_output "rec-pivot: standard output: write failed: No space left on device"
	run -1 rec-pivot --format wide -o /dev/full "$FIXTURES/events.csv"
	assert_output --partial "write failed"
}

@test "--stats to /dev/full fails" {
	run -1 bash -c 'rec-pivot --stats -o data.recd "$1" > /dev/full' _ "$FIXTURES/events.csv"
	assert_output --partial "standard output"
}

@test "an output in a missing directory is an error" {
	run -1 rec-pivot -o no/such/dir/data.recd "$FIXTURES/events.csv"
	assert_output --partial "no/such/dir/data.recd"
	run -1 rec-pivot --format long -o no/such/dir/out.csv "$FIXTURES/events.csv"
	assert_output "rec-pivot: no/such/dir/out.csv: No such file or directory"
}
