#!/usr/bin/env bats
# Training ials in shards: rec-train --init --solve --shard writes one
# shard's half sweep, --merge joins the shards; the sweeps give exactly the
# model of one process, and every way of joining them wrongly is refused.

setup() {
	load test_helper
	SAMPLES=$BATS_TEST_DIRNAME/../samples
}

# The first 3000 events of the sample, in 4 shards of users (u-I.recd)
# and 4 of items (i-I.recd), and the initial model m0.recm; the
# arguments are rec-train's options for both.
fixture() {
	head -n 3001 "$SAMPLES/events.csv" > events.csv
	rec-pivot -o data.recd events.csv
	rec-pivot --shards 4 -o u data.recd
	rec-pivot --shards 4 --by item -o i data.recd
	rec-train -q -a ials -k 4 -e 0 "$@" -o m0.recm data.recd
}

# half MODEL SIDE PREFIX OUT: the 4 jobs of one half sweep and their merge.
half() {
	for i in 1 2 3 4; do
		rec-train -q --init "$1" --solve "$2" --shard $i/4 -o "$2-$i.part" "$3-$i.recd"
	done
	rec-train -q --merge "$1" -o "$4" "$2"-[1-4].part
}

# sweeps N: N sweeps from m0.recm, each the items' half and then the
# users', into sweep-N.recm.
sweeps() {
	local at=m0.recm

	for s in $(seq 1 "$1"); do
		half "$at" items i half-$s.recm
		half half-$s.recm users u sweep-$s.recm
		at=sweep-$s.recm
	done
}

@test "3 sweeps in 4 shards are the model of -e 3, byte for byte" {
	fixture
	sweeps 3
	rec-train -q -a ials -k 4 -e 3 -o whole.recm data.recd
	cmp sweep-3.recm whole.recm
	# and not by accident: a sweep fewer differs
	rec-train -q -a ials -k 4 -e 2 -o two.recm data.recd
	cmp sweep-2.recm two.recm
	run -1 cmp -s sweep-3.recm two.recm
}

@test "the sweeps keep the model's time decay, confidences and conjugate gradients" {
	fixture --half-life 30d -p alpha=2 -p solver=cg -p cg_steps=2 -p unobserved=0.1
	sweeps 2
	rec-train -q -a ials -k 4 -e 2 --half-life 30d -p alpha=2 -p solver=cg -p cg_steps=2 \
		-p unobserved=0.1 -o whole.recm data.recd
	cmp sweep-2.recm whole.recm
	# the scores agree as well, and a sharded model serves as any other
	rec-recommend -m sweep-2.recm -n 5 > sharded.csv
	rec-recommend -m whole.recm -n 5 > whole.csv
	cmp sharded.csv whole.csv
}

@test "-e 0 gives the seeded initial factors, which differ by seed" {
	fixture
	rec-train -q -a ials -k 4 -e 0 -o again.recm data.recd
	cmp m0.recm again.recm
	rec-train -q -a ials -k 4 -e 0 --seed 7 -o other.recm data.recd
	run -1 cmp -s m0.recm other.recm
}

# refused CODE MESSAGE ARGS...: rec-train fails with CODE and MESSAGE on
# standard error (first line), and leaves out.recm as it was.
refused() {
	local code=$1 msg=$2

	shift 2
	echo old > out.recm
	run "-$code" --separate-stderr rec-train -q "$@" -o out.recm
	assert_equal "${stderr_lines[0]}" "$msg"
	assert_equal "$(cat out.recm)" old
}

