#!/bin/sh
# implicit.sh - top-N from implicit feedback: every rating a positive,
# split by user (20% of each user's events, seed 1) and leave-last-out;
# HR@10, NDCG@10, Recall@20, AUC and training time of each algorithm on
# MovieLens 100K and latest-small, and the per-user split's figures over
# REC_BENCH_SEEDS draws (default 10), since one draw moves NDCG@10 by a
# few thousandths.  With REC_BENCH_LARGE=1, the scale on
# 2x10^7 generated events: ials seconds per iteration, ease on the 10,000
# most popular items, and rec-eval -m over every user beside the bare
# matrix products it cannot beat.  ials's two solvers side by side: NDCG@10
# and processor seconds of -p solver=cholesky and -p solver=cg on the
# per-user splits, and seconds per iteration at scale and on 2x10^6
# generated events over 182,000 items.
. "$(dirname "$0")/helpers"

THREADS=2
SEEDS=${REC_BENCH_SEEDS:-10}
ALGORITHMS=$(algorithms pop itemknn bpr ials ease 2> "$TMP/absent")
cat "$TMP/absent"

# measure SPLIT-NAME: every algorithm on $TMP/train.recd and $TMP/test.recd.
measure() {
	printf '  %s\n' "$1"
	row "" "train s" "eval s" "HR@10" "NDCG@10" "Recall@20" "AUC"
	for algo in $ALGORITHMS; do
		clock rec-train -a "$algo" -j "$THREADS" -q -o "$TMP/model.recm" \
			"$TMP/train.recd" || continue
		train_secs=$SECS
		clock rec-eval -m "$TMP/model.recm" -j "$THREADS" --test "$TMP/test.recd" \
			-k 10,20 -o "$TMP/eval.csv" || continue
		row "$algo" "$train_secs" "$SECS" "$(metric "$TMP/eval.csv" hr 10)" \
			"$(metric "$TMP/eval.csv" ndcg 10)" "$(metric "$TMP/eval.csv" recall 20)" \
			"$(metric "$TMP/eval.csv" auc "")"
	done
}

# over_seeds: each algorithm on the per-user split of $TMP/all.recd drawn
# with seeds 1 to SEEDS: NDCG@10's mean, standard deviation and range, and
# the means of HR@10 and Recall@20.
over_seeds() {
	: > "$TMP/seeds.csv"
	seed=1
	while [ "$seed" -le "$SEEDS" ]; do
		rec-split -q --method user --ratio 0.2 --seed "$seed" --train "$TMP/train.recd" \
			--test "$TMP/test.recd" "$TMP/all.recd" || return 0
		for algo in $ALGORITHMS; do
			rec-train -a "$algo" -j "$THREADS" -q -o "$TMP/model.recm" "$TMP/train.recd" &&
				rec-eval -m "$TMP/model.recm" -j "$THREADS" --test "$TMP/test.recd" \
					-k 10,20 -o "$TMP/eval.csv" || continue
			echo "$algo,$(metric "$TMP/eval.csv" ndcg 10),$(metric "$TMP/eval.csv" hr 10),$(metric "$TMP/eval.csv" recall 20)" \
				>> "$TMP/seeds.csv"
		done
		seed=$((seed + 1))
	done
	printf '  rec-split --method user --ratio 0.2, seeds 1 to %s\n' "$SEEDS"
	row "" "NDCG@10" "sd" "min" "max" "HR@10" "Recall@20"
	for algo in $ALGORITHMS; do
		# shellcheck disable=SC2046
		row $(awk -F, -v a="$algo" '$1 == a {
				n++; s += $2; ss += $2 * $2; h += $3; r += $4
				if (n == 1 || $2 < lo) lo = $2
				if (n == 1 || $2 > hi) hi = $2
			}
			END {
				if (!n) exit
				m = s / n; v = ss / n - m * m
				printf "%s %.4f %.4f %.4f %.4f %.4f %.4f", a, m,
					sqrt(v > 0 ? v : 0), lo, hi, h / n, r / n
			}' "$TMP/seeds.csv")
	done
}

