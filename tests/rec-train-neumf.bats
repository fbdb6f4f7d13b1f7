#!/usr/bin/env bats
# rec-train -a neumf: a planted group structure, determinism, early
# stopping on a validation set, the model file, the fold-in of a streamed
# user, incremental training, fallbacks and bad parameters.
#
# ease-groups.csv: users p* have only items a*, users q* only b*, two to
# three of the four items of their group each.  A small network (NET) and
# many short steps learn it in a tenth of a second.  So few items are left
# unseen that the best scored of several draws would mostly be one of the
# user's own group: NET draws each negative once.  Even uniform negatives
# are often the one or two items of his group that a user lacks, so a
# network this free may still put the other group first for a user or two:
# the test asks for ten users of the twelve, where chance gives about four.

setup() {
	load test_helper
	GROUPS_CSV=$FIXTURES/ease-groups.csv
	NET="-k 8 -p layers=16,8 -p negatives=1 -p candidates=1 -p batch=4 -e 100 --lr 0.01 --reg 0.3"
}

# The number of user,item,... lines after the header that pair p with a*
# or q with b*.
own_group() {
	awk -F, 'NR > 1 && (substr($1, 1, 1) == "p") == (substr($2, 1, 1) == "a") { n++ }
		END { print n + 0 }'
}

@test "neumf recommends most users an unseen item of their own group" {
	rec-train -j1 -a neumf $NET -o m.recm "$GROUPS_CSV"
	run -0 rec-recommend -m m.recm -n 1
	[ "${#lines[@]}" -eq 13 ]
	[ "$(echo "$output" | own_group)" -ge 10 ]
}

@test "neumf: one thread and one seed give byte-identical models, another seed not" {
	rec-train -j1 --seed 7 -a neumf $NET -o a.recm "$GROUPS_CSV"
	rec-train -j1 --seed 7 -a neumf $NET -o b.recm "$GROUPS_CSV"
	cmp a.recm b.recm
	rec-train -j1 --seed 8 -a neumf $NET -o c.recm "$GROUPS_CSV"
	! cmp -s a.recm c.recm
}

@test "neumf: -k -e --lr --reg set factors, epochs, lr and reg; --progress counts epochs" {
	rec-train -j1 -a neumf -k 3 -e 2 --lr 0.2 --reg 0.5 -o a.recm "$GROUPS_CSV"
	rec-train -j1 -a neumf -p factors=3 -p epochs=2 -p lr=0.2 -p reg=0.5 -o b.recm "$GROUPS_CSV"
	cmp a.recm b.recm
	run -0 rec-train -j1 -a neumf -k 3 -e 2 --progress -o c.recm "$GROUPS_CSV"
	[ "$(grep -c '^epoch ' <<<"$output")" -eq 2 ]
}

@test "neumf --validation stops early and keeps the best epoch" {
	rec-split --method user --count 1 --seed 3 --train train.recd --test valid.recd "$GROUPS_CSV"
	run -0 --separate-stderr rec-train -j1 -a neumf $NET -e 1000 -p patience=3 \
		--validation valid.recd --progress -o m.recm train.recd
	[ -z "$output" ]
	epochs=$(grep -c '^epoch .* validation ndcg@10 ' <<<"$stderr")
	[ "$epochs" -ge 4 ] && [ "$epochs" -lt 1000 ]
	best=$(grep '^stopped early; kept epoch [0-9]*: validation ndcg@10 ' <<<"$stderr" |
		awk '{ print $NF }')
	max=$(awk '/^epoch / { if ($7 > m) m = $7 } END { printf "%.6f", m }' <<<"$stderr")
	[ "$best" = "$max" ]
	run -0 rec-eval -m m.recm -k 10 --test valid.recd
	[ "$(grep '^ndcg,10,' <<<"$output" | cut -d, -f3 | xargs printf '%.6f')" = "$best" ]
}

