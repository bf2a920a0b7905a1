package shure

import (
	"bytes"
	"errors"
	"fmt"
)

// Kind is the verb of a message.
type Kind uint8

// Message kinds. GET and SET are what a client sends; they are parsed too so
// the simulator can share this code.
const (
	KindUnknown Kind = iota // a verb this package does not know: ignore it
	KindRep                 // REP [x] PARAM value (REPORT on PSM1000 and UHF-R)
	KindError               // REP ERR: the device rejected a command
	KindSample              // SAMPLE x ALL ...
	KindGet                 // GET [x] PARAM
	KindSet                 // SET [x] PARAM value
)

func (k Kind) String() string {
	switch k {
	case KindRep:
		return "REP"
	case KindError:
		return "REP ERR"
	case KindSample:
		return "SAMPLE"
	case KindGet:
		return "GET"
	case KindSet:
		return "SET"
	}
	return "unknown"
}

// NoChannel is Message.Channel for a device-level parameter (no index).
const NoChannel = -1

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("shure: malformed message")

// Message is one parsed `< ... >` message. Param and Value point into the
// bytes given to Parse and are only valid as long as those are.
type Message struct {
	Kind    Kind
	Channel int    // 0..n, or NoChannel for device-level parameters
	Param   []byte // as sent; compare with ParamIs
	// Value is the rest of the message; for a {string} the braces and the
	// padding are removed and Braced is set.
	Value  []byte
	Braced bool
	Sample Sample // for KindSample
}

// ParamIs compares the parameter name case-insensitively.
func (m *Message) ParamIs(name string) bool {
	return equalFold(m.Param, name)
}

// Sample is the raw content of a SAMPLE message. Values are kept as the
// device sent them; the methods convert to physical units because the
// formulas differ per layout.
type Sample struct {
	// Layout is the family whose layout the message had. The layouts differ
	// in shape (ULX-D: letters + 2 numbers, SLX-D: 3 numbers, AD: 9 or 13
	// tokens, 14 or 22 in frequency-diversity combining), so no model
	// knowledge is needed to tell them apart.
	Layout Family
	// Antennas is how many antenna letters Diversity holds (2 or 4).
	Antennas  int
	Diversity [4]byte // upper-case letters, 'X' = no signal
	// RFCount is how many RF levels RF holds: ULX-D/SLX-D 1, AD one per antenna.
	RFCount     int
	RF          [4]int
	AntBitmap   [4]int // AD per-antenna RF bitmap
	Quality     int    // AD: 0..5, 255 = no transmitter
	AudioBitmap int    // AD: LED bitmap, bit 7 = clip
	AudioPeak   int    // AD and SLX-D raw peak
	AudioLevel  int    // ULX-D raw level, AD/SLX-D raw RMS, UHF-R LED bitmap
	// Battery is UHF-R's bars in the sample, 1-5, or unknown8 for "U".
	Battery int

	// FD is set for an Axient channel in frequency-diversity combining
	// (FD-C): a second RF section follows the first, with its own antenna
	// status and (bitmap, rssi) pairs for the second frequency.
	FD         bool
	Diversity2 [4]byte
	RF2        [4]int
	AntBitmap2 [4]int
}

// RFDBm converts RF level i to dBm (ULX-D: v-128; AD, SLX-D: v-120;
// UHF-R sends the level as positive -dBm).
func (s *Sample) RFDBm(i int) float64 {
	switch s.Layout {
	case FamilyULXD:
		return float64(s.RF[i] - 128)
	case FamilyUHFR:
		return float64(-s.RF[i])
	}
	return float64(s.RF[i] - 120)
}

// AudioLevelDBFS converts the audio level (ULX-D: v-50) or RMS (AD, SLX-D:
// v-120) to dBFS. UHF-R sends an LED bitmap (0, 1, 3, ... 255: micboard's
// UHFR_AUDIO_TABLE); each lit LED counts as 6.25 dB of a 50 dB meter, which
// is as precise as eight LEDs allow.
func (s *Sample) AudioLevelDBFS() float64 {
	switch s.Layout {
	case FamilyULXD:
		return float64(s.AudioLevel - 50)
	case FamilyUHFR:
		leds := 0
		for v := s.AudioLevel; v&1 == 1; v >>= 1 {
			leds++
		}
		return -50 + 6.25*float64(leds)
	}
	return float64(s.AudioLevel - 120)
}

