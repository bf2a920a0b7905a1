package main

import (
	"context"
	"strings"
	"testing"

	"micboard/app/db"
	"micboard/app/db/dbtest"
	"micboard/app/store"
)

func TestLocationAddAndList(t *testing.T) {
	url := dbtest.NewURL(t)
	env := map[string]string{"MICBOARD_DATABASE_URL": url}
	if code, stdout, stderr := runCmd(t, env, "location", "add", "Arena", "--description", "the big room"); code != 0 || !strings.Contains(stdout, `"Arena" added`) {
		t.Fatalf("add Arena: exit %d: %s %s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, env, "location", "add", "--parent", "arena", "Stage left"); code != 0 {
		t.Fatalf("add Stage left: exit %d: %s", code, stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"location", "add"}, "want the location's NAME"},
		{[]string{"location", "add", "Booth", "--parent", "Nowhere"}, `no location "Nowhere"`},
		{[]string{"location", "add", "stage LEFT"}, "exists already"},
		{[]string{"location", "add", strings.Repeat("x", 101)}, "at most 100 characters"},
		{[]string{"location", "add", "Tab\there"}, "control characters"},
		{[]string{"location", "move", "Arena"}, "unknown subcommand"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, stderr, c.want)
		}
	}
	code, stdout, stderr := runCmd(t, env, "location", "list")
	if code != 0 || !strings.Contains(stdout, "Arena  (0 receivers)") || !strings.Contains(stdout, "    Stage left  (0 receivers)") {
		t.Fatalf("list: exit %d:\n%s%s", code, stdout, stderr)
	}

	ctx := context.Background()
	bdb, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	st := store.New(bdb)
	all, err := st.Locations.Query().List(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("locations: %d %v", len(all), err)
	}
	left, err := st.Locations.ByName(ctx, "Stage left")
	if err != nil || left.ParentID == nil {
		t.Fatalf("Stage left: %+v %v", left, err)
	}
	events, err := st.AuditEvents.Query().WithAction("location.create").ByActor("cli").List(ctx)
	if err != nil || len(events) != 2 || !strings.Contains(events[0].Summary, `"Stage left" under "Arena"`) {
		t.Fatalf("audit: %+v %v", events, err)
	}
}
