package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"micboard/app/model"
	"micboard/app/store/storetest"
)

// apiRig is the auth rig with a small show: two locations, three receivers
// (one online in the stage with a low battery, one offline, one inactive),
// performers, an assignment, link records, found devices, and the board
// loaded from it.
type apiRig struct {
	*authRig
	env       *storetest.Env
	stage     *model.Location
	spare     *model.Location
	rxOnline  *storetest.Built
	rxOffline *storetest.Built
	rxIdle    *storetest.Built
	ada, bob  *model.Performer
	assigned  *model.Assignment
	found     []*model.DiscoveredDevice
	control   *fakeControl
}

// fakeControl stands in for the monitor: it takes every channel name.
type fakeControl struct {
	mu      sync.Mutex
	renamed []string
}

func (f *fakeControl) Sync(context.Context) error { return nil }
func (f *fakeControl) Reconnect(_ context.Context, ids ...int64) (int, error) {
	return len(ids), nil
}
func (f *fakeControl) SetChannelName(_ context.Context, rx int64, ch int, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.renamed = append(f.renamed, fmt.Sprintf("%d/%d=%s", rx, ch, name))
	return nil
}

func newAPIRig(t *testing.T) *apiRig {
	t.Helper()
	r := newAuthRig(t, nil)
	env := &storetest.Env{T: t, Ctx: t.Context(), DB: r.s.db, St: r.st}
	a := &apiRig{authRig: r, env: env, control: &fakeControl{}}
	a.stage = env.Location("Stage", nil)
	a.spare = env.Location("Spare room", nil)
	a.rxOnline = env.Receiver(storetest.Rx{Name: "Rack A", Online: true, LocationID: &a.stage.ID,
		Batteries: []storetest.Battery{storetest.Pct(10), storetest.Pct(80)}})
	a.rxOffline = env.Receiver(storetest.Rx{Name: "Rack B", Vendor: model.VendorSennheiser, Type: model.TypeEWDX, Channels: 1})
	a.rxIdle = env.Receiver(storetest.Rx{Name: "Rack C", Inactive: true, Channels: 1})
	for _, b := range []*storetest.Built{a.rxOnline, a.rxOffline, a.rxIdle} {
		if _, err := r.st.Connections.Ensure(t.Context(), b.Receiver.ID, model.ConnDisconnected); err != nil {
			t.Fatal(err)
		}
	}
	a.ada, a.bob = env.Performer("Ada"), env.Performer("Bob")
	a.assigned = env.Assign(a.ada, a.rxOnline.Channels[0], model.PriorityHigh, true)
	mf, err := r.st.Manufacturers.ByCode(t.Context(), model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d := &model.DiscoveredDevice{ManufacturerID: mf.ID, Host: fmt.Sprintf("10.77.0.%d", i+1), Port: 2202,
			Model: "ULXD4D", Name: fmt.Sprintf("Found %d", i+1), Channels: 2}
		if err := r.st.DiscoveredDevices.Upsert(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		a.found = append(a.found, d)
	}
	if err := r.s.board.Load(t.Context(), r.st); err != nil {
		t.Fatal(err)
	}
	r.s.AttachDevices(a.control)
	return a
}

// apiCall sends one API request as b (nil: nobody). body is a value to
// encode, a string sent as it is, or nil for none; a write carries the
// CSRF token the browser's last page gave it, as the pages' htmx does.
func apiCall(t *testing.T, h http.Handler, b *browser, method, path string, body any) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Accept", "application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b != nil {
		for _, c := range b.cookies {
			req.AddCookie(c)
		}
		if method != http.MethodGet {
			req.Header.Set(csrfHeader, b.csrf)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	out := map[string]any{}
	if raw := rec.Body.Bytes(); len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s = %d, not JSON: %.300s", method, path, res.StatusCode, raw)
		}
	}
	return res, out
}

