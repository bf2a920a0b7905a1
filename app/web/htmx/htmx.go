// Package htmx reads the headers htmx sends with a request and writes the
// ones it understands on a response, so handlers never spell header names.
package htmx

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Request headers (https://htmx.org/reference/#request_headers).
const (
	HeaderRequest               = "HX-Request"
	HeaderBoosted               = "HX-Boosted"
	HeaderCurrentURL            = "HX-Current-URL"
	HeaderHistoryRestoreRequest = "HX-History-Restore-Request"
	HeaderPrompt                = "HX-Prompt"
	HeaderTarget                = "HX-Target"
	HeaderTrigger               = "HX-Trigger"
	HeaderTriggerName           = "HX-Trigger-Name"
)

// Response headers (https://htmx.org/reference/#response_headers).
const (
	HeaderLocation           = "HX-Location"
	HeaderPushURL            = "HX-Push-Url"
	HeaderRedirect           = "HX-Redirect"
	HeaderRefresh            = "HX-Refresh"
	HeaderReplaceURL         = "HX-Replace-Url"
	HeaderReswap             = "HX-Reswap"
	HeaderRetarget           = "HX-Retarget"
	HeaderReselect           = "HX-Reselect"
	HeaderTriggerAfterSettle = "HX-Trigger-After-Settle"
	HeaderTriggerAfterSwap   = "HX-Trigger-After-Swap"
)

// StatusStopPolling tells htmx to stop polling the element that asked.
const StatusStopPolling = 286

// Request is what htmx said about the request.
type Request struct {
	Enabled        bool   // sent by htmx at all
	Boosted        bool   // a boosted link or form: answer with the whole page
	HistoryRestore bool   // htmx lost its history cache and wants the whole page
	CurrentURL     string // the browser's URL when the request was made
	Prompt         string // the user's answer to hx-prompt
	Target         string // id of the target element
	Trigger        string // id of the element that triggered the request
	TriggerName    string // name of that element
}

// Partial reports a request that wants a fragment rather than a full page.
func (r Request) Partial() bool { return r.Enabled && !r.Boosted && !r.HistoryRestore }

// GetRequest reads the htmx headers of c's request.
func GetRequest(c echo.Context) Request { return FromHTTP(c.Request()) }

// FromHTTP reads the htmx headers of a plain *http.Request.
func FromHTTP(r *http.Request) Request {
	h := r.Header
	return Request{
		Enabled:        h.Get(HeaderRequest) == "true",
		Boosted:        h.Get(HeaderBoosted) == "true",
		HistoryRestore: h.Get(HeaderHistoryRestoreRequest) == "true",
		CurrentURL:     h.Get(HeaderCurrentURL),
		Prompt:         h.Get(HeaderPrompt),
		Target:         h.Get(HeaderTarget),
		Trigger:        h.Get(HeaderTrigger),
		TriggerName:    h.Get(HeaderTriggerName),
	}
}

// Response holds the htmx headers to send; zero fields are left out.
type Response struct {
	Location           string // client-side navigation without a full reload
	PushURL            string
	Redirect           string // full-page redirect
	Refresh            bool
	ReplaceURL         string
	Reswap             string // e.g. "outerHTML", "beforeend"
	Retarget           string // CSS selector
	Reselect           string
	Trigger            Events
	TriggerAfterSwap   Events
	TriggerAfterSettle Events
}

// Events are client-side events to fire: a name, or a name with a detail
// value that htmx hands to the listener.
type Events map[string]any

// header encodes the events the way HX-Trigger wants: a comma list of
// names when no event carries a detail, JSON otherwise.
func (e Events) header() (string, error) {
	if len(e) == 0 {
		return "", nil
	}
	plain := true
	for _, v := range e {
		if v != nil {
			plain = false
			break
		}
	}
	if plain {
		names := make([]string, 0, len(e))
		for k := range e {
			names = append(names, k)
		}
		return strings.Join(names, ","), nil
	}
	b, err := json.Marshal(map[string]any(e))
	return string(b), err
}

// Apply writes the headers to c's response; call it before writing the body.
func (r Response) Apply(c echo.Context) error { return r.ApplyHTTP(c.Response().Header()) }

// ApplyHTTP writes the headers into h.
func (r Response) ApplyHTTP(h http.Header) error {
	set := func(name, v string) {
		if v != "" {
			h.Set(name, v)
		}
	}
	set(HeaderLocation, r.Location)
	set(HeaderPushURL, r.PushURL)
	set(HeaderRedirect, r.Redirect)
	if r.Refresh {
		h.Set(HeaderRefresh, "true")
	}
	set(HeaderReplaceURL, r.ReplaceURL)
	set(HeaderReswap, r.Reswap)
	set(HeaderRetarget, r.Retarget)
	set(HeaderReselect, r.Reselect)
	for name, ev := range map[string]Events{
		HeaderTrigger:            r.Trigger,
		HeaderTriggerAfterSwap:   r.TriggerAfterSwap,
		HeaderTriggerAfterSettle: r.TriggerAfterSettle,
	} {
		v, err := ev.header()
		if err != nil {
			return err
		}
		set(name, v)
	}
	return nil
}
