package model

import (
	"strings"
	"unicode"
)

// SplitSlotName splits a channel name written into a receiver as "ID NAME"
// ("HH01 Fatai", "BP09_Spare"): the first word made of letters followed by
// digits is the slot id and the rest, underscores read as spaces, the name.
// A name without such a word has no slot.
func SplitSlotName(raw string) (slot, name string) {
	s := strings.TrimSpace(strings.ReplaceAll(raw, "_", " "))
	first, rest, _ := strings.Cut(s, " ")
	if isSlotID(first) {
		return first, strings.Join(strings.Fields(rest), " ")
	}
	return "", strings.Join(strings.Fields(s), " ")
}

// isSlotID reports letters then digits, at least one of each ("HH01").
func isSlotID(w string) bool {
	i := 0
	for i < len(w) && w[i] < utf8RuneSelf && unicode.IsLetter(rune(w[i])) {
		i++
	}
	if i == 0 || i == len(w) {
		return false
	}
	for _, c := range w[i:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

const utf8RuneSelf = 0x80

// BarsFromDevice turns a device's battery bars into the stored value: 0–5
// as they are, anything else (255 = unknown, transmitter off) nil.
func BarsFromDevice(raw int) *int {
	if raw < 0 || raw > 5 {
		return nil
	}
	return &raw
}

// PercentFromDevice turns a device's charge percent into the stored value:
// 0–100 as they are, anything else (255 = unknown) nil.
func PercentFromDevice(raw int) *int {
	if raw < 0 || raw > 100 {
		return nil
	}
	return &raw
}

// MinutesFromDevice turns a device's runtime into minutes: 65533–65535 are
// Shure's "warning", "calculating" and "unknown" and become nil.
func MinutesFromDevice(raw int) *int {
	if raw < 0 || raw >= 65533 {
		return nil
	}
	return &raw
}
