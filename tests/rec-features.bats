#!/usr/bin/env bats
# Item and user attributes: rec-pivot --item-features and --user-features,
# their sections in the dataset, and the content family that scores items
# known only by their attributes.

setup() {
	load test_helper
}

# stat NAME: the value of NAME in the --stats output held in $output.
stat() {
	awk -F, -v n="$1" '$1 == n { print $2 }' <<<"$output"
}

@test "long layout: unknown items join, a repeated pair counts once" {
	run -0 --separate-stderr rec-pivot --stats -o d.recd \
		--item-features "$FIXTURES/attr-long.csv" "$FIXTURES/attr-events.csv"
	assert_equal "$(stat item_features)" 3
	assert_equal "$(stat user_features)" 0
	assert_equal "$(stat features)" 4
	run -0 rec-pivot --format long d.recd
	assert_output "$(cat "$FIXTURES/attr-events.csv")"
}

@test "wide layout: column=value features, --multi splits, --numeric keeps numbers" {
	run -0 --separate-stderr rec-pivot --stats -o d.recd --multi genres --numeric year \
		--item-features "$FIXTURES/attr-wide.csv" "$FIXTURES/attr-events.csv"
	# title=One title=Two title=Five genres=Action genres=Comedy genres=Drama year
	assert_equal "$(stat item_features)" 7
	assert_equal "$(stat features)" 10
	run -0 --separate-stderr rec-pivot --stats -o d.recd --numeric year \
		--item-features "$FIXTURES/attr-wide.csv" "$FIXTURES/attr-events.csv"
	assert_equal "$(stat item_features)" 7
	assert_equal "$(stat features)" 8
}

@test "--min-feature drops features fewer entities have" {
	run -0 --separate-stderr rec-pivot --stats -o d.recd --multi genres --numeric year \
		--min-feature 2 \
		--item-features "$FIXTURES/attr-wide.csv" "$FIXTURES/attr-events.csv"
	# genres=Action (i1, i5), genres=Comedy (i1, i2), year (i1, i5)
	assert_equal "$(stat item_features)" 3
	assert_equal "$(stat features)" 6
}

@test "user attributes: a user without events joins the dictionary" {
	run -0 --separate-stderr rec-pivot --stats -o d.recd \
		--user-features "$FIXTURES/attr-users.csv" "$FIXTURES/attr-events.csv"
	assert_equal "$(stat user_features)" 2
	assert_equal "$(stat features)" 2
	rec-train -a pop -o m.recm d.recd
	run -0 rec-recommend -m m.recm -n 1
	assert_line --partial "u9,"
}

@test "the attributes survive a dataset read and written again, and rec-split" {
	rec-pivot -o d.recd --user-features "$FIXTURES/attr-users.csv" \
		--item-features "$FIXTURES/attr-long.csv" "$FIXTURES/attr-events.csv"
	rec-pivot -o again.recd d.recd
	cmp d.recd again.recd
	rec-split --method random --ratio 0.5 --train train.recd --test test.recd d.recd
	for f in train.recd test.recd; do
		run -0 --separate-stderr rec-pivot --stats -o /dev/null "$f"
		assert_equal "$(stat item_features)" 3
		assert_equal "$(stat user_features)" 2
		assert_equal "$(stat features)" 6
	done
}

@test "a value that is not a plain number is an error at its line, or skipped" {
	run -1 rec-pivot -o d.recd --item-features "$FIXTURES/attr-bad-value.csv" \
		"$FIXTURES/attr-events.csv"
	assert_output --partial "attr-bad-value.csv:3:3:"
	assert_output --partial "'nan'"
	[ ! -e d.recd ]
	run -0 --separate-stderr rec-pivot --skip-bad --stats -o d.recd \
		--item-features "$FIXTURES/attr-bad-value.csv" "$FIXTURES/attr-events.csv"
	assert_equal "$(stat features)" 2
	[[ $stderr == *"skipped 1 bad rows"* ]] || fail "no count in: $stderr"
}

@test "an attribute file without its ID column: the events' message" {
	run -1 rec-pivot -o d.recd --item-features "$FIXTURES/attr-no-id.csv" \
		"$FIXTURES/attr-events.csv"
	assert_output --partial "attr-no-id.csv:1: no item column in the header (looked for item,item_id,itemid)"
	run -1 rec-pivot -o d.recd "$FIXTURES/no-item.csv"
	assert_output --partial "no item column in the header 'user,product,rating,timestamp' (looked for item,item_id,itemid)"
}