// apiErr checks an error answer: status, and the field it names ("-": any).
func apiErr(t *testing.T, what string, res *http.Response, body map[string]any, status int, field string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s = %d, want %d: %v", what, res.StatusCode, status, body)
		return
	}
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Errorf("%s: no error object: %v", what, body)
		return
	}
	for _, k := range []string{"code", "message", "field"} {
		if _, ok := e[k].(string); !ok {
			t.Errorf("%s: error.%s missing: %v", what, k, e)
		}
	}
	if e["code"] == "" || e["message"] == "" {
		t.Errorf("%s: empty code or message: %v", what, e)
	}
	if field != "-" && e["field"] != field {
		t.Errorf("%s: error.field = %q, want %q (%v)", what, e["field"], field, e["message"])
	}
}

func idOf(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

func dataOf(t *testing.T, body map[string]any) []map[string]any {
	t.Helper()
	raw, ok := body["data"].([]any)
	if !ok {
		t.Fatalf("no data list: %v", body)
	}
	if _, ok := body["next_cursor"]; !ok {
		t.Fatalf("no next_cursor in the list envelope: %v", body)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func ids(items []map[string]any) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = idOf(it["id"])
	}
	return out
}

// apiCase is one endpoint: a request that works for role, what it must
// answer, and a request that is malformed in one named field.
type apiCase struct {
	method, path string
	body         any
	role         model.Role
	status       int
	check        func(t *testing.T, body map[string]any)
	badPath      string // a malformed request (path and query), "" to use path
	badBody      any
	badField     string // "" when the endpoint takes no input to get wrong
	notFound     string // the path with an id that names nothing, "" when there is no id
}

func TestAPIEndpoints(t *testing.T) {
	r := newAPIRig(t)
	h := r.s.Handler()
	viewer, operator, admin := r.loggedIn(model.RoleViewer), r.loggedIn(model.RoleOperator), r.loggedIn(model.RoleAdmin)
	as := map[model.Role]*browser{model.RoleViewer: viewer, model.RoleOperator: operator, model.RoleAdmin: admin}
	rxOn, rxOff := r.rxOnline.Receiver.ID, r.rxOffline.Receiver.ID
	ch1, ch2 := r.rxOnline.Channels[0].ID, r.rxOnline.Channels[1].ID
	tx1 := r.rxOnline.Transmitters[0].ID
	conn, err := r.st.Connections.ByReceiver(t.Context(), rxOff)
	if err != nil {
		t.Fatal(err)
	}
	const none = "/999999"
	cupboard := r.env.Location("Cupboard", r.spare) // empty: it may be deleted

	cases := []apiCase{
		{method: "GET", path: "/api/v1/board", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			chans, _ := b["channels"].([]any)
			if len(chans) != 3 { // the inactive receiver is not on the board
				t.Errorf("board has %d channels, want 3", len(chans))
			}
			down, _ := b["unhealthy_connections"].([]any)
			found := false
			for _, d := range down {
				found = found || idOf(d.(map[string]any)["receiver_id"]) == rxOff
			}
			if !found {
				t.Errorf("unhealthy_connections %v lacks the offline receiver %d", down, rxOff)
			}
		}},
		{method: "GET", path: "/api/v1/receivers?online=true", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != rxOn {
				t.Errorf("online receivers %v, want [%d]", got, rxOn)
			}
		}, badPath: "/api/v1/receivers?online=maybe", badField: "online"},
		{method: "GET", path: "/api/v1/receivers?active=true&vendor=sennheiser&type=ewdx&order=-name", role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != rxOff {
					t.Errorf("receivers %v, want [%d]", got, rxOff)
				}
			}, badPath: "/api/v1/receivers?type=walkie", badField: "type"},
		{method: "GET", path: fmt.Sprintf("/api/v1/receivers?location=%d", r.stage.ID), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != rxOn {
					t.Errorf("receivers in the stage %v, want [%d]", got, rxOn)
				}
			}, badPath: "/api/v1/receivers?order=colour", badField: "order"},
		{method: "GET", path: "/api/v1/receivers/online", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != rxOn {
				t.Errorf("online %v, want [%d]", got, rxOn)
			}
		}},
		{method: "GET", path: "/api/v1/receivers/low_battery?threshold=15", role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != rxOn {
					t.Errorf("low battery %v, want [%d]", got, rxOn)
				}
			}, badPath: "/api/v1/receivers/low_battery?threshold=lots", badField: "threshold"},
		{method: "GET", path: fmt.Sprintf("/api/v1/receivers/%d", rxOn), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if chans, _ := b["channels"].([]any); b["name"] != "Rack A" || b["vendor"] != "shure" || len(chans) != 2 {
					t.Errorf("receiver = %v", b)
				}
			}, notFound: "/api/v1/receivers" + none},
		{method: "POST", path: fmt.Sprintf("/api/v1/receivers/%d/sync_status", rxOff), role: model.RoleOperator, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["online"] != false || b["connection"].(map[string]any)["status"] != "disconnected" {
					t.Errorf("synced receiver = %v", b)
				}
			}, notFound: "/api/v1/receivers" + none + "/sync_status"},

		{method: "GET", path: "/api/v1/transmitters", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := dataOf(t, b); len(got) != 2 {
				t.Errorf("transmitters %v, want 2", ids(got))
			}
		}},
		{method: "GET", path: "/api/v1/transmitters/low_battery?threshold=50", role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != tx1 {
					t.Errorf("low transmitters %v, want [%d]", got, tx1)
				}
			}, badPath: "/api/v1/transmitters/low_battery?threshold=500", badField: "threshold"},
		{method: "GET", path: fmt.Sprintf("/api/v1/transmitters/%d", tx1), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if idOf(b["battery_percent"]) != 10 || b["battery_level"] == "" {
					t.Errorf("transmitter = %v", b)
				}
			}, notFound: "/api/v1/transmitters" + none},

		{method: "GET", path: fmt.Sprintf("/api/v1/channels?receiver=%d", rxOn), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 2 || got[0] != ch1 {
					t.Errorf("channels %v", got)
				}
			}, badPath: "/api/v1/channels?receiver=first", badField: "receiver"},
		{method: "GET", path: fmt.Sprintf("/api/v1/channels/%d", ch1), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if idOf(b["receiver_id"]) != rxOn || b["transmitter"] == nil {
					t.Errorf("channel = %v", b)
				}
			}, notFound: "/api/v1/channels" + none},
		{method: "PATCH", path: fmt.Sprintf("/api/v1/channels/%d", ch2), body: map[string]any{"name": "HH09 Cleo"},
			role: model.RoleOperator, status: 200, check: func(t *testing.T, b map[string]any) {
				if b["name"] != "HH09 Cleo" {
					t.Errorf("renamed channel = %v", b)
				}
				r.control.mu.Lock()
				defer r.control.mu.Unlock()
				if want := fmt.Sprintf("%d/2=HH09 Cleo", rxOn); len(r.control.renamed) != 1 || r.control.renamed[0] != want {
					t.Errorf("written to the device: %v, want %s", r.control.renamed, want)
				}
			}, badBody: map[string]any{"name": 9}, badField: "name", notFound: "/api/v1/channels" + none},

		{method: "GET", path: fmt.Sprintf("/api/v1/assignments?performer=%d&with_alerts=true&active=true", r.ada.ID),
			role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
				if got := ids(dataOf(t, b)); len(got) != 1 || got[0] != r.assigned.ID {
					t.Errorf("assignments %v, want [%d]", got, r.assigned.ID)
				}
			}, badPath: "/api/v1/assignments?with_alerts=often", badField: "with_alerts"},
		{method: "GET", path: fmt.Sprintf("/api/v1/assignments?channel=%d", ch2), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := dataOf(t, b); len(got) != 0 {
					t.Errorf("channel 2 has assignments %v", ids(got))
				}
			}, badPath: "/api/v1/assignments?channel=-4", badField: "channel"},
		{method: "GET", path: fmt.Sprintf("/api/v1/assignments/%d", r.assigned.ID), role: model.RoleViewer, status: 200,
			notFound: "/api/v1/assignments" + none},
		{method: "POST", path: "/api/v1/assignments", role: model.RoleOperator, status: 201,
			body: map[string]any{"performer_id": r.bob.ID, "channel_id": ch2, "priority": "critical", "alerts": map[string]any{"battery_low": true}},
			check: func(t *testing.T, b map[string]any) {
				if b["priority"] != "critical" || b["active"] != true || b["alerts"].(map[string]any)["signal_loss"] != false {
					t.Errorf("created assignment = %v", b)
				}
			}, badBody: map[string]any{"channel_id": ch2}, badField: "performer_id"},
		{method: "PATCH", path: fmt.Sprintf("/api/v1/assignments/%d", r.assigned.ID), role: model.RoleOperator, status: 200,
			body: map[string]any{"notes": "spare pack in the wings", "priority": "low"},
			check: func(t *testing.T, b map[string]any) {
				if b["notes"] != "spare pack in the wings" || b["priority"] != "low" || idOf(b["channel_id"]) != ch1 {
					t.Errorf("updated assignment = %v", b)
				}
			}, badBody: map[string]any{"active": "yes"}, badField: "active", notFound: "/api/v1/assignments" + none},

		{method: "GET", path: "/api/v1/performers?active=true", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := dataOf(t, b); len(got) != 2 || got[0]["name"] != "Ada" {
				t.Errorf("performers %v", got)
			}
		}, badPath: "/api/v1/performers?active=2", badField: "active"},
		{method: "GET", path: fmt.Sprintf("/api/v1/performers/%d", r.bob.ID), role: model.RoleViewer, status: 200,
			notFound: "/api/v1/performers" + none},
		{method: "POST", path: "/api/v1/performers", role: model.RoleOperator, status: 201, body: map[string]any{"name": "Cleo", "role": "Keys"},
			check: func(t *testing.T, b map[string]any) {
				if b["name"] != "Cleo" || b["active"] != true {
					t.Errorf("created performer = %v", b)
				}
			}, badBody: map[string]any{"name": "Dee", "colour": "red"}, badField: "colour"},
		{method: "PATCH", path: fmt.Sprintf("/api/v1/performers/%d", r.bob.ID), role: model.RoleOperator, status: 200,
			body: map[string]any{"role": "Drums"}, check: func(t *testing.T, b map[string]any) {
				if b["name"] != "Bob" || b["role"] != "Drums" {
					t.Errorf("updated performer = %v", b)
				}
			}, badBody: map[string]any{"name": []string{"Bob"}}, badField: "name", notFound: "/api/v1/performers" + none},

		{method: "GET", path: "/api/v1/locations?roots=true", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := dataOf(t, b); len(got) != 2 {
				t.Errorf("locations %v", got)
			}
		}, badPath: "/api/v1/locations?roots=some", badField: "roots"},
		{method: "GET", path: "/api/v1/locations/counts", role: model.RoleViewer, status: 200, check: func(t *testing.T, b map[string]any) {
			for _, l := range dataOf(t, b) {
				if idOf(l["id"]) == r.stage.ID && idOf(l["device_count"]) != 1 {
					t.Errorf("the stage counts %v receivers, want 1", l["device_count"])
				}
			}
		}},
		{method: "GET", path: fmt.Sprintf("/api/v1/locations/%d", r.stage.ID), role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["name"] != "Stage" || idOf(b["device_count"]) != 1 {
					t.Errorf("location = %v", b)
				}
			}, notFound: "/api/v1/locations" + none},
		{method: "POST", path: "/api/v1/locations", role: model.RoleAdmin, status: 201,
			body: map[string]any{"name": "Stage left", "parent_id": r.stage.ID}, check: func(t *testing.T, b map[string]any) {
				if idOf(b["parent_id"]) != r.stage.ID {
					t.Errorf("created location = %v", b)
				}
			}, badBody: `{"name": "Stage right",`, badField: "body"},
		{method: "PATCH", path: fmt.Sprintf("/api/v1/locations/%d", r.spare.ID), role: model.RoleAdmin, status: 200,
			body: map[string]any{"description": "under the stage"}, check: func(t *testing.T, b map[string]any) {
				if b["name"] != "Spare room" || b["description"] != "under the stage" {
					t.Errorf("updated location = %v", b)
				}
			}, badBody: map[string]any{"parent_id": "stage"}, badField: "parent_id", notFound: "/api/v1/locations" + none},
		{method: "POST", path: fmt.Sprintf("/api/v1/locations/%d/assign_device", r.spare.ID), role: model.RoleAdmin, status: 200,
			body: map[string]any{"receiver_ids": []int64{rxOff}}, check: func(t *testing.T, b map[string]any) {
				if idOf(b["assigned"]) != 1 {
					t.Errorf("assign_device = %v", b)
				}
			}, badBody: map[string]any{"receiver_ids": []int64{}}, badField: "receiver_ids",
			notFound: "/api/v1/locations" + none + "/assign_device"},

		{method: "GET", path: "/api/v1/connections?manufacturer=sennheiser", role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := dataOf(t, b); len(got) != 1 || idOf(got[0]["receiver_id"]) != rxOff {
					t.Errorf("sennheiser links %v", got)
				}
			}},
		{method: "GET", path: "/api/v1/connections/unhealthy?timeout=30s", role: model.RoleViewer, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if got := dataOf(t, b); len(got) < 1 {
					t.Errorf("no unhealthy links, though they are all disconnected")
				}
			}, badPath: "/api/v1/connections/unhealthy?timeout=soon", badField: "timeout"},
		{method: "POST", path: fmt.Sprintf("/api/v1/connections/%d/heartbeat", conn.ID), role: model.RoleOperator, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["status"] != "connected" || b["last_message_at"] == nil {
					t.Errorf("heartbeat link = %v", b)
				}
			}, notFound: "/api/v1/connections" + none + "/heartbeat"},

		{method: "GET", path: "/api/v1/discovery/tasks", role: model.RoleAdmin, status: 200},
		{method: "POST", path: "/api/v1/discovery/tasks", role: model.RoleAdmin, status: 201,
			body: map[string]any{"name": "Rack sweep", "kind": "cidr", "target": "10.77.0.0/28", "interval_seconds": 600},
			check: func(t *testing.T, b map[string]any) {
				if b["kind"] != "cidr" || idOf(b["interval_seconds"]) != 600 {
					t.Errorf("created task = %v", b)
				}
			}, badBody: map[string]any{"name": "Sweep", "kind": "cidr", "interval_seconds": "hourly"}, badField: "interval_seconds"},
		{method: "GET", path: "/api/v1/discovery/found?state=new", role: model.RoleAdmin, status: 200, check: func(t *testing.T, b map[string]any) {
			if got := dataOf(t, b); len(got) != 2 {
				t.Errorf("found %v, want 2", ids(got))
			}
		}, badPath: "/api/v1/discovery/found?state=lost", badField: "state"},
		{method: "POST", path: fmt.Sprintf("/api/v1/discovery/found/%d/approve", r.found[0].ID), role: model.RoleAdmin, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["state"] != "approved" || b["receiver_id"] == nil {
					t.Errorf("approved = %v", b)
				}
			}, notFound: "/api/v1/discovery/found" + none + "/approve"},
		{method: "POST", path: fmt.Sprintf("/api/v1/discovery/found/%d/reject", r.found[1].ID), role: model.RoleAdmin, status: 200,
			check: func(t *testing.T, b map[string]any) {
				if b["state"] != "rejected" {
					t.Errorf("rejected = %v", b)
				}
			}, notFound: "/api/v1/discovery/found" + none + "/reject"},

		// Deletes last: they remove what the cases above read.
		{method: "DELETE", path: fmt.Sprintf("/api/v1/assignments/%d", r.assigned.ID), role: model.RoleOperator, status: 204,
			notFound: "/api/v1/assignments" + none},
		{method: "DELETE", path: fmt.Sprintf("/api/v1/performers/%d", r.ada.ID), role: model.RoleOperator, status: 204,
			notFound: "/api/v1/performers" + none},
		{method: "DELETE", path: fmt.Sprintf("/api/v1/locations/%d", cupboard.ID), role: model.RoleAdmin, status: 204,
			notFound: "/api/v1/locations" + none},
		{method: "DELETE", path: fmt.Sprintf("/api/v1/locations/%d", r.spare.ID), role: model.RoleAdmin, status: 409},
	}

	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			write := tc.method != http.MethodGet
			res, body := apiCall(t, h, nil, tc.method, tc.path, tc.body)
			apiErr(t, "without credentials", res, body, http.StatusUnauthorized, "")
			if write || tc.role == model.RoleAdmin {
				before := r.env.Count("audit_events", "")
				res, body := apiCall(t, h, viewer, tc.method, tc.path, tc.body)
				apiErr(t, "a viewer", res, body, http.StatusForbidden, "")
				if after := r.env.Count("audit_events", ""); after != before {
					t.Errorf("a viewer's refused write left %d audit rows", after-before)
				}
			}
			if tc.role == model.RoleAdmin && write {
				res, body := apiCall(t, h, operator, tc.method, tc.path, tc.body)
				apiErr(t, "an operator", res, body, http.StatusForbidden, "")
			}
			if tc.badField != "" {
				path := tc.badPath
				if path == "" {
					path = tc.path
				}
				before := r.env.Count("audit_events", "")
				res, body := apiCall(t, h, as[tc.role], tc.method, path, tc.badBody)
				apiErr(t, "a malformed request", res, body, http.StatusBadRequest, tc.badField)
				if after := r.env.Count("audit_events", ""); after != before {
					t.Errorf("a malformed request changed something (%d audit rows)", after-before)
				}
			}
			if tc.notFound != "" {
				res, body := apiCall(t, h, as[tc.role], tc.method, tc.notFound, tc.body)
				apiErr(t, "an unknown id", res, body, http.StatusNotFound, "")
			}
			res, body = apiCall(t, h, as[tc.role], tc.method, tc.path, tc.body)
			if res.StatusCode != tc.status {
				t.Fatalf("= %d, want %d: %v", res.StatusCode, tc.status, body)
			}
			if tc.status >= 400 {
				apiErr(t, "the refusal", res, body, tc.status, "-")
			}
			if got := res.Header.Get("X-API-Version"); got != "1" {
				t.Errorf("X-API-Version = %q", got)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}

	// Every registered API route is walked above, but for those a test of
	// their own covers: a new route cannot slip in untested.
	ownTest := map[string]string{
		RouteAPIOpenAPI:     "TestAPIOpenAPIDescribesEveryRoute",
		RouteAPIBoardEvents: "TestAPIBoardEvents",
		RouteAPIInstances:   "TestAPIInstancesList",
	}
	walked := map[string]bool{}
	for _, tc := range cases {
		walked[apiRouteOf(r.s, tc.method, tc.path)] = true
	}
	for _, rt := range r.s.echo.Routes() {
		if rt.Method == http.MethodHead || !strings.HasPrefix(rt.Path, apiBase+"/") || ownTest[rt.Name] != "" {
			continue
		}
		if !walked[rt.Method+" "+rt.Path] {
			t.Errorf("route %s (%s %s) has no case in TestAPIEndpoints", rt.Name, rt.Method, rt.Path)
		}
	}
}

