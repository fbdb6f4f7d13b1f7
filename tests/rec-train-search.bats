#!/usr/bin/env bats
# rec-train --search: the table of a grid's validation metrics, the best
# model trained again on the training and validation sets (or, with
# --no-refit, as the search trained it), a seeded sample of the grid, and
# the command lines it refuses.
#
# ease-groups.csv: users p* have only items a*, users q* only b*; each
# user's newest event is held out for validation.

setup() {
	load test_helper
	rec-split --method last --count 1 --time file-order --train train.recd --test valid.recd \
		"$FIXTURES/ease-groups.csv"
}

# kept_ndcg ARGS...: the validation NDCG of the epoch that training with
# ARGS keeps, as its progress reports it.
kept_ndcg() {
	rec-train "$@" --progress -o direct.recm --validation valid.recd train.recd 2>&1 |
		sed -n 's/^.*kept epoch [0-9]*: validation ndcg@10 \([0-9.]*\)$/\1/p'
}

# best_row: the first row of the table on stdin with the highest metric
# (the lowest with -v low=1), without the metric.
best_row() {
	awk -F, -v low="${1:-0}" 'NR > 1 && (NR == 2 || (low ? $NF < best : $NF > best)) {
		best = $NF; row = $0 } END { sub(/,[^,]*$/, "", row); print row }'
}

@test "--search prints one row a combination, the first list slowest, then its metric" {
	run -0 --separate-stderr rec-train -j1 -a ials -e 3 --search -k 2,3 \
		-p reg=0.01,0.1,1 --validation valid.recd -o best.recm train.recd
	[ "${#lines[@]}" -eq 7 ]
	[ "${lines[0]}" = "factors,reg,ndcg@10" ]
	diff -u <(printf '%s\n' 2,0.01 2,0.1 2,1 3,0.01 3,0.1 3,1) \
		<(printf '%s\n' "${lines[@]:1}" | cut -d, -f1,2)
	printf '%s\n' "${lines[@]:1}" | cut -d, -f3 | grep -vqE '^[01]\.[0-9]{6}$' && false
	# Each metric is the one that training the combination alone keeps.
	for row in "${lines[@]:1}"; do
		IFS=, read -r k reg ndcg <<<"$row"
		[ "$(kept_ndcg -j1 -a ials -e 3 -k "$k" --reg "$reg")" = "$ndcg" ]
	done
}

# both_csv: the events of train.recd, then those of valid.recd, as CSV.
both_csv() {
	rec-pivot --format long train.recd
	rec-pivot --format long valid.recd | tail -n +2
}

# lists MODEL: every user's scores of every item not seen, sorted.
lists() {
	rec-recommend -m "$1" -n 100 | cut -d, -f1,2,4 | sort
}

@test "--search trains the best values again on the training and validation events" {
	rec-train -j1 -a itemknn --search -p neighbors=1,50 -p shrink=0,10 \
		--validation valid.recd -o best.recm train.recd > table.csv
	IFS=, read -r neighbors shrink <<<"$(best_row < table.csv)"
	both_csv > both.csv
	rec-train -j1 -a itemknn -p neighbors="$neighbors" -p shrink="$shrink" -o both.recm both.csv
	rec-train -j1 -a itemknn -p neighbors="$neighbors" -p shrink="$shrink" -o train.recm \
		train.recd
	diff -u <(lists both.recm) <(lists best.recm)
	! diff -q <(lists train.recm) <(lists best.recm)
	# The validation events are seen: no list holds them.
	rec-recommend -m best.recm -n 100 | cut -d, -f1,2 | grep -Fxf <(rec-pivot --format long \
		valid.recd | tail -n +2) && false
	rec-train -j1 -a itemknn --search --no-refit -p neighbors=1,50 -p shrink=0,10 \
		--validation valid.recd -o kept.recm train.recd > table.csv
	cmp kept.recm train.recm
}

