// kp-client: the core path of libvirt-kunpeng driven from Go through
// Debian's binding (github.com/libvirt/libvirt-go 6.0.0) the way KubeVirt's
// virt-launcher drives libvirt: default event loop, lifecycle events,
// define, start, live vCPU hot add and hot remove, a dimm hot added into a
// memory-less guest NUMA node, the live XML after each step, destroy and
// undefine. Each step is checked against the domain XML (encoding/xml) and,
// after a vCPU or memory change, against what the guest itself reports on
// its console (the KP-REPORT lines of tests/e2e/lib/guest.sh).
//
// Run by tests/e2e/clients/20-go-binding.t:
//
//	kp-client -c URI -xml DOMAIN.xml -console CONSOLE.log
//
// The domain must have a maximum of at least 4 vCPUs, fewer at start, and
// a guest NUMA cell with memory='0'. The vCPU counts are derived from it:
// the maximum, then half of it, then one fewer with the new flag
// VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED. Output: one "ok - ..." or
// "not ok - ..." line per check, "# ..." diagnostics, a summary line; the
// exit status is 1 when a check failed.
package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	libvirt "github.com/libvirt/libvirt-go"
)

// vcpuHotplugUnaligned is libvirt-kunpeng's VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED
// (include/libvirt/libvirt-domain.h). The Go binding predates it, so a
// client passes it by value, as it would any flag newer than its binding.
const vcpuHotplugUnaligned = libvirt.DomainVcpuFlags(1 << 5)

var (
	uri        = flag.String("c", "", "libvirt connection URI")
	xmlPath    = flag.String("xml", "", "domain XML to define")
	consoleLog = flag.String("console", "", "the guest's console log file")
	dimmMiB    = flag.Uint64("dimm-mib", 256, "size of the hot-added dimm in MiB")
	timeout    = flag.Duration("timeout", 60*time.Second, "how long to wait for the guest to report a change")
	printFlag  = flag.Bool("print-unaligned-flag", false, "print the value passed as VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED and exit")
)

// The parts of the domain XML the checks look at.
type domainXML struct {
	Name   string `xml:"name"`
	Memory struct {
		Unit  string `xml:"unit,attr"`
		Value string `xml:",chardata"`
	} `xml:"memory"`
	VCPU struct {
		Current string `xml:"current,attr"`
		Max     string `xml:",chardata"`
	} `xml:"vcpu"`
	Topology struct {
		Sockets  string `xml:"sockets,attr"`
		Clusters string `xml:"clusters,attr"`
	} `xml:"cpu>topology"`
	Cells    []cellXML   `xml:"cpu>numa>cell"`
	Memories []memoryXML `xml:"devices>memory"`
}

type cellXML struct {
	ID     string `xml:"id,attr"`
	CPUs   string `xml:"cpus,attr"`
	Memory string `xml:"memory,attr"`
	Unit   string `xml:"unit,attr"`
}

type memoryXML struct {
	Model string `xml:"model,attr"`
	Size  struct {
		Unit  string `xml:"unit,attr"`
		Value string `xml:",chardata"`
	} `xml:"target>size"`
	Node  string `xml:"target>node"`
	Alias struct {
		Name string `xml:"name,attr"`
	} `xml:"alias"`
}

// vcpus returns the current and the maximum vCPU count; libvirt omits
// current='...' when it equals the maximum.
func (d *domainXML) vcpus() (uint, uint, error) {
	max, err := strconv.ParseUint(strings.TrimSpace(d.VCPU.Max), 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("<vcpu>%s</vcpu>: %v", d.VCPU.Max, err)
	}
	if d.VCPU.Current == "" {
		return uint(max), uint(max), nil
	}
	cur, err := strconv.ParseUint(d.VCPU.Current, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("<vcpu current='%s'>: %v", d.VCPU.Current, err)
	}
	return uint(cur), uint(max), nil
}

// memoryLessCell returns the first guest NUMA cell with memory='0'.
func (d *domainXML) memoryLessCell() *cellXML {
	for i := range d.Cells {
		if d.Cells[i].Memory == "0" {
			return &d.Cells[i]
		}
	}
	return nil
}

