package shure

import (
	"bytes"
	"slices"
	"testing"

	"micboard/app/device"
)

// FuzzSplitParse feeds arbitrary bytes through Splitter (whole, and cut in
// two at an arbitrary point) and every message through Parse and Apply. It
// must never panic, never hold more than MaxMessage pending bytes, give the
// same messages however the stream is cut, and re-encode samples exactly.
func FuzzSplitParse(f *testing.F) {
	for _, s := range []string{
		"< REP 1 CHAN_NAME {Lead Vox                       } >",
		"< SAMPLE 1 ALL XB 035 098 >< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >",
		"< SAMPLE 1 ALL 255 000 005 033 XX 00 011 00 012 >< REP ERR >",
		"< SAMPLE 1 ALL 102 102 086 >< REP MODEL {AD4Q-A} >< REP 1 TX_OFFSET 015 >",
		"junk>< BROKEN < REP 2 FREQUENCY 0594075 >",
		"< REP 1 CHAN_NAME {BP02 a>b                      } >< REP 2 CHAN_NAME {<s>} >",
		"< SAMPLE 1 ALL 005 031 102 102 BBBB 31 084 31 065 31 070 31 070 BBBB 31 084 31 065 31 070 31 070 >",
		"< REPORT 1 AUDIO_IN_LVL_L 0641928 >< REPORT 2 RF_TX_LVL 50 >< REP 1 LINK_STATUS 1 online >",
		"< REP 3 SLOT_TX_MODEL 1 {          } >< REP MODEL {SLXD4Q+                         } >",
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := frames(data)
		i := int(cut) % (len(data) + 1)
		split := frames(data[:i], data[i:])
		if !slices.Equal(whole, split) {
			t.Fatalf("cut at %d changed the messages:\n%q\n%q", i, whole, split)
		}
		var s Splitter
		s.Feed(data, func([]byte) {})
		if s.Pending() > MaxMessage+1 {
			t.Fatalf("pending %d > MaxMessage", s.Pending())
		}
		for _, msg := range whole {
			if len(msg) > MaxMessage || framesOutsideBraces(msg) {
				t.Fatalf("bad frame %.80q", msg)
			}
			m, err := Parse([]byte(msg))
			if err != nil {
				continue
			}
			for _, fam := range []Family{FamilyUnknown, FamilyULXD, FamilyAD, FamilySLXD, FamilySLXDPlus, FamilyUHFR, FamilyP10T} {
				var r device.Reading
				Apply(&r, &m, fam)
			}
			if m.Kind == KindSample {
				again, err := Parse(bytes.Trim(AppendSample(nil, m.Channel, &m.Sample), "<> "))
				if err != nil || again.Sample != m.Sample || again.Channel != m.Channel {
					t.Fatalf("sample %q did not round-trip: %v %+v", msg, err, again.Sample)
				}
			}
		}
	})
}

// framesOutsideBraces reports a '<' or '>' that is not inside a {value}.
func framesOutsideBraces(msg string) bool {
	var st scanState
	for i := 0; i < len(msg); i++ {
		if end, start := st.step(msg[i]); end || start {
			return true
		}
	}
	return false
}

func frames(chunks ...[]byte) []string {
	var s Splitter
	var out []string
	for _, c := range chunks {
		s.Feed(c, func(m []byte) { out = append(out, string(m)) })
	}
	return out
}

