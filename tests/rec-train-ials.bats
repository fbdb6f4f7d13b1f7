#!/usr/bin/env bats
# rec-train -a ials: a planted group structure, determinism, the common
# options, early stopping on a validation set, time decay, the fold-in of
# a streamed user, incremental training, fallbacks and bad parameters.
#
# ease-groups.csv: users p* have only items a*, users q* only b*, two to
# three of the four items of their group each.

setup() {
	load test_helper
	GROUPS_CSV=$FIXTURES/ease-groups.csv
}

# own_group: every user,item,... line after the header pairs p with a* and
# q with b*.
own_group() {
	awk -F, 'NR > 1 && (substr($1, 1, 1) == "p") != (substr($2, 1, 1) == "a") { bad++ }
		END { exit bad > 0 }'
}

@test "ials recommends each user an unseen item of his own group" {
	rec-train -j1 -a ials -o m.recm "$GROUPS_CSV"
	run -0 rec-recommend -m m.recm -n 1
	[ "${#lines[@]}" -eq 13 ]
	echo "$output" | own_group
	# Every unseen item of the user's group scores above every item of
	# the other group, which none of his group has.
	run -0 rec-recommend -m m.recm -n 8
	echo "$output" | awk -F, 'NR > 1 { own = (substr($1, 1, 1) == "p") == (substr($2, 1, 1) == "a")
		if (own && seen_other[$1]) bad++; if (!own) seen_other[$1] = 1 }
		END { exit bad > 0 }'
}

@test "ials: one thread and one seed give byte-identical models, another seed not" {
	rec-train -j1 --seed 7 -a ials -o a.recm "$GROUPS_CSV"
	rec-train -j1 --seed 7 -a ials -o b.recm "$GROUPS_CSV"
	cmp a.recm b.recm
	rec-train -j1 --seed 8 -a ials -o c.recm "$GROUPS_CSV"
	! cmp -s a.recm c.recm
}

@test "ials: a saved model ranks as the trained one, on any number of threads" {
	rec-train -j1 -a ials -o a.recm "$GROUPS_CSV"
	rec-recommend -j1 -m a.recm -n 4 > one.csv
	rec-recommend -j2 -m a.recm -n 4 > two.csv
	diff -u <(cut -d, -f1-3 one.csv) <(cut -d, -f1-3 two.csv)
}

@test "ials: -k -e --reg set factors, epochs and reg; --progress reports each epoch" {
	rec-train -j1 -a ials -k 3 -e 2 --reg 0.5 -o a.recm "$GROUPS_CSV"
	rec-train -j1 -a ials -p factors=3 -p epochs=2 -p reg=0.5 -o b.recm "$GROUPS_CSV"
	cmp a.recm b.recm
	run -0 --separate-stderr rec-train -j1 -a ials -k 3 -e 4 --progress -o c.recm "$GROUPS_CSV"
	[ -z "$output" ]
	[ "$(grep -c '^epoch [0-9]*  loss [0-9.]*  [0-9.]*s$' <<<"$stderr")" -eq 4 ]
	# Each half sweep minimises the objective over one side: it never rises.
	awk '{ if (NR > 1 && $4 > last + 1e-6) exit 1; last = $4 }' <<<"$stderr"
}

@test "ials: conjugate-gradient steps learn the groups too" {
	rec-train -j1 -a ials -p solver=cg -o m.recm "$GROUPS_CSV"
	run -0 rec-recommend -m m.recm -n 1
	[ "${#lines[@]}" -eq 13 ]
	echo "$output" | own_group
}

# scores MODEL: user,item,score of every pair, seen ones too, sorted.
scores() {
	rec-recommend -m "$1" -n 8 --include-seen | sed 1d | cut -d, -f1,2,4 | sort
}

