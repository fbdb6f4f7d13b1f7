#!/usr/bin/env bats
# The man pages: each program's SYNOPSIS names the same options as the
# usage lines of its --help, every page is clean under mandoc's lint, and
# the EXAMPLES that use samples/ run.

setup() {
	load test_helper
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
}

# render PAGE: the page as plain text, one line as long as it needs.
render() {
	mandoc -Tascii -Owidth=1000 "$1" | sed 's/.\x08//g'
}

# section NAME: the body of section NAME of a rendered page on stdin.
section() {
	sed -n "/^$1\$/,/^[A-Z]/p" | sed '1d;$d'
}

# options: the options named in the text on stdin, one a line, sorted;
# a cluster such as -qv counts as -q and -v.
options() {
	local opt

	grep -oE '(^|[[ ])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[[ ]//' |
		while read -r opt; do
			case $opt in
			--*) printf '%s\n' "$opt" ;;
			*)
				opt=${opt#-}
				while [ -n "$opt" ]; do
					printf -- '-%s\n' "${opt:0:1}"
					opt=${opt:1}
				done
				;;
			esac
		done | sort -u
}

help_options() {
	"$1" --help | sed -n '/^usage:/,/^$/p' | options
}

synopsis_options() {
	render "$1" | section SYNOPSIS | options
}

# examples PAGE: the commands of PAGE's EXAMPLES, the lines shown after a
# "$ " prompt.
examples() {
	render "$1" | section EXAMPLES | sed -n 's/^[[:space:]]*\$ //p'
}

# readiness DIR COMMAND: 0 if COMMAND can run in DIR; 1 (and the reason on
# stdout) if it needs a program or an option that is not built yet; 2 if
# it reads a file that is not there: data the project does not ship, or
# the output of a command that did not run.
readiness() {
	local dir=$1 cmd=$2 word prev= helps= opt
	local -a words

	read -ra words <<< "$cmd"
	for word in "${words[@]}"; do
		case $word in
		rec-*)
			if ! command -v "$word" > /dev/null; then
				echo "$word is not built"
				return 1
			fi
			helps+=$("$word" --help)$'\n'
			;;
		esac
	done
	for word in "${words[@]}"; do
		case $word in
		--*)
			opt=${word%%=*}
			if ! grep -qE -- "(^|[^A-Za-z-])$opt([^A-Za-z0-9-]|\$)" <<< "$helps"; then
				echo "$opt is not built"
				return 1
			fi
			;;
		*'$'*) ;;
		*.csv | *.tsv | *.data | *.recd | *.recm | *.gz)
			case $prev in
			-o | --output | --train | --test | --save | '>') ;;
			*) [ -e "$dir/$word" ] || return 2 ;;
			esac
			;;
		esac
		prev=$word
	done
	return 0
}

# run_examples PAGE: if PAGE's EXAMPLES use samples/, run them in order in
# a directory of their own that has the project's samples/.  Fails on the
# first command that fails; sets PENDING to the commands put off because
# what they need is not built yet.
run_examples() {
	local page=$1 dir cmd why rc
	local -a cmds

	PENDING=
	mapfile -t cmds < <(examples "$page")
	[ "${#cmds[@]}" -gt 0 ] || return 0
	printf '%s\n' "${cmds[@]}" | grep -q 'samples/' || return 0
	dir=$BATS_TEST_TMPDIR/$(basename "$page")
	mkdir -p "$dir"
	ln -s "$ROOT/samples" "$dir/samples"
	for cmd in "${cmds[@]}"; do
		rc=0
		why=$(readiness "$dir" "$cmd") || rc=$?
		if [ "$rc" -eq 1 ]; then
			PENDING+="$(basename "$page"): $why"$'\n'
			continue
		fi
		[ "$rc" -eq 0 ] || continue
		rc=0
		(cd "$dir" && timeout 300 bash -c "$cmd") > "$dir/.out" 2>&1 || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "$(basename "$page"): '$cmd' exited $rc:"
			cat "$dir/.out"
			return 1
		fi
	done
}

# check_examples PAGE...: run_examples on each, then skip the test if
# anything was put off.
check_examples() {
	local page pending=

	[ -e "$ROOT/samples/events.csv" ] || skip "samples/events.csv is not there"
	for page; do
		run_examples "$page"
		pending+=$PENDING
	done
	[ -z "$pending" ] ||
		skip "not built yet: $(sort -u <<< "${pending%$'\n'}" | paste -sd ';' - | sed 's/;/; /g')"
}