// AudioPeakDBFS converts the peak meter (AD, SLX-D only) to dBFS.
func (s *Sample) AudioPeakDBFS() (float64, bool) {
	if s.Layout == FamilyULXD || s.Layout == FamilyUHFR {
		return 0, false
	}
	return float64(s.AudioPeak - 120), true
}

// Clipped reports the AD clip flag (bit 7 of the audio bitmap).
func (s *Sample) Clipped() bool { return s.Layout == FamilyAD && s.AudioBitmap&0x80 != 0 }

// Parse parses one message as delivered by Splitter (the text between '<'
// and '>'). It is forgiving about spacing and case, and returns KindUnknown
// without error for verbs it does not know.
func Parse(msg []byte) (Message, error) {
	var m Message
	err := ParseInto(&m, msg)
	return m, err
}

// ParseInto is Parse without copying the result; it allocates nothing for a
// well-formed message, which keeps metering of a large show cheap.
func ParseInto(m *Message, msg []byte) error {
	*m = Message{Channel: NoChannel}
	sc := scanner{b: msg}
	verb := sc.next()
	switch {
	case equalFold(verb, "SAMPLE"):
		m.Kind = KindSample
		return parseSample(m, &sc)
	case equalFold(verb, "REP"), equalFold(verb, "REPORT"), equalFold(verb, "REPLY"):
		// PSM1000 answers REPORT where the receivers answer REP; the
		// original micboard accepts all three spellings.
		m.Kind = KindRep
	case equalFold(verb, "GET"):
		m.Kind = KindGet
	case equalFold(verb, "SET"):
		m.Kind = KindSet
	default:
		m.Kind = KindUnknown
		return nil
	}
	tok := sc.next()
	if ch, ok := atoi(tok); ok {
		m.Channel = ch
		tok = sc.next()
	}
	if len(tok) == 0 {
		return fmt.Errorf("%w: %s without parameter", ErrMalformed, m.Kind)
	}
	m.Param = tok
	if m.Kind == KindRep && equalFold(tok, "ERR") {
		m.Kind = KindError
	}
	v := sc.rest()
	if len(v) > 0 && v[0] == '{' {
		m.Braced = true
		if j := bytes.LastIndexByte(v, '}'); j > 0 {
			v = v[1:j]
		} else {
			v = v[1:]
		}
		v = trimSpace(v)
	}
	m.Value = v
	return nil
}

// maxSampleTokens is the AD quadversity layout in frequency-diversity
// combining: 5 fields + 4 antenna pairs, then a second status + 4 pairs.
const maxSampleTokens = 22

