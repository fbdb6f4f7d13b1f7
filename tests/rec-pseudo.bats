#!/usr/bin/env bats
# Pseudonymised user IDs: rec-pivot --genkey, and --pseudonymize on
# rec-pivot, rec-split, rec-train, rec-recommend and rec-eval.

setup() {
	load test_helper
	EVENTS=$FIXTURES/pseudo-events.csv
	USERS="alice bob carol dave erin frank grace heidi"
}

# The key of bytes 0 to 31.
fixed_key() {
	printf '\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017' > "$1"
	printf '\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037' >> "$1"
}

# no_raw_ids FILE: no user ID of the fixture in the decompressed bytes.
no_raw_ids() {
	local u

	for u in $USERS; do
		run -1 grep -a -c "$u" <(gzip -dc < "$1")
		assert_output 0
	done
}

@test "rec-pivot --genkey writes 32 bytes of mode 0600 and refuses to overwrite" {
	run -0 rec-pivot --genkey key
	[ "$(wc -c < key)" -eq 32 ]
	[ "$(stat -c %a key)" = 600 ]
	cp key before
	run -1 rec-pivot --genkey key
	assert_output --partial "rec-pivot: key: File exists"
	cmp key before
	run -2 rec-pivot --genkey key2 -o x.recd
	assert_output --partial "--genkey goes alone"
}

@test "a pseudonym is the first 16 bytes of HMAC-SHA-256 in hex" {
	fixed_key key
	# HMAC-SHA-256 of "alice" under the key 00 01 ... 1f, by Python's hmac.
	printf 'user,item\nalice,i1\n' > one.csv
	run -0 rec-pivot --pseudonymize key --format long one.csv
	assert_output "user,item
6eefad2bed97b6d93ee663d67a44b460,i1"
}

@test "no raw user ID is written to a dataset, a split or a model; the same key gives the same bytes" {
	rec-pivot --genkey key
	rec-pivot --pseudonymize key -o a.recd "$EVENTS"
	rec-pivot --pseudonymize key -o b.recd "$EVENTS"
	cmp a.recd b.recd
	rec-split --pseudonymize key --method last --count 1 --train train.recd \
		--test test.recd "$EVENTS"
	rec-train -a pop --pseudonymize key -o model.recm "$EVENTS"
	for f in a.recd train.recd test.recd model.recm; do
		no_raw_ids "$f"
	done
	# The fixture's IDs are found this way when no key is given.
	rec-pivot -o plain.recd "$EVENTS"
	run -0 grep -a -c alice <(gzip -dc < plain.recd)
}

@test "a pseudonymised dataset is not hashed twice" {
	rec-pivot --genkey key
	rec-pivot --pseudonymize key -o a.recd "$EVENTS"
	rec-pivot --pseudonymize key -o b.recd a.recd
	cmp a.recd b.recd
	rec-split --pseudonymize key --method last --count 1 --train t1.recd --test s1.recd a.recd
	rec-split --pseudonymize key --method last --count 1 --train t2.recd --test s2.recd "$EVENTS"
	cmp t1.recd t2.recd
	cmp s1.recd s2.recd
}

@test "the metrics are those of the same pipeline without a key" {
	rec-pivot --genkey key
	for p in "" "--pseudonymize key"; do
		# shellcheck disable=SC2086
		rec-split $p --method last --count 1 --train "train$p.recd" \
			--test "test$p.recd" "$EVENTS"
	done
	for a in pop itemknn ials; do
		rec-train -q -a "$a" -o plain.recm "train.recd"
		rec-train -q -a "$a" --pseudonymize key -o pseudo.recm "train.recd"
		rec-eval --test test.recd -k 3 -m plain.recm > plain.csv
		rec-eval --test "test--pseudonymize key.recd" -k 3 -m pseudo.recm > pseudo.csv
		diff -u plain.csv pseudo.csv
	done
}

@test "rec-recommend --users and --stream take raw IDs and name users by them" {
	rec-pivot --genkey key
	rec-train -q -a itemknn -o plain.recm "$EVENTS"
	rec-train -q -a itemknn --pseudonymize key -o pseudo.recm "$EVENTS"
	printf 'carol\nalice\n' > users.txt
	rec-recommend -m plain.recm -n 3 --users users.txt > plain.csv
	run -0 rec-recommend -m pseudo.recm -n 3 --users users.txt --pseudonymize key
	assert_output "$(cat plain.csv)"
	printf 'user,item\nalice,item2\nbob,item7\n' > stream.csv
	rec-recommend -m plain.recm -n 3 --stream < stream.csv > plain.csv
	run -0 rec-recommend -m pseudo.recm -n 3 --stream --pseudonymize key < stream.csv
	assert_output "$(cat plain.csv)"
	# Over every user, only the pseudonyms can name them.
	run -0 rec-recommend -m pseudo.recm -n 1 --pseudonymize key
	assert_line --index 1 --regexp '^[0-9a-f]{32},item[0-9],1,'
}

