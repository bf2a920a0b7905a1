package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"syscall"
	"testing"
	"time"

	"micboard/app/db/dbtest"
)

// A second demo beside a first one (its web port and its fleet's ports
// taken) starts on free ports and prints the address it really serves.
func TestServeDemoBesideAnotherTakesFreePorts(t *testing.T) {
	// Hold the default web port and the demo fleet's first port, as a
	// running demo would (already held by something else is as good).
	for _, addr := range []string{":8058", "127.0.0.1:42100"} {
		if ln, err := net.Listen("tcp", addr); err == nil {
			t.Cleanup(func() { ln.Close() })
		}
	}
	cmd := command(t, map[string]string{"MICBOARD_DATABASE_URL": dbtest.NewURL(t)}, "serve", "--demo")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
		}
	})
	printed := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`^Micboard: (http://\S+/)$`).FindStringSubmatch(sc.Text()); m != nil {
				printed <- m[1]
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	var url string
	select {
	case url = <-printed:
	case <-time.After(30 * time.Second):
		t.Fatalf("no address printed\n%s", logs.String())
	}
	if regexp.MustCompile(`:8058/$`).MatchString(url) {
		t.Fatalf("printed %s, a port that is taken", url)
	}
	res, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatalf("the printed address does not answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz at the printed address: %d", res.StatusCode)
	}
}