@test "--search trains the best values again for the epochs that early stopping kept" {
	run -0 --separate-stderr rec-train -v -j1 -a ials -e 30 --search -k 2,4 \
		--validation valid.recd -o best.recm train.recd
	k=$(printf '%s\n' "${lines[@]}" | best_row)
	kept=$(rec-train -j1 -a ials -e 30 -k "$k" --progress -o direct.recm \
		--validation valid.recd train.recd 2>&1 | sed -n 's/.*kept epoch \([0-9]*\):.*/\1/p')
	[ "$kept" -lt 30 ]
	[[ "$stderr" == *"refit on the training set and valid.recd, $kept epochs"* ]]
	# The refit's progress, after the search's last kept epoch, has as many
	# epochs, without validation.
	[ "$(printf '%s\n' "${stderr_lines[@]}" | tac | sed '/kept epoch/q' |
		grep -c '^epoch [0-9]*  loss [0-9.]*  [0-9.]*s$')" -eq "$kept" ]
}

@test "--search --no-refit writes the best model, the one that training its values alone writes" {
	rec-train -j1 -a ials -e 4 --search --no-refit -k 2,4 -p unobserved=0.1,1 -p alpha=0,5 \
		--validation valid.recd -o best.recm train.recd > table.csv
	IFS=, read -r k unobserved alpha <<<"$(best_row < table.csv)"
	rec-train -j1 -a ials -e 4 -k "$k" -p unobserved="$unobserved" -p alpha="$alpha" \
		--validation valid.recd -o direct.recm train.recd
	cmp best.recm direct.recm
}

@test "--search scores a family without epochs by the NDCG@10 of rec-eval -m" {
	rec-train -j1 -a ease --search --no-refit -p lambda=0.5,50,5000 --validation valid.recd \
		-o best.recm train.recd > table.csv
	[ "$(head -1 table.csv)" = "lambda,ndcg@10" ]
	[ "$(wc -l < table.csv)" -eq 4 ]
	tail -n +2 table.csv | while IFS=, read -r lambda ndcg; do
		rec-train -j1 -a ease -p lambda="$lambda" -o m.recm train.recd
		rec-eval -m m.recm --test valid.recd -k 10 | grep -qx "ndcg,10,$ndcg"
	done
	rec-train -j1 -a ease -p lambda="$(best_row < table.csv)" -o direct.recm train.recd
	cmp best.recm direct.recm
}

@test "--search scores mf on ratings by the validation RMSE and keeps the lowest" {
	rec-split --method last --count 1 --train rtrain.recd --test rvalid.recd \
		"$FIXTURES/split.csv"
	rec-train -j1 -a mf -k 2 --search --no-refit -p reg=0.01,10 -p solver=sgd,adam -e 5 \
		--validation rvalid.recd -o best.recm rtrain.recd > table.csv
	[ "$(head -1 table.csv)" = "reg,solver,rmse" ]
	[ "$(wc -l < table.csv)" -eq 5 ]
	IFS=, read -r reg solver <<<"$(best_row 1 < table.csv)"
	rec-train -j1 -a mf -k 2 -p reg="$reg" -p solver="$solver" -e 5 \
		--validation rvalid.recd -o direct.recm rtrain.recd
	cmp best.recm direct.recm
}

@test "--search-budget tries a sample drawn with the seed, in the grid's order" {
	grid=(-j1 -a ials -e 2 -k 1,2,3 -p reg=0.01,0.1,1,10 --validation valid.recd)
	rec-train "${grid[@]}" --search -o all.recm train.recd > all.csv
	rec-train "${grid[@]}" --search --search-budget 5 -o a.recm train.recd > a.csv
	rec-train "${grid[@]}" --search --search-budget 5 -o b.recm train.recd > b.csv
	[ "$(wc -l < a.csv)" -eq 6 ]
	cmp a.csv b.csv
	cmp a.recm b.recm
	# A sample is rows of the whole grid, in its order.
	[ "$(grep -Fxf a.csv all.csv)" = "$(cat a.csv)" ]
	rec-train "${grid[@]}" --seed 7 --search --search-budget 5 -o c.recm train.recd > c.csv
	! cmp -s <(cut -d, -f1,2 a.csv) <(cut -d, -f1,2 c.csv)
	# A budget as large as the grid tries it all.
	rec-train "${grid[@]}" --search --search-budget 12 -o d.recm train.recd > d.csv
	cmp all.csv d.csv
}