@test "man: every program has a page whose SYNOPSIS agrees with --help" {
	local src prog page bad=

	for src in "$ROOT"/cmd/rec-*.c; do
		prog=$(basename "$src" .c)
		page=$ROOT/man/$prog.1
		if [ ! -e "$page" ]; then
			echo "$prog: there is no man/$prog.1"
			bad=1
		elif ! command -v "$prog" > /dev/null; then
			echo "$prog: not built"
			bad=1
		elif ! diff -u --label "$prog --help" --label "man/$prog.1 SYNOPSIS" \
			<(help_options "$prog") <(synopsis_options "$page"); then
			bad=1
		fi
	done
	[ -z "$bad" ]
}

@test "man: the option parser of this test reads clusters and long options" {
	run -0 options <<< 'usage: rec-x [-qv] [-o FILE] [--a-b N] [--c recd|long]
       rec-x -m MODEL --predict FILE [FILE ...]'
	assert_output "$(printf '%s\n' --a-b --c --predict -m -o -q -v)"
}

@test "man: the overview and the file formats have pages" {
	[ -e "$ROOT/man/rec.7" ]
	[ -e "$ROOT/man/rec-formats.5" ]
}

@test "man: mandoc -Tlint -W warning passes on every page" {
	local -a pages=("$ROOT"/man/*.[1-9])

	[ -e "${pages[0]}" ]
	run -0 mandoc -Tlint -W warning "${pages[@]}"
	assert_output ''
}

@test "man: the EXAMPLES of rec-pivot(1) run" {
	check_examples "$ROOT/man/rec-pivot.1"
}

@test "man: the EXAMPLES of rec-split(1) run" {
	check_examples "$ROOT/man/rec-split.1"
}

@test "man: the EXAMPLES of rec(7) run" {
	check_examples "$ROOT/man/rec.7"
}

@test "man: the EXAMPLES of the other pages run" {
	local page
	local -a others=()

	for page in "$ROOT"/man/*.[1-9]; do
		case $(basename "$page") in
		rec-pivot.1 | rec-split.1 | rec.7) ;;
		*) others+=("$page") ;;
		esac
	done
	[ "${#others[@]}" -gt 0 ] || skip "no other pages"
	check_examples "${others[@]}"
}

@test "man: --help and rec-pivot(1) name the same separators of -d, each taken" {
	local prog name

	man_names=$(render "$ROOT/man/rec-pivot.1" | grep -A1 '^ *-d, --delimiter' |
		sed -n 's/.*one of the names \([a-z, ]*\) and \([a-z]*\)\..*/\1, \2/p' |
		tr -d ' ' | tr , '\n' | sort)
	[ -n "$man_names" ]
	for prog in rec-pivot rec-split rec-train rec-recommend rec-eval; do
		help_names=$("$prog" --help | sed -n '/^  -d, --delimiter/,/^  -/p' | tr -d '\n' |
			sed -n 's/.*or a name: \([a-z, ]*\) or \([a-z]*\) .*/\1, \2/p' |
			tr -d ' ' | tr , '\n' | sort)
		diff -u <(echo "$man_names") <(echo "$help_names")
	done
	# Each name is taken: data may then be wrong (1), the usage is not (2).
	for name in $man_names; do
		run rec-pivot -q -d "$name" -o /dev/null /dev/null
		[ "$status" -eq 1 ]
	done
	run -2 rec-pivot -q -d colon -o /dev/null /dev/null
}

@test "man: every algorithm's scores are described in rec-recommend(1) and rec-formats(5)" {
	local algo

	algos=$(rec-train --help | sed -n '/^Algorithms/,$p' | sed -n 's/^  \([a-z]*\) .*/\1/p')
	[ "$(echo "$algos" | wc -l)" -ge 10 ]
	scores=$(render "$ROOT/man/rec-recommend.1" | sed -n '/^   Scores$/,/^   Streaming$/p')
	recs=$(render "$ROOT/man/rec-formats.5" | sed -n '/^   Recommendations CSV$/,/^   Predictions CSV$/p')
	models=$(render "$ROOT/man/rec-formats.5" | sed -n '/^   Model$/,/^   Part of a training/p')
	for algo in $algos; do
		# in the list of scores, and in that of unknown users' and items'
		[ "$(grep -cE "^ {5,}$algo( |,|$)|, $algo(,| |$)" <<<"$scores")" -ge 2 ] ||
			{ echo "rec-recommend(1) Scores: $algo"; false; }
		grep -qE "^ {5,}$algo( |$)" <<<"$recs" || { echo "rec-formats(5) scores: $algo"; false; }
		grep -qE "^ {5,}$algo( |$)" <<<"$models" || { echo "rec-formats(5) Model: $algo"; false; }
	done
}