// apiRouteOf is the registered route (method and path pattern) that
// answers method on target.
func apiRouteOf(s *Server, method, target string) string {
	path, _, _ := strings.Cut(target, "?")
	c := s.echo.NewContext(httptest.NewRequest(method, path, nil), httptest.NewRecorder())
	s.echo.Router().Find(method, path, c)
	return method + " " + c.Path()
}

// A second active assignment for a channel is a 409 and stores nothing;
// a bad body of any kind is a 400 and stores nothing; a write without the
// CSRF header is refused.
func TestAPIAssignmentConflictsAndBadBodies(t *testing.T) {
	r := newAPIRig(t)
	h := r.s.Handler()
	op := r.loggedIn(model.RoleOperator)
	ch1 := r.rxOnline.Channels[0].ID
	count := func() int { return r.env.Count("assignments", "") }
	before := count()

	res, body := apiCall(t, h, op, "POST", "/api/v1/assignments", map[string]any{"performer_id": r.bob.ID, "channel_id": ch1})
	apiErr(t, "a second active assignment", res, body, http.StatusConflict, "-")
	if body["error"].(map[string]any)["code"] != "already_assigned" {
		t.Errorf("code = %v", body["error"])
	}
	// Moving another assignment onto the busy channel is refused the same way.
	other := r.env.Assign(r.bob, r.rxOnline.Channels[1], model.PriorityNormal, true)
	res, body = apiCall(t, h, op, "PATCH", fmt.Sprintf("/api/v1/assignments/%d", other.ID), map[string]any{"channel_id": ch1})
	apiErr(t, "moving onto a busy channel", res, body, http.StatusConflict, "-")
	before++

	for name, bad := range map[string]any{
		"not JSON":        "performer_id=1",
		"cut short":       `{"performer_id": 1, "channel_id"`,
		"two objects":     `{"performer_id": 1} {}`,
		"a list":          `[1, 2]`,
		"empty":           "",
		"wrong type":      map[string]any{"performer_id": "one", "channel_id": ch1},
		"unknown field":   map[string]any{"performer_id": r.bob.ID, "channel_id": ch1, "colour": "red"},
		"huge number":     `{"performer_id": 1e400, "channel_id": 1}`,
		"bad priority":    map[string]any{"performer_id": r.bob.ID, "channel_id": r.rxOffline.Channels[0].ID, "priority": "urgent"},
		"no such channel": map[string]any{"performer_id": r.bob.ID, "channel_id": 999999},
	} {
		res, body := apiCall(t, h, op, "POST", "/api/v1/assignments", bad)
		if res.StatusCode != http.StatusBadRequest && res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: = %d, want 400 or 422: %v", name, res.StatusCode, body)
		}
		if _, ok := body["error"].(map[string]any); !ok {
			t.Errorf("%s: no error object: %v", name, body)
		}
	}
	res, body = apiCall(t, h, op, "POST", "/api/v1/assignments", map[string]any{"performer_id": r.bob.ID, "channel_id": 999999})
	apiErr(t, "an unknown channel", res, body, http.StatusUnprocessableEntity, "channel_id")
	res, body = apiCall(t, h, op, "POST", "/api/v1/assignments",
		map[string]any{"performer_id": r.bob.ID, "channel_id": r.rxOffline.Channels[0].ID, "priority": "urgent"})
	apiErr(t, "a bad priority", res, body, http.StatusUnprocessableEntity, "priority")
	if got := count(); got != before {
		t.Errorf("bad requests stored %d assignments", got-before)
	}

	// The session's CSRF token is required on every write.
	noToken := *op
	noToken.csrf = ""
	res, body = apiCall(t, h, &noToken, "POST", "/api/v1/performers", map[string]any{"name": "Eve"})
	apiErr(t, "a write without the CSRF header", res, body, http.StatusForbidden, "")
	if n := r.env.Count("performers", "name = 'Eve'"); n != 0 {
		t.Errorf("a write without its CSRF token stored a performer")
	}
}

