#!/usr/bin/python3
# bench/stats.py: the statistics of bench/lib.sh's bench_compare. Python 3
# standard library only; run it with /usr/bin/python3.
#
#   stats.py ratio A... -- B...
#       A and B are the times of two sides in the order they were taken,
#       A[i] and B[i] in the same round (bench_compare runs every side once
#       per round, one after the other). Print "RATIO LOW HIGH": the median
#       of the rounds' ratios A[i] / B[i], and its 95% interval by a
#       percentile bootstrap over the rounds (BOOTSTRAP_ROUNDS samples of as
#       many rounds drawn with replacement, a fixed seed so that the same
#       times give the same interval). On these machines the speed of the
#       whole machine drifts by a third within minutes, and all sides of a
#       round see the same drift, so the ratio within a round is steadier
#       than the ratio of the two medians; the interval says how far the
#       ratio of one run can be trusted. Prints "- - -" if a time of B is
#       not above 0.

import random
import statistics
import sys

BOOTSTRAP_ROUNDS = 10000
SEED = 1


def ratio_interval(a, b):
    """The median of the ratios a[i] / b[i] and its 95% bootstrap interval
    over i, or None if a b[i] is not above 0."""
    if min(b) <= 0:
        return None
    ratios = [x / y for x, y in zip(a, b)]
    rng = random.Random(SEED)
    boot = sorted(statistics.median(rng.choices(ratios, k=len(ratios)))
                  for _ in range(BOOTSTRAP_ROUNDS))
    low = boot[int(0.025 * (len(boot) - 1))]
    high = boot[int(0.975 * (len(boot) - 1))]
    return statistics.median(ratios), low, high


def main(argv):
    if len(argv) < 2 or argv[1] != "ratio" or "--" not in argv:
        sys.stderr.write("usage: stats.py ratio A... -- B...\n")
        return 2
    sep = argv.index("--")
    try:
        a = [float(x) for x in argv[2:sep]]
        b = [float(x) for x in argv[sep + 1:]]
    except ValueError as e:
        sys.stderr.write("stats.py: not a number: %s\n" % e)
        return 2
    if not a or len(a) != len(b):
        sys.stderr.write("stats.py: ratio needs as many times on each side "
                         "of -- (one per round), got %d and %d\n"
                         % (len(a), len(b)))
        return 2
    result = ratio_interval(a, b)
    print("%.2f %.2f %.2f" % result if result else "- - -")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