@test "neumf: a model read back scores as the one written" {
	rec-train -j1 -a neumf $NET -o m.recm "$GROUPS_CSV"
	rec-recommend -m m.recm -n 8 --include-seen > lists.csv
	# --init with no new pair reads the model, merges nothing new and
	# writes it again.
	head -3 "$GROUPS_CSV" > same.csv
	rec-train -j1 --init m.recm -e 0 -o again.recm same.csv
	[ "$(rec-recommend -m again.recm -n 8 --include-seen)" = "$(cat lists.csv)" ]
	# Predictions of the pairs are the lists' scores.
	sed 1d lists.csv | head -20 | cut -d, -f1,2 | sed '1i user,item' > pairs.csv
	rec-recommend -m m.recm --predict pairs.csv --force | sed 1d | cut -d, -f4 > predicted
	sed 1d lists.csv | head -20 | cut -d, -f4 > listed
	paste -d' ' predicted listed | awk '{ d = $1 - $2; if (d < 0) d = -d
		if (d > 1e-5 * (1 + ($2 < 0 ? -$2 : $2))) bad++ } END { exit bad > 0 }'
}

@test "neumf folds a streamed new user towards his group and saves him" {
	rec-train -j1 -a neumf $NET -o m.recm "$GROUPS_CSV"
	printf 'user,item\nnew,b1\nnew,b2\n' > ev.csv
	run -0 rec-recommend -m m.recm --stream -n 2 --save after.recm < ev.csv
	# After b1 and after b2 an unseen item of his group comes first.
	assert_line --index 0 --regexp '^new,b[234],1,'
	assert_line --index 2 --regexp '^new,b[34],1,'
	run -0 rec-recommend -m after.recm -n 2 --users <(echo new)
	[ "$(sed 1d <<<"$output" | cut -d, -f1-3)" = \
	  "$(rec-recommend -m m.recm --stream -n 2 < ev.csv | sed -n 4,5p | cut -d, -f1-3)" ]
}

@test "neumf --init trains new users on their events; -e 0 only grows the model" {
	rec-train -j1 -a neumf $NET -o a.recm "$GROUPS_CSV"
	printf 'user,item\nnew,b1\nnew,b2\np1,a3\n' > delta.csv
	rec-train -j1 --init a.recm -e 0 -o grown.recm delta.csv
	[ "$(rec-recommend -m a.recm -n 2 --users <(echo q1))" = \
	  "$(rec-recommend -m grown.recm -n 2 --users <(echo q1))" ]
	rec-train -j1 --init a.recm -e 20 -o b.recm delta.csv
	run -0 rec-recommend -m b.recm -n 1 --users <(echo new)
	assert_line --index 1 --regexp '^new,b[34],1,'
}

@test "neumf predicts the popularity for unknown users and 0 for unknown items" {
	rec-train -j1 -a neumf $NET -o m.recm "$GROUPS_CSV"
	printf 'user,item\np1,a3\np1,nosuch\nnosuch,a3\n' > pairs.csv
	run -0 rec-recommend -m m.recm --predict pairs.csv --force
	assert_line --index 0 "user,item,rating,prediction"
	assert_line --index 1 --regexp '^p1,a3,,-?[0-9][0-9.e+-]*$'
	assert_line --index 2 "p1,nosuch,,0"
	# a3 is in three users' histories.
	assert_line --index 3 "nosuch,a3,,3"
}

@test "neumf refuses bad parameters with exit 2 and says which" {
	run -2 rec-train -a neumf -p layers=64,33 -o m.recm "$GROUPS_CSV"
	assert_output --partial "bad layers '64,33'"
	run -2 rec-train -a neumf -p negatives=2.5 -o m.recm "$GROUPS_CSV"
	assert_output --partial "negatives '2.5' is not a whole number"
	run -2 rec-train -a neumf -k 0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "factors"
	run -2 rec-train -a neumf --lr 0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "lr"
	run -2 rec-train -a neumf -p batch=0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "batch"
	run -2 rec-train -a neumf -p candidates=0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "candidates"
	run -2 rec-train -a neumf -p patience=0 -o m.recm "$GROUPS_CSV"
	assert_output --partial "patience"
	run -2 rec-train -a neumf -p dropout=0.5 -o m.recm "$GROUPS_CSV"
	assert_output --partial "neumf has no parameter 'dropout'"
	[ ! -e m.recm ]
}