// Paging follows next_cursor to the end, the same receivers once each.
func TestAPIReceiversCursorPaging(t *testing.T) {
	r := newAPIRig(t)
	h := r.s.Handler()
	v := r.loggedIn(model.RoleViewer)
	for i := range 4 {
		r.env.Receiver(storetest.Rx{Name: fmt.Sprintf("Extra %d", i)})
	}
	seen := map[int64]bool{}
	path := "/api/v1/receivers?limit=2&order=name"
	var names []string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		res, body := apiCall(t, h, v, "GET", path, nil)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s = %d: %v", path, res.StatusCode, body)
		}
		for _, rx := range dataOf(t, body) {
			if seen[idOf(rx["id"])] {
				t.Fatalf("receiver %v on two pages", rx["id"])
			}
			seen[idOf(rx["id"])] = true
			names = append(names, rx["name"].(string))
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/receivers?limit=2&order=name&cursor=" + next
	}
	if len(seen) != 7 {
		t.Errorf("paged through %d receivers, want 7", len(seen))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] > names[i] {
			t.Errorf("not sorted by name: %v", names)
			break
		}
	}
	res, body := apiCall(t, h, v, "GET", "/api/v1/receivers?cursor=bogus", nil)
	apiErr(t, "a forged cursor", res, body, http.StatusBadRequest, "cursor")
}

