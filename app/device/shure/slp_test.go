package shure

import (
	"strings"
	"testing"
)

// Device class ids from the table in slp.go.
const (
	dcidULXD4Q = "CCD3F5A4-E139-11DF-95EF-0015C5F3F612"
	dcidAD4D   = "CD282D40-E139-11DF-8481-0015C5F3F612"
	dcidAD4Q   = "CD28E12C-E139-11DF-8153-0015C5F3F612"
)

func TestParseSLP(t *testing.T) {
	srvReg := EncodeSLPSrvReg("service:shure.wireless://192.0.2.50", "(cd:"+dcidAD4Q+"),(sn:X1234)")
	truncated := srvReg[:len(srvReg)-8] // the id stays whole; the attribute list's length now lies

	tests := []struct {
		name     string
		in       []byte
		ok       bool
		fn       uint8
		dcid     string
		model    string
		channels int
	}{
		{"SrvReg", srvReg, true, 3, dcidAD4Q, "AD4Q", 4},
		{"SAAdvert, lower-case id", EncodeSLPSAAdvert("service:shure.wireless://192.0.2.51", "(cd:"+strings.ToLower(dcidAD4D)+")"), true, 11, dcidAD4D, "AD4D", 2},
		{"plain text, no header", []byte("x,(cd:" + dcidULXD4Q + "),y"), true, 0, dcidULXD4Q, "ULXD4Q", 4},
		{"attribute list wins over text", EncodeSLPSrvReg("service:x://h/cd:DECOY", "(cd:"+dcidAD4Q+")"), true, 3, dcidAD4Q, "AD4Q", 4},
		{"unknown device class", EncodeSLPSrvReg("service:x://h", "(cd:0123-4567)"), true, 3, "0123-4567", "", 0},
		{"truncated SrvReg still found in text", truncated, true, 3, dcidAD4Q, "AD4Q", 4},
		{"no cd: attribute", EncodeSLPSrvReg("service:printer:lpr://h", "(x-model=LaserJet)"), false, 0, "", "", 0},
		{"cd: inside a word", []byte("(abcd:1234)"), false, 0, "", "", 0},
		{"cd: with no value", []byte("(cd:),(cd: )"), false, 0, "", "", 0},
		{"empty", nil, false, 0, "", "", 0},
		{"header only", []byte{2, 3, 0, 0, 14}, false, 0, "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok := ParseSLP(tc.in)
			if ok != tc.ok || a.DCID != tc.dcid || a.Model != tc.model || a.Channels != tc.channels {
				t.Fatalf("ParseSLP = %+v, %v; want dcid %q model %q channels %d ok %v", a, ok, tc.dcid, tc.model, tc.channels, tc.ok)
			}
			if ok && a.Function != tc.fn {
				t.Errorf("function %d, want %d", a.Function, tc.fn)
			}
		})
	}
	if a, _ := ParseSLP(srvReg); a.URL != "service:shure.wireless://192.0.2.50" {
		t.Errorf("URL %q", a.URL)
	}
}

func TestModelForDCID(t *testing.T) {
	for dcid, want := range map[string]string{dcidULXD4Q: "ULXD4Q", dcidAD4D: "AD4D", " " + strings.ToLower(dcidAD4Q) + " ": "AD4Q"} {
		if m, n, ok := ModelForDCID(dcid); !ok || m != want || n == 0 || m == "" {
			t.Errorf("ModelForDCID(%q) = %q, %d, %v", dcid, m, n, ok)
		}
	}
	if _, _, ok := ModelForDCID("nope"); ok {
		t.Error("unknown id mapped")
	}
}

