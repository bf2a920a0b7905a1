package htmx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"micboard/app/web/htmx"
)

func TestGetRequest(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    htmx.Request
		partial bool
	}{
		{"plain", nil, htmx.Request{}, false},
		{"htmx", map[string]string{"HX-Request": "true", "HX-Target": "board", "HX-Trigger": "refresh", "HX-Trigger-Name": "r", "HX-Current-URL": "http://x/", "HX-Prompt": "yes"},
			htmx.Request{Enabled: true, Target: "board", Trigger: "refresh", TriggerName: "r", CurrentURL: "http://x/", Prompt: "yes"}, true},
		{"boosted", map[string]string{"HX-Request": "true", "HX-Boosted": "true"}, htmx.Request{Enabled: true, Boosted: true}, false},
		{"history restore", map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"}, htmx.Request{Enabled: true, HistoryRestore: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			c := echo.New().NewContext(req, httptest.NewRecorder())
			got := htmx.GetRequest(c)
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.Partial() != tt.partial {
				t.Fatalf("Partial() = %v, want %v", got.Partial(), tt.partial)
			}
		})
	}
}

func TestResponseApply(t *testing.T) {
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	err := htmx.Response{
		Redirect:         "/login",
		Refresh:          true,
		Reswap:           "beforeend",
		Retarget:         "#toasts",
		Trigger:          htmx.Events{"saved": nil},
		TriggerAfterSwap: htmx.Events{"flash": map[string]string{"text": "Saved"}},
	}.Apply(c)
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	for name, want := range map[string]string{
		"HX-Redirect": "/login", "HX-Refresh": "true", "HX-Reswap": "beforeend",
		"HX-Retarget": "#toasts", "HX-Trigger": "saved",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	var ev map[string]map[string]string
	if err := json.Unmarshal([]byte(h.Get("HX-Trigger-After-Swap")), &ev); err != nil || ev["flash"]["text"] != "Saved" {
		t.Errorf("HX-Trigger-After-Swap = %q (%v)", h.Get("HX-Trigger-After-Swap"), err)
	}
	for _, name := range []string{"HX-Location", "HX-Push-Url", "HX-Replace-Url", "HX-Reselect", "HX-Trigger-After-Settle"} {
		if _, ok := h[name]; ok {
			t.Errorf("%s set though empty", name)
		}
	}
}
