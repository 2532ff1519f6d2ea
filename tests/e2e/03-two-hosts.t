#!/bin/bash
# Two private daemons on this one machine as two hosts: each in its own
# network namespace (joined by a veth pair), with its own hostname and host
# UUID, and its own state. This is what migration tests build on.

. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/guest.sh"
. "$(dirname "$0")/lib/libvirt.sh"

plan 7
e2e_init

ns1=kpA$$ ns2=kpB$$
netns_pair "$ns1" 10.251.0.1/24 "$ns2" 10.251.0.2/24
ok $? "two network namespaces joined by a veth pair"

daemon_start src --netns "$ns1" --hostname kp-src --host-uuid 11111111-2222-3333-4444-000000000001
ok $? "daemon 'src' starts in $ns1"
daemon_start dst --netns "$ns2" --hostname kp-dst --host-uuid 11111111-2222-3333-4444-000000000002
ok $? "daemon 'dst' starts in $ns2"

is "$(vsh src hostname) $(vsh dst hostname)" "kp-src kp-dst" "each daemon has its own hostname"

uuids=$(for h in src dst; do vsh "$h" capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -n1; done | tr '\n' ' ')
is "$uuids" "11111111-2222-3333-4444-000000000001 11111111-2222-3333-4444-000000000002 " \
    "each daemon reports its own host UUID"

addrs=$(ip -n "$ns1" -o -4 addr show dev "v-$ns1" | awk '{ print $4 }')
is "$addrs" "10.251.0.1/24" "the source host has its own address"

guest_initramfs x86_64 "$E2E_TMP/initrd"
guest_domain_xml x86_64 kp-only-src "$(guest_kernel x86_64)" "$E2E_TMP/initrd" \
    "$E2E_TMP/console.log" > "$E2E_TMP/dom.xml"
vsh src define "$E2E_TMP/dom.xml" >/dev/null
is "$(vsh src list --all --name | xargs) / $(vsh dst list --all --name | xargs)" "kp-only-src / " \
    "a domain defined on one host is not seen by the other"
