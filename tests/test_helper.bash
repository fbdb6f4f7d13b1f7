# test_helper.bash - loaded by every test file from its setup().
#
# Puts the programs under test first on PATH (REC_BIN, default bin/ of the
# source tree), fixes the locale, loads bats-support and bats-assert, and
# runs each test in its own empty directory.

REC_BIN=${REC_BIN:-$BATS_TEST_DIRNAME/../bin}
PATH="$REC_BIN:$PATH"
export LC_ALL=C

bats_require_minimum_version 1.5.0

# The libraries' own load.bash files run a dirname subshell per source
# file, which costs more than most tests here; loading their sources
# directly gives the same functions.
if [ -d /usr/lib/bats/bats-support/src ] && [ -d /usr/lib/bats/bats-assert/src ]; then
	for src in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
		load "$src"
	done
	unset src
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi

# A sanitizer's finding exits 1 by default, like a data error; make it
# look like the crash it is, so that no "run -1" can pass on one.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=134}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=134:print_stacktrace=1}

FIXTURES=$BATS_TEST_DIRNAME/fixtures
GOLDEN=$BATS_TEST_DIRNAME/golden

cd "$BATS_TEST_TMPDIR" || exit 1

# flip_byte FILE OFFSET: invert every bit of the byte at OFFSET, in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || return 1
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# put_bytes FILE OFFSET BYTE...: overwrite bytes at OFFSET with the given
# values (decimal), in place.
put_bytes() {
	local file=$1 off=$2 b
	shift 2
	for b; do
		# shellcheck disable=SC2059
		printf "$(printf '\\%03o' "$b")" |
			dd of="$file" bs=1 seek="$off" conv=notrunc status=none
		off=$((off + 1))
	done
}

# size FILE: its length in bytes.
size() {
	wc -c < "$1" | tr -d ' '
}

# recd_unpack IN OUT / recd_pack IN OUT: a dataset's uncompressed bytes,
# and back into a gzip stream, so a test can change what the CRC covers.
recd_unpack() {
	gzip -dc < "$1" > "$2"
}

recd_pack() {
	gzip -c < "$1" > "$2"
}

# golden NAME FILE: FILE must equal tests/golden/NAME byte for byte.
golden() {
	diff -u "$GOLDEN/$1" "$2"
}

# help_to_full PROG: --help and --version to a full device fail like any
# other write.
help_to_full() {
	local opt

	for opt in --help --version; do
		run -1 --separate-stderr bash -c '"$1" "$2" > /dev/full' _ "$1" "$opt"
		assert_equal "$stderr" "$1: standard output: write failed: No space left on device"
	done
}

# usage_message PROG MESSAGE ARGS...: PROG ARGS is a usage error whose
# first line is "PROG: MESSAGE".
usage_message() {
	local prog=$1 msg=$2

	shift 2
	run -2 --separate-stderr "$prog" "$@"
	assert_equal "$output" ""
	assert_equal "${stderr_lines[0]}" "$prog: $msg"
	assert_equal "${stderr_lines[${#stderr_lines[@]} - 1]}" \
		"Try '$prog --help' for more information."
}

# common_values PROG ARGS...: the values of -j and --seed that every
# program refuses, with the same messages; ARGS complete a good command.
common_values() {
	local prog=$1

	shift
	usage_message "$prog" "--threads '4097' is out of range [0, 4096]" -j 4097 "$@"
	usage_message "$prog" "bad --threads 'two'" -j two "$@"
	if grep -q -- '--seed N' <<< "$("$prog" --help)"; then
		usage_message "$prog" "bad --seed '-1'" --seed -1 "$@"
		usage_message "$prog" "bad --seed ' 1'" --seed ' 1' "$@"
		usage_message "$prog" \
			"--seed '18446744073709551616' is out of range [0, 18446744073709551615]" \
			--seed 18446744073709551616 "$@"
	else
		usage_message "$prog" "option '--seed' has no use here" --seed 7 "$@"
		usage_message "$prog" "option '--seed' has no use here" --seed -1 "$@"
	fi
}
