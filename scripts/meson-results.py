#!/usr/bin/env python3
# Count the results in a meson test JSON log (meson-logs/LOGBASE.json):
# prints "PASSED FAILED SKIPPED". With --sanitizer, a test that passed but
# whose output has an ASan, LSan or UBSan report counts as failed. The
# failed tests are named on standard error.

import json
import re
import sys

args = sys.argv[1:]
sanitizer = "--sanitizer" in args
args = [a for a in args if a != "--sanitizer"]
report = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:")

passed = failed = skipped = 0
for line in open(args[0]):
    r = json.loads(line)
    flagged = sanitizer and report.search((r.get("stdout") or "") + (r.get("stderr") or ""))
    if r["result"] == "SKIP":
        skipped += 1
    elif r["result"] in ("OK", "EXPECTEDFAIL") and not flagged:
        passed += 1
    else:
        failed += 1
        print("failed: %s (%s%s)" % (r["name"], r["result"],
                                     ", sanitizer report" if flagged else ""),
              file=sys.stderr)
print(passed, failed, skipped)
