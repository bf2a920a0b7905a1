package store_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"micboard/app/model"
)

func rxNames(rxs []*model.Receiver) []string {
	out := make([]string, 0, len(rxs))
	for _, r := range rxs {
		out = append(out, r.Name)
	}
	return out
}

func ids[T any](rows []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func sameIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// mustErr fails unless err matches kind with errors.Is.
func mustErr(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want errors.Is(err, %v)", err, kind)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recent reports whether ts lies within d of now (both sides, to allow for a
// small clock difference between the test and the database).
func recent(ts *time.Time, d time.Duration) bool {
	if ts == nil {
		return false
	}
	diff := time.Since(*ts)
	return diff < d && diff > -d
}

func intp(p *int) string {
	if p == nil {
		return "nil"
	}
	return strconv.Itoa(*p)
}

func eqInt(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
