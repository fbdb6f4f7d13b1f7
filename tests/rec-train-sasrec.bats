#!/usr/bin/env bats
# rec-train -a sasrec: a planted order that only a sequence model can
# learn, determinism, fold-in by cached keys and values against a full
# encoding, fallbacks and bad parameters.  The gradient checks and the
# save and load round trip are in unit/test_sasrec.c.
#
# sasrec-order.csv: in each of the users u00..u39, item b comes right after
# item a, and every one of them has i0 too; the probes p0..p7 end with a
# and have seen neither b nor i0.  Popularity recommends i0 to the probes;
# sasrec must recommend b.

setup() {
	load test_helper
}

# A small, fast network for the fixture.
small() {
	rec-train -a sasrec -k 16 -e 30 -p max_len=10 -p batch=16 -p dropout=0.1 \
		--lr 0.01 -j 1 "$@" "$FIXTURES/sasrec-order.csv"
}

@test "sasrec learns that b follows a, which popularity cannot" {
	small -o m.recm
	run -0 rec-recommend -m m.recm -n 1
	probes=$(echo "$output" | grep -c '^p[0-9],b,1,')
	[ "$probes" -eq 8 ] || fail "b is first for $probes of 8 probes: $output"
	rec-train -a pop -o pop.recm "$FIXTURES/sasrec-order.csv"
	run -0 rec-recommend -m pop.recm -n 1
	refute_output --partial ',b,1,'
	assert_line 'p0,i0,1,40'
}

@test "sasrec learns the order with sampled negatives too" {
	small -p loss=sampled -p negatives=4 -o m.recm
	run -0 rec-recommend -m m.recm -n 1
	probes=$(echo "$output" | grep -c '^p[0-9],b,1,')
	[ "$probes" -eq 8 ] || fail "b is first for $probes of 8 probes: $output"
}

@test "sasrec with windows=all learns the order from every window of a history" {
	# With max_len=2 the last window of most users has no a followed by b.
	small -p max_len=2 -p windows=all -o all.recm
	run -0 rec-recommend -m all.recm -n 1
	probes=$(echo "$output" | grep -c '^p[0-9],b,1,')
	[ "$probes" -eq 8 ] || fail "b is first for $probes of 8 probes: $output"
	small -p max_len=2 -p windows=all -j 3 -o all3.recm
	cmp all.recm all3.recm
	small -p max_len=2 -o last.recm
	run -1 cmp -s all.recm last.recm
}

@test "sasrec without item attributes writes no attribute section" {
	small -o m.recm
	[ "$(gzip -dc m.recm | grep -ac IAEM)" -eq 0 ]
	# attributes all left out by --min-feature are none
	awk -F, 'NR > 1 && !seen[$2]++ { print $2 ",x" } NR == 1 { print "item,feature" }' \
		"$FIXTURES/sasrec-order.csv" > items.csv
	rec-pivot --item-features items.csv --min-feature 1000 -o d.recd "$FIXTURES/sasrec-order.csv"
	rec-train -a sasrec -k 16 -e 30 -p max_len=10 -p batch=16 -p dropout=0.1 \
		--lr 0.01 -j 1 -o dropped.recm d.recd
	[ "$(gzip -dc dropped.recm | grep -ac IAEM)" -eq 0 ]
	[ "$(rec-recommend -m dropped.recm -n 3)" = "$(rec-recommend -m m.recm -n 3)" ]
}

@test "sasrec with one thread and a seed writes the same model twice" {
	small --seed 9 -o one.recm
	small --seed 9 -o two.recm
	cmp one.recm two.recm
	small --seed 10 -o three.recm
	! cmp -s one.recm three.recm
}

@test "sasrec writes the same model whatever the number of threads" {
	small --seed 3 -o one.recm
	small --seed 3 -j 2 -o two.recm
	small --seed 3 -j 3 -o three.recm
	cmp one.recm two.recm
	cmp one.recm three.recm
}

@test "sasrec trains with two threads and reports its epochs" {
	rec-split --method last --count 1 --train train.recd --test val.recd \
		"$FIXTURES/sasrec-order.csv"
	run -0 --separate-stderr rec-train -a sasrec -k 16 -e 3 -p max_len=10 -j 2 \
		--progress --validation val.recd -o m.recm train.recd
	[ "$(echo "$stderr" | grep -c '^epoch [0-9]*  loss [0-9.]*  validation ndcg@10 [0-9.]*  [0-9.]*s$')" -eq 3 ]
}

@test "sasrec --validation last equals the newest events folded in by hand" {
	rec-split --method last --count 1 --train train.recd --test val.recd \
		"$FIXTURES/sasrec-order.csv"
	rec-train -a sasrec -k 16 -e 5 -p max_len=10 -p batch=16 -p dropout=0.1 \
		--lr 0.01 -j 2 --validation val.recd -o m.recm train.recd
	rec-pivot -q --format long val.recd |
		rec-recommend -m m.recm --stream --save folded.recm > /dev/null
	small -e 5 -j 2 --validation last -o last.recm
	cmp last.recm folded.recm
}

# same_scores A B: the user,item,rank,score lines of A and B name the same
# items in the same order with scores within 1e-5 (relative).
same_scores() {
	awk -F, 'NR == FNR { want[FNR] = $0; n = FNR; next }
		{ split(want[FNR], w, ","); d = $4 - w[4]; s = w[4] < 0 ? -w[4] : w[4]
		  if ($1 != w[1] || $2 != w[2] || $3 != w[3] || d > 1e-5 * (s + 1) || d < -1e-5 * (s + 1)) bad++ }
		END { exit bad || FNR != n }' "$1" "$2"
}

