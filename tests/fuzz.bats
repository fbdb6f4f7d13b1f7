#!/usr/bin/env bats
# The fuzz targets of tests/fuzz/ as plain programs ($REC_BIN/fuzz/TARGET,
# built by 'make units'): they replay the seeds made from the fixtures and
# every regression input under tests/fuzz/regress/TARGET/ without a crash,
# a sanitizer report or a broken property.

setup() {
	load test_helper
	TARGETS="csv recd recm"
}

@test "every fuzz target has a replay program" {
	for t in $TARGETS; do
		[ -x "$REC_BIN/fuzz/$t" ] || fail "$REC_BIN/fuzz/$t is not built (make units)"
	done
	for dir in "$BATS_TEST_DIRNAME"/fuzz/regress/*/; do
		[ -d "$dir" ] || continue
		case " $TARGETS " in
		*" $(basename "$dir") "*) ;;
		*) fail "no target for $dir" ;;
		esac
	done
}

@test "the seeds replay: the fixtures read alike on both CSV paths, every family loads" {
	sh "$BATS_TEST_DIRNAME/fuzz/seeds.sh" "$REC_BIN" seeds
	for t in $TARGETS; do
		set -- seeds/"$t"/*
		[ "$#" -gt 3 ] || fail "too few seeds for $t: $*"
		run -0 "$REC_BIN/fuzz/$t" "$@"
		[ "${#lines[@]}" -eq "$#" ] || fail "$t ran ${#lines[@]} of $# seeds"
	done
	[ -s seeds/recm/sasrec ] && [ -s seeds/recm/ials ] && [ -s seeds/recm/itemknn ] &&
		[ -s seeds/recm/ease-sparse ] && [ -s seeds/recm/sasrec-attributes ]
}

@test "the regression inputs replay" {
	found=0
	for t in $TARGETS; do
		for f in "$BATS_TEST_DIRNAME/fuzz/regress/$t"/*; do
			[ -f "$f" ] || continue
			found=$((found + 1))
			run -0 "$REC_BIN/fuzz/$t" "$f"
			assert_output "$f: ok"
		done
	done
	[ "$found" -gt 0 ] || fail "no regression inputs under tests/fuzz/regress"
}

@test "a replay program fails on an input it cannot read" {
	run -1 "$REC_BIN/fuzz/csv" missing.csv
	assert_output --partial "missing.csv: No such file or directory"
}
