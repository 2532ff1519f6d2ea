# Minimal TAP producer for the end-to-end tests (bash, sourced).
#
#   plan N | ok CONDITION-STATUS DESC | is GOT WANT DESC | like GOT REGEX DESC
#   diag TEXT | skip DESC REASON | bail_out REASON
#
# 'ok' takes the exit status of the preceding command: `cmd; ok $? "desc"`.

_tap_n=0
_tap_failed=0

plan() {
    echo "1..$1"
}

ok() {
    local status=$1
    shift
    _tap_n=$((_tap_n + 1))
    if [ "$status" -eq 0 ]; then
        echo "ok $_tap_n - $*"
    else
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_n - $*"
    fi
    return "$status"
}

is() {
    local got=$1 want=$2
    shift 2
    if [ "$got" = "$want" ]; then
        ok 0 "$@"
    else
        ok 1 "$@"
        diag "got:  '$got'"
        diag "want: '$want'"
        return 1
    fi
}

like() {
    local got=$1 re=$2
    shift 2
    if printf '%s\n' "$got" | grep -qE -- "$re"; then
        ok 0 "$@"
    else
        ok 1 "$@"
        diag "got:  '$got'"
        diag "want: /$re/"
        return 1
    fi
}

diag() {
    printf '%s\n' "$@" | sed 's/^/# /' >&2
}

skip() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1 # SKIP $2"
}

bail_out() {
    echo "Bail out! $*"
    exit 255
}
