// The vishvananda/netlink peer (Debian's golang-github-vishvananda-netlink-dev),
// used as Go programs use it: the package-level functions, one call per
// object. Run it inside the namespace (ip netns exec NS ...). It also holds
// the node_exporter-style /proc/net/ip_vs reader for the IPVS stats case.
//
//	vishvananda-bench fdb-add N | fdb-list | fdb-del N | link-add veth|vxlan N | link-dump | ipvs-proc P
//
// Prints one JSON line: {"op_ms":..., "items":..., "errors":...}.
// The workload matches benchmarks/harness/workload.mjs.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
)

type result struct {
	OpMs       float64 `json:"op_ms"`
	Items      int     `json:"items"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Via        string  `json:"via"`
}

func fdbMac(k int) net.HardwareAddr {
	n := k + 1
	return net.HardwareAddr{2, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)}
}

func fdbDst(k int) net.IP {
	return net.IPv4(198, 51, 100, byte(2+k%200))
}

func fdbNeigh(index, k int) *netlink.Neigh {
	return &netlink.Neigh{
		LinkIndex:    index,
		Family:       syscall.AF_BRIDGE,
		State:        netlink.NUD_PERMANENT | netlink.NUD_NOARP,
		Flags:        netlink.NTF_SELF,
		IP:           fdbDst(k),
		HardwareAddr: fdbMac(k),
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vishvananda-bench fdb-add N | fdb-list | fdb-del N | link-add veth|vxlan N | link-dump | ipvs-proc P")
		os.Exit(2)
	}
	arg := func(i int) int {
		n, err := strconv.Atoi(os.Args[i])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return n
	}
	r := result{}
	record := func(err error) {
		if err != nil {
			if r.Errors == 0 {
				r.FirstError = err.Error()
			}
			r.Errors++
		}
	}
	switch os.Args[1] {
	case "fdb-add", "fdb-del":
		n := arg(2)
		t0 := time.Now()
		link, err := netlink.LinkByName("vx0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		index := link.Attrs().Index
		for k := 0; k < n; k++ {
			if os.Args[1] == "fdb-add" {
				record(netlink.NeighAdd(fdbNeigh(index, k)))
			} else {
				record(netlink.NeighDel(fdbNeigh(index, k)))
			}
		}
		r.OpMs, r.Items, r.Via = ms(time.Since(t0)), n, "netlink.Neigh"+map[bool]string{true: "Add", false: "Del"}[os.Args[1] == "fdb-add"]
	case "fdb-list":
		t0 := time.Now()
		link, err := netlink.LinkByName("vx0")
		record(err)
		if err == nil {
			list, err := netlink.NeighList(link.Attrs().Index, syscall.AF_BRIDGE)
			record(err)
			r.Items = len(list)
		}
		r.OpMs, r.Via = ms(time.Since(t0)), "netlink.NeighList"
	case "link-add":
		kind, n := os.Args[2], arg(3)
		t0 := time.Now()
		for k := 0; k < n; k++ {
			var l netlink.Link
			if kind == "veth" {
				l = &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("bv%d", k)}, PeerName: fmt.Sprintf("bp%d", k)}
			} else {
				l = &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("bx%d", k)}, VxlanId: 1000 + k, Port: 4789}
			}
			record(netlink.LinkAdd(l))
		}
		r.OpMs, r.Items, r.Via = ms(time.Since(t0)), n, "netlink.LinkAdd"
	case "link-dump":
		t0 := time.Now()
		list, err := netlink.LinkList()
		record(err)
		r.OpMs, r.Items, r.Via = ms(time.Since(t0)), len(list), "netlink.LinkList"
	case "ipvs-proc":
		polls := arg(2)
		times := make([]float64, 0, polls)
		for p := 0; p < polls; p++ {
			t0 := time.Now()
			backends, err := ipvsBackends("/proc/net/ip_vs")
			record(err)
			_, err = ipvsTotals("/proc/net/ip_vs_stats")
			record(err)
			times = append(times, ms(time.Since(t0)))
			r.Items = len(backends)
		}
		sort.Float64s(times)
		r.OpMs, r.Via = times[len(times)/2], "/proc/net/ip_vs + ip_vs_stats (node_exporter style)"
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if r.Errors > 0 {
		os.Exit(1)
	}
}

// ---- /proc/net/ip_vs, read the way node_exporter's ipvs collector does:
// line by line, fields split on blanks, hex addresses and ports decoded, one
// record per real server with its weight and connection counts.

type backend struct {
	LocalAddress, RemoteAddress   net.IP
	LocalPort, RemotePort         uint16
	FwMark, Proto                 string
	Weight, ActiveConn, InactConn uint64
}

func parseHexAddrPort(s string) (net.IP, uint16, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return nil, 0, fmt.Errorf("bad address %q", s)
	}
	ip, err := hex.DecodeString(s[:i])
	if err != nil {
		return nil, 0, err
	}
	port, err := strconv.ParseUint(s[i+1:], 16, 16)
	return net.IP(ip), uint16(port), err
}

func ipvsBackends(path string) ([]backend, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []backend
	var local net.IP
	var localPort uint16
	var proto, mark string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 {
			continue
		}
		switch {
		case fields[0] == "IP" || fields[0] == "Prot" || fields[1] == "RemoteAddress:Port":
		case fields[0] == "TCP" || fields[0] == "UDP" || fields[0] == "SCTP":
			if len(fields) < 2 {
				continue
			}
			proto, mark = fields[0], ""
			local, localPort, err = parseHexAddrPort(fields[1])
			if err != nil {
				return nil, err
			}
		case fields[0] == "FWM":
			proto, mark, local, localPort = fields[0], fields[1], nil, 0
		case fields[0] == "->":
			if len(fields) < 6 {
				continue
			}
			remote, port, err := parseHexAddrPort(fields[1])
			if err != nil {
				return nil, err
			}
			b := backend{LocalAddress: local, LocalPort: localPort, RemoteAddress: remote, RemotePort: port, Proto: proto, FwMark: mark}
			if b.Weight, err = strconv.ParseUint(fields[3], 10, 64); err != nil {
				return nil, err
			}
			if b.ActiveConn, err = strconv.ParseUint(fields[4], 10, 64); err != nil {
				return nil, err
			}
			if b.InactConn, err = strconv.ParseUint(fields[5], 10, 64); err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, s.Err()
}

// ipvsTotals reads the totals line of /proc/net/ip_vs_stats (hex counters).
func ipvsTotals(path string) ([]uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("short %s", path)
	}
	var out []uint64
	for _, f := range strings.Fields(lines[2]) {
		v, err := strconv.ParseUint(f, 16, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
