#!/usr/bin/env bats
# Threads on a shared machine: every program runs with passive waits for
# its idle OpenMP and OpenBLAS threads unless the user chose a policy.

setup() {
	load test_helper
	rec-train -a pop -o pop.recm "$FIXTURES/stream-train.csv"
}

# stream_environ: the environment of a running rec-recommend --stream,
# one variable a line, read once it has answered an event and so is past
# its start.
stream_environ() {
	local line

	coproc STREAM { exec rec-recommend -m pop.recm --stream -n 1; }
	echo "user,item" >&"${STREAM[1]}"
	echo "new,a" >&"${STREAM[1]}"
	read -t 20 -r line <&"${STREAM[0]}"
	[ -n "$line" ]
	tr '\0' '\n' < "/proc/$STREAM_PID/environ"
	exec {STREAM[1]}>&-
	wait
}

@test "a program's idle threads wait passively" {
	unset OMP_WAIT_POLICY GOMP_SPINCOUNT OPENBLAS_THREAD_TIMEOUT
	run -0 stream_environ
	assert_line OMP_WAIT_POLICY=passive
	assert_line OPENBLAS_THREAD_TIMEOUT=4
}

@test "the user's own wait policy stands" {
	unset GOMP_SPINCOUNT OPENBLAS_THREAD_TIMEOUT
	OMP_WAIT_POLICY=active run -0 stream_environ
	assert_line OMP_WAIT_POLICY=active
	refute_line OPENBLAS_THREAD_TIMEOUT=4
	unset OMP_WAIT_POLICY
	GOMP_SPINCOUNT=1000 OPENBLAS_THREAD_TIMEOUT=8 run -0 stream_environ
	refute_line --partial OMP_WAIT_POLICY
	assert_line OPENBLAS_THREAD_TIMEOUT=8
}

@test "a program run again keeps its arguments, standard input and output" {
	unset OMP_WAIT_POLICY GOMP_SPINCOUNT
	# x is the item that most users have: three.
	run -0 --separate-stderr rec-recommend -m pop.recm -n 1 --users - <<<"nobody"
	[ "$output" = "user,item,rank,score
nobody,x,1,3" ]
	run -2 rec-train --no-such-option
	[[ "${lines[0]}" == "rec-train: "* ]]
}
