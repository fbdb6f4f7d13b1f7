#!/usr/bin/env bats
# The C unit tests of lib/: every program that the Makefile builds from
# tests/unit/*.c into $REC_BIN/unit/ must exit 0.

setup() {
	load test_helper
}

@test "every unit test source has a built program" {
	for src in "$BATS_TEST_DIRNAME"/unit/*.c; do
		name=$(basename "$src" .c)
		[ -x "$REC_BIN/unit/$name" ] || fail "$REC_BIN/unit/$name is not built (make units)"
	done
}

@test "the unit tests pass" {
	found=0
	for prog in "$REC_BIN"/unit/*; do
		[ -x "$prog" ] || continue
		found=$((found + 1))
		run -0 "$prog"
		refute_output --partial "check failed"
	done
	[ "$found" -gt 0 ] || fail "no unit tests in $REC_BIN/unit"
}

@test "the evaluation engine: hand-worked metrics, and parts that merge exactly" {
	run -0 "$REC_BIN/unit/test_eval"
	assert_output --regexp 'test_eval.c: [1-9][0-9]* checks, 0 failed'
}

@test "every model family keeps the contract of test_contract.c" {
	run -0 "$REC_BIN/unit/test_contract"
	refute_output --partial "breaks the contract"
	assert_output --partial " 0 failed"
}
