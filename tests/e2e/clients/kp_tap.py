# TAP test lines for the Python clients (nova_client.py, mpam_client.py):
# unnumbered, since the .t that runs a client numbers the points in its own
# plan.

import sys

checks = 0
failed = 0


def ok(cond, desc, *diag):
    global checks, failed
    checks += 1
    print("%s - %s" % ("ok" if cond else "not ok", desc), flush=True)
    if not cond:
        failed += 1
        for d in diag:
            for line in str(d).splitlines():
                print("# " + line, flush=True)
    return cond


def is_(got, want, desc, *diag):
    return ok(got == want, desc, "got:  %r" % (got,), "want: %r" % (want,), *diag)


def bail_out(reason):
    print("Bail out! " + reason, flush=True)
    sys.exit(255)


def done(plan):
    """The client's exit status: 0 when it made PLAN checks and all passed"""
    if checks != plan:
        print("# ran %d checks, planned %d" % (checks, plan), flush=True)
    return 1 if failed or checks != plan else 0
