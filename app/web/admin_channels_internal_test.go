package web

import (
	"net/http"
	"strings"
	"testing"

	"micboard/app/model"
)

func TestChannelsTableSearchesAndFilters(t *testing.T) {
	r := newAuthRig(t, nil)
	addReceivers(t, r.st, "wedge", 3)
	op := r.loggedIn(model.RoleOperator)
	res, body := op.get("/admin/channels")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "3 channels") {
		t.Fatalf("channels: %d", res.StatusCode)
	}
	if _, body = op.get("/admin/channels?q=wedge-01"); strings.Count(body, `data-channel-id="`) != 1 {
		t.Errorf("search by receiver: %d rows", strings.Count(body, `data-channel-id="`))
	}
	if _, body = op.get("/admin/channels?vendor=sennheiser"); !strings.Contains(body, "0 channels") {
		t.Error("vendor filter let Shure channels through")
	}
	if _, body = op.get("/admin/channels?low=1"); !strings.Contains(body, "0 channels") {
		t.Error("no battery is known, yet channels were listed as low")
	}
}