@test "a merge refuses parts of another model, sides, counts, and missing or repeated shards" {
	fixture
	for i in 1 2 3 4; do
		rec-train -q --init m0.recm --solve users --shard $i/4 -o u$i.part u-$i.recd
		rec-train -q --init m0.recm --solve items --shard $i/4 -o i$i.part i-$i.recd
	done
	rec-train -q -a ials -k 4 -e 0 --seed 2 -o m1.recm data.recd
	rec-train -q --init m1.recm --solve users --shard 3/4 -o other.part u-3.recd
	rec-pivot --shards 2 -o two data.recd
	rec-train -q --init m0.recm --solve users --shard 1/2 -o two.part two-1.recd

	refused 1 "rec-train: other.part: a part of another model" \
		--merge m0.recm u1.part u2.part other.part u4.part
	refused 1 "rec-train: u2.part: shard 2/4 given twice" \
		--merge m0.recm u1.part u2.part u2.part u3.part u4.part
	refused 1 "rec-train: shard 3/4 of the users is missing" \
		--merge m0.recm u1.part u2.part u4.part
	refused 1 "rec-train: i3.part: a part of the items' half sweep, not the users'" \
		--merge m0.recm u1.part u2.part i3.part u4.part
	refused 1 "rec-train: two.part: a part of 2 shards, not 4" \
		--merge m0.recm u1.part two.part u2.part u3.part u4.part
	# the parts of m0 are not parts of the model they make
	rec-train -q --merge m0.recm -o m0u.recm u1.part u2.part u3.part u4.part
	refused 1 "rec-train: i1.part: a part of another model" \
		--merge m0u.recm i1.part i2.part i3.part i4.part
	cp u3.part bad.part
	flip_byte bad.part 60
	run -1 --separate-stderr rec-train -q --merge m0.recm -o out.recm u1.part u2.part \
		bad.part u4.part
	assert_regex "$stderr" '^rec-train: bad.part: '
}

@test "a half sweep refuses another shard's data, a shard out of range and other families" {
	fixture
	refused 1 "rec-train: u-2.recd: user 'u98' is not in shard 1/4" \
		--init m0.recm --solve users --shard 1/4 u-2.recd
	refused 1 "rec-train: u-1.recd: item 'i386' is not in shard 1/4" \
		--init m0.recm --solve items --shard 1/4 u-1.recd
	printf 'user,item\nnobody,i1\n' > new.csv
	refused 1 "rec-train: new.csv: user 'nobody' is not in the model" \
		--init m0.recm --solve users --shard 1/1 new.csv
	rec-train -q -a bpr -k 4 -e 1 -o bpr.recm data.recd
	refused 1 "rec-train: bpr.recm: a bpr model cannot be trained in shards (ials can)" \
		--init bpr.recm --solve users --shard 1/4 u-1.recd
	refused 2 "rec-train: --shard index '5' is out of range [1, 4]" \
		--init m0.recm --solve users --shard 5/4 u-1.recd
	refused 2 "rec-train: --shard index '0' is out of range [1, 4]" \
		--init m0.recm --solve users --shard 0/4 u-1.recd
	refused 2 "rec-train: --shard count '0' is out of range [1, 1000000]" \
		--init m0.recm --solve users --shard 1/0 u-1.recd
	run -2 --separate-stderr rec-train --init m0.recm --solve users -o out.recm u-1.recd
	assert_equal "${stderr_lines[0]}" "rec-train: --solve and --shard go together, with --init"
	run -2 --separate-stderr rec-train --init m0.recm --solve both --shard 1/4 -o out.recm
	assert_equal "${stderr_lines[0]}" "rec-train: bad --solve 'both' (want users or items)"
	run -2 --separate-stderr rec-train --init m0.recm --solve users --shard 1/4 -e 2 \
		-o out.recm u-1.recd
	assert_equal "${stderr_lines[0]}" "rec-train: --solve keeps the model's parameters and decay"
	run -2 --separate-stderr rec-train --merge m0.recm -o out.recm
	assert_equal "${stderr_lines[0]}" "rec-train: --merge wants the parts to merge"
	run -2 --separate-stderr rec-train --merge m0.recm -a ials -o out.recm x.part
	assert_equal "${stderr_lines[0]}" "rec-train: --merge takes only MODEL, -o and the parts"
}

@test "samples/sharded.sh -t trains the model in sweeps under GNU parallel" {
	command -v parallel > /dev/null ||
		fail "GNU parallel is not installed: run build-aux/deps (package parallel)"
	fixture
	rec-split --method last --count 1 --train train.recd --test test.recd data.recd
	REC_TRAIN_OPTS="-k 4" run -0 sh "$SAMPLES/sharded.sh" -n 3 -t 2 -k 5,10 \
		train.recd test.recd model.recm out
	rec-train -q -a ials -k 4 -e 2 -o whole.recm train.recd
	cmp model.recm whole.recm
	cmp out/sweep-1.recm <(rec-train -q -a ials -k 4 -e 1 -o - train.recd)
	rec-recommend -m whole.recm -n 10 > recs.csv
	assert_equal "$(cat out/metrics.csv)" \
		"$(rec-eval --test test.recd --train train.recd -k 5,10 recs.csv)"
}
