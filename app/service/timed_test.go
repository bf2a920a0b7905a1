package service_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"micboard/app/service"
	"micboard/app/service/internal/timedgen"
)

// timed_gen.go must match the services: a method added without running
// go generate would not be timed.
func TestTimedWrappersAreCurrent(t *testing.T) {
	want, err := timedgen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(timedgen.Output)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate ./app/service/", timedgen.Output)
	}
}

type call struct {
	method string
	took   time.Duration
	err    error
}

type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) ObserveCall(_ context.Context, method string, start time.Time, err *error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{method, time.Since(start), *err})
}

// A timed service reports each call, its error included, and answers as
// the service does.
func TestTimedServiceReportsEveryCall(t *testing.T) {
	rec := &recorder{}
	locs := service.TimeLocations(service.NewLocations(newStore(t)), rec)
	ctx := t.Context()
	l, err := locs.Create(ctx, service.LocationInput{Name: "Stage left"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = locs.Create(ctx, service.LocationInput{Name: ""})
	var verr *service.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("empty name: err = %v, want a validation error", err)
	}
	if len(rec.calls) != 2 {
		t.Fatalf("%d calls reported, want 2", len(rec.calls))
	}
	if c := rec.calls[0]; c.method != "Locations.Create" || c.err != nil || c.took <= 0 {
		t.Fatalf("first call = %+v", c)
	}
	if c := rec.calls[1]; !errors.Is(c.err, err) {
		t.Fatalf("second call reported error %v, the caller got %v", c.err, err)
	}
	if l.ID == 0 {
		t.Fatal("the timed Create returned no location")
	}
}