// kib converts a libvirt scaled size to KiB (the units libvirt formats
// and the ones a test writes).
func kib(value, unit string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return 0, err
	}
	switch unit {
	case "", "KiB", "k", "K":
		return v, nil
	case "MiB", "M", "m":
		return v << 10, nil
	case "GiB", "G", "g":
		return v << 20, nil
	}
	return 0, fmt.Errorf("unit '%s' not handled", unit)
}

func parseDomainXML(text string) (*domainXML, error) {
	var d domainXML
	if err := xml.Unmarshal([]byte(text), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// TAP-style output, numbered by the .t that runs the program.
type tap struct {
	checks, failed int
}

func (t *tap) ok(cond bool, format string, args ...interface{}) bool {
	t.checks++
	if !cond {
		t.failed++
		fmt.Print("not ")
	}
	fmt.Printf("ok - "+format+"\n", args...)
	return cond
}

func (t *tap) diag(format string, args ...interface{}) {
	for _, l := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		fmt.Printf("# %s\n", l)
	}
}

// One KP-REPORT line of the guest's console.
type report struct {
	line     string
	online   string
	possible string         // nodes_possible
	nodes    map[int]string // node -> MemTotal in kB ("-" when unreadable)
}

func parseReport(line string) (*report, bool) {
	if !strings.HasPrefix(line, "KP-REPORT ") {
		return nil, false
	}
	r := &report{line: line, nodes: map[int]string{}}
	var haveOnline, haveNodes bool
	for _, f := range strings.Fields(line)[1:] {
		kv := strings.SplitN(f, "=", 2)
		if len(kv) != 2 {
			continue
		}
		switch kv[0] {
		case "cpus_online":
			r.online, haveOnline = kv[1], true
		case "nodes_possible":
			r.possible = kv[1]
		case "nodes":
			haveNodes = true
			for _, nk := range strings.Split(kv[1], ",") {
				p := strings.SplitN(nk, ":", 2)
				n, err := strconv.Atoi(p[0])
				if len(p) != 2 || err != nil {
					return nil, false
				}
				r.nodes[n] = p[1]
			}
		}
	}
	// A kernel message can cut a report line: only whole ones count.
	if !haveOnline || !haveNodes || !strings.Contains(line, " topo=") {
		return nil, false
	}
	return r, true
}

// consoleMark is the console log's size now: reports that start after it
// were written after this moment.
func consoleMark(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// consoleReports returns the complete KP-REPORT lines that start at or
// after byte offset mark.
func consoleReports(path string, mark int64) []*report {
	data, err := os.ReadFile(path)
	if err != nil || int64(len(data)) < mark {
		return nil
	}
	if mark > 0 {
		// A line that was being written at the mark is not "after" it.
		nl := bytes.IndexByte(data[mark-1:], '\n')
		if nl < 0 {
			return nil
		}
		data = data[mark+int64(nl):]
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil
	}
	var out []*report
	for _, l := range strings.Split(string(data[:end]), "\n") {
		if r, ok := parseReport(strings.TrimRight(l, "\r")); ok {
			out = append(out, r)
		}
	}
	return out
}

// waitGuest waits until a report written after mark satisfies want; it
// returns that report, or nil and the last report seen.
func waitGuest(mark int64, want func(*report) bool) (*report, *report) {
	var last *report
	deadline := time.Now().Add(*timeout)
	for {
		for _, r := range consoleReports(*consoleLog, mark) {
			if want(r) {
				return r, nil
			}
			last = r
		}
		if time.Now().After(deadline) {
			return nil, last
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// parseList expands a cpulist ("0-3,6"); it ignores what is not one.
func parseList(list string) []int {
	var out []int
	for _, r := range strings.Split(list, ",") {
		ab := strings.SplitN(r, "-", 2)
		a, err := strconv.Atoi(ab[0])
		if err != nil {
			continue
		}
		b := a
		if len(ab) == 2 {
			if b, err = strconv.Atoi(ab[1]); err != nil {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out
}

// cpuList is the kernel cpulist of n CPUs numbered from 0: hot-added vCPUs
// take the guest's next free CPU number and libvirt removes the highest
// vCPUs first, so n vCPUs are always guest CPUs 0..n-1 here.
func cpuList(n uint) string {
	if n == 1 {
		return "0"
	}
	return fmt.Sprintf("0-%d", n-1)
}

type lifecycleEvent struct {
	dom    string
	event  libvirt.DomainEventType
	detail int
}

type client struct {
	tap
	conn    *libvirt.Connect
	dom     *libvirt.Domain
	name    string
	events  chan lifecycleEvent
	maxVcpu uint
	cell    cellXML // the memory-less cell of the definition
	memKiB  uint64  // <memory> of the definition
	dimms   int     // dimms hot added so far
	dimmKiB uint64  // and their size
}

// waitEvent waits (10 s) for a lifecycle event of the domain; the events
// before it are dropped.
func (c *client) waitEvent(want libvirt.DomainEventType, detail int) bool {
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-c.events:
			if e.dom == c.name && e.event == want {
				if e.detail != detail {
					c.diag("event %d has detail %d, want %d", e.event, e.detail, detail)
				}
				return e.detail == detail
			}
		case <-deadline:
			c.diag("no lifecycle event %d within 10 s", want)
			return false
		}
	}
}

// checkXML parses the domain XML (flags: 0 for the live one) and checks
// the vCPU count, that the memory-less cell is still memory='0', and that
// there are dimms dimms of dimmKiB in all, in that cell's node, with
// <memory> grown by their size.
func (c *client) checkXML(step string, flags libvirt.DomainXMLFlags, vcpus uint, dimms int, dimmKiB uint64) bool {
	text, err := c.dom.GetXMLDesc(flags)
	if err != nil {
		return c.ok(false, "GetXMLDesc after %s: %v", step, err)
	}
	d, err := parseDomainXML(text)
	if err != nil {
		return c.ok(false, "GetXMLDesc after %s: encoding/xml: %v", step, err)
	}
	var problems []string
	cur, max, err := d.vcpus()
	if err != nil {
		problems = append(problems, err.Error())
	} else if cur != vcpus || max != c.maxVcpu {
		problems = append(problems, fmt.Sprintf("vCPUs %d of %d, want %d of %d", cur, max, vcpus, c.maxVcpu))
	}
	cell := d.memoryLessCell()
	if cell == nil || cell.ID != c.cell.ID || cell.CPUs != c.cell.CPUs {
		problems = append(problems, fmt.Sprintf("no <cell id='%s' cpus='%s' memory='0'> (cells: %+v)", c.cell.ID, c.cell.CPUs, d.Cells))
	}
	var sizes uint64
	n := 0
	for _, m := range d.Memories {
		if m.Model != "dimm" {
			continue
		}
		n++
		size, err := kib(m.Size.Value, m.Size.Unit)
		if err != nil {
			problems = append(problems, fmt.Sprintf("dimm %s size: %v", m.Alias.Name, err))
		}
		sizes += size
		if strings.TrimSpace(m.Node) != c.cell.ID {
			problems = append(problems, fmt.Sprintf("dimm %s is in node '%s', want %s", m.Alias.Name, m.Node, c.cell.ID))
		}
	}
	if n != dimms {
		problems = append(problems, fmt.Sprintf("%d dimms, want %d", n, dimms))
	}
	if total, err := kib(d.Memory.Value, d.Memory.Unit); err != nil {
		problems = append(problems, fmt.Sprintf("<memory>: %v", err))
	} else if total != c.memKiB+sizes || sizes != dimmKiB {
		problems = append(problems, fmt.Sprintf("<memory> %d KiB with %d KiB of dimms, want %d + %d KiB",
			total, sizes, c.memKiB, dimmKiB))
	}
	which := "XMLDesc"
	if flags&libvirt.DOMAIN_XML_INACTIVE != 0 {
		which = "inactive XMLDesc"
	}
	desc := fmt.Sprintf("%s after %s: %d of %d vCPUs, <cell id='%s' memory='0'> kept, %d dimm(s) in node %s",
		which, step, vcpus, c.maxVcpu, c.cell.ID, dimms, c.cell.ID)
	if !c.ok(len(problems) == 0, "%s", desc) {
		c.diag("%s", strings.Join(problems, "\n"))
		return false
	}
	return true
}

// nodeState is what the guest should report for the memory-less node with
// n vCPUs: not online while it has neither memory nor an online CPU (only
// in nodes_possible), 0 kB before the hot add, and then at most, and at
// least 15/16 of, the dimms' size (the guest onlines all of it; its memmap
// may come from another node).
func (c *client) nodeState(n uint) (string, func(*report) bool) {
	node, _ := strconv.Atoi(c.cell.ID)
	hasCPU := false
	for _, cpu := range parseList(c.cell.CPUs) {
		if uint(cpu) < n {
			hasCPU = true
		}
	}
	if c.dimmKiB == 0 && !hasCPU {
		return fmt.Sprintf("node %d offline (possible, no memory, no CPU)", node),
			func(r *report) bool {
				_, online := r.nodes[node]
				possible := false
				for _, p := range parseList(r.possible) {
					possible = possible || p == node
				}
				return !online && possible
			}
	}
	want := func(kb uint64) bool { return kb == 0 }
	desc := fmt.Sprintf("node %d with 0 kB", node)
	if c.dimmKiB != 0 {
		want = func(kb uint64) bool { return kb <= c.dimmKiB && kb >= c.dimmKiB-c.dimmKiB/16 }
		desc = fmt.Sprintf("node %d with the %d KiB hot added", node, c.dimmKiB)
	}
	return desc, func(r *report) bool {
		v, ok := r.nodes[node]
		if !ok {
			return false
		}
		kb, err := strconv.ParseUint(v, 10, 64)
		return err == nil && want(kb)
	}
}

// checkGuest waits for the guest to report n CPUs online (and the
// memory-less node's memory) in a report written after mark.
func (c *client) checkGuest(mark int64, n uint) bool {
	t0 := time.Now()
	desc, nodeOK := c.nodeState(n)
	r, last := waitGuest(mark, func(r *report) bool {
		return r.online == cpuList(n) && nodeOK(r)
	})
	if !c.ok(r != nil, "the guest reports CPUs %s online and %s", cpuList(n), desc) {
		if last != nil {
			c.diag("last report after the change: %.200s", last.line)
		} else {
			c.diag("no report after the change within %s", *timeout)
		}
		return false
	}
	c.diag("the guest agreed after %d ms: %.160s", time.Since(t0).Milliseconds(), r.line)
	return true
}

// setVcpus is one live vCPU change checked in the live XML and the guest.
func (c *client) setVcpus(n uint, flags libvirt.DomainVcpuFlags, flagNames string) {
	t0 := time.Now()
	err := c.dom.SetVcpusFlags(n, flags)
	ms := time.Since(t0).Milliseconds()
	if !c.ok(err == nil, "SetVcpusFlags(%d, %s)", n, flagNames) {
		c.diag("%v", err)
		return
	}
	c.diag("SetVcpusFlags(%d, %s) took %d ms", n, flagNames, ms)
	mark := consoleMark(*consoleLog)
	c.checkXML(fmt.Sprintf("SetVcpusFlags(%d)", n), 0, n, c.dimms, c.dimmKiB)
	c.checkGuest(mark, n)
}

// refused checks that a SetVcpusFlags call fails with VIR_ERR_INVALID_ARG
// and the given message.
func (c *client) refused(n uint, flags libvirt.DomainVcpuFlags, flagNames, msg string) {
	err := c.dom.SetVcpusFlags(n, flags)
	lerr, isLibvirt := err.(libvirt.Error)
	if !c.ok(isLibvirt && lerr.Code == libvirt.ERR_INVALID_ARG && strings.Contains(lerr.Message, msg),
		"SetVcpusFlags(%d, %s) is refused: %s", n, flagNames, msg) {
		c.diag("got: %v", err)
	}
}

func (c *client) run(domXML string, def *domainXML) {
	var err error
	c.conn, err = libvirt.NewConnect(*uri)
	if !c.ok(err == nil, "NewConnect(%s) with the default event loop running", *uri) {
		c.diag("%v", err)
		return
	}
	c.events = make(chan lifecycleEvent, 64)
	cbID, err := c.conn.DomainEventLifecycleRegister(nil,
		func(_ *libvirt.Connect, d *libvirt.Domain, e *libvirt.DomainEventLifecycle) {
			name, _ := d.GetName()
			select {
			case c.events <- lifecycleEvent{name, e.Event, e.Detail}:
			default:
			}
		})
	if !c.ok(err == nil, "DomainEventLifecycleRegister for every domain") {
		c.diag("%v", err)
		return
	}
	defer func() {
		if err := c.conn.DomainEventDeregister(cbID); err != nil {
			c.diag("DomainEventDeregister: %v", err)
		}
	}()

	c.dom, err = c.conn.DomainDefineXML(domXML)
	if !c.ok(err == nil, "DomainDefineXML(%s)", *xmlPath) {
		c.diag("%v", err)
		return
	}
	c.ok(c.waitEvent(libvirt.DOMAIN_EVENT_DEFINED, int(libvirt.DOMAIN_EVENT_DEFINED_ADDED)),
		"a lifecycle event DEFINED/ADDED arrives")
	defer func() {
		if c.dom != nil {
			c.dom.Destroy()
			c.dom.Undefine()
			c.dom.Free()
		}
	}()
	cur0, _, _ := def.vcpus()
	c.checkXML("DomainDefineXML", libvirt.DOMAIN_XML_INACTIVE, cur0, 0, 0)

	t0 := time.Now()
	err = c.dom.Create()
	if !c.ok(err == nil, "dom.Create()") {
		c.diag("%v", err)
		return
	}
	c.diag("dom.Create() took %d ms", time.Since(t0).Milliseconds())
	c.ok(c.waitEvent(libvirt.DOMAIN_EVENT_STARTED, int(libvirt.DOMAIN_EVENT_STARTED_BOOTED)),
		"a lifecycle event STARTED/BOOTED arrives")
	c.checkXML("dom.Create()", 0, cur0, 0, 0)
	// The console log is truncated when QEMU starts: every report counts.
	if !c.checkGuest(0, cur0) {
		return
	}

	up := c.maxVcpu
	down := c.maxVcpu / 2
	c.setVcpus(up, libvirt.DOMAIN_VCPU_LIVE, "DOMAIN_VCPU_LIVE")

	dimm := fmt.Sprintf("<memory model='dimm'><target><size unit='MiB'>%d</size><node>%s</node></target></memory>",
		*dimmMiB, c.cell.ID)
	t0 = time.Now()
	err = c.dom.AttachDeviceFlags(dimm, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	if c.ok(err == nil, "AttachDeviceFlags(<memory model='dimm'> %d MiB in node %s, DOMAIN_DEVICE_MODIFY_LIVE)",
		*dimmMiB, c.cell.ID) {
		c.diag("AttachDeviceFlags took %d ms", time.Since(t0).Milliseconds())
		c.dimms++
		c.dimmKiB += *dimmMiB << 10
		mark := consoleMark(*consoleLog)
		c.checkXML("AttachDeviceFlags", 0, up, c.dimms, c.dimmKiB)
		c.checkGuest(mark, up)
	} else {
		c.diag("%v", err)
	}

	c.setVcpus(down, libvirt.DOMAIN_VCPU_LIVE, "DOMAIN_VCPU_LIVE")
	// Any count is whole clusters of a topology with one cluster per
	// socket (and the driver only checks aarch64): the flag is accepted and
	// the count applied.
	// libvirt leaves clusters='1', the default, out of the XML.
	var sockets, clusters string
	if text, err := c.dom.GetXMLDesc(0); err == nil {
		if d, err := parseDomainXML(text); err == nil {
			sockets, clusters = d.Topology.Sockets, d.Topology.Clusters
		}
	}
	c.ok(sockets != "" && (clusters == "" || clusters == "1"),
		"the live XML's <topology sockets='%s'> has one cluster per socket (clusters='%s')",
		sockets, clusters)
	c.setVcpus(down-1, libvirt.DOMAIN_VCPU_LIVE|vcpuHotplugUnaligned,
		"DOMAIN_VCPU_LIVE|VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED")
	c.refused(down-1, libvirt.DOMAIN_VCPU_LIVE|libvirt.DOMAIN_VCPU_GUEST|vcpuHotplugUnaligned,
		"DOMAIN_VCPU_LIVE|DOMAIN_VCPU_GUEST|VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED",
		"Flags 'VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED' and 'VIR_DOMAIN_VCPU_GUEST' are mutually exclusive")
	c.refused(up, libvirt.DOMAIN_VCPU_CONFIG|libvirt.DOMAIN_VCPU_MAXIMUM|vcpuHotplugUnaligned,
		"DOMAIN_VCPU_CONFIG|DOMAIN_VCPU_MAXIMUM|VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED",
		"Flags 'VIR_DOMAIN_VCPU_HOTPLUG_UNALIGNED' and 'VIR_DOMAIN_VCPU_MAXIMUM' are mutually exclusive")
	c.checkXML("the refused calls", 0, down-1, c.dimms, c.dimmKiB)
	// Live changes only: the persistent definition is as defined.
	c.checkXML("the live changes", libvirt.DOMAIN_XML_INACTIVE, cur0, 0, 0)

	err = c.dom.Destroy()
	if c.ok(err == nil, "dom.Destroy()") {
		c.ok(c.waitEvent(libvirt.DOMAIN_EVENT_STOPPED, int(libvirt.DOMAIN_EVENT_STOPPED_DESTROYED)),
			"a lifecycle event STOPPED/DESTROYED arrives")
	} else {
		c.diag("%v", err)
	}
	err = c.dom.Undefine()
	if c.ok(err == nil, "dom.Undefine()") {
		c.ok(c.waitEvent(libvirt.DOMAIN_EVENT_UNDEFINED, int(libvirt.DOMAIN_EVENT_UNDEFINED_REMOVED)),
			"a lifecycle event UNDEFINED/REMOVED arrives")
	} else {
		c.diag("%v", err)
	}
	c.dom.Free()
	c.dom = nil
	d, err := c.conn.LookupDomainByName(c.name)
	lerr, isLibvirt := err.(libvirt.Error)
	if !c.ok(isLibvirt && lerr.Code == libvirt.ERR_NO_DOMAIN, "LookupDomainByName(%s) finds no domain", c.name) {
		c.diag("got: %v", err)
	}
	if d != nil {
		d.Free()
	}
}

func main() {
	flag.Parse()
	if *printFlag {
		fmt.Println(uint(vcpuHotplugUnaligned))
		return
	}
	if *uri == "" || *xmlPath == "" || *consoleLog == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: kp-client -c URI -xml DOMAIN.xml -console CONSOLE.log [-dimm-mib N] [-timeout D]")
		os.Exit(2)
	}
	c := &client{}
	status := c.main()
	fmt.Printf("# kp-client: %d checks, %d failed\n", c.checks, c.failed)
	os.Exit(status)
}

func (c *client) main() int {
	raw, err := os.ReadFile(*xmlPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	def, err := parseDomainXML(string(raw))
	var cur uint
	if err == nil {
		cur, c.maxVcpu, err = def.vcpus()
	}
	if err == nil {
		c.memKiB, err = kib(def.Memory.Value, def.Memory.Unit)
	}
	cell := (*cellXML)(nil)
	if err == nil {
		cell = def.memoryLessCell()
	}
	if err != nil || cell == nil || c.maxVcpu < 4 || cur >= c.maxVcpu {
		fmt.Fprintf(os.Stderr, "%s: want a domain with at least 4 vCPUs, fewer at start, and a <cell memory='0'> (%v)\n",
			*xmlPath, err)
		return 2
	}
	c.cell = *cell
	c.name = def.Name

	// As virt-launcher: the default event loop, registered before the
	// connection is opened, run by a goroutine of its own.
	if err := libvirt.EventRegisterDefaultImpl(); err != nil {
		c.ok(false, "EventRegisterDefaultImpl: %v", err)
		return 1
	}
	go func() {
		for {
			if err := libvirt.EventRunDefaultImpl(); err != nil {
				fmt.Fprintf(os.Stderr, "EventRunDefaultImpl: %v\n", err)
			}
		}
	}()

	c.run(string(raw), def)
	if c.conn != nil {
		refs, err := c.conn.Close()
		c.ok(err == nil && refs == 0, "Connect.Close() leaves no reference (%d)", refs)
	}
	if c.failed > 0 {
		return 1
	}
	return 0
}
