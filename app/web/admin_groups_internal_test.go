package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
)

func TestGroupFormsRefuseBadInputAndSave(t *testing.T) {
	r := newShowRig(t)
	a := r.loggedIn(model.RoleAdmin)
	if res, _ := a.get("/admin/groups"); res.StatusCode != http.StatusOK {
		t.Fatalf("groups page: %d", res.StatusCode)
	}
	for _, tt := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"empty", url.Values{"number": {"1"}, "name": {""}, "channels": {"HH01"}}, "give the group a name"},
		{"wrong type", url.Values{"number": {"one"}, "name": {"Vox"}, "channels": {"HH01"}}, "choose a group number 1 to 9"},
		{"out of range", url.Values{"number": {"12"}, "name": {"Vox"}, "channels": {"HH01"}}, "groups are numbered 1 to 9"},
		{"too long", url.Values{"number": {"1"}, "name": {strings.Repeat("g", 61)}, "channels": {"HH01"}}, "at most 60 characters"},
		{"unknown slot", url.Values{"number": {"1"}, "name": {"Vox"}, "channels": {"HH01 XX99"}}, "no channel has the slot &#34;XX99&#34;"},
		{"unknown id", url.Values{"number": {"1"}, "name": {"Vox"}, "channels": {"#999999"}}, "there is no channel 999999"},
		{"bad id", url.Values{"number": {"1"}, "name": {"Vox"}, "channels": {"#abc"}}, "is not a channel id"},
	} {
		res, body := a.post("/admin/groups", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, no %q", tt.name, res.StatusCode, tt.message)
		}
		if ch := tt.form.Get("channels"); !strings.Contains(body, fmt.Sprintf(`value="%s"`, ch)) {
			t.Errorf("%s: the typed channels are gone", tt.name)
		}
	}
	if n := r.count("board_groups"); n != 0 {
		t.Fatalf("bad input stored %d groups", n)
	}
	res, _ := a.post("/admin/groups", url.Values{"number": {"2"}, "name": {"Band"}, "channels": {fmt.Sprintf("hh01 HH02 - #%d", r.channels[3].ID)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	g, err := r.st.BoardGroups.ByNumber(t.Context(), 2)
	if err != nil || len(g.Slots) != 4 || g.Slots[0] != r.channels[0].ID || g.Slots[2] != 0 || g.Slots[3] != r.channels[3].ID {
		t.Fatalf("stored %+v %v", g, err)
	}
	if _, body := a.get("/admin/groups?edit=2"); !strings.Contains(body, `value="HH01 HH02 - BP01"`) {
		t.Fatal("the edit form does not show the group's channels")
	}
	if res, _ := a.post("/admin/groups/2/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if res, _ := a.post("/admin/groups/2/delete", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("remove again: %d", res.StatusCode)
	}
	events, _ := r.st.AuditEvents.Query().ByActor("admin-user").List(t.Context())
	if len(events) != 2 || events[0].Action != "group.remove" || events[1].Action != "group.set" {
		t.Fatalf("audit: %+v", events)
	}
	if res, _ := r.loggedIn(model.RoleOperator).post("/admin/groups", url.Values{"number": {"3"}, "name": {"X"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("operator: %d", res.StatusCode)
	}
}
