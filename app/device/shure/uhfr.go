package shure

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"micboard/app/device"
)

// UHF-R speaks the same verbs over UDP with `* ... *` framing, one or more
// messages per datagram: `* GET 1 TX_BAT *` → `* REPORT 1 TX_BAT 4 *`
// (original micboard py/device_config.py and py/networkdevice.py).

// SplitStars calls fn for every `* ... *` message in a UHF-R datagram, with
// the text between the stars trimmed. A datagram is complete, so nothing is
// kept between calls; text outside a pair of stars is noise and counted.
func SplitStars(p []byte, fn func(msg []byte)) (dropped int) {
	for len(p) > 0 {
		i := indexStar(p)
		if i < 0 {
			return dropped + len(p)
		}
		dropped += len(trimSpace(p[:i]))
		p = p[i+1:]
		j := indexStar(p)
		if j < 0 {
			return dropped + len(p) + 1
		}
		if msg := trimSpace(p[:j]); len(msg) > 0 {
			fn(msg)
		}
		p = p[j+1:]
	}
	return dropped
}

func indexStar(p []byte) int {
	for i, c := range p {
		if c == '*' {
			return i
		}
	}
	return -1
}

// UHFRGet builds `* GET n PARAM *`.
func UHFRGet(ch int, param string) string {
	return "* GET " + strconv.Itoa(ch) + " " + param + " *"
}

// UHFRReport builds `* REPORT n PARAM value *`; the simulator answers with it.
func UHFRReport(ch int, param, value string) string {
	return "* REPORT " + strconv.Itoa(ch) + " " + param + " " + value + " *"
}

// UHFRMeterUnit is the unit of UHF-R's meter interval.
const UHFRMeterUnit = 30 * time.Millisecond

// UHFRMeter builds `* METER n ALL nnn *`: the interval in units of 30 ms,
// three digits (1..999); 0 or less gives `* METER n ALL STOP *`.
func UHFRMeter(ch int, rate time.Duration) string {
	if rate <= 0 {
		return "* METER " + strconv.Itoa(ch) + " ALL STOP *"
	}
	units := max(1, min(999, int(rate/UHFRMeterUnit)))
	return "* METER " + strconv.Itoa(ch) + " ALL " + pad3(units) + " *"
}

func pad3(v int) string {
	s := strconv.Itoa(v)
	return strings.Repeat("0", max(0, 3-len(s))) + s
}

// UHFRSetName builds `* SET n CHAN_NAME name *` after ValidateName. UHF-R
// names carry no braces, so a space travels as '_' (as the original micboard
// and the receiver's own display show it).
func UHFRSetName(ch int, name string) (string, error) {
	if err := ValidateName(name, FamilyUHFR); err != nil {
		return "", err
	}
	if strings.ContainsAny(name, "*") {
		return "", errStarInName(name)
	}
	return "* SET " + strconv.Itoa(ch) + " CHAN_NAME " + strings.ReplaceAll(name, " ", "_") + " *", nil
}

func errStarInName(name string) error {
	return fmt.Errorf("%w: %q contains '*', which frames UHF-R messages", device.ErrInvalidName, name)
}