# fold MAX_LEN [OPTION...]: stream three new events of u00 (eight events in
# training), then compare the streamed list with a full encoding of the
# saved model.
fold() {
	small -p max_len="$@" -o m.recm
	printf 'user,item,timestamp\nu00,%s,100\nu00,%s,101\nu00,%s,102\n' $(
		for i in i1 i2 i3 i4 i5 i6 i7 i8 i9; do
			grep -q "^u00,$i," "$FIXTURES/sasrec-order.csv" || echo $i
		done | head -3) > new.csv
	rec-recommend -m m.recm --stream -n 5 --include-seen --save m2.recm < new.csv | tail -6 | head -5 > streamed
	echo u00 > users
	rec-recommend -m m2.recm -n 5 --include-seen --users users | tail -5 > encoded
	[ "$(wc -l < streamed)" -eq 5 ]
	same_scores encoded streamed || { diff streamed encoded; false; }
}

@test "sasrec fold-in through the cache equals a full encoding" {
	fold 12
}

# With more blocks, the cached keys and values of the later blocks keep
# what each event saw before the window (unit/test_sasrec.c).
@test "sasrec fold-in of a window that slides equals a full encoding with one block" {
	fold 9 -p blocks=1
}

@test "sasrec predicts the dot product, popularity or 0 for the unknown" {
	small -o m.recm
	printf 'user,item\np0,b\nnosuch,i0\np0,nosuch\n' > pairs.csv
	run -0 rec-recommend -m m.recm --predict pairs.csv --force
	assert_line 'nosuch,i0,,40'
	assert_line 'p0,nosuch,,0'
	refute_output --partial nan
	score=$(rec-recommend -m m.recm -n 1 | grep '^p0,' | cut -d, -f4)
	pred=$(echo "$output" | grep '^p0,b,' | cut -d, -f4)
	awk -v a="$score" -v b="$pred" 'BEGIN { d = a - b; exit d > 1e-5 * a || d < -1e-5 * a }' ||
		fail "prediction $pred, score $score"
}

@test "sasrec refuses bad parameters" {
	for p in heads=0 dropout=1 loss=softmax windows=some max_len=0 batch=0 factors=0 \
		negatives=0 blocks=0 lr=0 reg=-1 patience=0; do
		run -2 rec-train -a sasrec -p "$p" -o m.recm "$FIXTURES/sasrec-order.csv"
		assert_output --partial "${p%%=*}"
	done
	run -1 rec-train -a sasrec -k 16 -p heads=3 -o m.recm "$FIXTURES/sasrec-order.csv"
	assert_output --partial 'heads (3) must divide factors (16)'
}

# delta.csv: a new user n1 with a, b and a new item z, and z for p0 and u01.
delta() {
	printf 'user,item,timestamp\nn1,a,100\nn1,b,101\nn1,z,102\np0,z,103\nu01,z,104\n' \
		> delta.csv
	printf 'user,item\nu02,b\nu03,i3\nn1,z\nu01,z\n' > pairs.csv
}

@test "sasrec --init -e 0 grows the saved weights for new items and moves no score" {
	small --seed 1 -o a.recm
	delta
	rec-train --init a.recm -e 0 -o grown.recm delta.csv
	run -0 rec-recommend --force -m grown.recm --predict pairs.csv
	before=$(rec-recommend --force -m a.recm --predict pairs.csv)
	[ "$(sed -n 2,3p <<<"$output")" = "$(sed -n 2,3p <<<"$before")" ]
	refute_line 'n1,z,,0'
	grep -aqx 'factors=16' grown.recm
	grep -aqx 'max_len=10' grown.recm
}

@test "sasrec --init trains the saved weights on the users the new events touch" {
	small --seed 1 -o a.recm
	delta
	rec-train --init a.recm -e 2 -o b.recm delta.csv
	rec-train --init a.recm -e 2 -j 2 -o b2.recm delta.csv
	cmp b.recm b2.recm
	[ "$(rec-recommend --force -m b.recm --predict pairs.csv)" != \
	  "$(rec-recommend --force -m a.recm --predict pairs.csv)" ]
	grep -aqx 'factors=16' b.recm
	# A new user with one event has no event to predict: nothing trains.
	printf 'user,item,timestamp\nn2,a,100\n' > one.csv
	rec-train --init a.recm -e 3 -o one.recm one.csv
	[ "$(rec-recommend -m one.recm -n 3 --users <(echo u05))" = \
	  "$(rec-recommend -m a.recm -n 3 --users <(echo u05))" ]
}

@test "sasrec --init keeps the model's family and parameters" {
	small -o a.recm
	run -2 rec-train --init a.recm -a mf -o b.recm "$FIXTURES/sasrec-order.csv"
	assert_output --partial "a.recm is a sasrec model, not mf"
	run -2 rec-train --init a.recm -p max_len=5 -o b.recm "$FIXTURES/sasrec-order.csv"
	assert_output --partial "only -e may be given"
	run -2 rec-train --init a.recm -k 8 -o b.recm "$FIXTURES/sasrec-order.csv"
	assert_output --partial "only -e may be given"
	[ ! -e b.recm ]
}
