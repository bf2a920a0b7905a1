package shure

import (
	"errors"
	"testing"
)

// parseFramed runs a wire string through Splitter and Parse, as the client does.
func parseFramed(t *testing.T, wire string) Message {
	t.Helper()
	var msgs [][]byte
	var s Splitter
	s.Feed([]byte(wire), func(m []byte) { msgs = append(msgs, append([]byte(nil), m...)) })
	if len(msgs) != 1 {
		t.Fatalf("%q framed into %d messages", wire, len(msgs))
	}
	m, err := Parse(msgs[0])
	if err != nil {
		t.Fatalf("Parse(%q): %v", wire, err)
	}
	return m
}

func TestParseRepAndCommands(t *testing.T) {
	tests := []struct {
		wire    string
		kind    Kind
		channel int
		param   string
		value   string
		braced  bool
	}{
		// Examples from PROTOCOLS.md §1.
		{"< REP 1 CHAN_NAME {Lead Vox                       } >", KindRep, 1, "CHAN_NAME", "Lead Vox", true},
		{"< GET DEVICE_ID >", KindGet, NoChannel, "DEVICE_ID", "", false},
		{"< GET 0 ALL >", KindGet, 0, "ALL", "", false},
		{"< REP ERR >", KindError, NoChannel, "ERR", "", false},
		{"< SET 0 METER_RATE 01000 >", KindSet, 0, "METER_RATE", "01000", false},
		{"< REP 2 FREQUENCY 470125 >", KindRep, 2, "FREQUENCY", "470125", false},
		{"< REP 1 FREQUENCY 0594075 >", KindRep, 1, "FREQUENCY", "0594075", false},
		{"< REP DEVICE_ID {Rack A                         } >", KindRep, NoChannel, "DEVICE_ID", "Rack A", true},
		// Forgiving: casing, extra blanks, missing closing brace.
		{"<rep   3  chan_name   {x y}  >", KindRep, 3, "chan_name", "x y", true},
		{"< REP 1 CHAN_NAME {  } >", KindRep, 1, "CHAN_NAME", "", true},
		// Brace-quoted values are one value: '>' inside them is text (Shure's
		// documented name character set includes "<=>").
		{"< REP 1 CHAN_NAME {BP02 a>b                      } >", KindRep, 1, "CHAN_NAME", "BP02 a>b", true},
		{"< REP 2 CHAN_NAME {<s>} >", KindRep, 2, "CHAN_NAME", "<s>", true},
		// PSM1000 answers REPORT (companion-module-shure-psm1000, src/index.js).
		{"< REPORT 1 CHAN_NAME IEM1 >", KindRep, 1, "CHAN_NAME", "IEM1", false},
		{"< REP 1 ERR >", KindError, 1, "ERR", "", false},
		{"< NOTIFY 1 WHATEVER >", KindUnknown, NoChannel, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.wire, func(t *testing.T) {
			m := parseFramed(t, tt.wire)
			if m.Kind != tt.kind || m.Channel != tt.channel || string(m.Param) != tt.param ||
				string(m.Value) != tt.value || m.Braced != tt.braced {
				t.Errorf("got kind=%v ch=%d param=%q value=%q braced=%v", m.Kind, m.Channel, m.Param, m.Value, m.Braced)
			}
		})
	}
}

