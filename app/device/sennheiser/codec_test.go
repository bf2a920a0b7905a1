package sennheiser

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestEncode(t *testing.T) {
	must := func(b []byte, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct{ got, want string }{
		// Examples from PROTOCOLS.md §2.
		{must(EncodeRead(0, "/rx1/name")), `{"rx1":{"name":null}}`},
		{must(EncodeWrite(0, "/rx1/name", "Vox")), `{"rx1":{"name":"Vox"}}`},
		{must(EncodeRead(1234567, "/device/name")), `{"osc":{"xid":1234567},"device":{"name":null}}`},
		{must(EncodeSubscribe(0, DefaultSubscription, "/m/rx1/rssi")),
			`{"osc":{"state":{"subscribe":[{"#":{"min":0,"max":0,"lifetime":60,"count":1000},"m":{"rx1":{"rssi":null}}}]}}}`},
		// The documented cancel names what it cancels: SSC Developer's
		// guide for evolution wireless D1 (TI 1093) §5.1.9.5, "Client
		// cancelling the subscription of the previous example".
		{must(EncodeCancel(0, "/out1/xlr2/level")), `{"osc":{"state":{"subscribe":[{"#":{"cancel":true},"out1":{"xlr2":{"level":null}}}]}}}`},
		{must(EncodeErrors(0, PathError{Path: "/rx1/name", Code: 404})), `{"osc":{"error":[{"rx1":{"name":[404]}}]}}`},
		// Several paths merge into one tree; the leading slash is optional.
		{must(EncodeRead(7, "/rx1/name", "rx1/frequency", "/mates/tx1/battery/gauge")),
			`{"osc":{"xid":7},"mates":{"tx1":{"battery":{"gauge":null}}},"rx1":{"frequency":null,"name":null}}`},
		{must(EncodeValues(0, map[string]any{"/m/rx2/rssi": -60, "/rx2/warnings": []string{"AfPeak"}})),
			`{"m":{"rx2":{"rssi":-60}},"rx2":{"warnings":["AfPeak"]}}`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

func TestEncodeBadPaths(t *testing.T) {
	for _, paths := range [][]string{
		{"/rx1//name"},
		{""},
		{"/rx1", "/rx1/name"},
		{"/rx1/name", "rx1/name"},
	} {
		if _, err := EncodeRead(0, paths...); err == nil {
			t.Errorf("EncodeRead(%q) succeeded", paths)
		}
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in         string
		xid        int64
		hasXID     bool
		leaves     []Leaf
		errs       []PathError
		subs       []Subscription
		cancelled  bool
		wantErrMsg bool
	}{
		{in: `{"rx1":{"name":"Vox"}}`, leaves: []Leaf{{"/rx1/name", "Vox"}}},
		{in: `{"osc":{"xid":1234567},"device":{"name":"Stage L"}}`, xid: 1234567, hasXID: true,
			leaves: []Leaf{{"/device/name", "Stage L"}}},
		{in: `{"osc":{"error":[{"rx1":{"name":[404]}}]}}`, errs: []PathError{{"/rx1/name", 404}}},
		{in: `{"osc":{"error":[{"mates":{"tx2":{"battery":{"gauge":[424]}}}},{"rx3":{"name":[404]}}]}}`,
			errs: []PathError{{"/mates/tx2/battery/gauge", 424}, {"/rx3/name", 404}}},
		{in: `{"osc":{"error":{"rx1":{"name":406}}}}`, errs: []PathError{{"/rx1/name", 406}}},
		{in: `{"osc":{"state":{"subscribe":[{"#":{"min":0,"max":0,"lifetime":60,"count":1000},"m":{"rx1":{"rssi":null}}}]}}}`,
			subs: []Subscription{{0, 0, 60, 1000}}},
		{in: `{"osc":{"state":{"subscribe":{"cancel":true}}}}`, cancelled: true},
		{in: ` {"m":{"rx2":{"af":-20.5,"rssi":-61}},"rx2":{"mute":false}} `,
			leaves: []Leaf{{"/m/rx2/af", json.Number("-20.5")}, {"/m/rx2/rssi", json.Number("-61")}, {"/rx2/mute", false}}},
		{in: `{}`},
		{in: `[1,2]`, wantErrMsg: true},
		{in: `nul`, wantErrMsg: true},
		{in: `"x"`, wantErrMsg: true},
		{in: ``, wantErrMsg: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if tt.wantErrMsg {
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.XID != tt.xid || m.HasXID != tt.hasXID || m.Cancelled != tt.cancelled {
				t.Errorf("xid %d %v cancelled %v", m.XID, m.HasXID, m.Cancelled)
			}
			if !slices.EqualFunc(m.Leaves, tt.leaves, func(a, b Leaf) bool { return a.Path == b.Path && a.Value == b.Value }) {
				t.Errorf("leaves = %v, want %v", m.Leaves, tt.leaves)
			}
			if !slices.Equal(m.Errors, tt.errs) {
				t.Errorf("errors = %v, want %v", m.Errors, tt.errs)
			}
			if !slices.Equal(m.Subscriptions, tt.subs) {
				t.Errorf("subscriptions = %v, want %v", m.Subscriptions, tt.subs)
			}
		})
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	b, err := EncodeValues(42, map[string]any{"/rx1/name": "Vox", "/m/rx1/rsqi": 90})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m.Leaf("/rx1/name"); !ok || v != "Vox" || m.XID != 42 {
		t.Errorf("round trip: %+v", m)
	}
	if _, ok := m.Leaf("/rx1/nope"); ok {
		t.Error("Leaf found a missing path")
	}
	eb, _ := EncodeErrors(3, PathError{"/rx3/name", CodeNotFound})
	em, _ := Decode(eb)
	if code, ok := em.ErrorCode("/rx3/name"); !ok || code != 404 || em.XID != 3 {
		t.Errorf("error round trip: %+v", em)
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	// Deeper than any SSC path: ignored, not expanded.
	deep := []byte(`{"a":`)
	for range 200 {
		deep = append(deep, `{"a":`...)
	}
	deep = append(deep, '1')
	for range 201 {
		deep = append(deep, '}')
	}
	deep = append(deep, '}')
	m, err := Decode(deep)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Leaves) != 0 {
		t.Errorf("got %d leaves from a 200-deep object", len(m.Leaves))
	}
}
