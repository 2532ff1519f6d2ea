#!/bin/bash
# The measuring tools the benchmarks rely on, with no guest:
#  - bench/stats.py ratio: the median of the rounds' ratios (not the ratio
#    of the medians), an interval that holds it and collapses when every
#    round has the same ratio, the same figures for the same times, and a
#    refusal of unequal or non-numeric input that says what is wrong;
#  - bench_compare's line over times that a function gives, the times it
#    keeps with BENCH_SAMPLES, and its failure when stats.py fails;
#  - vsh_session over an embedded driver's virsh: a command's output and
#    nothing else (also output that does not end in a newline), status 1
#    when virsh printed an error, and with virsh -t the command's own time
#    first, with nothing of the marker's left for the next command;
#    vsh_session_stop ends virsh.

# bench/lib.sh sources tap.sh, guest.sh and libvirt.sh
. "$(dirname "$0")/../../bench/lib.sh"

plan 21
e2e_init

stats() {
    /usr/bin/python3 "$BENCH_DIR/stats.py" "$@"
}

is "$(stats ratio 2 4 6 8 -- 1 2 3 4)" "2.00 2.00 2.00" \
    "stats: every round 2x: ratio 2 and the interval collapses onto it"
# per round 1.00, 2.20, 1.03: the median 1.03; the medians' ratio is 11/10
out=$(stats ratio 10 11 30 -- 10 5 29)
read -r r low high <<< "$out"
is "$r" "1.03" "stats: the median of the rounds' ratios, not the ratio of the medians"
awk -v l="$low" -v r="$r" -v h="$high" 'BEGIN { exit !(1.00 <= l && l <= r && r <= h && h <= 2.20) }'
ok $? "stats: the interval holds the ratio, within the rounds' ratios ($out)"
is "$(stats ratio 10 11 30 -- 10 5 29)" "$out" "stats: the same times give the same interval"
is "$(stats ratio 10 11 -- 10 0)" "- - -" "stats: no ratio against a time of 0"
out=$(stats ratio 1 2 -- 1 2>&1)
is "$?" 2 "stats: unequal rounds are refused"
like "$out" "one per round.*got 2 and 1" "stats: ... saying how many times each side had"
out=$(stats ratio 1 x -- 1 2 2>&1)
like "$out" "not a number" "stats: a time that is not a number is refused"

# bench_compare over fixed times: in round n (0: the untimed one) ours
# takes 2n + 2 ms and raw n + 1 ms
round_ms() {
    local n
    n=$(cat "$E2E_TMP/round")
    case $1 in
        ours) echo $((2 * n + 2)) ;;
        raw) echo $((n + 1)); echo $((n + 1)) > "$E2E_TMP/round" ;;
    esac
}
echo 0 > "$E2E_TMP/round"
out=$(BENCH_SAMPLES=$E2E_TMP/samples bench_compare fixed 4 round_ms ours raw)
like "$out" "^fixed +ours 7\.0 ms \[4\.0-10\.0\]  raw 3\.5 \[2\.0-5\.0\]  ours/raw 2\.00 \[2\.00-2\.00\]  \(median of 4\)$" \
    "bench_compare: medians and ranges of the timed rounds, the ratio with its interval"
is "$(cat "$E2E_TMP/samples")" "$(printf 'fixed\tours\t4 6 8 10\nfixed\traw\t2 3 4 5')" \
    "bench_compare: BENCH_SAMPLES keeps the timed rounds' times, in order"
zero_ms() { case $1 in ours) echo 5 ;; *) echo 0 ;; esac; }
like "$(bench_compare zero 3 zero_ms ours raw)" "ours/raw -  \(median of 3\)$" \
    "bench_compare: no ratio against a side that took 0 ms"
out=$(BENCH_DIR=$E2E_TMP/none bench_compare nostats 2 zero_ms ours raw 2>&1)
is "$?:$(printf '%s\n' "$out" | tail -n 1)" "1:nostats: no ratio ours/raw" \
    "bench_compare: fails, and prints no line, when stats.py cannot give the ratio"

embed_setup s
vsh_session_start s
is "$(vsh_session s echo --split one)" "one" "vsh_session: the output of a command"
is "$(vsh_session s echo two)" "two" "vsh_session: output with no newline at the end"
out=$(vsh_session s no-such-command)
is "$?" 1 "vsh_session: status 1 when virsh printed an error"
like "$out" "no-such-command" "vsh_session: ... and the error"
is "$(vsh_session s echo --split three)" "three" "vsh_session: the next command's output is its own"
# shellcheck disable=SC2154 # set by tests/e2e/lib/libvirt.sh
pid=${_e2e_session_pid[s]}
vsh_session_stop s
kill -0 "$pid" 2>/dev/null
ok $((! $?)) "vsh_session_stop: virsh has ended"

embed_setup t
vsh_session_start t "$E2E_RUN" virsh -t
out=$(vsh_session t echo --split timed)
like "$(printf '%s\n' "$out" | head -n 1)" "^timed$" "vsh_session virsh -t: the output first" || diag "$out"
ms=$(bench_virsh_ms "$out")
like "$ms" "^[0-9]+\.[0-9]+$" "vsh_session virsh -t: then the command's time" || diag "$out"
out=$(vsh_session t echo --split next)
is "$(printf '%s\n' "$out" | head -n 1)" "next" \
    "vsh_session virsh -t: the next output starts with its command's, not the marker's time"
vsh_session_stop t
