package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/store"
)

// addReceivers registers n receivers named prefix-NN (no device behind
// them) and returns them.
func addReceivers(t *testing.T, st *store.Store, prefix string, n int) []*model.Receiver {
	t.Helper()
	ctx := context.Background()
	mf, err := st.Manufacturers.ByCode(ctx, model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	var out []*model.Receiver
	for i := 0; i < n; i++ {
		rx := &model.Receiver{ManufacturerID: mf.ID, Model: "ULXD4Q", DeviceType: model.TypeULXD,
			Host: "127.0.0.1", Port: 30000 + len(prefix)*100 + i, Name: fmt.Sprintf("%s-%02d", prefix, i), Active: true}
		if err := st.Receivers.Create(ctx, rx); err != nil {
			t.Fatal(err)
		}
		if err := st.Channels.Upsert(ctx, &model.Channel{ReceiverID: rx.ID, Number: 1, Name: "HH01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Connections.Ensure(ctx, rx.ID, model.ConnConnecting); err != nil {
			t.Fatal(err)
		}
		out = append(out, rx)
	}
	return out
}

func TestReceiversTableFiltersSortsAndPages(t *testing.T) {
	r := newAuthRig(t, nil)
	addReceivers(t, r.st, "stage", 30)
	addReceivers(t, r.st, "foh", 3)
	op := r.loggedIn(model.RoleOperator)

	res, body := op.get("/admin/receivers")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "33 receivers") || strings.Count(body, `data-rx="`) != receiversPageSize {
		t.Fatalf("table: %d, %d rows", res.StatusCode, strings.Count(body, `data-rx="`))
	}
	_, body = op.get("/admin/receivers?q=FOH")
	if !strings.Contains(body, "3 receivers") || strings.Count(body, `data-rx="`) != 3 || strings.Contains(body, "stage-01") {
		t.Errorf("search: %d rows", strings.Count(body, `data-rx="`))
	}
	_, body = op.get("/admin/receivers?sort=name&desc=1&page=2")
	if !strings.Contains(body, "Page 2 of 2") || !strings.Contains(body, "foh-00") {
		t.Errorf("second page sorted by name descending does not end with foh-00")
	}
	_, body = op.get("/admin/receivers?online=yes")
	if !strings.Contains(body, "0 receivers") {
		t.Errorf("online filter: nothing answers, yet rows were listed")
	}
	_, body = op.get("/admin/receivers?vendor=sennheiser")
	if !strings.Contains(body, "0 receivers") {
		t.Errorf("vendor filter let Shure receivers through")
	}
}

func TestBulkActionReportsRefusalsAndChangesNoneOfThem(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	rxs := addReceivers(t, r.st, "rack", 5)
	if _, err := r.st.Receivers.SetActive(ctx, false, rxs[3].ID, rxs[4].ID); err != nil {
		t.Fatal(err)
	}
	refusedBefore, err := r.st.Receivers.Query().IDs(rxs[3].ID, rxs[4].ID).OrderBy("id", false).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	op := r.loggedIn(model.RoleOperator)
	form := func(extra url.Values) url.Values {
		v := url.Values{"action": {"mark_inactive"}}
		for _, rx := range rxs {
			v.Add("ids", fmt.Sprint(rx.ID))
		}
		v.Add("ids", "999999")
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	snap := dbSnapshot(t, r.st.DB())
	// Stopping something asks first, saying how many, and changes nothing.
	res, body := op.post("/admin/receivers/bulk", form(nil))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Mark 6 receivers inactive?") {
		t.Fatalf("no confirmation: %d %.300s", res.StatusCode, body)
	}
	if dbSnapshot(t, r.st.DB()) != snap {
		t.Fatal("asking for confirmation changed the database")
	}
	res, body = op.post("/admin/receivers/bulk", form(url.Values{"confirm": {"1"}}))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("bulk: %d", res.StatusCode)
	}
	for _, want := range []string{`data-changed="3"`, `data-refused="3"`, "rack-03</span>: already inactive", "rack-04</span>: already inactive", "#999999</span>: no such receiver"} {
		if !strings.Contains(body, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	all, err := r.st.Receivers.Query().OrderBy("id", false).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, rx := range all {
		if rx.Active {
			t.Errorf("receiver %d still active", i)
		}
	}
	// The refused rows are exactly as they were.
	for i, rx := range all[3:] {
		if !rx.UpdatedAt.Equal(refusedBefore[i].UpdatedAt) {
			t.Errorf("refused receiver %s was written", rx.Name)
		}
	}
	ev, err := r.st.AuditEvents.Query().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ev {
		if e.Action == "receiver.mark_inactive" {
			found = true
			if e.RowCount != 3 || !strings.Contains(e.Summary, "refused 3") {
				t.Errorf("audit: %d rows, %q", e.RowCount, e.Summary)
			}
		}
	}
	if !found {
		t.Error("the bulk action is not in the audit log")
	}
}

func TestBulkAndEditFormsRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	rxs := addReceivers(t, r.st, "mon", 2)
	loc := &model.Location{Name: "Stage left", Active: true}
	if err := r.st.Locations.Create(ctx, loc); err != nil {
		t.Fatal(err)
	}
	admin := r.loggedIn(model.RoleAdmin)
	id := fmt.Sprint(rxs[0].ID)
	bulk := []struct {
		name, field, message string
		form                 url.Values
	}{
		{"empty action", "action", "choose an action", url.Values{"ids": {id}}},
		{"unknown action", "action", "choose an action", url.Values{"action": {"explode"}, "ids": {id}}},
		{"no rows", "ids", "tick at least one receiver", url.Values{"action": {"sync_status"}}},
		{"wrong type", "ids", "is not a receiver id", url.Values{"action": {"reactivate"}, "ids": {"abc"}}},
		{"no location", "location", "choose a location", url.Values{"action": {"set_location"}, "ids": {id}}},
		{"location wrong type", "location", "choose a location from the list", url.Values{"action": {"set_location"}, "ids": {id}, "location": {"x"}}},
		{"unknown location", "location", "does not exist", url.Values{"action": {"set_location"}, "ids": {id}, "location": {"424242"}}},
	}
	for _, tt := range bulk {
		before := dbSnapshot(t, r.st.DB())
		res, body := admin.do(http.MethodPost, "/admin/receivers/bulk?q=mon", withCSRF(admin, tt.form), map[string]string{"HX-Request": "true"})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("bulk %s: %d, message %q missing: %.400s", tt.name, res.StatusCode, tt.message, body)
		}
		if dbSnapshot(t, r.st.DB()) != before {
			t.Errorf("bulk %s: stored something", tt.name)
		}
	}

	edit := []struct {
		name, field, message string
		form                 url.Values
	}{
		{"empty name", "name", "must not be empty", url.Values{"name": {""}, "active": {"1"}}},
		{"too long", "name", "at most 64 characters", url.Values{"name": {strings.Repeat("x", 65)}, "active": {"1"}}},
		{"duplicate", "name", "already called that", url.Values{"name": {"MON-01"}, "active": {"1"}}},
		{"location wrong type", "location", "choose a location from the list", url.Values{"name": {"Rack A"}, "location": {"abc"}}},
		{"unknown location", "location", "does not exist", url.Values{"name": {"Rack A"}, "location": {"424242"}}},
	}
	for _, tt := range edit {
		before := dbSnapshot(t, r.st.DB())
		res, body := admin.post("/admin/receivers/"+id, tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("edit %s: %d, message %q missing", tt.name, res.StatusCode, tt.message)
		}
		if typed := tt.form.Get("name"); typed != "" && len(typed) <= 64 && !strings.Contains(body, `value="`+typed+`"`) {
			t.Errorf("edit %s: the typed name is gone", tt.name)
		}
		if dbSnapshot(t, r.st.DB()) != before {
			t.Errorf("edit %s: stored something", tt.name)
		}
	}
	if res, _ := admin.post("/admin/receivers/777777", url.Values{"name": {"X"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit of an unknown receiver: %d", res.StatusCode)
	}

	// A good edit is stored and audited.
	res, _ := admin.post("/admin/receivers/"+id, url.Values{"name": {"Rack A"}, "location": {fmt.Sprint(loc.ID)}, "active": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	got, err := r.st.Receivers.Get(ctx, rxs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Rack A" || got.LocationID == nil || *got.LocationID != loc.ID {
		t.Errorf("edit stored %q in %v", got.Name, got.LocationID)
	}

	// Renaming a channel: bad names are refused beside the field; with no
	// monitor attached the receiver cannot take it, and nothing is stored.
	ch := rxs[1]
	chans, err := r.st.Channels.ByReceiver(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, message string }{
		{"", "must not be empty"}, {strings.Repeat("y", 40), "at most 31 characters"}, {"HH01", "already its name"}, {"Lead vox", "not being watched"},
	} {
		before := dbSnapshot(t, r.st.DB())
		res, body := admin.post(fmt.Sprintf("/admin/channels/%d/name", chans[0].ID), url.Values{"name": {tt.name}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("rename %q: %d, message %q missing", tt.name, res.StatusCode, tt.message)
		}
		if dbSnapshot(t, r.st.DB()) != before {
			t.Errorf("rename %q: stored something", tt.name)
		}
	}
}

// withCSRF adds the browser's token to a form.
func withCSRF(b *browser, v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = vs
	}
	out.Set("csrf", b.csrf)
	return out
}