func parseSample(m *Message, sc *scanner) error {
	ch, ok := atoi(sc.next())
	if !ok {
		return fmt.Errorf("%w: SAMPLE without channel", ErrMalformed)
	}
	m.Channel = ch
	m.Param = sc.next()
	if !equalFold(m.Param, "ALL") {
		return fmt.Errorf("%w: SAMPLE %d %q: want ALL", ErrMalformed, ch, m.Param)
	}
	var tok [maxSampleTokens][]byte
	n := 0
	for {
		t := sc.next()
		if len(t) == 0 {
			break
		}
		if n == maxSampleTokens {
			return fmt.Errorf("%w: SAMPLE with more than %d fields", ErrMalformed, maxSampleTokens)
		}
		tok[n] = t
		n++
	}
	s := &m.Sample
	switch {
	case n == 3 && isLetters(tok[0]):
		// ULX-D/QLX-D: diversity, RF, audio.
		s.Layout = FamilyULXD
		if !s.setDiversity(tok[0]) {
			return fmt.Errorf("%w: SAMPLE diversity %q", ErrMalformed, tok[0])
		}
		s.RFCount = 1
		if err := num(&s.RF[0], tok[1]); err != nil {
			return err
		}
		return num(&s.AudioLevel, tok[2])
	case n == 5 && isLetters(tok[0]) && len(tok[0]) == 2:
		// UHF-R: diversity, RF A, RF B (-dBm), battery 1-5 or U, audio
		// LED bitmap (micboard py/mic.py parse_sample, uhfr).
		s.Layout = FamilyUHFR
		if !s.setDiversity(tok[0]) {
			return fmt.Errorf("%w: SAMPLE diversity %q", ErrMalformed, tok[0])
		}
		s.RFCount = 2
		if err := num(&s.RF[0], tok[1]); err != nil {
			return err
		}
		if err := num(&s.RF[1], tok[2]); err != nil {
			return err
		}
		if equalFold(tok[3], "U") {
			s.Battery = unknown8
		} else if err := num(&s.Battery, tok[3]); err != nil {
			return err
		}
		return num(&s.AudioLevel, tok[4])
	case n == 3:
		// SLX-D: audio peak, audio RMS, RSSI.
		s.Layout = FamilySLXD
		s.RFCount = 1
		if err := num(&s.AudioPeak, tok[0]); err != nil {
			return err
		}
		if err := num(&s.AudioLevel, tok[1]); err != nil {
			return err
		}
		return num(&s.RF[0], tok[2])
	case n == 9 || n == 13 || n == 14 || n == 22:
		// AD: qual audBitmap audPeak audRms antStats then (bitmap, rssi) per
		// antenna; FD-C repeats antStats and the pairs for the second
		// frequency (Shure, Axient Digital Command Strings, SAMPLE).
		s.Layout = FamilyAD
		ants := (n - 5) / 2
		if n == 14 || n == 22 {
			s.FD = true
			ants = (n - 6) / 4
		}
		if len(tok[4]) != ants || !s.setDiversity(tok[4]) {
			return fmt.Errorf("%w: SAMPLE antenna status %q for %d antennas", ErrMalformed, tok[4], ants)
		}
		for i, dst := range [...]*int{&s.Quality, &s.AudioBitmap, &s.AudioPeak, &s.AudioLevel} {
			if err := num(dst, tok[i]); err != nil {
				return err
			}
		}
		s.RFCount = ants
		if err := pairs(&s.AntBitmap, &s.RF, tok[5:5+2*ants]); err != nil {
			return err
		}
		if !s.FD {
			return nil
		}
		second := tok[5+2*ants : n]
		if len(second[0]) != ants || !isLetters(second[0]) {
			return fmt.Errorf("%w: SAMPLE second antenna status %q for %d antennas", ErrMalformed, second[0], ants)
		}
		for i, c := range second[0] {
			s.Diversity2[i] = upper(c)
		}
		return pairs(&s.AntBitmap2, &s.RF2, second[1:])
	}
	return fmt.Errorf("%w: SAMPLE with %d fields", ErrMalformed, n)
}

// pairs parses (bitmap, rssi) pairs into bitmaps and rf.
func pairs(bitmaps, rf *[4]int, tok [][]byte) error {
	for i := 0; 2*i+1 < len(tok); i++ {
		if err := num(&bitmaps[i], tok[2*i]); err != nil {
			return err
		}
		if err := num(&rf[i], tok[2*i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sample) setDiversity(t []byte) bool {
	if len(t) > len(s.Diversity) || !isLetters(t) {
		return false
	}
	s.Antennas = len(t)
	for i, c := range t {
		s.Diversity[i] = upper(c)
	}
	return true
}

// num parses tok into *dst; the error names the field for the log.
func num(dst *int, tok []byte) error {
	v, ok := atoi(tok)
	if !ok {
		return fmt.Errorf("%w: SAMPLE field %q is not a number", ErrMalformed, tok)
	}
	*dst = v
	return nil
}

// scanner splits on runs of blanks without allocating.
type scanner struct{ b []byte }

func (s *scanner) next() []byte {
	i := 0
	for i < len(s.b) && isSpace(s.b[i]) {
		i++
	}
	j := i
	for j < len(s.b) && !isSpace(s.b[j]) {
		j++
	}
	t := s.b[i:j]
	s.b = s.b[j:]
	return t
}

func (s *scanner) rest() []byte {
	r := trimSpace(s.b)
	s.b = nil
	return r
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// equalFold compares ASCII case-insensitively without converting s.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if upper(b[i]) != upper(s[i]) {
			return false
		}
	}
	return true
}

func isLetters(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c = upper(c); c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// atoi parses 1..9 decimal digits; devices zero-pad, so leading zeros are
// normal. Longer input is rejected rather than risking overflow.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
