#!/usr/bin/env bats
# Forgetting users: rec-pivot --forget and rec-train --init --forget.

setup() {
	load test_helper
	EVENTS=$FIXTURES/pseudo-events.csv
	printf 'bob\ncarol\nnobody\n' > forget.txt
}

# gone FILE ID...: none of the IDs in the decompressed bytes of FILE.
gone() {
	local f=$1 id

	shift
	for id; do
		run -1 grep -a -c "$id" <(gzip -dc < "$f")
		assert_output 0
	done
}

@test "rec-pivot --forget drops the users, their events and their IDs" {
	rec-pivot -o data.recd "$EVENTS"
	run -0 rec-pivot -v --forget forget.txt --format long data.recd
	assert_line --index 0 "rec-pivot: forgot 2 of 3 users"
	refute_output --partial bob
	refute_output --partial carol
	assert_line --index 1 "rec-pivot: 24 events, 6 users, 7 items"
	[ "${#lines[@]}" -eq $((2 + 1 + 6 * 4)) ]
	grep -v -e '^bob,' -e '^carol,' "$EVENTS" > rest.csv
	rec-pivot --format long rest.csv > want.csv
	rec-pivot --forget forget.txt --format long data.recd > got.csv
	diff -u want.csv got.csv
	rec-pivot --forget forget.txt -o rest.recd data.recd
	gone rest.recd bob carol
}

@test "pop, itemknn, ease and content forget exactly: the model trained without the users" {
	rec-pivot -o data.recd "$EVENTS"
	rec-pivot --forget forget.txt -o rest.recd data.recd
	for a in pop itemknn ease content; do
		rec-train -q -a "$a" -o full.recm data.recd
		rec-train -q -a "$a" -o want.recm rest.recd
		rec-train -q --init full.recm --forget forget.txt -o got.recm
		cmp want.recm got.recm
		gone got.recm bob carol
	done
}

@test "ease with a sparse B forgets exactly" {
	rec-pivot -o data.recd "$EVENTS"
	rec-pivot --forget forget.txt -o rest.recd data.recd
	rec-train -q -a ease -p keep=2 -o full.recm data.recd
	rec-train -q -a ease -p keep=2 -o want.recm rest.recd
	rec-train -q --init full.recm --forget forget.txt -o got.recm
	cmp want.recm got.recm
	gone got.recm bob carol
}

@test "forgetting pseudonymised users maps the raw IDs with the key" {
	rec-pivot --genkey key
	rec-pivot --pseudonymize key -o data.recd "$EVENTS"
	printf 'user,item\nbob,x\ncarol,x\n' > ids.csv
	rec-pivot --pseudonymize key --format long ids.csv | cut -d, -f1 | tail -n 2 > pseudonyms
	rec-pivot --pseudonymize key --forget forget.txt -o rest.recd data.recd
	rec-train -q -a ease -o full.recm data.recd
	rec-train -q -a ease -o want.recm rest.recd
	rec-train -q --init full.recm --pseudonymize key --forget forget.txt -o got.recm
	cmp want.recm got.recm
	# shellcheck disable=SC2046
	gone got.recm $(cat pseudonyms) bob carol
	gone rest.recd $(cat pseudonyms) bob carol
}

@test "ials forgets by re-solving what the users touched; the others' lists stay close" {
	rec-pivot -o data.recd "$EVENTS"
	rec-pivot --forget forget.txt -o rest.recd data.recd
	for solver in cholesky cg; do
		rec-train -q -a ials -k 4 -e 10 -p solver=$solver -o full.recm data.recd
		rec-train -q -a ials -k 4 -e 10 -p solver=$solver -o want.recm rest.recd
		rec-train -q --init full.recm --forget forget.txt -e 3 -o got.recm
		gone got.recm bob carol
		rec-recommend -m want.recm -n 2 | sort > want.csv
		rec-recommend -m got.recm -n 2 | sort > got.csv
		# Every remaining user, and no forgotten one, gets a list; at
		# least half of the recommended (user, item) pairs agree.
		[ "$(cut -d, -f1 want.csv | sort -u)" = "$(cut -d, -f1 got.csv | sort -u)" ]
		common=$(join -t, <(cut -d, -f1,2 want.csv | tr , : | sort) \
			<(cut -d, -f1,2 got.csv | tr , : | sort) | wc -l)
		[ "$common" -ge 6 ]
	done
}

@test "the SGD families forget by a partial update" {
	rec-pivot -o data.recd "$EVENTS"
	for a in bpr mf neumf; do
		rec-train -q -a "$a" -k 4 -e 2 --force -o full.recm data.recd
		rec-train -q --init full.recm --forget forget.txt -o got.recm
		gone got.recm bob carol
		run -0 rec-recommend -m got.recm -n 1
		[ "${#lines[@]}" -eq 7 ]
	done
}

@test "--forget: usage and bad lists" {
	rec-pivot -o data.recd "$EVENTS"
	rec-train -q -a pop -o full.recm data.recd
	run -2 rec-train -a pop --forget forget.txt -o m.recm data.recd
	assert_output --partial "--forget goes with --init"
	run -1 rec-train --init full.recm --forget missing.txt -o m.recm
	assert_output --partial "missing.txt"
	[ ! -e m.recm ]
	run -1 rec-pivot --forget missing.txt -o x.recd data.recd
	[ ! -e x.recd ]
	# Nobody to forget: the model is trained as it was.
	printf 'nobody\n' > none.txt
	rec-train -q --init full.recm --forget none.txt -o same.recm
	cmp full.recm same.recm
}
