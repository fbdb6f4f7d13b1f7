#!/usr/bin/env bats
# The sample generator's attribute files: the shipped ones are its output,
# they leave the events as they are, and their layout is what rec-pivot
# reads.

setup() {
	load test_helper
	SAMPLES=$BATS_TEST_DIRNAME/../samples
}

@test "genevents: the shipped samples are the documented command's output" {
	genevents --events 50000 -o events.csv \
		--item-features items.csv --user-features users.csv
	cmp events.csv "$SAMPLES/events.csv"
	cmp items.csv "$SAMPLES/items.csv"
	cmp users.csv "$SAMPLES/users.csv"
}

@test "genevents: the attribute files do not change the events; the seed changes them" {
	genevents -n 2000 -o plain.csv
	genevents -n 2000 -o with.csv --user-features u.csv --item-features i.csv
	cmp plain.csv with.csv
	genevents -n 2000 -s 7 -o other.csv --item-features i7.csv
	! cmp -s i.csv i7.csv
}

@test "genevents: one row an item and a user, genres g1 to gG, a user's named once" {
	# 2000 events: 178 items (4 * sqrt(2000)), 50 users, 6 genres (sqrt(178) / 2)
	genevents -n 2000 -o e.csv --item-features i.csv --user-features u.csv
	run -0 head -n 1 i.csv
	assert_output item,genres
	run -0 head -n 1 u.csv
	assert_output user,genres
	assert_equal "$(tail -n +2 i.csv | cut -d, -f1 | sort -u | wc -l)" 178
	assert_equal "$(tail -n +2 u.csv | cut -d, -f1 | sort -u | wc -l)" 50
	run -0 awk -F, 'NR > 1 && $2 !~ /^g[1-6]$/' i.csv
	assert_output ''
	# 1 to 3 distinct genres a user
	run -0 awk -F, 'NR > 1 { n = split($2, g, "|"); delete seen
		for (j = 1; j <= n; j++) if (g[j] !~ /^g[1-6]$/ || seen[g[j]]++) print
		if (n < 1 || n > 3) print }' u.csv
	assert_output ''
	rec-pivot --stats -o d.recd --item-features i.csv --user-features u.csv --multi genres e.csv > stats.csv
	run -0 grep -E '^(item|user)_features,' stats.csv
	assert_output "$(printf 'item_features,6\nuser_features,6')"
}

@test "genevents: an attribute file that cannot be written is an error" {
	run -1 genevents -n 2000 -o e.csv --item-features no/such/i.csv
	assert_output --partial "no/such/i.csv"
	run -2 genevents --user-features
	assert_output --partial "Try 'genevents --help'"
}