func TestParseSample(t *testing.T) {
	tests := []struct {
		wire string
		want Sample
	}{
		{"< SAMPLE 1 ALL XB 035 098 >", Sample{
			Layout: FamilyULXD, Antennas: 2, Diversity: [4]byte{'X', 'B'}, RFCount: 1, RF: [4]int{35}, AudioLevel: 98,
		}},
		{"< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >", Sample{
			Layout: FamilyAD, Antennas: 2, Diversity: [4]byte{'B', 'B'}, RFCount: 2, RF: [4]int{86, 65},
			AntBitmap: [4]int{31, 31}, Quality: 5, AudioBitmap: 31, AudioPeak: 102, AudioLevel: 102,
		}},
		{"< SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012 >", Sample{
			Layout: FamilyAD, Antennas: 2, Diversity: [4]byte{'X', 'X'}, RFCount: 2, RF: [4]int{11, 12},
			Quality: 255, AudioPeak: 5, AudioLevel: 33,
		}},
		{"< SAMPLE 3 ALL 004 159 120 110 BRXB 31 086 07 065 00 010 15 070 >", Sample{
			Layout: FamilyAD, Antennas: 4, Diversity: [4]byte{'B', 'R', 'X', 'B'}, RFCount: 4,
			RF: [4]int{86, 65, 10, 70}, AntBitmap: [4]int{31, 7, 0, 15}, Quality: 4, AudioBitmap: 159,
			AudioPeak: 120, AudioLevel: 110,
		}},
		{"< SAMPLE 1 ALL 102 102 086 >", Sample{
			Layout: FamilySLXD, RFCount: 1, RF: [4]int{86}, AudioPeak: 102, AudioLevel: 102,
		}},
		{"<sample 2 all ax 100 050>", Sample{
			Layout: FamilyULXD, Antennas: 2, Diversity: [4]byte{'A', 'X'}, RFCount: 1, RF: [4]int{100}, AudioLevel: 50,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.wire, func(t *testing.T) {
			m := parseFramed(t, tt.wire)
			if m.Kind != KindSample || !m.ParamIs("ALL") {
				t.Fatalf("kind %v param %q", m.Kind, m.Param)
			}
			if m.Sample != tt.want {
				t.Errorf("sample\n got %+v\nwant %+v", m.Sample, tt.want)
			}
		})
	}
}

func TestSampleUnits(t *testing.T) {
	ulx := parseFramed(t, "< SAMPLE 1 ALL XB 035 098 >").Sample
	if got := ulx.RFDBm(0); got != -93 {
		t.Errorf("ULX RF = %v dBm, want -93 (035-128)", got)
	}
	if got := ulx.AudioLevelDBFS(); got != 48 {
		t.Errorf("ULX audio = %v, want 48 (098-50)", got)
	}
	if _, ok := ulx.AudioPeakDBFS(); ok || ulx.Clipped() {
		t.Error("ULX has no peak meter or clip flag")
	}
	ad := parseFramed(t, "< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >").Sample
	if ad.RFDBm(0) != -34 || ad.RFDBm(1) != -55 || ad.AudioLevelDBFS() != -18 {
		t.Errorf("AD units: rf %v %v audio %v", ad.RFDBm(0), ad.RFDBm(1), ad.AudioLevelDBFS())
	}
	if p, ok := ad.AudioPeakDBFS(); !ok || p != -18 || ad.Clipped() {
		t.Errorf("AD peak = %v %v clipped %v", p, ok, ad.Clipped())
	}
	clip := parseFramed(t, "< SAMPLE 1 ALL 005 159 120 102 BB 31 086 31 065 >").Sample
	if !clip.Clipped() {
		t.Error("bit 7 of audBitmap (159) not seen as clip")
	}
	slx := parseFramed(t, "< SAMPLE 1 ALL 102 102 086 >").Sample
	if p, _ := slx.AudioPeakDBFS(); p != -18 || slx.AudioLevelDBFS() != -18 || slx.RFDBm(0) != -34 {
		t.Errorf("SLX units: peak %v rms %v rssi %v", p, slx.AudioLevelDBFS(), slx.RFDBm(0))
	}
}

func TestParseErrors(t *testing.T) {
	for _, msg := range []string{
		"REP",
		"REP 1",
		"SAMPLE",
		"SAMPLE x ALL XB 035 098",
		"SAMPLE 1 SOME XB 035 098",
		"SAMPLE 1 ALL XB 035",
		"SAMPLE 1 ALL XB 035 09A",
		"SAMPLE 1 ALL 005 031 102 102 BBB 31 086 31 065",
		"SAMPLE 1 ALL 005 031 102 102 BB 31 086 31",
		"SAMPLE 1 ALL 1 2 3 4 5 6 7 8 9 10 11 12 13 14",
		"SAMPLE 1 ALL 005 031 102 102 B1 31 086 31 065",
		"SAMPLE 1 ALL XB 1234567890 098",
	} {
		if _, err := Parse([]byte(msg)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) err = %v, want ErrMalformed", msg, err)
		}
	}
}

func TestParseIntoAllocs(t *testing.T) {
	msgs := [][]byte{
		[]byte("SAMPLE 1 ALL XB 035 098"),
		[]byte("SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065"),
		[]byte("SAMPLE 1 ALL 102 102 086"),
		[]byte("REP 1 CHAN_NAME {Lead Vox                       }"),
	}
	var m Message
	allocs := testing.AllocsPerRun(100, func() {
		for _, b := range msgs {
			if err := ParseInto(&m, b); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("ParseInto allocates %.1f times per run", allocs)
	}
}
