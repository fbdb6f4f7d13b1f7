#!/bin/sh
# mf.sh - rating prediction on the fixed 80/20 splits of MovieLens:
# matrix factorisation with 64 factors and 20 epochs on 1 and 2 threads
# and with each solver (time, memory, test RMSE; Adam's time over SGD's),
# and with its defaults;
# the top-10 lists of pop, itemknn and mf on the same split; then mf's
# training on 1 and 2 threads over 10^7 generated events.
. "$(dirname "$0")/helpers"

SPLITS=$DATA/splits
MF="-a mf -k 64 -e 20"
GENERATED=10000000
GENERATED_EPOCHS=5

# peers NAME: the split README's figures for data set NAME.
peers() {
	grep "^| $1 |" "$SPLITS/README.md" 2>/dev/null |
		awk -F'|' '{ printf "  %-58s %8s %10s\n", $3, $4, $5 }' | sed 's/ *$//'
}

# rmse LABEL THREADS OPTIONS...: train on $TMP/train.recd with OPTIONS and
# predict the test set.
rmse() {
	label=$1 threads=$2
	shift 2
	clock rec-train "$@" -j "$threads" -q -o "$TMP/mf.recm" "$TMP/train.recd" ||
		return 1
	rec-recommend -m "$TMP/mf.recm" --predict "$TMP/test.recd" -o "$TMP/pred.csv" &&
		rec-eval -o "$TMP/rmse.csv" "$TMP/pred.csv" || return 1
	row "$label" "$SECS" "$(calc "$KB / 1024" 1)" "$(metric "$TMP/rmse.csv" rmse "")"
}

# top10 ALGO OPTIONS...: train, rank every item for each test user, and
# measure the top 10.
top10() {
	name=$1
	shift
	clock rec-train "$@" -q -o "$TMP/model.recm" "$TMP/train.recd" || return 1
	train_secs=$SECS
	clock rec-eval -m "$TMP/model.recm" --test "$TMP/test.recd" -k 10 \
		-o "$TMP/top.csv" || return 1
	row "$name" "$train_secs" "$SECS" "$(metric "$TMP/top.csv" precision 10)" \
		"$(metric "$TMP/top.csv" ndcg 10)"
}

split() {
	name=$1 prefix=$2

	section "$name: $prefix-train.txt / $prefix-test.txt"
	need "$SPLITS/$prefix-train.txt" "$SPLITS/$prefix-test.txt" || return 0
	rec-pivot -q -d tab --no-header -r 3 -t 4 -o "$TMP/train.recd" "$SPLITS/$prefix-train.txt" &&
		rec-pivot -q -d tab --no-header -r 3 -t 4 -o "$TMP/test.recd" "$SPLITS/$prefix-test.txt" ||
		return 0
	printf '  rec-train %s\n' "$MF"
	row "threads" "train s" "peak MB" "test RMSE"
	# shellcheck disable=SC2086
	rmse 1 1 $MF
	# shellcheck disable=SC2086
	rmse 2 2 $MF
	printf '  solver, 1 thread\n'
	sgd='' adam=''
	for solver in gibbs sgd adam; do
		# shellcheck disable=SC2086
		rmse "$solver" 1 $MF -p solver="$solver" || continue
		case $solver in
		sgd) sgd=$SECS ;;
		adam) adam=$SECS ;;
		esac
	done
	# Adam's lazy steps against SGD's at the same k and epochs.
	if [ -n "$sgd" ] && [ -n "$adam" ]; then
		row "adam / sgd" "$(calc "$adam / $sgd" 2)x"
	fi
	printf '  rec-train -a mf with its defaults\n'
	rmse "1 thread" 1 -a mf
	printf '  peers (splits/README.md):\n'
	peers "$name"
	row "top 10" "train s" "eval s" "P@10" "NDCG@10"
	top10 pop -a pop
	top10 itemknn -a itemknn
	top10 "mf -k 64 -e 20" $MF
}

generated() {
	section "rec-train -a mf -k 64 -e $GENERATED_EPOCHS on $GENERATED generated events"
	genevents -n "$GENERATED" -o "$TMP/events.csv" &&
		rec-pivot -q -o "$TMP/events.recd" "$TMP/events.csv" || return 0
	rm -f "$TMP/events.csv"
	row threads "train s" "peak MB" "speed-up"
	for threads in 1 2; do
		clock rec-train -a mf -k 64 -e "$GENERATED_EPOCHS" -j "$threads" -q \
			-o "$TMP/mf.recm" "$TMP/events.recd" || return 0
		[ "$threads" = 1 ] && one=$SECS
		row "$threads" "$SECS" "$(calc "$KB / 1024" 1)" "$(calc "$one / $SECS" 2)"
	done
}

split ML-100K ml-100k
split latest-small ml-latest-small
generated
