// Command dnsclient is kubebin's DNS test client: a small nslookup for pods. It resolves through the pod's
// /etc/resolv.conf (nameserver, search path and ndots), like any program in the pod would.
//
//	dnsclient NAME...                  A/AAAA records of each NAME (search path applies)
//	dnsclient -type srv _port._proto.NAME
//	dnsclient -type cname NAME
//	dnsclient -loop 30s NAME...        look each NAME up again and again; print the count of failures
//	dnsclient -server 10.96.0.10:53 NAME  ask that server instead of resolv.conf's (the search path still applies)
//	dnsclient -sleep                   do nothing until stopped (a pod to `kubectl exec` into)
//
// The exit status is 1 when a lookup failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

// resolver is net.DefaultResolver, or one that sends every query to -server.
var resolver = net.DefaultResolver

func lookup(ctx context.Context, kind, name string) ([]string, error) {
	r := resolver
	switch kind {
	case "a", "host":
		return r.LookupHost(ctx, name)
	case "cname":
		c, err := r.LookupCNAME(ctx, name)
		return []string{c}, err
	case "srv":
		_, srvs, err := r.LookupSRV(ctx, "", "", name)
		out := make([]string, 0, len(srvs))
		for _, s := range srvs {
			out = append(out, fmt.Sprintf("%s:%d", s.Target, s.Port))
		}
		return out, err
	case "ptr":
		return r.LookupAddr(ctx, name)
	}
	return nil, fmt.Errorf("unknown -type %q (a, cname, srv, ptr)", kind)
}

func once(kind string, timeout time.Duration, name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	answers, err := lookup(ctx, kind, name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return false
	}
	sort.Strings(answers)
	fmt.Printf("%s %s\n", name, strings.Join(answers, " "))
	return true
}

func main() {
	kind := flag.String("type", "a", "record type: a, cname, srv or ptr")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout of one lookup")
	loop := flag.Duration("loop", 0, "repeat the lookups for this long and print the number of failures")
	interval := flag.Duration("interval", 100*time.Millisecond, "pause between two rounds of -loop")
	sleep := flag.Bool("sleep", false, "do nothing until SIGTERM or SIGINT")
	server := flag.String("server", "", "DNS server (host:port) to ask instead of the nameservers of /etc/resolv.conf")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *server != "" {
		resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, *server)
		}}
	}
	if *version {
		fmt.Println("kubebin dnsclient 1.0")
		return
	}
	if *sleep {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		return
	}
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: dnsclient [-type a|cname|srv|ptr] [-loop DURATION] NAME...")
		os.Exit(2)
	}
	if *loop > 0 {
		total, failed := 0, 0
		for end := time.Now().Add(*loop); time.Now().Before(end); time.Sleep(*interval) {
			for _, name := range flag.Args() {
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				if _, err := lookup(ctx, *kind, name); err != nil {
					failed++
					fmt.Fprintf(os.Stderr, "%s %s: %v\n", time.Now().Format(time.RFC3339Nano), name, err)
				}
				cancel()
				total++
			}
		}
		fmt.Printf("lookups=%d failures=%d\n", total, failed)
		if failed > 0 {
			os.Exit(1)
		}
		return
	}
	ok := true
	for _, name := range flag.Args() {
		ok = once(*kind, *timeout, name) && ok
	}
	if !ok {
		os.Exit(1)
	}
}
