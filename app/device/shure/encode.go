package shure

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"micboard/app/device"
)

// RepErr is what a device answers to a command it does not accept.
const RepErr = "< REP ERR >"

// Get builds `< GET x PARAM >`, or `< GET PARAM >` for ch == NoChannel.
func Get(ch int, param string) string {
	if ch == NoChannel {
		return "< GET " + param + " >"
	}
	return "< GET " + strconv.Itoa(ch) + " " + param + " >"
}

// Set builds `< SET x PARAM value >` (value as it goes on the wire).
func Set(ch int, param, value string) string {
	if ch == NoChannel {
		return "< SET " + param + " " + value + " >"
	}
	return "< SET " + strconv.Itoa(ch) + " " + param + " " + value + " >"
}

// Rep builds `< REP x PARAM value >`, or `< REP PARAM value >` for
// ch == NoChannel. The simulator uses it to answer.
func Rep(ch int, param, value string) string {
	if ch == NoChannel {
		return "< REP " + param + " " + value + " >"
	}
	return "< REP " + strconv.Itoa(ch) + " " + param + " " + value + " >"
}

// RepString is Rep with a brace-padded string value, e.g.
// RepString(1, "CHAN_NAME", "Lead Vox", WidthName).
func RepString(ch int, param, s string, width int) string {
	return Rep(ch, param, PadString(s, width))
}

// PadString wraps s in braces, right-padded with spaces to width characters,
// the way devices send strings: PadString("Vox", 5) == "{Vox  }". A longer s
// is not cut.
func PadString(s string, width int) string {
	pad := width - len(s)
	if pad < 0 {
		pad = 0
	}
	return "{" + s + strings.Repeat(" ", pad) + "}"
}

// MaxMeterRate is the largest rate the five-digit field can carry.
const MaxMeterRate = 99999 * time.Millisecond

// SetMeterRate builds `< SET x METER_RATE nnnnn >` (five digits of
// milliseconds; 0 stops metering).
func SetMeterRate(ch int, rate time.Duration) (string, error) {
	if rate < 0 || rate > MaxMeterRate {
		return "", fmt.Errorf("%w: meter rate %v outside 0..%v", device.ErrInvalidValue, rate, MaxMeterRate)
	}
	return Set(ch, "METER_RATE", fmt.Sprintf("%05d", rate.Milliseconds())), nil
}

// ValidateName checks a channel name for SET on family fam: printable ASCII
// only (the protocol is ASCII and a name is counted in bytes), no braces
// (they would end the string early; '<' and '>' are in Shure's documented
// character set and travel safely inside the braces), and at most
// MaxNameLen(fam) characters.
func ValidateName(name string, fam Family) error {
	for i, r := range name {
		switch {
		case r == '{' || r == '}':
			return fmt.Errorf("%w: %q contains %q at %d; braces would break the command framing",
				device.ErrInvalidName, name, r, i)
		case r < ' ' || r > '~':
			return fmt.Errorf("%w: %q contains %q at %d; Shure receivers take printable ASCII only",
				device.ErrInvalidName, name, r, i)
		}
	}
	if limit := MaxNameLen(fam); len(name) > limit {
		return fmt.Errorf("%w: %q has %d characters, %s receivers take at most %d",
			device.ErrNameTooLong, name, len(name), fam, limit)
	}
	return nil
}

// SetChannelName builds `< SET x CHAN_NAME {name} >` after ValidateName.
func SetChannelName(ch int, name string, fam Family) (string, error) {
	if ch < 1 {
		return "", fmt.Errorf("%w: channel %d", device.ErrInvalidValue, ch)
	}
	if err := ValidateName(name, fam); err != nil {
		return "", err
	}
	return Set(ch, "CHAN_NAME", "{"+name+"}"), nil
}

// AppendSample appends `< SAMPLE ch ALL ... >` in s.Layout's format, with the
// zero padding devices use. Parse(AppendSample(...)) gives s back. Used by the
// simulator and by round-trip tests.
func AppendSample(dst []byte, ch int, s *Sample) []byte {
	dst = append(dst, "< SAMPLE "...)
	dst = strconv.AppendInt(dst, int64(ch), 10)
	dst = append(dst, " ALL"...)
	switch s.Layout {
	case FamilyULXD:
		dst = append(dst, ' ')
		dst = append(dst, s.Diversity[:s.Antennas]...)
		dst = appendPadded(dst, s.RF[0], 3)
		dst = appendPadded(dst, s.AudioLevel, 3)
	case FamilyUHFR:
		dst = append(dst, ' ')
		dst = append(dst, s.Diversity[:s.Antennas]...)
		dst = appendPadded(dst, s.RF[0], 3)
		dst = appendPadded(dst, s.RF[1], 3)
		if s.Battery == unknown8 {
			dst = append(dst, " U"...)
		} else {
			dst = appendPadded(dst, s.Battery, 1)
		}
		dst = appendPadded(dst, s.AudioLevel, 3)
	case FamilySLXD:
		dst = appendPadded(dst, s.AudioPeak, 3)
		dst = appendPadded(dst, s.AudioLevel, 3)
		dst = appendPadded(dst, s.RF[0], 3)
	case FamilyAD:
		dst = appendPadded(dst, s.Quality, 3)
		dst = appendPadded(dst, s.AudioBitmap, 3)
		dst = appendPadded(dst, s.AudioPeak, 3)
		dst = appendPadded(dst, s.AudioLevel, 3)
		dst = append(dst, ' ')
		dst = append(dst, s.Diversity[:s.Antennas]...)
		for i := range s.Antennas {
			dst = appendPadded(dst, s.AntBitmap[i], 2)
			dst = appendPadded(dst, s.RF[i], 3)
		}
		if s.FD {
			dst = append(dst, ' ')
			dst = append(dst, s.Diversity2[:s.Antennas]...)
			for i := range s.Antennas {
				dst = appendPadded(dst, s.AntBitmap2[i], 2)
				dst = appendPadded(dst, s.RF2[i], 3)
			}
		}
	}
	return append(dst, " >"...)
}

// appendPadded appends a space and v zero-padded to width digits.
func appendPadded(dst []byte, v, width int) []byte {
	dst = append(dst, ' ')
	if v < 0 {
		v = 0
	}
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(d); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}
