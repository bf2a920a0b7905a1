package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/service"
)

// The API's alert_limits: created with an assignment, read back by list
// and detail (null: the default), changed limit by limit with PATCH (null
// clears one, null for the object clears all), and refused with a 400
// naming alert_limits.<limit> for a value out of range, a critical limit
// above the low one (also the one stored), a limit that is not a number or
// one that does not exist, nothing changing.
func TestAPIAssignmentAlertLimits(t *testing.T) {
	r := newAPIRig(t)
	h := r.s.Handler()
	op := r.loggedIn(model.RoleOperator)
	ch2 := r.rxOnline.Channels[1].ID
	limitsOf := func(b map[string]any) map[string]any {
		t.Helper()
		l, ok := b["alert_limits"].(map[string]any)
		if !ok {
			t.Fatalf("no alert_limits object: %v", b)
		}
		if len(l) != len(model.AlertLimitNames) {
			t.Errorf("alert_limits has %d limits, want every one: %v", len(l), l)
		}
		return l
	}
	stored := func(id int64) string {
		t.Helper()
		a, err := r.st.Assignments.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return service.LimitNames(a.AlertLimits)
	}

	res, body := apiCall(t, h, op, "POST", "/api/v1/assignments", map[string]any{"performer_id": r.bob.ID, "channel_id": ch2,
		"alert_limits": map[string]any{"battery_low_percent": 80, "battery_critical_minutes": 60, "audio_low_dbfs": -40.3, "rf_loss_seconds": nil}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create with limits = %d: %v", res.StatusCode, body)
	}
	id := idOf(body["id"])
	l := limitsOf(body)
	if l["battery_low_percent"] != 80.0 || l["battery_critical_minutes"] != 60.0 || l["audio_low_dbfs"] != -40.3 ||
		l["battery_critical_percent"] != nil || l["rf_loss_seconds"] != nil {
		t.Errorf("created limits = %v", l)
	}
	if got := stored(id); got != "battery_low_percent=80 battery_critical_minutes=60 audio_low_dbfs=-40.3" {
		t.Errorf("stored limits %s", got)
	}
	_, body = apiCall(t, h, op, "GET", fmt.Sprintf("/api/v1/assignments/%d", id), nil)
	if l := limitsOf(body); l["battery_low_percent"] != 80.0 || l["audio_low_dbfs"] != -40.3 {
		t.Errorf("detail limits = %v", l)
	}
	_, body = apiCall(t, h, op, "GET", fmt.Sprintf("/api/v1/assignments?channel=%d", ch2), nil)
	if list := dataOf(t, body); len(list) != 1 || limitsOf(list[0])["battery_critical_minutes"] != 60.0 {
		t.Errorf("list = %v", list)
	}
	// An assignment without limits lists every one as null.
	_, body = apiCall(t, h, op, "GET", fmt.Sprintf("/api/v1/assignments/%d", r.assigned.ID), nil)
	for k, v := range limitsOf(body) {
		if v != nil {
			t.Errorf("an assignment without limits: %s = %v", k, v)
		}
	}

	// PATCH changes the limits named: critical 20 %, low percent cleared.
	path := fmt.Sprintf("/api/v1/assignments/%d", id)
	res, body = apiCall(t, h, op, "PATCH", path, map[string]any{"alert_limits": map[string]any{"battery_critical_percent": 20, "battery_low_percent": nil}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("patch limits = %d: %v", res.StatusCode, body)
	}
	if got := stored(id); got != "battery_critical_percent=20 battery_critical_minutes=60 audio_low_dbfs=-40.3" {
		t.Errorf("after the patch: %s", got)
	}
	// Fields other than alert_limits leave the limits alone.
	if res, body := apiCall(t, h, op, "PATCH", path, map[string]any{"notes": "in-ear pack", "alert_limits": map[string]any{}}); res.StatusCode != http.StatusOK {
		t.Fatalf("patch notes = %d: %v", res.StatusCode, body)
	}
	if got := stored(id); got != "battery_critical_percent=20 battery_critical_minutes=60 audio_low_dbfs=-40.3" {
		t.Errorf("a patch of the notes changed the limits: %s", got)
	}

	before, count := stored(id), r.env.Count("assignments", "")
	for _, c := range []struct {
		name, method string
		limits       any
		field        string
	}{
		{"percent above 100", "PATCH", map[string]any{"battery_low_percent": 101}, "alert_limits.battery_low_percent"},
		{"negative percent", "POST", map[string]any{"battery_critical_percent": -1}, "alert_limits.battery_critical_percent"},
		{"critical above low", "POST", map[string]any{"battery_low_percent": 30, "battery_critical_percent": 40}, "alert_limits.battery_critical_percent"},
		{"critical above the low stored", "PATCH", map[string]any{"battery_low_percent": 10}, "alert_limits.battery_critical_percent"},
		{"minutes above a day", "PATCH", map[string]any{"battery_low_minutes": 1441}, "alert_limits.battery_low_minutes"},
		{"critical minutes above low", "PATCH", map[string]any{"battery_low_minutes": 30}, "alert_limits.battery_critical_minutes"},
		{"RF loss 0 s", "POST", map[string]any{"rf_loss_seconds": 0}, "alert_limits.rf_loss_seconds"},
		{"RF loss 601 s", "PATCH", map[string]any{"rf_loss_seconds": 601}, "alert_limits.rf_loss_seconds"},
		{"audio above 0", "PATCH", map[string]any{"audio_low_dbfs": 1}, "alert_limits.audio_low_dbfs"},
		{"audio below -120", "POST", map[string]any{"audio_low_dbfs": -121}, "alert_limits.audio_low_dbfs"},
		{"a fraction of a percent", "PATCH", map[string]any{"battery_low_percent": 50.5}, "alert_limits.battery_low_percent"},
		{"a string", "POST", map[string]any{"rf_loss_seconds": "5"}, "alert_limits.rf_loss_seconds"},
		{"no such limit", "PATCH", map[string]any{"battery_colour": 3}, "alert_limits.battery_colour"},
		{"not an object", "PATCH", []int{80}, "alert_limits"},
	} {
		res, body := apiCall(t, h, op, c.method, path, map[string]any{"alert_limits": c.limits})
		if c.method == "POST" {
			res, body = apiCall(t, h, op, "POST", "/api/v1/assignments",
				map[string]any{"performer_id": r.bob.ID, "channel_id": r.rxOffline.Channels[0].ID, "alert_limits": c.limits})
		}
		apiErr(t, c.name, res, body, http.StatusBadRequest, c.field)
		if e, _ := body["error"].(map[string]any); e != nil && !strings.HasPrefix(fmt.Sprint(e["message"]), c.field+": ") {
			t.Errorf("%s: message %q does not start with the field", c.name, e["message"])
		}
	}
	if got := stored(id); got != before {
		t.Errorf("refused patches changed the limits: %s, was %s", got, before)
	}
	if n := r.env.Count("assignments", ""); n != count {
		t.Errorf("refused creates stored %d assignments", n-count)
	}

	// alert_limits null: every limit the default again.
	if res, body := apiCall(t, h, op, "PATCH", path, map[string]any{"alert_limits": nil}); res.StatusCode != http.StatusOK {
		t.Fatalf("patch limits null = %d: %v", res.StatusCode, body)
	}
	if got := stored(id); got != "default" {
		t.Errorf("after alert_limits null: %s", got)
	}
}

// The OpenAPI document describes alert_limits in the assignment bodies and
// answers, every limit a nullable number, and says what each takes.
func TestAPIOpenAPIDescribesAlertLimits(t *testing.T) {
	r := newAPIRig(t)
	raw, err := r.s.openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Summary     string `json:"summary"`
			RequestBody struct {
				Content map[string]struct {
					Schema schemaDoc `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct {
					Schema schemaDoc `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	check := func(what string, s schemaDoc) {
		t.Helper()
		l, ok := s.Properties["alert_limits"]
		if !ok {
			t.Errorf("%s: no alert_limits", what)
			return
		}
		for _, name := range model.AlertLimitNames {
			p, ok := l.Properties[name]
			if want := map[bool]string{true: "number", false: "integer"}[name == model.LimitAudioLowDBFS]; !ok || p.Type != want || !p.Nullable {
				t.Errorf("%s: alert_limits.%s = %+v, want a nullable %s", what, name, p, want)
			}
		}
	}
	for _, op := range []struct{ path, method, status string }{{"/assignments", "post", "201"}, {"/assignments/{id}", "patch", "200"}} {
		o := doc.Paths[op.path][op.method]
		check(op.method+" body", o.RequestBody.Content["application/json"].Schema)
		check(op.method+" answer", o.Responses[op.status].Content["application/json"].Schema)
		for _, want := range []string{"alert_limits", "battery_critical_percent", "0–100", "rf_loss_seconds 1–600", "-120–0", "null"} {
			if !strings.Contains(o.Summary, want) {
				t.Errorf("%s %s: the summary does not say %q", op.method, op.path, want)
			}
		}
	}
	check("get answer", doc.Paths["/assignments/{id}"]["get"].Responses["200"].Content["application/json"].Schema)
}

// schemaDoc is the part of a JSON schema the test reads.
type schemaDoc struct {
	Type       string               `json:"type"`
	Nullable   bool                 `json:"nullable"`
	Properties map[string]schemaDoc `json:"properties"`
}
