package sim

import (
	"fmt"
	"math/rand/v2"
)

// Performer names. The short list exists because ULX-D/QLX-D store at most 8
// characters, and `HH01 Ayo` must still read as "slot id + name".
var (
	longNames = []string{
		"Fatai", "Amara", "Bjorn", "Chiara", "Dmitri", "Esme", "Farid", "Greta", "Hiroshi", "Ines",
		"Jonah", "Kemi", "Lars", "Maren", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Soren",
		"Tariq", "Uma", "Vera", "Wen", "Ximena", "Yusuf", "Zara", "Lead Vox", "Pastor Mike", "MC Dana",
	}
	shortNames = []string{
		"Ayo", "Bo", "Cy", "Eli", "Ian", "Kai", "Lea", "Mo", "Ola", "Sam",
		"Tim", "Zoe", "Ada", "Ben", "Ife", "Uma", "Vox", "MC",
	}
	areas = []string{"Stage L", "Stage R", "FOH", "Mon World", "Band", "Choir", "Cast", "Pulpit"}
)

// namer hands out performer-like names in `ID NAME` form. Slot ids count up
// per prefix across a whole fleet so no two channels share one.
type namer struct {
	rng  *rand.Rand
	next map[string]int
}

func newNamer(seed uint64) *namer {
	return &namer{rng: rand.New(rand.NewPCG(seed, 0x6e616d6573)), next: map[string]int{}}
}

// channelName returns e.g. "HH01 Fatai" or "BP09 Spare", at most max runes.
func (n *namer) channelName(tx string, max int) string {
	prefix := "BP"
	if handheld(tx) {
		prefix = "HH"
	}
	n.next[prefix]++
	id := fmt.Sprintf("%s%02d", prefix, n.next[prefix])
	var who string
	switch {
	case n.rng.IntN(12) == 0:
		who = "Spare"
	case max <= 8:
		who = shortNames[n.rng.IntN(len(shortNames))]
	default:
		who = longNames[n.rng.IntN(len(longNames))]
	}
	name := id + " " + who
	if len(name) > max {
		name = name[:max]
	}
	return name
}

// deviceName returns a rack-position style receiver name.
func (n *namer) deviceName(index int) string {
	return fmt.Sprintf("%s %03d", areas[n.rng.IntN(len(areas))], index+1)
}

// serial returns a serial number in the vendor's usual shape.
func (n *namer) serial(vendor string) string {
	if vendor == VendorSennheiser {
		return fmt.Sprintf("%010d", 1000000000+n.rng.Int64N(8999999999))
	}
	return fmt.Sprintf("%010X", n.rng.Uint64()&0xFFFFFFFFFF)
}
