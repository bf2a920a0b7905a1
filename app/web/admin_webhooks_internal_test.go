package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"micboard/app/model"
)

// TestWebhooksAdminPage: an admin adds a webhook with a URL, a secret and
// some kinds, sees it listed without its secret or the URL's credentials
// and query, and removes it; bad input is refused beside its field,
// stores nothing and never echoes the secret; operators may not reach the
// page; each change is audited.
func TestWebhooksAdminPage(t *testing.T) {
	r := alertsRig(t)
	const secret = "a-webhook-secret-of-some-length"
	if res, _ := r.loggedIn(model.RoleOperator).get("/admin/webhooks"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d, want 403", res.StatusCode)
	}
	a := r.loggedIn(model.RoleAdmin)
	res, body := a.get("/admin/webhooks")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "No webhook yet") || !strings.Contains(body, `href="/admin/webhooks"`) {
		t.Fatalf("empty page: %d, or not in the console's navigation", res.StatusCode)
	}
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"no URL", url.Values{"secret": {secret}}, "give the endpoint&#39;s URL"},
		{"not http", url.Values{"url": {"mailto:a2@example.org"}, "secret": {secret}}, "want an http:// or https:// URL"},
		{"no host", url.Values{"url": {"https://"}, "secret": {secret}}, "want an http:// or https:// URL"},
		{"short secret", url.Values{"url": {"https://show.example.org/hook"}, "secret": {"short-secret"}}, "at least 16 characters"},
		{"no secret", url.Values{"url": {"https://show.example.org/hook"}}, "give the signing secret"},
		{"unknown kind", url.Values{"url": {"https://show.example.org/hook"}, "secret": {secret}, "kinds": {"battery_low", "fire"}}, "&#34;fire&#34; is not an alert kind"},
	} {
		res, body := a.post("/admin/webhooks", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, no %q", tt.name, res.StatusCode, tt.message)
		}
		if s := tt.form.Get("secret"); s != "" && strings.Contains(body, s) {
			t.Errorf("%s: the secret was sent back", tt.name)
		}
		if u := tt.form.Get("url"); u != "" && !strings.Contains(body, `value="`+u+`"`) {
			t.Errorf("%s: the typed URL is gone", tt.name)
		}
	}
	if n := r.count("webhooks"); n != 0 {
		t.Fatalf("bad input stored %d webhooks", n)
	}

	hookURL := "https://ops:pw@show.example.org/hook?token=q1"
	res, _ = a.post("/admin/webhooks", url.Values{"url": {hookURL}, "secret": {secret}, "kinds": {"battery_critical", "rf_loss"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	hooks, err := r.st.Webhooks.List(t.Context(), true)
	if err != nil || len(hooks) != 1 || hooks[0].URL != hookURL || hooks[0].Secret != secret ||
		!hooks[0].Wants(model.AlertRFLoss) || hooks[0].Wants(model.AlertBatteryLow) {
		t.Fatalf("stored: %+v %v", hooks, err)
	}
	// The running alerting delivers to it at once, not at its next reload.
	if targets := r.s.alerts.Dispatcher.Targets(); len(targets) != 1 || targets[0] != "https://show.example.org/hook" {
		t.Errorf("the alerting delivers to %v, want the new webhook", targets)
	}
	id := strconv.FormatInt(hooks[0].ID, 10)
	_, body = a.get("/admin/webhooks?done=added")
	if !strings.Contains(body, "Webhook added") || !strings.Contains(body, `data-webhook="`+id+`"`) ||
		!strings.Contains(body, "https://show.example.org/hook") || !strings.Contains(body, "battery_critical,rf_loss") {
		t.Error("the list does not show the new webhook with its kinds")
	}
	for _, hidden := range []string{secret, "pw@", "token=q1"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the list shows %q", hidden)
		}
	}

	if res, _ := r.loggedIn(model.RoleOperator).post("/admin/webhooks/"+id+"/remove", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator removes: %d, want 403", res.StatusCode)
	}
	if res, _ := a.post("/admin/webhooks/"+id+"/remove", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/webhooks/"+id+"/remove", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("remove twice: %d, want 404", res.StatusCode)
	}
	if targets := r.s.alerts.Dispatcher.Targets(); len(targets) != 0 {
		t.Errorf("the alerting still delivers to %v", targets)
	}
	if _, body := a.get("/admin/webhooks?done=removed"); !strings.Contains(body, "Webhook removed") || !strings.Contains(body, ">removed</span>") {
		t.Error("the list does not show the webhook removed")
	}
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	if len(events) != 2 || events[0].Action != "webhook.remove" || events[1].Action != "webhook.create" {
		t.Fatalf("audit: %+v", events)
	}
	for _, e := range events {
		if strings.Contains(e.Summary, secret) || strings.Contains(e.Summary, "pw@") || strings.Contains(e.Summary, "token=q1") {
			t.Errorf("audit summary %q shows a secret", e.Summary)
		}
	}
}