# cpu CMD...: run CMD, its standard output to /dev/null, leaving its
# processor seconds (user + system) in CPU.
cpu() {
	/usr/bin/time -f '%U %S' -o "$TMP/cpu" "$@" > /dev/null 2> "$TMP/err" || return 1
	CPU=$(awk '{ printf "%.2f", $1 + $2 }' "$TMP/cpu")
}

# solvers: ials with each solver on the per-user split of $TMP/all.recd
# drawn with seeds 1 to SEEDS, one thread: NDCG@10's mean, the largest
# difference of a seed's NDCG@10 from the exact solver's, and the mean
# processor seconds of training.
solvers() {
	case " $ALGORITHMS " in
	*" ials "*) ;;
	*) return 0 ;;
	esac
	: > "$TMP/solvers.csv"
	seed=1
	while [ "$seed" -le "$SEEDS" ]; do
		rec-split -q --method user --ratio 0.2 --seed "$seed" --train "$TMP/train.recd" \
			--test "$TMP/test.recd" "$TMP/all.recd" || return 0
		for solver in cholesky cg; do
			cpu rec-train -a ials -p solver=$solver -j 1 -q -o "$TMP/model.recm" \
				"$TMP/train.recd" &&
				rec-eval -m "$TMP/model.recm" -j "$THREADS" --test "$TMP/test.recd" \
					-k 10 -o "$TMP/eval.csv" || continue
			echo "$seed,$solver,$(metric "$TMP/eval.csv" ndcg 10),$CPU" >> "$TMP/solvers.csv"
		done
		seed=$((seed + 1))
	done
	printf '  ials -p solver=, rec-split --method user --ratio 0.2, seeds 1 to %s, -j 1\n' \
		"$SEEDS"
	row "" "NDCG@10" "max |diff|" "train cpu s"
	for solver in cholesky cg; do
		# shellcheck disable=SC2046
		row $(awk -F, -v s="$solver" '$2 == "cholesky" { exact[$1] = $3 }
			$2 == s { n++; sum += $3; cpu += $4; d = $3 - exact[$1]
				if (d < 0) d = -d; if (d > max) max = d }
			END { if (n) printf "%s %.4f %.4f %.2f", s, sum / n, max, cpu / n }' \
			"$TMP/solvers.csv")
	done
}

# dataset NAME FILE PIVOT-OPTIONS...: binarise, split both ways, measure.
dataset() {
	name=$1 file=$2
	shift 2
	section "$name, every rating a positive"
	need "$file" || return 0
	rec-pivot -q --implicit 0 "$@" -o "$TMP/all.recd" "$file" || return 0
	rec-split -q --method user --ratio 0.2 --seed 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || return 0
	measure "rec-split --method user --ratio 0.2 --seed 1"
	over_seeds
	solvers
	rec-split -q --method last --count 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || return 0
	measure "rec-split --method last --count 1"
}

# ials_iterations FACTORS [SOLVER]: one iteration's seconds, from the
# times that rec-train --progress reports after each of three iterations,
# with the default solver or SOLVER.
ials_iterations() {
	name="ials -k $1${2:+ -p solver=$2}"
	clock rec-train -a ials -k "$1" ${2:+-p solver=$2} -e 3 --progress -j "$THREADS" \
		-o "$TMP/ials.recm" "$TMP/train.recd" || return 1
	per=$(awk '/^epoch/ { t[++n] = $NF + 0 }
		END { if (n > 1) printf "%.2f", (t[n] - t[1]) / (n - 1) }' "$TMP/err")
	if [ -n "$per" ]; then
		figure "$name: seconds per iteration" "$per" s
	else
		skip "$name: no times in its progress"
	fi
	figure "$name -e 3: training" "$SECS" s
	figure "$name: peak RSS" "$(calc "$KB / 1024" 0)" MB
}

# solver_seconds SOLVER: processor seconds of one iteration of ials -k 64
# with SOLVER on $TMP/train.recd, on one thread: those of -e 4 less those
# of -e 0, over 4.
solver_seconds() {
	cpu rec-train -a ials -k 64 -p solver="$1" -e 0 -j 1 -o "$TMP/ials.recm" \
		"$TMP/train.recd" || return 1
	start=$CPU
	cpu rec-train -a ials -k 64 -p solver="$1" -e 4 -j 1 -o "$TMP/ials.recm" \
		"$TMP/train.recd" || return 1
	figure "ials -k 64 -p solver=$1: cpu s per iteration, -j 1" \
		"$(calc "($CPU - $start) / 4" 2)" s
}

# wide: ials's solvers where most rows are short and the k^3 of the exact
# solve weighs most: 2x10^6 generated events over 182,000 items.
wide() {
	section "2x10^6 generated events, 182,000 items"
	if [ "$REC_BENCH_LARGE" != 1 ]; then
		skip "set REC_BENCH_LARGE=1 to run it"
		return 0
	fi
	case " $ALGORITHMS " in
	*" ials "*) ;;
	*) skip "ials: rec-train does not list it"; return 0 ;;
	esac
	genevents -n 2000000 -i 182000 -o "$TMP/events.csv" &&
		rec-pivot -q --implicit 0 -o "$TMP/train.recd" "$TMP/events.csv" || return 0
	rm -f "$TMP/events.csv"
	for solver in cholesky cg; do
		ials_iterations 64 "$solver"
		solver_seconds "$solver"
	done
}

