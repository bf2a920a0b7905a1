package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"micboard/app/cluster"
	"micboard/app/model"
	"micboard/app/store/storetest"
)

func TestInstanceState(t *testing.T) {
	const ttl = 10 * time.Second
	for _, tc := range []struct {
		age      time.Duration
		stopping bool
		want     string
	}{
		{0, false, instanceLive},
		{9 * time.Second, false, instanceLive},
		{ttl, false, instanceGone},
		{time.Hour, false, instanceGone},
		{time.Second, true, instanceStopping},
		{ttl, true, instanceGone}, // went silent while handing over
	} {
		inst := model.Instance{HeartbeatAge: tc.age, Stopping: tc.stopping}
		if got := instanceState(inst, ttl); got != tc.want {
			t.Errorf("age %s, stopping %v: %q, want %q", tc.age, tc.stopping, got, tc.want)
		}
	}
	for d, want := range map[time.Duration]string{
		-time.Second: "0 s ago", 2400 * time.Millisecond: "2 s ago", 90 * time.Second: "1 min ago",
		3 * time.Hour: "3 h ago", 72 * time.Hour: "3 d ago",
	} {
		if got := ageText(d); got != want {
			t.Errorf("ageText(%s) = %q, want %q", d, got, want)
		}
	}
}

// instancesRig is the auth rig with four receivers, a real lease keeper
// for this instance, and three other instances written as they would be
// by their own keepers: a live one holding one lease, one stopping, and
// one silent for a minute whose id and host carry markup.
type instancesRig struct {
	*authRig
	keeper *cluster.Keeper
}

const (
	goneID   = `<b>gone</b>`
	goneHost = `<script>alert(1)</script>`
)

func newInstancesRig(t *testing.T) *instancesRig {
	t.Helper()
	r := newAuthRig(t, nil)
	env := &storetest.Env{T: t, Ctx: t.Context(), DB: r.s.db, St: r.st}
	var rxs []*storetest.Built
	for i := range 4 {
		rxs = append(rxs, env.Receiver(storetest.Rx{Name: fmt.Sprintf("Rack %d", i+1)}))
	}
	insert := `INSERT INTO instances (id, host, addr, version, schema_version, started_at, heartbeat_at, stopping, receivers, sse_clients)
VALUES (?, ?, ?, 'v2.0.0', '0013', now() - interval '1 hour', now() - make_interval(secs => ?), ?, ?, ?)`
	env.Exec(insert, "peer-b", "host-b", "10.0.0.2:8058", 0, false, 1, 5)
	env.Exec(insert, "peer-c", "host-c", "10.0.0.3:8058", 0, true, 0, 0)
	env.Exec(insert, goneID, goneHost, "10.0.0.4:8058", 60, false, 1, 2)
	env.Exec(`INSERT INTO receiver_leases (receiver_id, owner, fence, expires_at) VALUES (?, 'peer-b', 1, now() + interval '1 minute')`,
		rxs[0].Receiver.ID)
	// An expired lease counts for nobody: the gone instance watches nothing.
	env.Exec(`INSERT INTO receiver_leases (receiver_id, owner, fence, expires_at) VALUES (?, ?, 1, now() - interval '1 minute')`,
		rxs[1].Receiver.ID, goneID)

	k := cluster.New(cluster.Options{Store: r.st, TTL: 10 * time.Second,
		Instance: model.Instance{ID: "this-one", Host: "host-a", Version: "v2.0.1", SchemaVersion: "0013"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	// Two live instances share four receivers: this one claims two.
	deadline := time.Now().Add(5 * time.Second)
	for k.Status().Held != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the keeper holds %d leases, want 2: %+v", k.Status().Held, k.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &instancesRig{authRig: r, keeper: k}
}

var instanceRowRE = regexp.MustCompile(`<tr data-instance="([^"]*)" data-state="([a-z]+)"( data-current)?`)

func TestAdminInstancesPage(t *testing.T) {
	r := newInstancesRig(t)
	admin := r.loggedIn(model.RoleAdmin)

	// Without a cluster the instance says it runs alone.
	res, body := admin.get("/admin/instances")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "runs alone") || instanceRowRE.MatchString(body) {
		t.Fatalf("no cluster: %d %.500s", res.StatusCode, body)
	}

	r.s.AttachCluster(r.keeper)
	res, body = admin.get("/admin/instances")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/admin/instances = %d: %.500s", res.StatusCode, body)
	}
	states, current := map[string]string{}, ""
	for _, m := range instanceRowRE.FindAllStringSubmatch(body, -1) {
		states[m[1]] = m[2]
		if m[3] != "" {
			current += m[1]
		}
	}
	want := map[string]string{"this-one": "live", "peer-b": "live", "peer-c": "stopping", "&lt;b&gt;gone&lt;/b&gt;": "gone"}
	if fmt.Sprint(states) != fmt.Sprint(want) || current != "this-one" {
		t.Errorf("rows %v (current %q), want %v (current this-one)", states, current, want)
	}
	if strings.Contains(body, goneHost) || strings.Contains(body, goneID) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("an instance's host or id is not escaped")
	}
	for _, s := range []string{
		"2 live instances, 3 receivers watched in total.", "this instance", "10.0.0.2:8058", "v2.0.0", "0013",
		`data-leases="2"`, `data-sse="5"`, "1 min ago", `href="/admin/instances"`, `hx-trigger="every 3s"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}

	// The table polls for itself: its partial is the table alone.
	res, part := admin.do(http.MethodGet, "/admin/instances/table", nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != http.StatusOK || strings.Contains(part, "<html") || len(instanceRowRE.FindAllString(part, -1)) != 4 ||
		!strings.Contains(part, `id="instances"`) || !strings.Contains(part, `hx-trigger="every 3s"`) {
		t.Errorf("table partial: %d %.500s", res.StatusCode, part)
	}

	// Admins only.
	for _, role := range []model.Role{model.RoleViewer, model.RoleOperator} {
		b := r.loggedIn(role)
		for _, p := range []string{"/admin/instances", "/admin/instances/table"} {
			if res, _ := b.get(p); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s as %s = %d, want 403", p, role, res.StatusCode)
			}
		}
	}
	anon := r.browser()
	if res, _ := anon.get("/admin/instances"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("/admin/instances anonymous = %d, want 303 to the login", res.StatusCode)
	}
	if res, _ := anon.do(http.MethodGet, "/admin/instances/table", nil, map[string]string{"HX-Request": "true"}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("table partial anonymous = %d, want 401", res.StatusCode)
	}
}
