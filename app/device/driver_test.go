package device

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDriver replays scripted updates, then blocks until ctx ends (or fails).
type fakeDriver struct {
	cfg     Config
	dialErr error
	updates []Reading
	runErr  error // returned after the updates instead of waiting
	closed  atomic.Int32
}

func (f *fakeDriver) Dial(context.Context) error { return f.dialErr }

func (f *fakeDriver) Run(ctx context.Context, fn func(Reading)) error {
	for _, u := range f.updates {
		fn(u)
	}
	if f.runErr != nil {
		return f.runErr
	}
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeDriver) SetChannelName(context.Context, int, string) error { return nil }

func (f *fakeDriver) Close() error { f.closed.Add(1); return nil }

// register installs a factory under a unique vendor code for one test.
func register(t *testing.T, d *fakeDriver) string {
	t.Helper()
	vendor := "fake-" + t.Name()
	Register(vendor, func(cfg Config) (Driver, error) {
		d.cfg = cfg
		return d, nil
	})
	t.Cleanup(func() {
		registryMu.Lock()
		delete(registry, vendor)
		registryMu.Unlock()
	})
	return vendor
}

func TestNewUnknownVendor(t *testing.T) {
	_, err := New("nope", Config{Host: "x"})
	if !errors.Is(err, ErrUnknownVendor) {
		t.Fatalf("err = %v, want ErrUnknownVendor", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	vendor := register(t, &fakeDriver{})
	defer func() {
		if recover() == nil {
			t.Error("second Register did not panic")
		}
	}()
	Register(vendor, func(Config) (Driver, error) { return nil, nil })
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.MeterRate != time.Second || c.DialTimeout != 2*time.Second || c.RefreshInterval != 10*time.Second ||
		c.PingInterval != 5*time.Second || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
	c = Config{MeterRate: 250 * time.Millisecond}.WithDefaults()
	if c.MeterRate != 250*time.Millisecond {
		t.Errorf("explicit meter rate overwritten: %v", c.MeterRate)
	}
}

func identity(name, model string, count int, names ...string) Reading {
	r := Reading{Name: Some(name), Model: Some(model), ChannelCount: Some(count)}
	for i, n := range names {
		r.Channel(i + 1).Name = Some(n)
	}
	return r
}

func TestIdentifyComplete(t *testing.T) {
	d := &fakeDriver{updates: []Reading{
		{Name: Some("Stage L")},
		{Model: Some("AD4D"), ChannelCount: Some(2)},
		identity("Stage L", "AD4D", 2, "HH01", ""),
	}}
	vendor := register(t, d)
	start := time.Now()
	got, err := Identify(context.Background(), vendor, "10.0.0.5", 2202)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("Identify waited %v although the picture was complete", time.Since(start))
	}
	if got.Name != Some("Stage L") || got.Model != Some("AD4D") || got.Channels[2].Name != Some("") {
		t.Errorf("got %+v", got)
	}
	if !d.cfg.DisableMeters || d.cfg.Host != "10.0.0.5" || d.cfg.Port != 2202 {
		t.Errorf("config = %+v, want meters off and the given address", d.cfg)
	}
	if d.closed.Load() == 0 {
		t.Error("driver not closed")
	}
}

func TestIdentifyPartialOnDeadline(t *testing.T) {
	// Channel 2's name never arrives: Identify returns what it has.
	d := &fakeDriver{updates: []Reading{identity("Rack", "ULXD4D", 2, "A")}}
	vendor := register(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	got, err := Identify(ctx, vendor, "h", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != Some("ULXD4D") || Complete(&got) {
		t.Errorf("got %+v (complete=%v)", got, Complete(&got))
	}
}

func TestIdentifyErrors(t *testing.T) {
	dialErr := errors.New("refused")
	tests := []struct {
		name string
		d    *fakeDriver
		want error
	}{
		{"dial fails", &fakeDriver{dialErr: dialErr}, dialErr},
		{"silent device", &fakeDriver{}, ErrLinkDead},
		{"link dies", &fakeDriver{runErr: ErrLinkDead}, ErrLinkDead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vendor := register(t, tt.d)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := Identify(ctx, vendor, "h", 0)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name string
		r    Reading
		want bool
	}{
		{"empty", Reading{}, false},
		{"no names", Reading{Name: Some("x"), Model: Some("m"), ChannelCount: Some(1)}, false},
		{"all", identity("x", "m", 2, "a", "b"), true},
		{"count unknown", Reading{Name: Some("x"), Model: Some("m"), ChannelCount: Unknown[int]()}, false},
		{"model unknown counts as answered", func() Reading {
			r := identity("x", "m", 1, "a")
			r.Model = Unknown[string]()
			return r
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Complete(&tt.r); got != tt.want {
				t.Errorf("Complete = %v, want %v", got, tt.want)
			}
		})
	}
}
