# shellcheck shell=bash
# Run a Python client of this directory (its TAP lines are unnumbered, see
# kp_tap.py) as part of a .t's plan. Source after tap.sh and libvirt.sh.
#
#   python_client_run SCRIPT CHECKS   run SCRIPT with Debian's python3 and
#                                     this build's libraries (the caller
#                                     sets its environment), count its
#                                     points into the plan, and bail out
#                                     unless it made CHECKS of them
python_client_run() {
    local script=$1 checks=$2 name count
    name=$(basename "$script" .py)
    "$E2E_RUN" /usr/bin/python3 "$script" 2>"$E2E_TMP/$name.err" | tee "$E2E_TMP/$name.tap"
    count=$(grep -c -E '^(not )?ok - ' "$E2E_TMP/$name.tap")
    _tap_n=$count
    if [ "$count" != "$checks" ]; then
        diag "$name.py ran $count of $checks checks:" "$(tail -n 20 "$E2E_TMP/$name.err")"
        bail_out "$name.py stopped early"
    fi
}