@test "ials: conjugate gradients of as many steps as factors give the exact solve" {
	rec-train -j1 -a ials -k 4 -e 5 -o exact.recm "$GROUPS_CSV"
	rec-train -j1 -a ials -k 4 -e 5 -p solver=cg -p cg_steps=8 -o cg.recm "$GROUPS_CSV"
	join -t, <(scores exact.recm | sed 's/,/:/') <(scores cg.recm | sed 's/,/:/') |
		awk -F, '{ d = $2 - $3; if (d < 0) d = -d; if (d > 1e-4) bad++; n++ }
			END { exit bad > 0 || n != 96 }'
	# three steps, the default, come close but not as close
	rec-train -j1 -a ials -k 4 -e 5 -p solver=cg -o three.recm "$GROUPS_CSV"
	! cmp -s <(scores cg.recm) <(scores three.recm)
}

@test "ials: the model file records the solver, which --init and streams keep" {
	rec-train -j1 -a ials -o exact.recm "$GROUPS_CSV"
	rec-train -j1 -a ials -p solver=cg -p cg_steps=2 -o cg.recm "$GROUPS_CSV"
	gzip -dc exact.recm | grep -aqx 'solver=cholesky'
	gzip -dc cg.recm | grep -aqx 'solver=cg'
	gzip -dc cg.recm | grep -aqx 'cg_steps=2'
	printf 'user,item\nnew,b1\nnew,b2\np1,a3\n' > ev.csv
	rec-train -j1 --init cg.recm -e 2 -o grown.recm ev.csv
	gzip -dc grown.recm | grep -aqx 'solver=cg'
	run -0 rec-recommend -m grown.recm -n 1 --users <(printf 'new\np1\n')
	assert_line --index 1 --regexp '^new,b[34],1,'
	assert_line --index 2 --regexp '^p1,a4,1,'
	run -0 rec-recommend -m cg.recm --stream -n 1 --save streamed.recm < ev.csv
	assert_line --index 1 --regexp '^new,b[34],1,'
	assert_line --index 2 --regexp '^p1,a4,1,'
	gzip -dc streamed.recm | grep -aqx 'solver=cg'
	run -2 rec-train -a ials -p solver=lu -o m.recm "$GROUPS_CSV"
	assert_output --partial "solver"
}

@test "ials --validation keeps the best epoch, which rec-eval confirms" {
	rec-split --method user --count 1 --seed 3 --train train.recd --test valid.recd "$GROUPS_CSV"
	run -0 --separate-stderr rec-train -j1 -a ials -e 30 -p patience=2 \
		--validation valid.recd --progress -o m.recm train.recd
	[ -z "$output" ]
	epochs=$(grep -c '^epoch .* validation ndcg@10 ' <<<"$stderr")
	[ "$epochs" -ge 3 ] && [ "$epochs" -le 30 ]
	best=$(grep 'kept epoch [0-9]*: validation ndcg@10 ' <<<"$stderr" | awk '{ print $NF }')
	max=$(awk '/^epoch / { if ($7 > m) m = $7 } END { printf "%.6f", m }' <<<"$stderr")
	[ "$best" = "$max" ]
	run -0 rec-eval -m m.recm -k 10 --test valid.recd
	[ "$(grep '^ndcg,10,' <<<"$output" | cut -d, -f3 | xargs printf '%.6f')" = "$best" ]
}

@test "ials with --half-life learns from the recent events" {
	# mix had three b items long ago and two a items now: with a half-life
	# of ten seconds the old ones weigh 2^-100, and mix is served a items.
	{
		echo user,item,timestamp
		sed 1d "$GROUPS_CSV" | sed 's/$/,1000/'
		printf 'mix,b1,0\nmix,b2,0\nmix,b3,0\nmix,a1,1000\nmix,a2,1000\n'
	} > decay.csv
	rec-train -j1 -a ials --half-life 10s -o m.recm decay.csv
	run -0 rec-recommend -m m.recm -n 2 --users <(echo mix)
	assert_output --regexp "^user,item,rank,score
mix,a[34],1,[^
]*
mix,a[34],2,"
}