@test "an empty ID and a feature name over 1 KB are errors" {
	run -1 rec-pivot -o d.recd --item-features "$FIXTURES/attr-empty-id.csv" \
		"$FIXTURES/attr-events.csv"
	assert_output --partial "attr-empty-id.csv:2:1: empty item ID"
	{ echo item,feature; printf 'i1,%01025d\n' 0; } > long.csv
	run -1 rec-pivot -o d.recd --item-features long.csv "$FIXTURES/attr-events.csv"
	assert_output --partial "long.csv:2:2: feature name longer than 1024 bytes"
	{ echo item,feature; printf 'i1,%01024d\n' 0; } > long.csv
	run -0 rec-pivot -o d.recd --item-features long.csv "$FIXTURES/attr-events.csv"
}

@test "a gzip attribute file reads as the plain one" {
	gzip -c "$FIXTURES/attr-long.csv" > attr.csv.gz
	rec-pivot -o plain.recd --item-features "$FIXTURES/attr-long.csv" "$FIXTURES/attr-events.csv"
	rec-pivot -o gz.recd --item-features attr.csv.gz "$FIXTURES/attr-events.csv"
	cmp plain.recd gz.recd
}

@test "content: an item with attributes and no events is recommended" {
	rec-pivot -o d.recd --multi genres --item-features "$FIXTURES/attr-wide.csv" \
		"$FIXTURES/attr-events.csv"
	rec-train -a content -o m.recm d.recd
	# u1 saw i1 (Action|Comedy) and i2 (Comedy); i5 (Drama|Action) has
	# no event and shares Action with i1; i3 has no attributes.
	run -0 rec-recommend -m m.recm -n 2 --users <(echo u1)
	assert_line --index 1 --regexp '^u1,i5,1,0\.[0-9]+$'
	assert_line --index 2 --regexp '^u1,i3,2,0$'
}

@test "content: a streamed event folds into the profile" {
	rec-pivot -o d.recd --multi genres --item-features "$FIXTURES/attr-wide.csv" \
		"$FIXTURES/attr-events.csv"
	rec-train -a content -o m.recm d.recd
	# a new user who saw i5 gets i1 (sharing Action) first
	run -0 rec-recommend -m m.recm --stream -n 1 <<<"user,item
new,i5"
	assert_line --index 0 --regexp '^new,i1,1,0\.[0-9]+$'
}

@test "rec-split --method cold-items: the held-out items have no training event" {
	rec-pivot -o d.recd --item-features "$FIXTURES/attr-long.csv" "$FIXTURES/split.csv"
	rec-split --method cold-items --ratio 0.5 --train train.recd --test test.recd d.recd
	rec-pivot --format long -o train.csv train.recd
	rec-pivot --format long -o test.csv test.recd
	cut -d, -f2 train.csv | sed 1d | sort -u > train-items
	cut -d, -f2 test.csv | sed 1d | sort -u > test-items
	[ -s test-items ] && [ -s train-items ]
	run -0 comm -12 train-items test-items
	assert_output ""
	[ $(($(wc -l < train.csv) + $(wc -l < test.csv) - 2)) -eq \
	  "$(rec-pivot --format long d.recd | sed 1d | wc -l)" ]
	rec-split --method cold-items --ratio 0.5 --train t2.recd --test s2.recd d.recd
	cmp test.recd s2.recd
	run -0 --separate-stderr rec-pivot --stats -o /dev/null train.recd
	assert_equal "$(stat item_features)" 3
}

@test "rec-split --method cold-users: the held-out users have no training event" {
	rec-split --method cold-users --ratio 0.3 --train train.recd --test test.recd \
		"$FIXTURES/split.csv"
	rec-pivot --format long -o train.csv train.recd
	rec-pivot --format long -o test.csv test.recd
	cut -d, -f1 train.csv | sed 1d | sort -u > train-users
	cut -d, -f1 test.csv | sed 1d | sort -u > test-users
	[ -s test-users ] && [ -s train-users ]
	run -0 comm -12 train-users test-users
	assert_output ""
}
