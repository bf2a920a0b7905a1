package web

// statusSwatch is one entry of the status legend (PROTOCOLS.md §3).
type statusSwatch struct {
	Label   string
	Meaning string
	Class   string // Tailwind classes of the swatch
}

// statusLegend lists the channel statuses in the order the board ranks them.
var statusLegend = []statusSwatch{
	{"Good", "4–5 battery bars", "bg-good"},
	{"Replace", "3 bars: swap at the next break", "bg-replace"},
	{"Critical", "0–2 bars: swap now", "bg-critical"},
	{"Last heard", "transmitter silent < 30 min: its last level's colour, striped", "bg-replace bg-stripes"},
	{"TX off", "no transmitter for 30 min", "bg-txoff ring-1 ring-inset ring-white/10"},
	{"RX offline", "the receiver does not answer", "bg-offline"},
	{"Clip", "a CLIP mark beside the status: clipped in the last 10 s", "bg-stage-800 outline outline-2 outline-offset-2 outline-critical animate-peak"},
}
