package web

import (
	"fmt"
	"net/http"
	"testing"

	"micboard/app/model"
)

func TestAPIInstancesList(t *testing.T) {
	r := newInstancesRig(t)
	h := r.s.Handler()
	viewer := r.loggedIn(model.RoleViewer)

	res, body := apiCall(t, h, viewer, http.MethodGet, "/api/v1/instances", nil)
	if res.StatusCode != http.StatusOK || len(dataOf(t, body)) != 0 {
		t.Fatalf("no cluster: %d %v", res.StatusCode, body)
	}

	r.s.AttachCluster(r.keeper)
	res, body = apiCall(t, h, viewer, http.MethodGet, "/api/v1/instances", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/instances = %d: %v", res.StatusCode, body)
	}
	byID := map[string]map[string]any{}
	for _, it := range dataOf(t, body) {
		for _, k := range []string{"id", "host", "addr", "version", "schema_version", "started_at", "heartbeat_at",
			"heartbeat_age_seconds", "state", "receivers", "sse_clients", "current"} {
			if _, ok := it[k]; !ok {
				t.Errorf("instance %v lacks %q", it["id"], k)
			}
		}
		byID[fmt.Sprint(it["id"])] = it
	}
	for id, want := range map[string]struct {
		state     string
		receivers float64
		sse       float64
		current   bool
		host      string
	}{
		"this-one": {"live", 2, 0, true, "host-a"},
		"peer-b":   {"live", 1, 5, false, "host-b"},
		"peer-c":   {"stopping", 0, 0, false, "host-c"},
		goneID:     {"gone", 0, 2, false, goneHost},
	} {
		it := byID[id]
		if it == nil {
			t.Errorf("instance %q missing: %v", id, body)
			continue
		}
		if it["state"] != want.state || it["receivers"] != want.receivers || it["sse_clients"] != want.sse ||
			it["current"] != want.current || it["host"] != want.host {
			t.Errorf("instance %q = %v, want %+v", id, it, want)
		}
	}
	if age, _ := byID[goneID]["heartbeat_age_seconds"].(float64); age < 59 || age > 120 {
		t.Errorf("the gone instance beat %v s ago, want about 60", age)
	}
	if age, _ := byID["peer-b"]["heartbeat_age_seconds"].(float64); age < 0 || age > 5 {
		t.Errorf("peer-b beat %v s ago, want about 0", age)
	}
	if byID["peer-b"]["schema_version"] != "0013" || byID["peer-b"]["addr"] != "10.0.0.2:8058" || byID["peer-b"]["version"] != "v2.0.0" {
		t.Errorf("peer-b = %v", byID["peer-b"])
	}

	// Any logged-in role reads it; nobody else.
	for _, role := range model.Roles {
		if res, _ := apiCall(t, h, r.loggedIn(role), http.MethodGet, "/api/v1/instances", nil); res.StatusCode != http.StatusOK {
			t.Errorf("as %s = %d, want 200", role, res.StatusCode)
		}
	}
	res, body = apiCall(t, h, nil, http.MethodGet, "/api/v1/instances", nil)
	apiErr(t, "anonymous", res, body, http.StatusUnauthorized, "-")
	if res, _ := bearerCall(t, h, "mbt_nope", http.MethodGet, "/api/v1/instances", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unknown token = %d, want 401", res.StatusCode)
	}
}
