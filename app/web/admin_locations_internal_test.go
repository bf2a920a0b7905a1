package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/store/storetest"
)

func TestLocationsTreeFormsAndDeleteRefusal(t *testing.T) {
	r := newShowRig(t)
	arena := r.env.Location("Arena", nil)
	left := r.env.Location("Stage left", arena)
	empty := r.env.Location("Loading dock", nil)
	r.env.Receiver(storetest.Rx{Name: "Rack A", LocationID: &left.ID})
	a := r.loggedIn(model.RoleAdmin)

	res, body := a.get("/admin/locations")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("locations page: %d", res.StatusCode)
	}
	// The tree: the building counts its room's receiver; the room sits under it.
	iArena, iLeft := strings.Index(body, `data-location="Arena"`), strings.Index(body, `data-location="Stage left"`)
	if iArena < 0 || iLeft < iArena || strings.Count(body, `<td class="px-4 py-3 text-stage-300" data-devices>1</td>`) != 2 {
		t.Fatalf("tree with counts: %s", body)
	}

	before := r.count("locations")
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"empty", url.Values{"name": {" "}}, "give the location a name"},
		{"too long", url.Values{"name": {strings.Repeat("x", 101)}}, "at most 100 characters"},
		{"wrong type", url.Values{"name": {"Booth"}, "parent": {"abc"}}, "choose a location from the list"},
		{"unknown parent", url.Values{"name": {"Booth"}, "parent": {"999999"}}, "there is no such location"},
		{"control characters", url.Values{"name": {"Foo\nBar"}}, "control characters"},
	} {
		res, body := a.post("/admin/locations", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, no %q", tt.name, res.StatusCode, tt.message)
		}
		if tt.name == "unknown parent" && !strings.Contains(body, `value="Booth"`) {
			t.Errorf("%s: the typed name is gone", tt.name)
		}
	}
	if n := r.count("locations"); n != before {
		t.Fatalf("bad input stored %d locations", n-before)
	}
	if res, _ := a.post("/admin/locations", url.Values{"name": {"Booth"}, "parent": {fmt.Sprint(arena.ID)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	// A building cannot move inside its own room.
	res, body = a.post(fmt.Sprintf("/admin/locations/%d", arena.ID), url.Values{"name": {"Arena"}, "parent": {fmt.Sprint(left.ID)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot sit inside itself") {
		t.Fatalf("loop: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/locations/999999", url.Values{"name": {"X"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown location: %d", res.StatusCode)
	}

	// A location with devices, or with rooms, is not deleted, and says why.
	res, body = a.post(fmt.Sprintf("/admin/locations/%d/delete", left.ID), nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `&#34;Stage left&#34; still holds 1 receiver(s); move or unassign them first`) {
		t.Fatalf("delete with a receiver: %d %s", res.StatusCode, body)
	}
	res, body = a.post(fmt.Sprintf("/admin/locations/%d/delete", arena.ID), nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "still contains 2 location(s); delete or move them first") {
		t.Fatalf("delete a building with devices in a room: %d", res.StatusCode)
	}
	if n := r.count("locations"); n != before+1 {
		t.Fatalf("a refused delete removed something: %d", n)
	}
	if res, _ := a.post(fmt.Sprintf("/admin/locations/%d/delete", empty.ID), nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete empty: %d", res.StatusCode)
	}
	var actions []string
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	for _, e := range events {
		actions = append([]string{e.Action}, actions...)
	}
	if got := strings.Join(actions, ","); got != "location.create,location.delete" {
		t.Fatalf("audit: %s", got)
	}
	if res, _ := r.loggedIn(model.RoleOperator).post("/admin/locations", url.Values{"name": {"Ops"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator create: %d", res.StatusCode)
	}
}