// The event stream sends a channel's change as JSON, catches a client up
// from the version it saw, and costs one journal read per tick for all.
func TestAPIBoardEvents(t *testing.T) {
	r := newAPIRig(t)
	op := r.loggedIn(model.RoleViewer)
	srv := httptest.NewServer(r.s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	open := func(since string) (*http.Response, *bufio.Reader) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/board/events"+since, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", "gzip") // an integration that asks for nothing in particular
		for _, c := range op.cookies {
			req.AddCookie(c)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		return res, bufio.NewReader(res.Body)
	}
	// next reads events until one named name arrives and returns its data.
	next := func(rd *bufio.Reader, name string) (string, map[string]any) {
		var ev, id string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("waiting for %q: %v", name, err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: ") && ev == name:
				out := map[string]any{}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &out); err != nil {
					t.Fatalf("%s data is not a JSON object: %s", name, line)
				}
				return id, out
			}
		}
	}

	res, body := apiCall(t, r.s.Handler(), nil, "GET", "/api/v1/board/events", nil)
	apiErr(t, "events without credentials", res, body, http.StatusUnauthorized, "")
	if res, _ := bearerCall(t, r.s.Handler(), "mbt_nope", "GET", "/api/v1/board/events", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("events with an unknown token = %d, want 401", res.StatusCode)
	}

	_, rd := open("")
	next(rd, "ping")
	version := r.s.board.Version()
	r.s.board.SetOnline(r.rxOffline.Receiver.ID, true)
	id, ch := next(rd, "channel")
	if idOf(ch["receiver_id"]) != r.rxOffline.Receiver.ID || ch["receiver_online"] != true || id == "" {
		t.Errorf("channel event id %q = %v", id, ch)
	}

	// A client that saw the board before that change is caught up at once.
	_, rd2 := open(fmt.Sprintf("?since=%d", version))
	if _, ch := next(rd2, "channel"); idOf(ch["receiver_id"]) != r.rxOffline.Receiver.ID {
		t.Errorf("catch-up event = %v", ch)
	}
	if n := r.s.api().events.clients(); n != 2 {
		t.Errorf("the hub counts %d clients, want 2", n)
	}

	res, body = apiCall(t, r.s.Handler(), op, "GET", "/api/v1/board/events?since=yesterday", nil)
	apiErr(t, "a bad since", res, body, http.StatusBadRequest, "since")
}