// FuzzParseSLP: anything may arrive on the multicast group; parsing must
// never panic and must only report ids it can stand behind.
func FuzzParseSLP(f *testing.F) {
	f.Add(EncodeSLPSrvReg("service:shure.wireless://192.0.2.50", "(cd:"+dcidAD4Q+")"))
	f.Add(EncodeSLPSAAdvert("service:shure.wireless://192.0.2.51", "(cd:"+dcidULXD4Q+")"))
	f.Add([]byte("(cd:" + dcidAD4D + ")"))
	f.Add(EncodeSLPSAAdvert("service:shure.wireless://192.0.2.52", "(cd:CCB8DB5C-E139-11DF-8A4C-0015C5F3F612)"))
	f.Add(EncodeSLPSrvReg("service:shure.wireless://192.0.2.53", "(cd:CCC6E562-E139-11DF-9006-0015C5F3F612),(sn:X1)"))
	f.Add([]byte{2, 3, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, ok := ParseSLP(b)
		if !ok {
			if a != (SLPAnnouncement{}) {
				t.Fatalf("not ok but returned %+v", a)
			}
			return
		}
		if a.DCID == "" || len(a.DCID) > 64 || strings.ToUpper(a.DCID) != a.DCID || strings.ContainsAny(a.DCID, " ,()") {
			t.Fatalf("bad id %q", a.DCID)
		}
		m, n, known := ModelForDCID(a.DCID)
		if m != a.Model || n != a.Channels || known != (a.Model != "") {
			t.Fatalf("model %q/%d does not match the table (%q/%d)", a.Model, a.Channels, m, n)
		}
	})
}

// announce sends datagram to dst from the local address from, every 50 ms,

// TestDCIDsOfUHFRAndPSM1000 checks ids taken from open-source Micboard's
// dcid.json (karlcswanson/micboard, converted from Shure's DCIDMap.xml):
// "CCB8A40C-E139-11DF-94A5-0015C5F3F612" UR4S "UHF-R Single-Channel
// Receiver", "CCB8DB5C-E139-11DF-8A4C-0015C5F3F612" UR4D "UHF-R
// Dual-Channel Receiver", "CCC6E562-E139-11DF-9006-0015C5F3F612" (band J8)
// and "041382D8-FD5A-11E3-A8AA-0015C5F3F612" (band G62) PSM1KTx "PSM1000
// Dual-Channel Transmitter". Each maps to a model of the family table, so
// the announcement's model and channel count agree with Identify.
func TestDCIDsOfUHFRAndPSM1000(t *testing.T) {
	for _, tc := range []struct {
		dcid, model string
		channels    int
		family      Family
	}{
		{"CCB8A40C-E139-11DF-94A5-0015C5F3F612", "UR4S", 1, FamilyUHFR},
		{"CCB8DB5C-E139-11DF-8A4C-0015C5F3F612", "UR4D", 2, FamilyUHFR},
		{"CCC6E562-E139-11DF-9006-0015C5F3F612", "P10T", 2, FamilyP10T},
		{"041382D8-FD5A-11E3-A8AA-0015C5F3F612", "P10T", 2, FamilyP10T},
	} {
		m, n, ok := ModelForDCID(tc.dcid)
		if !ok || m != tc.model || n != tc.channels {
			t.Errorf("ModelForDCID(%s) = %q, %d, %v; want %q, %d", tc.dcid, m, n, ok, tc.model, tc.channels)
		}
		if f := FamilyOf(m); f != tc.family || ChannelsOf(m) != n {
			t.Errorf("%s: family %v, %d channels; want %v, %d", m, f, ChannelsOf(m), tc.family, n)
		}
		a, ok := ParseSLP(EncodeSLPSAAdvert("service:shure.wireless://192.0.2.60", "(cd:"+tc.dcid+")"))
		if !ok || a.Model != tc.model || a.Channels != tc.channels {
			t.Errorf("announcement of %s = %+v, %v", tc.dcid, a, ok)
		}
	}
	// Every id of the table names a model the family table knows, so no
	// announcement can carry a model Identify would not recognise.
	for id, m := range shureDCIDs {
		if ChannelsOf(m.Model) != m.Channels {
			t.Errorf("%s: %s has %d channels in the DCID table, %d in the family table", id, m.Model, m.Channels, ChannelsOf(m.Model))
		}
	}
}

// TestUnknownDCIDIsReported: an id the table does not list (an SLX-D+, a
// new product) is still an announcement, with its id and no model, so
// discovery can log it and ask the device what it is.
func TestUnknownDCIDIsReported(t *testing.T) {
	const id = "0B1E2D3C-0000-11EE-8000-0015C5F3F612"
	a, ok := ParseSLP(EncodeSLPSAAdvert("service:shure.wireless://192.0.2.61", "(cd:"+id+")"))
	if !ok || a.DCID != id || a.Model != "" || a.Channels != 0 {
		t.Fatalf("ParseSLP = %+v, %v; want the id and no model", a, ok)
	}
}