@test "rec-eval --pseudonymize measures raw lists and events against pseudonymised data" {
	rec-pivot --genkey key
	rec-split --method last --count 1 --train train.recd --test test.recd "$EVENTS"
	rec-split --pseudonymize key --method last --count 1 --train ptrain.recd \
		--test ptest.recd "$EVENTS"
	rec-pivot --format long -o test.csv test.recd
	rec-train -q -a itemknn -o plain.recm train.recd
	rec-train -q -a itemknn --pseudonymize key -o pseudo.recm ptrain.recd
	printf '%s\n' $USERS > users.txt
	rec-recommend -m plain.recm -n 3 --users users.txt > plain-lists.csv
	rec-recommend -m pseudo.recm -n 3 --users users.txt --pseudonymize key > raw-lists.csv
	rec-eval --test test.recd --train train.recd -k 3 plain-lists.csv > plain.csv
	# Lists named by raw IDs, the test set pseudonymised or a raw CSV.
	for t in ptest.recd test.csv; do
		run -0 rec-eval --pseudonymize key --test "$t" --train ptrain.recd -k 3 raw-lists.csv
		assert_output "$(cat plain.csv)"
	done
	# Without the key the raw names match no pseudonymised test user.
	run -0 rec-eval --test ptest.recd -k 3 raw-lists.csv
	refute_output "$(cat plain.csv)"
	# The per-user rows name users by their pseudonyms only.
	run -0 rec-eval --pseudonymize key --test test.csv -k 3 --per-user raw-lists.csv
	refute_output --partial alice
	assert_line --index 1 --regexp '^[0-9a-f]{32},'
	rec-eval --prequential -m plain.recm -k 3 test.csv > plain.csv
	run -0 rec-eval --prequential --pseudonymize key -m pseudo.recm -k 3 test.csv
	assert_output "$(cat plain.csv)"
	rec-eval -m plain.recm --test test.csv -k 3 > plain.csv
	run -0 rec-eval --pseudonymize key -m pseudo.recm --test test.csv -k 3
	assert_output "$(cat plain.csv)"
}

@test "bad key files and keys that do not fit the data" {
	printf 'short' > short
	run -1 rec-pivot --pseudonymize short -o x.recd "$EVENTS"
	assert_output "rec-pivot: short: a key has 32 bytes, this file fewer"
	head -c 33 /dev/zero > long
	run -1 rec-split --pseudonymize long --train a.recd --test b.recd "$EVENTS"
	assert_output "rec-split: long: a key has 32 bytes, this file more"
	run -1 rec-train -a pop --pseudonymize missing -o m.recm "$EVENTS"
	assert_output "rec-train: missing: No such file or directory"
	run -2 rec-train -a pop --pseudonymize
	[ ! -e x.recd ] && [ ! -e a.recd ] && [ ! -e m.recm ]
	rec-pivot --genkey key
	rec-train -q -a pop -o plain.recm "$EVENTS"
	run -1 rec-recommend -m plain.recm --pseudonymize key
	assert_output "rec-recommend: plain.recm: its users are not pseudonymised; no --pseudonymize"
	run -1 rec-train --init plain.recm --pseudonymize key -o m.recm "$EVENTS"
	assert_output --partial "its users are not pseudonymised"
	rec-train -q -a pop --pseudonymize key -o pseudo.recm "$EVENTS"
	run -1 rec-train --init pseudo.recm -o m.recm "$EVENTS"
	assert_output "rec-train: pseudo.recm: its users are pseudonymised; give --pseudonymize KEYFILE"
	run -1 rec-eval --pseudonymize key -m plain.recm --test "$EVENTS"
	assert_output "rec-eval: plain.recm: its users are not pseudonymised; no --pseudonymize"
	run -1 rec-eval --prequential --pseudonymize key -m plain.recm "$EVENTS"
	assert_output "rec-eval: plain.recm: its users are not pseudonymised; no --pseudonymize"
	run -1 rec-eval --pseudonymize short --test "$EVENTS" "$EVENTS"
	assert_output "rec-eval: short: a key has 32 bytes, this file fewer"
	run -2 rec-eval --merge --pseudonymize key part
	assert_output --partial "--merge takes the parts alone"
	run -2 rec-recommend -m pseudo.recm --predict "$EVENTS" --pseudonymize key
	assert_output --partial "not --predict"
}
