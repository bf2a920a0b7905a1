package shure

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// collect feeds chunks and returns the messages and the splitter.
func collect(chunks ...[]byte) ([]string, *Splitter) {
	var s Splitter
	var got []string
	for _, c := range chunks {
		s.Feed(c, func(m []byte) { got = append(got, string(m)) })
	}
	return got, &s
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name        string
		chunks      []string
		want        []string
		wantPending int
		wantDropped int
	}{
		{"one", []string{"< REP ERR >"}, []string{"REP ERR"}, 0, 0},
		{"two in one read", []string{"< A >< B >"}, []string{"A", "B"}, 0, 0},
		{"split mid message", []string{"< REP 1 CHAN", "_NAME {x} >"}, []string{"REP 1 CHAN_NAME {x}"}, 0, 0},
		{"tail kept", []string{"< A >< B"}, []string{"A"}, 3, 0},
		{"noise before", []string{"xx< A >"}, []string{"A"}, 0, 2},
		{"stray close", []string{"junk>< A >"}, []string{"A"}, 0, 5},
		{"noise between", []string{"< A > \r\n< B >"}, []string{"A", "B"}, 0, 3},
		{"unterminated then new", []string{"< BROKEN < A >"}, []string{"A"}, 0, 9},
		{"unterminated across reads", []string{"< BROKEN ", "< A >"}, []string{"A"}, 0, 9},
		{"noise only", []string{"hello"}, nil, 0, 5},
		{"empty message", []string{"<>"}, []string{""}, 0, 0},
		{"byte by byte", strings.Split("< A >< B >", ""), []string{"A", "B"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			got, s := collect(chunks...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
			if s.Pending() != tt.wantPending {
				t.Errorf("Pending = %d, want %d", s.Pending(), tt.wantPending)
			}
			if s.Dropped != tt.wantDropped {
				t.Errorf("Dropped = %d, want %d", s.Dropped, tt.wantDropped)
			}
		})
	}
}

// A stream cut at any byte boundary, in two or three pieces, gives the same
// messages as the whole stream.
func TestSplitterEveryBoundary(t *testing.T) {
	stream := []byte("< REP 1 CHAN_NAME {Lead Vox                       } >" +
		"< SAMPLE 1 ALL XB 035 098 >" +
		"< SAMPLE 1 ALL 005 031 102 102 BB 31 086 31 065 >" +
		"< REP ERR >< REP MODEL {AD4Q-A                          } >" +
		"< SAMPLE 2 ALL 102 102 086 >")
	want, _ := collect(stream)
	if len(want) != 6 {
		t.Fatalf("whole stream gave %d messages: %q", len(want), want)
	}
	for i := 0; i <= len(stream); i++ {
		got, s := collect(stream[:i], stream[i:])
		if !slices.Equal(got, want) || s.Pending() != 0 || s.Dropped != 0 {
			t.Fatalf("split at %d: %q (pending %d, dropped %d)", i, got, s.Pending(), s.Dropped)
		}
		for j := i; j <= len(stream); j += 7 {
			got, _ := collect(stream[:i], stream[i:j], stream[j:])
			if !slices.Equal(got, want) {
				t.Fatalf("split at %d,%d: %q", i, j, got)
			}
		}
	}
}

func TestSplitterOversized(t *testing.T) {
	huge := append([]byte("< "), bytes.Repeat([]byte("A"), MaxMessage+10)...)
	t.Run("in one read", func(t *testing.T) {
		got, s := collect(append(huge, []byte(" >< OK >")...))
		if !slices.Equal(got, []string{"OK"}) {
			t.Errorf("got %d messages, first %.20q", len(got), got)
		}
		if s.Dropped < MaxMessage {
			t.Errorf("Dropped = %d", s.Dropped)
		}
	})
	t.Run("across reads", func(t *testing.T) {
		var s Splitter
		var got []string
		fn := func(m []byte) { got = append(got, string(m)) }
		for off := 0; off < len(huge); off += 1000 {
			s.Feed(huge[off:min(off+1000, len(huge))], fn)
			if s.Pending() > MaxMessage+1 {
				t.Fatalf("pending grew to %d", s.Pending())
			}
		}
		s.Feed([]byte(" tail >< OK >"), fn)
		if !slices.Equal(got, []string{"OK"}) {
			t.Errorf("got %.40q", got)
		}
		if s.Pending() != 0 {
			t.Errorf("Pending = %d", s.Pending())
		}
	})
	t.Run("exactly max is kept", func(t *testing.T) {
		msg := bytes.Repeat([]byte("B"), MaxMessage)
		got, _ := collect([]byte("<"), msg, []byte(">"))
		if len(got) != 1 || len(got[0]) != MaxMessage {
			t.Errorf("got %d messages", len(got))
		}
	})
}

func TestSplitterReset(t *testing.T) {
	var s Splitter
	s.Feed([]byte("< PART"), func([]byte) { t.Error("unexpected message") })
	s.Reset()
	if s.Pending() != 0 {
		t.Fatalf("Pending after Reset = %d", s.Pending())
	}
	var got []string
	s.Feed([]byte("IAL >< A >"), func(m []byte) { got = append(got, string(m)) })
	if !slices.Equal(got, []string{"A"}) {
		t.Errorf("got %q", got)
	}
}

// Shure documents the CHAN_NAME character set as including '<', '=' and '>'
// (Shure "SLXD+ Command Strings", CHAN_NAME and DEVICE_ID: "Allowed
// characters: A-Z a-z 0-9 !"#$%&'()*+,-./:;<=>?@[\]^_`~ and space"), so a
// braced value is one unit and its angle brackets are text.
func TestSplitterBracedValuesAreOneUnit(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"gt in name", []string{"< REP 1 CHAN_NAME {BP02 a>b                      } >"},
			[]string{"REP 1 CHAN_NAME {BP02 a>b                      }"}},
		{"lt and gt in name", []string{"< REP 2 CHAN_NAME {<s>} >< REP 2 TX_BATT_BARS 004 >"},
			[]string{"REP 2 CHAN_NAME {<s>}", "REP 2 TX_BATT_BARS 004"}},
		{"cut inside the brace", []string{"< REP 1 CHAN_NAME {a>", "b} >< A >"},
			[]string{"REP 1 CHAN_NAME {a>b}", "A"}},
		{"byte by byte", strings.Split("< REP 1 CHAN_NAME {x<y>z} >", ""),
			[]string{"REP 1 CHAN_NAME {x<y>z}"}},
		// A stray '{' must not swallow the stream: past MaxBraced it frames again.
		{"stray brace", []string{"< REP 1 X {" + strings.Repeat("a", MaxBraced+1) + " >< B >"},
			[]string{"REP 1 X {" + strings.Repeat("a", MaxBraced+1), "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			got, _ := collect(chunks...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("messages = %q, want %q", got, tt.want)
			}
		})
	}
}
