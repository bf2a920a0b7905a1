package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"micboard/app/device"
	"micboard/app/device/sennheiser"
)

// `micsim --models ewdx4v2` plays an EW-DX on firmware 4: HTTPS with the
// "api" login, read by Micboard's SSCv2 client, under the show scenario.
func TestRunPlaysSSCv2(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--receivers", "1", "--models", "ewdx4v2", "--base-port", "0",
			"--scenario", "show", "--log-level", "warn", "--sscv2-password", "show-pw"}, &out, &errOut)
	}()
	var line string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if line = strings.TrimSpace(out.String()); line != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fleet listing; stderr %q", errOut.String())
		}
	}
	if !strings.HasPrefix(line, "sennheiser ewdx4v2 ") {
		t.Fatalf("listing %q", line)
	}
	host, port, _ := strings.Cut(strings.Fields(line)[2], ":")
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	c, err := sennheiser.NewV2(device.Config{Host: host, Port: p, Password: "show-pw", DisableMeters: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dctx, stop := context.WithTimeout(ctx, 5*time.Second)
	defer stop()
	if err := c.Dial(dctx); err != nil {
		t.Fatal(err)
	}
	rctx, stopRun := context.WithCancel(ctx)
	var got device.Reading
	go func() {
		_ = c.Run(rctx, func(r device.Reading) { got = r; stopRun() })
	}()
	<-rctx.Done()
	if got.Model.V != "EWDX4CHDS" || got.ChannelCount.V != 4 || !device.Complete(&got) {
		t.Fatalf("reading %+v", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