@test "--search-table writes the table to a file; a failed write is an error" {
	run -0 --separate-stderr rec-train -j1 -a ease --search -p lambda=1,10 \
		--validation valid.recd --search-table table.csv -o best.recm train.recd
	[ -z "$output" ]
	[ "$(head -1 table.csv)" = "lambda,ndcg@10" ]
	[ "$(wc -l < table.csv)" -eq 3 ]
	run -1 rec-train -j1 -a ease --search -p lambda=1,10 --validation valid.recd \
		--search-table /dev/full -o best.recm train.recd
	[[ "$output" == *"/dev/full: write failed"* ]]
}

@test "a value that the family takes whole is no list: neumf's layers=32,16" {
	rec-train -j1 -a neumf -p layers=32,16 -e 1 -o m.recm train.recd
	run -0 --separate-stderr rec-train -j1 -a neumf -e 1 -p layers=32,16 --search \
		-p factors=2,4 --validation valid.recd -o best.recm train.recd
	[ "${lines[0]}" = "factors,ndcg@10" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "--search refuses a command line without what it needs" {
	run -2 rec-train -a ials --search -p reg=0.1,1 -o m.recm train.recd
	[[ "$output" == *"--search needs --validation FILE"* ]]
	run -2 rec-train -a ials --search -p reg=0.1 --validation valid.recd -o m.recm train.recd
	[[ "$output" == *"--search needs a list of values"* ]]
	# Without --search a value with a comma is one value, a bad one here.
	run -2 rec-train -a ials -k 2,3 -o m.recm train.recd
	[[ "$output" == *"bad factors '2,3'"* ]]
	run -2 rec-train -a ials -e 2,3 -o m.recm train.recd
	[[ "$output" == *"bad --epochs '2,3'"* ]]
	run -2 rec-train -a ials --search-budget 2 -o m.recm train.recd
	[[ "$output" == *"need --search"* ]]
	run -2 rec-train -a ials --no-refit -o m.recm train.recd
	[[ "$output" == *"need --search"* ]]
	run -2 rec-train -a ials --search -k 2,3 --search-budget 0 --validation valid.recd \
		-o m.recm train.recd
	[[ "$output" == *"--search-budget"* ]]
	run -2 rec-train -a ials --search -k 2,3 --validation valid.recd train.recd
	[[ "$output" == *"give the model -o FILE"* ]]
	run -2 rec-train -a ials --search -k 2,,3 --validation valid.recd -o m.recm train.recd
	[[ "$output" == *"an empty value in the list of 'factors'"* ]]
	run -2 rec-train -a ials --search -k 2,3 -p factors=4 --validation valid.recd \
		-o m.recm train.recd
	[[ "$output" == *"'factors' has a list of values and is set twice"* ]]
	run -2 rec-train -a ials --search -p reg=0.1,x --validation valid.recd -o m.recm train.recd
	[[ "$output" == *"'x'"* ]]
	run -2 rec-train -a ials --search -p nosuch=1,2 --validation valid.recd -o m.recm train.recd
	[[ "$output" == *"ials has no parameter 'nosuch'"* ]]
	rec-train -a ials -o m.recm train.recd
	run -2 rec-train --init m.recm --search -e 1,2 --validation valid.recd -o n.recm train.recd
	[ ! -e n.recm ]
	[ ! -e best.recm ]
}

@test "--search fails on a validation set of which training knows no user" {
	printf 'user,item\nnobody,a1\n' > stranger.csv
	run -1 rec-train -j1 -a ease --search -p lambda=1,10 --validation stranger.csv \
		-o best.recm train.recd
	[[ "$output" == *"no user of the validation set has events in the training set"* ]]
	run -1 rec-train -j1 -a ials --search -k 1,2 --validation stranger.csv \
		-o best.recm train.recd
	[[ "$output" == *"no user of the validation set has events in the training set"* ]]
	[ ! -e best.recm ]
}
