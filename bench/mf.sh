#!/bin/sh
# mf.sh - rating prediction on the fixed 80/20 splits of MovieLens:
# matrix factorisation with 64 factors and 20 epochs on 1 and 2 threads
# and with each solver (time, memory, test RMSE; Adam's time over SGD's),
# and with its defaults;
# the top-10 lists of pop, itemknn and mf on the same split; mf beside
# LIBMF on ML-100K, one thread each; then mf's training on 1 and 2
# threads over 10^7 generated events.
#
# LIBMF_DIR names a folder holding LIBMF's mf-train and mf-predict, built
# from its source (github.com/cjlin1/libmf) outside this tree; without it
# LIBMF's side is skipped.
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

# spread CMD...: run CMD RUNS times; WALL and CPU are the least and the
# most wall and user+sys seconds, as "least-most".
spread() {
	: > "$TMP/runs"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		if ! /usr/bin/time -f '%e %U %S' -o "$TMP/time" "$@" > "$TMP/out" 2> "$TMP/err"; then
			printf '  failed: %s\n' "$*"
			sed 's/^/    /' "$TMP/err" | head -5
			return 1
		fi
		tail -1 "$TMP/time" >> "$TMP/runs"
		i=$((i + 1))
	done
	WALL=$(awk '{ print $1 }' "$TMP/runs" | sort -n | sed -n '1p;$p' | paste -sd- -)
	CPU=$(awk '{ printf "%.2f\n", $2 + $3 }' "$TMP/runs" | sort -n | sed -n '1p;$p' |
		paste -sd- -)
}

# rec_side LABEL OPTIONS...: rec-train with OPTIONS on one thread, then the
# test RMSE of its predictions.
rec_side() {
	label=$1
	shift
	spread rec-train "$@" -j 1 -q -o "$TMP/mf.recm" "$TMP/train.recd" || return 0
	rec-recommend -m "$TMP/mf.recm" --predict "$TMP/test.recd" -o "$TMP/pred.csv" &&
		rec-eval -o "$TMP/rmse.csv" "$TMP/pred.csv" || return 0
	row "$label" "$WALL" "$CPU" "$(metric "$TMP/rmse.csv" rmse "")"
}

# libmf_side LABEL OPTIONS...: LIBMF's mf-train with OPTIONS on one thread,
# then the test RMSE that its mf-predict prints.
libmf_side() {
	label=$1
	shift
	spread "$LIBMF_DIR/mf-train" "$@" -s 1 --quiet "$TMP/libmf-train.txt" \
		"$TMP/libmf.model" || return 0
	rmse=$("$LIBMF_DIR/mf-predict" -e 0 "$TMP/libmf-test.txt" "$TMP/libmf.model" \
		"$TMP/libmf.pred" | sed -n 's/^RMSE = //p')
	row "$label" "$WALL" "$CPU" "$rmse"
}

# Both on ML-100K's split: rec's defaults, rec at LIBMF's budget, and the
# configuration of the splits' README in both.
beside_libmf() {
	section "ML-100K: mf beside LIBMF, one thread, $RUNS runs each (least-most)"
	need "$SPLITS/ml-100k-train.txt" "$SPLITS/ml-100k-test.txt" || return 0
	rec-pivot -q -d tab --no-header -r 3 -t 4 -o "$TMP/train.recd" "$SPLITS/ml-100k-train.txt" &&
		rec-pivot -q -d tab --no-header -r 3 -t 4 -o "$TMP/test.recd" "$SPLITS/ml-100k-test.txt" ||
		return 0
	row "" "wall s" "user+sys s" "test RMSE"
	rec_side "rec mf (defaults)" -a mf
	rec_side "rec mf -e 50" -a mf -e 50
	# shellcheck disable=SC2086
	rec_side "rec mf -k 64 -e 20 sgd" $MF -p solver=sgd
	if [ -z "$LIBMF_DIR" ] || [ ! -x "$LIBMF_DIR/mf-train" ]; then
		skip "LIBMF: set LIBMF_DIR to a folder with its mf-train and mf-predict"
		return 0
	fi
	# LIBMF reads "user item rating" lines separated by spaces.
	awk '{ print $1, $2, $3 }' "$SPLITS/ml-100k-train.txt" > "$TMP/libmf-train.txt" &&
		awk '{ print $1, $2, $3 }' "$SPLITS/ml-100k-test.txt" > "$TMP/libmf-test.txt" ||
		return 0
	libmf_side "LIBMF -k 64 -t 20" -f 0 -k 64 -t 20
	libmf_side "LIBMF -k 10 -t 20" -f 0 -k 10 -t 20
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
beside_libmf
generated