// FuzzDecoder runs whole streams through the Decoder, which learns the
// family from what it reads: it must never panic, never report a channel
// beyond what the registry can store, and keep every meter in range.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		"< REP 1 TX_TYPE QLXD2 >< REP 1 TX_OFFSET 015 >< SAMPLE 1 ALL AX 102 045 >",
		"< REP MODEL {AD4Q-A} >< SAMPLE 1 ALL 005 031 102 102 BB 31 082 31 060 BB 31 082 31 060 >",
		"< REPORT 2 AUDIO_IN_LVL_R 2502970 >< REPORT DEVICE_NAME {IEM Rack} >",
		"< REP 1 TX_MODEL SLXD1+ >< SAMPLE 1 ALL 120 115 086 >",
		// Reference lines (see reference_test.go): SLX-D+ from
		// companion-module-shure-wireless docs/SLXDplus-protocol.md, the
		// PSM1000 REPORT strings, and Axient Digital FD-C samples.
		"< REP MODEL {SLXD4Q+                         } >< REP 3 TX_MODEL UNKNOWN >< REP 3 TX_BATT_BARS 255 >" +
			"< REP 3 TX_BATT_MINS 65535 >< REP 3 SLOT_TX_MODEL 1 {          } >< REP 3 LINK_STATUS 1 offline >",
		"< REP 1 TX_MODEL SLXD1+ >< REP 1 TX_BATT_BARS 004 >< REP 1 TX_BATT_MINS 00125 >< REP 1 AUDIO_GAIN 030 >" +
			"< REP 1 FREQUENCY 0602125 >< SAMPLE 1 ALL 102 102 086 >< REP 1 CHAN_NAME {Lead Vox                       } >",
		"< REPORT DEVICE_NAME {IEM Rack} >< REPORT 1 CHAN_NAME {IEM A} >< REPORT 1 FREQUENCY 518250 >" +
			"< REPORT 1 RF_TX_LVL 100 >< REPORT 1 RF_MUTE 1 >< REPORT 1 AUDIO_IN_LVL_L 2502970 >",
		"< SAMPLE 1 ALL 005 031 102 102 BBBB 31 084 31 065 31 070 31 070 BBBB 31 084 31 065 31 070 31 070 >",
		"< SAMPLE 1 ALL 004 031 102 102 XB 00 010 31 060 BX 31 090 00 012 >",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var (
			sp  Splitter
			dec Decoder
			r   device.Reading
		)
		sp.Feed(data, func(msg []byte) { _, _ = dec.Decode(&r, msg) })
		for n, c := range r.Channels {
			if n < 0 || n > 99999 {
				t.Fatalf("channel %d", n)
			}
			for _, v := range c.RFLevelDBm {
				if v > 0 || v < -128 {
					t.Fatalf("rf %v dBm", v)
				}
			}
			if l, ok := c.AudioLevelDBFS.Get(); ok && (l > 0 || l < -120) {
				t.Fatalf("audio %v dBFS", l)
			}
		}
		if m, ok := dec.InferModel(); ok && ChannelsOf(m) == 0 {
			t.Fatalf("inferred %q, which the table does not know", m)
		}
	})
}

// FuzzUHFR feeds arbitrary datagrams through SplitStars, Parse and Apply
// for UHF-R, and checks that UHF-R samples re-encode exactly.
func FuzzUHFR(f *testing.F) {
	for _, s := range []string{
		"* REPORT 1 TX_BAT 4 *",
		"* REPORT 2 TX_BAT U ** REPORT 1 CHAN_NAME HH01_Ayo____ *",
		"* SAMPLE 1 ALL AB 070 080 4 031 *",
		"* SAMPLE 2 ALL XX 115 115 U 000 ** METER 1 ALL STOP *",
		"junk * REPORT 1 FREQUENCY 578000",
		"* REPORT 1 TX_BAT 4 ** REPORT 2 TX_BAT U ** REPORT 1 CHAN_NAME Chan1_______ ** REPORT 1 FREQUENCY 600000 ** REPORT 1 TX_TYPE UR2 *",
		"* SAMPLE 1 ALL AB 070 080 4 031 ** SAMPLE 2 ALL XX 100 100 U 255 *",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var msgs [][]byte
		dropped := SplitStars(data, func(m []byte) { msgs = append(msgs, bytes.Clone(m)) })
		if dropped < 0 || dropped > len(data) {
			t.Fatalf("dropped %d of %d", dropped, len(data))
		}
		dec := Decoder{Family: FamilyUHFR}
		var r device.Reading
		for _, msg := range msgs {
			if bytes.IndexByte(msg, '*') >= 0 {
				t.Fatalf("message %q holds a star", msg)
			}
			m, err := Parse(msg)
			if err != nil {
				continue
			}
			_, _ = dec.Decode(&r, msg)
			if m.Kind == KindSample && m.Sample.Layout == FamilyUHFR {
				again, err := Parse(bytes.Trim(AppendSample(nil, m.Channel, &m.Sample), "<> "))
				if err != nil || again.Sample != m.Sample {
					t.Fatalf("sample %q did not round-trip: %v %+v", msg, err, again.Sample)
				}
			}
		}
		if dec.Family != FamilyUHFR {
			t.Fatalf("family moved to %v", dec.Family)
		}
	})
}
