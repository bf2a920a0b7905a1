package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/service"
)

// The assignment forms' "Alert limits": blank is the default, shown as the
// placeholder; limits typed are stored and shown again on the edit form; a
// bad one is refused beside its field, keeps what was typed and changes
// nothing; a blank one on the edit form is the default again.
func TestAssignmentFormsAlertLimits(t *testing.T) {
	r := newShowRig(t)
	ana, bob := r.env.Performer("Ana"), r.env.Performer("Bob")
	op := r.loggedIn(model.RoleOperator)
	hh01, hh02 := fmt.Sprint(r.channels[0].ID), fmt.Sprint(r.channels[1].ID)

	res, page := op.get("/admin/assignments")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("assignments page: %d", res.StatusCode)
	}
	for _, want := range []string{
		`Alert limits`, `name="battery_low_percent"`, `placeholder="50 % (board&#39;s REPLACE)"`,
		`placeholder="25 % (board&#39;s CRITICAL)"`, `placeholder="30 min (board&#39;s CRITICAL)"`,
		`placeholder="none (board&#39;s REPLACE)"`, `placeholder="3 s (default)"`, `placeholder="-50 dBFS (default)"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("create form lacks %s", want)
		}
	}

	form := func(channel string, performer int64, limits map[string]string) url.Values {
		v := url.Values{"channel": {channel}, "priority": {"normal"}, "alert_battery_low": {"1"}}
		if performer != 0 {
			v.Set("performer", fmt.Sprint(performer))
		}
		for k, x := range limits {
			v.Set(k, x)
		}
		return v
	}
	res, _ = op.post("/admin/assignments", form(hh01, ana.ID, map[string]string{
		"battery_low_percent": "80", "battery_critical_minutes": "60", "rf_loss_seconds": " 5 ", "audio_low_dbfs": "−40.5",
	}))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create with limits: %d", res.StatusCode)
	}
	list, err := r.st.Assignments.Query().ByChannel(r.channels[0].ID).List(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("stored %d assignments (%v)", len(list), err)
	}
	a := list[0]
	l := a.AlertLimits
	if l.BatteryLowPercent == nil || *l.BatteryLowPercent != 80 || l.BatteryCriticalMinutes == nil || *l.BatteryCriticalMinutes != 60 ||
		l.RFLossSeconds == nil || *l.RFLossSeconds != 5 || l.AudioLowDBFS == nil || *l.AudioLowDBFS != -40.5 ||
		l.BatteryCriticalPercent != nil || l.BatteryLowMinutes != nil {
		t.Fatalf("stored limits %+v", l)
	}
	_, page = op.get(fmt.Sprintf("/admin/assignments?edit=%d", a.ID))
	for _, want := range []string{`id="edit-battery_low_percent" name="battery_low_percent" value="80"`,
		`id="edit-audio_low_dbfs" name="audio_low_dbfs" value="-40.5"`, `id="edit-battery_critical_percent" name="battery_critical_percent" value=""`} {
		if !strings.Contains(page, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}

	before := r.count("assignments")
	for _, tt := range []struct {
		name, field, value, message string
		also                        map[string]string
	}{
		{"percent above 100", "battery_low_percent", "101", "a percent from 0 to 100", nil},
		{"not a number", "battery_critical_percent", "lots", "a whole number, or blank for the default", nil},
		{"minutes above a day", "battery_low_minutes", "1441", "minutes from 0 to 1440", nil},
		{"critical above low", "battery_critical_percent", "60", "at most the low limit (40 %)", map[string]string{"battery_low_percent": "40"}},
		{"RF loss 0 s", "rf_loss_seconds", "0", "seconds from 1 to 600", nil},
		{"audio above 0", "audio_low_dbfs", "3", "dBFS from -120 to 0", nil},
	} {
		limits := map[string]string{tt.field: tt.value}
		for k, v := range tt.also {
			limits[k] = v
		}
		res, body := op.post("/admin/assignments", form(hh02, bob.ID, limits))
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("create, %s: %d", tt.name, res.StatusCode)
			continue
		}
		// The message sits beside its own field, what was typed kept.
		input := fmt.Sprintf(`id="new-%s" name="%s" value="%s"`, tt.field, tt.field, tt.value)
		i := strings.Index(body, input)
		if i < 0 {
			t.Errorf("create, %s: the field lost what was typed", tt.name)
			continue
		}
		rest := body[i:]
		if end := strings.Index(rest, "</div>"); end < 0 || !strings.Contains(rest[:end], tt.message) || !strings.Contains(rest[:end], `aria-invalid="true"`) {
			t.Errorf("create, %s: %q not beside the field", tt.name, tt.message)
		}
	}
	if n := r.count("assignments"); n != before {
		t.Fatalf("bad limits stored %d assignments", n-before)
	}

	// Edit: a critical percent above the low one is refused, nothing changes.
	edit := fmt.Sprintf("/admin/assignments/%d", a.ID)
	res, body := op.post(edit, form(hh01, 0, map[string]string{"battery_low_percent": "20", "battery_critical_percent": "30"}))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most the low limit (20 %)") {
		t.Fatalf("edit with critical above low: %d", res.StatusCode)
	}
	if got, _ := r.st.Assignments.Get(t.Context(), a.ID); service.LimitNames(got.AlertLimits) != service.LimitNames(a.AlertLimits) {
		t.Fatalf("a refused edit changed the limits to %s", service.LimitNames(got.AlertLimits))
	}
	// Saved with only RF loss typed: the rest are the defaults again.
	if res, _ := op.post(edit, form(hh01, 0, map[string]string{"rf_loss_seconds": "10"})); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	got, _ := r.st.Assignments.Get(t.Context(), a.ID)
	if l := got.AlertLimits; l.RFLossSeconds == nil || *l.RFLossSeconds != 10 || l.BatteryLowPercent != nil || l.AudioLowDBFS != nil || l.BatteryCriticalMinutes != nil {
		t.Fatalf("edit stored %+v", l)
	}
	events, err := r.st.AuditEvents.Query().ByActor("operator-user").List(t.Context())
	if err != nil || len(events) == 0 || !strings.Contains(events[0].Summary, "limits battery_low_percent=80 battery_critical_minutes=60 rf_loss_seconds=5 audio_low_dbfs=-40.5 → ") ||
		!strings.HasSuffix(events[0].Summary, "limits rf_loss_seconds=10") {
		t.Fatalf("audit: %+v %v", events, err)
	}
}
