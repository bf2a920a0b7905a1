package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"micboard/app/model"
)

func TestConnectionsBulkResetAndHealthCheck(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	rxs := addReceivers(t, r.st, "link", 3)
	// 0: errors; 1: connected and silent for a minute; 2: connected, fresh.
	if err := r.st.Connections.RecordError(ctx, rxs[0].ID, "connection refused", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := r.st.Connections.Heartbeat(ctx, rxs[1].ID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := r.st.Connections.Heartbeat(ctx, rxs[2].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	op := r.loggedIn(model.RoleOperator)
	if res, body := op.get("/admin/connections?link=error"); res.StatusCode != http.StatusOK || strings.Count(body, `data-link="`) != 1 {
		t.Fatalf("links in error: %d, %d rows", res.StatusCode, strings.Count(body, `data-link="`))
	}
	ids := func() url.Values {
		v := url.Values{}
		for _, rx := range rxs {
			v.Add("ids", fmt.Sprint(rx.ID))
		}
		return v
	}
	form := ids()
	form.Set("action", "reset_errors")
	res, body := op.post("/admin/connections/bulk", form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-changed="1"`) || !strings.Contains(body, "no errors to reset") {
		t.Fatalf("reset errors: %d %.600s", res.StatusCode, body)
	}
	c, err := r.st.Connections.ByReceiver(ctx, rxs[0].ID)
	if err != nil || c.ErrorCount != 0 {
		t.Errorf("errors not reset: %+v %v", c, err)
	}

	form = ids()
	form.Set("action", "health_check")
	res, body = op.post("/admin/connections/bulk", form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-changed="1"`) || !strings.Contains(body, "healthy: last message") {
		t.Fatalf("health check: %d %.600s", res.StatusCode, body)
	}
	if c, _ := r.st.Connections.ByReceiver(ctx, rxs[1].ID); c.Status != model.ConnDisconnected {
		t.Errorf("the silent link is %s, want disconnected", c.Status)
	}
	if c, _ := r.st.Connections.ByReceiver(ctx, rxs[2].ID); c.Status != model.ConnConnected {
		t.Errorf("the healthy link is %s, want connected", c.Status)
	}

	// Bad input changes nothing and says why beside the field.
	before := dbSnapshot(t, r.st.DB())
	res, body = op.post("/admin/connections/bulk", url.Values{"action": {"reset_errors"}, "ids": {"x1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "is not a receiver id") {
		t.Errorf("bad id: %d", res.StatusCode)
	}
	res, body = op.post("/admin/connections/bulk", url.Values{"action": {"unplug"}, "ids": {fmt.Sprint(rxs[0].ID)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "choose an action") {
		t.Errorf("bad action: %d", res.StatusCode)
	}
	if dbSnapshot(t, r.st.DB()) != before {
		t.Error("bad input changed the database")
	}
}

func TestManufacturerSyncAllItsDevices(t *testing.T) {
	ctx := context.Background()
	r := newAuthRig(t, nil)
	rxs := addReceivers(t, r.st, "vend", 3)
	if _, err := r.st.Receivers.SetActive(ctx, false, rxs[2].ID); err != nil {
		t.Fatal(err)
	}
	admin := r.loggedIn(model.RoleAdmin)
	res, body := admin.get("/admin/manufacturers")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-vendor="shure"`) {
		t.Fatalf("manufacturers: %d", res.StatusCode)
	}
	mf, err := r.st.Manufacturers.ByCode(ctx, model.VendorShure)
	if err != nil {
		t.Fatal(err)
	}
	res, body = admin.post(fmt.Sprintf("/admin/manufacturers/%d/sync", mf.ID), url.Values{})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-changed="2"`) || !strings.Contains(body, "inactive: nobody watches it") {
		t.Fatalf("sync: %d %.500s", res.StatusCode, body)
	}
	if res, _ := admin.post("/admin/manufacturers/99999/sync", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown vendor: %d", res.StatusCode)
	}
}