ease_top() {
	clock rec-train -a ease -p max_items=10000 -j "$THREADS" -q -o "$TMP/ease.recm" \
		"$TMP/train.recd" || return 1
	figure "ease -p max_items=10000: training" "$SECS" s
	figure "ease -p max_items=10000: peak RSS" "$(calc "$KB / 1024" 0)" MB
}

# ranking_floor ALGO: rec-eval -m over every user with a 64-factor model
# of ALGO, beside sgemm-floor of the same users x 64 x items in the blocks
# of 256 users that rec-eval scores at once.  --per-user leaves out the
# beyond-accuracy metrics, whose diversity would take far longer than the
# ranking here.
ranking_floor() {
	clock rec-train -a "$1" -k 64 -e 1 -j "$THREADS" -q -o "$TMP/rank.recm" \
		"$TMP/train.recd" || return 1
	figure "$1 -k 64 -e 1: training" "$SECS" s
	rec-pivot --stats -o /dev/null "$TMP/train.recd" > "$TMP/stats.csv"
	users=$(stat "$TMP/stats.csv" users)
	items=$(stat "$TMP/stats.csv" items)
	clock rec-eval -m "$TMP/rank.recm" -j "$THREADS" --test "$TMP/test.recd" \
		--per-user -o /dev/null || return 1
	figure "rec-eval -m --per-user, $users users x $items items" "$SECS" s
	figure "rec-eval -m peak RSS" "$(calc "$KB / 1024" 0)" MB
	eval_secs=$SECS
	timed sgemm-floor "$users" 64 "$items" 256 || return 1
	floor=$(cat "$TMP/out")
	figure "sgemm-floor $users x 64 x $items, blocks of 256" "$floor" s
	figure "rec-eval -m / sgemm floor" "$(calc "$eval_secs / $floor" 1)" x
}

large() {
	section "scale: 2x10^7 generated events, 140,000 users, 27,000 items"
	if [ "$REC_BENCH_LARGE" != 1 ]; then
		skip "set REC_BENCH_LARGE=1 to run it"
		return 0
	fi
	genevents -n 20000000 -u 140000 -i 27000 -o "$TMP/events.csv" &&
		rec-pivot -q --implicit 0 -o "$TMP/all.recd" "$TMP/events.csv" || return 0
	rm -f "$TMP/events.csv"
	rec-split -q --method last --count 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/all.recd" || return 0
	rm -f "$TMP/all.recd"
	case " $ALGORITHMS " in
	*" ials "*)
		for solver in cholesky cg; do
			ials_iterations 64 "$solver"
			solver_seconds "$solver"
		done
		ials_iterations 128
		ials_iterations 128 cg ;;
	*) skip "ials: rec-train does not list it" ;;
	esac
	case " $ALGORITHMS " in
	*" ease "*) ease_top ;;
	esac
	case " $ALGORITHMS " in
	*" ials "*) ranking_floor ials ;;
	*" bpr "*) ranking_floor bpr ;;
	*) ranking_floor mf ;;
	esac
}

dataset "MovieLens 100K" "$DATA/movielens-100k/u.data" -d tab --no-header -r 3 -t 4
dataset "MovieLens latest-small" "$DATA/movielens-latest-small/ratings.csv" -i movieId
large
wide