@test "ials folds a streamed new user into his group and saves him" {
	rec-train -j1 -a ials -o m.recm "$GROUPS_CSV"
	printf 'user,item\nnew,b1\nnew,b2\n' > ev.csv
	run -0 rec-recommend -m m.recm --stream -n 2 --save after.recm < ev.csv
	# After b1: two of b2 b3 b4; after b2: b3 and b4.
	[ "$(grep -c '^new,b' <<<"$output")" -eq 4 ]
	assert_line --index 2 --regexp '^new,b[34],1,'
	assert_line --index 3 --regexp '^new,b[34],2,'
	run -0 rec-recommend -m after.recm -n 2 --users <(echo new)
	[ "$(sed 1d <<<"$output" | cut -d, -f1-3)" = \
	  "$(rec-recommend -m m.recm --stream -n 2 < ev.csv | sed -n 4,5p | cut -d, -f1-3)" ]
}

@test "ials: a trained user's streamed event refits him from his whole history" {
	# p1 has a1 and a2; streaming a3 leaves a4 as his one unseen a item.
	rec-train -j1 -a ials -o m.recm "$GROUPS_CSV"
	printf 'user,item\np1,a3\n' > ev.csv
	run -0 rec-recommend -m m.recm --stream -n 1 < ev.csv
	assert_output --regexp '^p1,a4,1,[^,]*$'
}

@test "ials --init solves new users from their events; -e 0 only grows the model" {
	rec-train -j1 -a ials -o a.recm "$GROUPS_CSV"
	printf 'user,item\nnew,a1\nnew,a2\nnew,a3\np1,a3\n' > delta.csv
	rec-train -j1 --init a.recm -e 0 -o grown.recm delta.csv
	[ "$(rec-recommend -m a.recm -n 2 --users <(echo q1))" = \
	  "$(rec-recommend -m grown.recm -n 2 --users <(echo q1))" ]
	rec-train -j1 --init a.recm -e 2 -o b.recm delta.csv
	run -0 rec-recommend -m b.recm -n 1 --users <(echo new)
	assert_line --index 1 --regexp '^new,a4,1,'
	# q1 has no new events: his vector, and so his list, are kept.
	[ "$(rec-recommend -m a.recm -n 2 --users <(echo q1) | cut -d, -f1-3)" = \
	  "$(rec-recommend -m b.recm -n 2 --users <(echo q1) | cut -d, -f1-3)" ]
}

@test "ials predicts 0 for unknown users and items, never nan" {
	rec-train -j1 -a ials -o m.recm "$GROUPS_CSV"
	printf 'user,item\np1,a3\np1,nosuch\nnosuch,a3\n' > pairs.csv
	run -0 rec-recommend -m m.recm --predict pairs.csv --force
	assert_line --index 0 "user,item,rating,prediction"
	assert_line --index 1 --regexp '^p1,a3,,0\.[0-9]'
	assert_line --index 2 "p1,nosuch,,0"
	assert_line --index 3 "nosuch,a3,,0"
}

@test "ials refuses bad parameters with exit 2 and says which" {
	run -2 rec-train -a ials -k 0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "factors"
	run -2 rec-train -a ials -p cg_steps=1.5 -o m.recm "$GROUPS_CSV"
	assert_output --partial "cg_steps '1.5' is not a whole number"
	run -2 rec-train -a ials -p unobserved=-1 -o m.recm "$GROUPS_CSV"
	assert_output --partial "unobserved"
	run -2 rec-train -a ials -p reg_exp=5 -o m.recm "$GROUPS_CSV"
	assert_output --partial "reg_exp"
	run -2 rec-train -a ials -p alpha=much -o m.recm "$GROUPS_CSV"
	assert_output --partial "alpha"
	run -2 rec-train -a ials -p patience=0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "patience"
	run -2 rec-train -a ials -p negatives=3 -o m.recm "$GROUPS_CSV"
	assert_output --partial "ials has no parameter 'negatives'"
	[ ! -e m.recm ]
}

@test "ials refuses a system that is not positive definite and names reg" {
	for solver in cholesky cg; do
		run -1 rec-train -a ials -p solver=$solver -p reg=0 -p unobserved=0 -o m.recm \
			"$GROUPS_CSV"
		assert_output --partial "raise reg or unobserved"
		[ ! -e m.recm ]
	done
}
