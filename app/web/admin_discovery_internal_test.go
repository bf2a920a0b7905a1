package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
)

func TestDiscoveryTasksAndReview(t *testing.T) {
	r := newShowRig(t)
	ctx := t.Context()
	mf, err := r.st.Manufacturers.ByCode(ctx, model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	found := func(host, mdl string) *model.DiscoveredDevice {
		d := &model.DiscoveredDevice{ManufacturerID: mf.ID, Host: host, Port: 2202, Model: mdl, Name: "rack " + host, Channels: 4}
		if err := r.st.DiscoveredDevices.Upsert(ctx, d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d1, d2, d3, odd := found("10.9.0.1", "ULXD4Q"), found("10.9.0.2", "ULXD4Q"), found("10.9.0.3", "ULXD4Q"), found("10.9.0.4", "Mystery 9000")
	a := r.loggedIn(model.RoleAdmin)

	res, body := a.get("/admin/discovery")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-found="10.9.0.1:2202"`) || !strings.Contains(body, "4 devices") {
		t.Fatalf("discovery page: %d", res.StatusCode)
	}
	// Task form: bad input returns the form, stores nothing.
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"empty", url.Values{"kind": {"cidr"}, "target": {"10.0.0.0/24"}}, "give the task a name"},
		{"bad kind", url.Values{"name": {"Rack"}, "kind": {"telepathy"}}, "must be manual, cidr, slp or mdns"},
		{"wrong type", url.Values{"name": {"Rack"}, "kind": {"cidr"}, "target": {"10.0.0.0/24"}, "interval": {"hourly"}}, "a whole number of seconds"},
		{"too short", url.Values{"name": {"Rack"}, "kind": {"cidr"}, "target": {"10.0.0.0/24"}, "interval": {"5"}}, "at least 60 seconds"},
		{"bad target", url.Values{"name": {"Rack"}, "kind": {"manual"}, "target": {"not a host!"}, "vendor": {"shure"}}, "want host or host:port"},
		{"too long", url.Values{"name": {strings.Repeat("t", 101)}, "kind": {"slp"}}, "at most 100 characters"},
	} {
		res, body := a.post("/admin/discovery/tasks", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, no %q", tt.name, res.StatusCode, tt.message)
		}
	}
	if n := r.count("discovery_tasks"); n != 0 {
		t.Fatalf("bad input stored %d tasks", n)
	}
	if res, _ := a.post("/admin/discovery/tasks", url.Values{"name": {"Stage rack"}, "kind": {"cidr"}, "target": {"10.9.0.0/24"}, "vendor": {"shure"}, "interval": {"600"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("task: %d", res.StatusCode)
	}

	// One device: mark duplicate.
	res, body = a.post(fmt.Sprintf("/admin/discovery/%d/review", d3.ID), url.Values{"action": {"duplicate"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 1 device(s)") {
		t.Fatalf("duplicate: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/discovery/999999/review", url.Values{"action": {"reject"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown device: %d", res.StatusCode)
	}
	// Bulk approve: two become receivers; the duplicate, the model Micboard
	// does not know and an unknown id are refused with why, and unchanged.
	res, body = a.post("/admin/discovery/bulk", url.Values{"action": {"approve"}, "ids": {fmt.Sprint(d1.ID), fmt.Sprint(d2.ID), fmt.Sprint(d3.ID), fmt.Sprint(odd.ID), "999999"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 2 device(s); 3 refused") ||
		!strings.Contains(body, "10.9.0.3:2202 (ULXD4Q): already duplicate") || !strings.Contains(body, "is not a receiver model Micboard knows") ||
		!strings.Contains(body, "device 999999: no such found device") {
		t.Fatalf("bulk approve: %d %s", res.StatusCode, body)
	}
	if n := r.env.Count("receivers", "host LIKE '10.9.0.%'"); n != 2 {
		t.Fatalf("receivers made: %d", n)
	}
	if got, _ := r.st.DiscoveredDevices.Get(ctx, odd.ID); got.State != model.DiscoveredNew {
		t.Fatalf("refused device changed to %s", got.State)
	}
	// Bulk reject all that match the filter (the one left waiting).
	res, body = a.post("/admin/discovery/bulk", url.Values{"action": {"reject"}, "all": {"1"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 1 device(s)") {
		t.Fatalf("bulk reject all: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/discovery/bulk", url.Values{"action": {"duplicate"}, "ids": {"1"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bulk with a bad action: %d", res.StatusCode)
	}
	var actions []string
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(ctx)
	for _, e := range events {
		actions = append([]string{e.Action}, actions...)
	}
	if got := strings.Join(actions, ","); got != "discovery.task.create,discovery.duplicate,discovery.approve,discovery.reject" {
		t.Fatalf("audit: %s", got)
	}
	if res, _ := r.loggedIn(model.RoleOperator).post("/admin/discovery/bulk", url.Values{"action": {"reject"}, "all": {"1"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}
}
