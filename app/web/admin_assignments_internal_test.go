package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"micboard/app/model"
	"micboard/app/store/storetest"
)

// showRig is the auth rig with receivers whose channels carry slot names.
type showRig struct {
	*authRig
	env      *storetest.Env
	channels []*model.Channel // HH01, HH02, HH03, BP01
}

func newShowRig(t *testing.T) *showRig {
	r := newAuthRig(t, nil)
	env := &storetest.Env{T: t, Ctx: t.Context(), DB: r.s.db, St: r.st}
	rx := env.Receiver(storetest.Rx{Name: "Stage rack"})
	sr := &showRig{authRig: r, env: env}
	for i, name := range []string{"HH01 Vox", "HH02 Keys", "HH03 Guitar", "BP01 Drums"} {
		ch := &model.Channel{ReceiverID: rx.Receiver.ID, Number: i + 1, Name: name}
		if err := r.st.Channels.Upsert(t.Context(), ch); err != nil {
			t.Fatal(err)
		}
		sr.channels = append(sr.channels, ch)
	}
	return sr
}

func (r *showRig) count(table string) int {
	r.t.Helper()
	return r.env.Count(table, "")
}

// postFile sends a multipart form with one file and the page's CSRF token.
func (b *browser) postFile(path, field, name string, content []byte) (*http.Response, string) {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf", b.csrf)
	if name != "" {
		fw, err := w.CreateFormFile(field, name)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

func TestPerformerFormsRefuseBadInputAndStoreNothing(t *testing.T) {
	r := newShowRig(t)
	op := r.loggedIn(model.RoleOperator)
	if res, _ := op.get("/admin/performers"); res.StatusCode != http.StatusOK {
		t.Fatalf("performers page: %d", res.StatusCode)
	}
	tests := []struct{ name, pname, role, message string }{
		{"empty", "  ", "", "give the performer a name"},
		{"too long", strings.Repeat("a", 101), "", "at most 100 characters"},
		{"control characters", "Ana\tB", "", "control characters"},
		{"role too long", "Ana", strings.Repeat("r", 101), "at most 100 characters"},
	}
	for _, tt := range tests {
		res, body := op.post("/admin/performers?q=an", url.Values{"name": {tt.pname}, "role": {tt.role}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, message %q missing", tt.name, res.StatusCode, tt.message)
		}
		if !strings.Contains(body, `value="an"`) {
			t.Errorf("%s: the search was lost", tt.name)
		}
	}
	if n := r.count("performers"); n != 0 {
		t.Fatalf("bad input stored %d performers", n)
	}
	res, _ := op.post("/admin/performers", url.Values{"name": {"Ana Vox"}, "role": {"Lead vocal"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	p, err := r.st.Performers.ByName(t.Context(), "ana vox")
	if err != nil {
		t.Fatal(err)
	}
	// Edit: bad input keeps what was typed beside the message; an unknown id is 404.
	res, body := op.post(fmt.Sprintf("/admin/performers/%d", p.ID), url.Values{"name": {""}, "role": {"Backing"}, "active": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "give the performer a name") || !strings.Contains(body, `value="Backing"`) {
		t.Fatalf("bad edit: %d", res.StatusCode)
	}
	if res, _ := op.post("/admin/performers/999999", url.Values{"name": {"X"}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown performer: %d", res.StatusCode)
	}
	if res, _ := op.post(fmt.Sprintf("/admin/performers/%d", p.ID), url.Values{"name": {"Ana V."}, "role": {"Lead"}, "active": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	events, err := r.st.AuditEvents.Query().ByActor("operator-user").List(t.Context())
	if err != nil || len(events) != 2 || events[0].Action != "performer.update" || !strings.Contains(events[0].Summary, `"Ana Vox"`) {
		t.Fatalf("audit: %+v %v", events, err)
	}
	// A viewer may not change anything.
	if res, _ := r.loggedIn(model.RoleViewer).post("/admin/performers", url.Values{"name": {"Zed"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer create: %d", res.StatusCode)
	}
}

func TestAssignmentFormsRefuseBadInputAndSecondActiveAssignment(t *testing.T) {
	r := newShowRig(t)
	ana, bob := r.env.Performer("Ana"), r.env.Performer("Bob")
	op := r.loggedIn(model.RoleOperator)
	hh01 := fmt.Sprint(r.channels[0].ID)
	if res, _ := op.post("/admin/assignments", url.Values{"performer": {fmt.Sprint(ana.ID)}, "channel": {hh01}, "priority": {"high"}, "alert_battery_low": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	before := r.count("assignments")
	tests := []struct {
		name      string
		form      url.Values
		field     string
		message   string
		keptValue string
	}{
		{"empty", url.Values{}, "performer", "choose a performer", ""},
		{"wrong type", url.Values{"performer": {"abc"}, "channel": {hh01}}, "performer", "choose a performer", ""},
		{"unknown performer", url.Values{"performer": {"999999"}, "channel": {hh01}}, "performer", "there is no such performer", ""},
		{"unknown channel", url.Values{"performer": {fmt.Sprint(bob.ID)}, "channel": {"999999"}}, "channel", "there is no such channel", ""},
		{"bad priority", url.Values{"performer": {fmt.Sprint(bob.ID)}, "channel": {fmt.Sprint(r.channels[1].ID)}, "priority": {"urgent"}}, "priority", "must be low, normal, high or critical", ""},
		{"notes too long", url.Values{"performer": {fmt.Sprint(bob.ID)}, "channel": {fmt.Sprint(r.channels[1].ID)}, "priority": {"low"}, "notes": {strings.Repeat("n", 2001)}}, "notes", "at most 2000 characters", ""},
		{"duplicate", url.Values{"performer": {fmt.Sprint(bob.ID)}, "channel": {hh01}, "priority": {"low"}, "notes": {"spare pack"}}, "channel", "already has an active assignment", `value="spare pack"`},
	}
	for _, tt := range tests {
		res, body := op.post("/admin/assignments?state=active", tt.form)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.message) {
			t.Errorf("%s: %d, message %q missing", tt.name, res.StatusCode, tt.message)
			continue
		}
		if tt.keptValue != "" && !strings.Contains(body, tt.keptValue) {
			t.Errorf("%s: what was typed is gone", tt.name)
		}
		if !strings.Contains(body, `<option value="active" selected>`) {
			t.Errorf("%s: the filter was lost", tt.name)
		}
	}
	if n := r.count("assignments"); n != before {
		t.Fatalf("bad input stored %d assignments", n-before)
	}
	// Editing onto a channel that is taken is refused beside the channel.
	second := r.env.Assign(bob, r.channels[1], model.PriorityNormal, true)
	res, body := op.post(fmt.Sprintf("/admin/assignments/%d", second.ID), url.Values{"channel": {hh01}, "priority": {"normal"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already has an active assignment") {
		t.Fatalf("move onto a taken channel: %d", res.StatusCode)
	}
	res, _ = op.post(fmt.Sprintf("/admin/assignments/%d", second.ID), url.Values{"channel": {fmt.Sprint(r.channels[2].ID)}, "priority": {"critical"}, "alert_audio_low": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	got, _ := r.st.Assignments.Get(t.Context(), second.ID)
	if got.ChannelID != r.channels[2].ID || got.Priority != model.PriorityCritical || !got.AudioLow || got.BatteryLow {
		t.Fatalf("edit stored %+v", got)
	}
	if res, _ := op.post("/admin/assignments/999999", url.Values{"channel": {hh01}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown assignment: %d", res.StatusCode)
	}
	if res, _ := r.loggedIn(model.RoleViewer).get("/admin/assignments"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer on assignments: %d", res.StatusCode)
	}
}

func TestBulkAssignmentActions(t *testing.T) {
	r := newShowRig(t)
	var ids []string
	var asg []*model.Assignment
	for i, name := range []string{"Ana", "Bob", "Cy"} {
		a := r.env.Assign(r.env.Performer(name), r.channels[i], model.PriorityHigh, true)
		asg = append(asg, a)
		ids = append(ids, fmt.Sprint(a.ID))
	}
	ended := r.env.Assign(r.env.Performer("Dee"), r.channels[3], model.PriorityLow, false)
	endedBefore, _ := r.st.Assignments.Get(t.Context(), ended.ID)
	op := r.loggedIn(model.RoleOperator)

	// Disable alerts on three active rows, an ended one and an unknown id:
	// three change, two are refused with their reason and stay as they were.
	form := url.Values{"action": {"disable_alerts"}, "ids": append(ids, fmt.Sprint(ended.ID), "999999")}
	res, body := op.post("/admin/assignments/bulk", form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 3 assignment(s); 2 refused") ||
		!strings.Contains(body, "Dee on BP01 Drums: already ended") || !strings.Contains(body, "assignment 999999: no such assignment") {
		t.Fatalf("bulk disable: %d %s", res.StatusCode, body)
	}
	for _, a := range asg {
		got, _ := r.st.Assignments.Get(t.Context(), a.ID)
		if got.AlertFlags.Any() {
			t.Fatalf("assignment %d still raises alerts", a.ID)
		}
	}
	if got, _ := r.st.Assignments.Get(t.Context(), ended.ID); got.AlertFlags != endedBefore.AlertFlags || !got.UpdatedAt.Equal(endedBefore.UpdatedAt) {
		t.Fatal("a refused row was changed")
	}
	events, _ := r.st.AuditEvents.Query().WithAction("assignment.bulk.disable_alerts").List(t.Context())
	if len(events) != 1 || events[0].RowCount != 3 {
		t.Fatalf("audit: %+v", events)
	}

	// End asks first, saying how many, and changes nothing until confirmed.
	res, body = op.post("/admin/assignments/bulk?priority=high", url.Values{"action": {"end"}, "all": {"1"}, "priority": {"high"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "End 3 assignment(s)?") || !strings.Contains(body, `data-bulk-confirm`) {
		t.Fatalf("end without confirmation: %d", res.StatusCode)
	}
	if n := r.env.Count("assignments", "active"); n != 3 {
		t.Fatalf("unconfirmed end ended %d", 3-n)
	}
	res, body = op.post("/admin/assignments/bulk?priority=high", url.Values{"action": {"end"}, "all": {"1"}, "priority": {"high"}, "confirm": {"1"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 3 assignment(s)") {
		t.Fatalf("confirmed end: %d", res.StatusCode)
	}
	if n := r.env.Count("assignments", "active"); n != 0 {
		t.Fatalf("%d still active", n)
	}
	// Every row refused: nothing changes and nothing is recorded.
	res, body = op.post("/admin/assignments/bulk", url.Values{"action": {"enable_alerts"}, "ids": {ids[0]}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "changed 0 assignment(s); 1 refused") {
		t.Fatalf("all refused: %d", res.StatusCode)
	}
	for _, bad := range []url.Values{
		{"action": {"explode"}, "ids": {ids[0]}},
		{"action": {"end"}, "confirm": {"1"}},
		{"action": {"end"}, "ids": {"x"}},
	} {
		if res, _ := op.post("/admin/assignments/bulk", bad); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad bulk %v: %d", bad, res.StatusCode)
		}
	}
	if res, _ := r.loggedIn(model.RoleViewer).post("/admin/assignments/bulk", url.Values{"action": {"end"}, "ids": {ids[0]}, "confirm": {"1"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer bulk: %d", res.StatusCode)
	}
}

func TestImportPreviewConfirmAndExport(t *testing.T) {
	r := newShowRig(t)
	ana := r.env.Performer("Ana")
	r.env.Assign(ana, r.channels[3], model.PriorityNormal, true) // BP01 is taken
	op := r.loggedIn(model.RoleOperator)
	if res, _ := op.get("/admin/assignments/import"); res.StatusCode != http.StatusOK {
		t.Fatalf("import page: %d", res.StatusCode)
	}
	csvText := "slot,channel,performer,priority,notes\n" +
		"hh01,,ana,high,in-ear too\n" + // existing performer, slot in any case
		",#" + fmt.Sprint(r.channels[1].ID) + ",Zoe New,,\n" + // a new performer by channel id
		"HH03,,'=Evil(),low,<script>x</script>\n" + // a formula-looking name, kept as text
		"BP01,,Bob,,\n" + // taken
		"HH09,,Bob,,\n" + // no such slot
		"HH01,,Cy,,\n" + // the file uses HH01 twice
		",,Dan,,\n" + // no channel
		"HH02,,Eve,urgent,\n" // bad priority (and HH02 used above)
	before := [2]int{r.count("performers"), r.count("assignments")}
	res, body := op.postFile("/admin/assignments/import/preview", "file", "show.csv", []byte(csvText))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", res.StatusCode, body)
	}
	for _, want := range []string{
		"3 row(s) will be stored (2 new performer(s)); 5 row(s) are refused",
		"BP01 Drums already has an active assignment (Ana on BP01 Drums)",
		`no channel has the slot &#34;HH09&#34;`,
		"line 2 already assigns this channel",
		"give a slot or a channel",
		"&lt;script&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>x") {
		t.Fatal("a cell reached the page unescaped")
	}
	if got := [2]int{r.count("performers"), r.count("assignments")}; got != before {
		t.Fatalf("the preview stored something: %v → %v", before, got)
	}
	// Bad files: empty, unknown column, not CSV, too large, no file.
	for name, content := range map[string]string{
		"empty":          "",
		"unknown column": "slot,performer,colour\nHH01,Ana,red\n",
		"no performer":   "slot,notes\nHH01,x\n",
		"broken quotes":  "slot,performer\n\"HH01,Ana\n",
		"too large":      "slot,performer\n" + strings.Repeat("HH01,Ana\n", 120000),
	} {
		res, body := op.postFile("/admin/assignments/import/preview", "file", "x.csv", []byte(content))
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	if res, body := op.postFile("/admin/assignments/import/preview", "file", "", nil); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "choose a CSV file") {
		t.Errorf("no file: %d", res.StatusCode)
	}

	res, _ = op.post("/admin/assignments/import", url.Values{"csv": {csvText}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	if got := [2]int{r.count("performers"), r.count("assignments")}; got != [2]int{before[0] + 2, before[1] + 3} {
		t.Fatalf("confirm stored %v, want 2 performers and 3 assignments more than %v", got, before)
	}
	for _, name := range []string{"Bob", "Cy", "Dan", "Eve"} {
		if _, err := r.st.Performers.ByName(t.Context(), name); err == nil {
			t.Errorf("refused row's performer %s was stored", name)
		}
	}
	evil, err := r.st.Performers.ByName(t.Context(), "=Evil()")
	if err != nil {
		t.Fatalf("the quoted formula name: %v", err)
	}
	events, _ := r.st.AuditEvents.Query().WithAction("assignment.import").List(t.Context())
	if len(events) != 1 || events[0].RowCount != 3 {
		t.Fatalf("audit: %+v", events)
	}
	// Confirming the same file again refuses every row: nothing more is stored.
	res, body = op.post("/admin/assignments/import", url.Values{"csv": {csvText}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "nothing was stored") {
		t.Fatalf("second confirm: %d", res.StatusCode)
	}

	res, body = op.get("/admin/assignments/export.csv")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "slot,channel,performer,priority,notes\n") || !strings.Contains(body, "HH01,"+fmt.Sprint(r.channels[0].ID)+",Ana,high,in-ear too") ||
		!strings.Contains(body, "'=Evil()") || strings.Contains(body, ",=Evil()") {
		t.Fatalf("export: %s", body)
	}
	_ = evil
}

// The largest file the import takes still fits the form that confirms it.
func TestImportLargestFileConfirms(t *testing.T) {
	r := newShowRig(t)
	op := r.loggedIn(model.RoleOperator)
	var b strings.Builder
	b.WriteString("slot,performer,notes\n")
	for i := 0; b.Len() < 500<<10 && i < 1999; i++ {
		fmt.Fprintf(&b, "HH01,Ana,%s\n", strings.Repeat("&", 240))
	}
	res, body := op.postFile("/admin/assignments/import/preview", "file", "big.csv", []byte(b.String()))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "1 row(s) will be stored") {
		t.Fatalf("preview of %d bytes: %d", b.Len(), res.StatusCode)
	}
	if res, _ := op.post("/admin/assignments/import", url.Values{"csv": {b.String()}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm of %d bytes: %d", b.Len(), res.StatusCode)
	}
	if n := r.count("assignments"); n != 1 {
		t.Fatalf("stored %d assignments", n)
	}
}

// The console's navigation links each page its user may open.
func TestAdminNavLinksTheShowPages(t *testing.T) {
	r := newShowRig(t)
	_, body := r.loggedIn(model.RoleOperator).get("/admin/")
	for _, want := range []string{`href="/admin/performers"`, `href="/admin/assignments"`} {
		if !strings.Contains(body, want) {
			t.Errorf("operator's console lacks %s", want)
		}
	}
	for _, hidden := range []string{`href="/admin/locations"`, `href="/admin/kiosks"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("operator's console links %s", hidden)
		}
	}
	_, body = r.loggedIn(model.RoleAdmin).get("/admin/")
	for _, want := range []string{"performers", "assignments", "locations", "discovery", "groups", "kiosks"} {
		if !strings.Contains(body, `href="/admin/`+want+`"`) {
			t.Errorf("admin's console lacks a link to %s", want)
		}
	}
}
