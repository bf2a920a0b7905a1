package sim

import (
	"fmt"
	"math"
	"strings"
)

// Sennheiser families added after EW-DX, numbered apart from the others.
const (
	famEM6000 family = iota + 200 // Digital 6000 EM 6000 over SSC: its own paths
	famEWG4                       // ew G4 EM 300-500: text lines over UDP 53212
)

// Each model plays its family as the references document it, not as
// Micboard's driver reads it:
//   - Digital 6000: Sennheiser's SSC Developer's guide for Digital 6000
//     (TI 1109): product "EM6000"/"EM6000-Dante" (§8.103), /mm as a 2x9
//     array of raw bytes (§8.100), /rx{n}/skx/battery ["70%","5:12"]
//     (§8.27), /rx{n}/active_warnings (§8.46), /device/name with the MAC
//     appended (§11.54); carrier and audio_mute as the Bitfocus Companion
//     module reads them (src/digital6000.js, src/consts.js);
//   - ew G4: Sennheiser TI 1254 as lclbo/RFjs (rfjs_server.js) and
//     companion-module-sennheiser-evolutionwireless (src/api.ts) read it.
func init() {
	for _, m := range []modelSpec{
		{code: "em6000", vendor: VendorSennheiser, model: "EM 6000", wireModel: "EM6000", fam: famEM6000, channels: 2,
			txModels: []string{"SKM 6000", "SK 6000"}, band: "A1-A4", fw: "1.1.4.74", freqLo: 470200, freqHi: 558000, nameMax: 8},
		{code: "em6000dante", vendor: VendorSennheiser, model: "EM 6000 Dante", wireModel: "EM6000-Dante", fam: famEM6000, channels: 2,
			txModels: []string{"SKM 6000", "SK 6000"}, band: "A1-A4", fw: "1.1.4.74", freqLo: 470200, freqHi: 558000, nameMax: 8},
		{code: "ewg4", vendor: VendorSennheiser, model: "EM 300-500 G4", wireModel: "EM 300-500 G4", fam: famEWG4, channels: 1,
			txModels: []string{"SKM 500 G4", "SK 500 G4"}, band: "Gw", fw: "", freqLo: 558000, freqHi: 626000, nameMax: 8},
	} {
		modelSpecs[m.code] = m
	}
}

// em6000Byte renders a level as TI 1109 §8.100 encodes it, clamped to a byte.
func em6000Byte(v float64) int { return clampInt(int(math.Round(v)), 0, 255) }

// mmRow is one channel's /mm row: RF1, RF1 peak, RF2, RF2 peak, DIV1, DIV2,
// LQI, AF, AF peak. RF byte = dBm*2+255, AF byte = (dBFS+128)*2-1, LQI
// 0..255; a channel without a transmitter reads all zeros. r.mu held.
func (s *sscServer) mmRow(c *channel) []int {
	if !c.txOn {
		return make([]int, 9)
	}
	c = s.r.sampled(c)
	b := func(on bool) int {
		if on {
			return 1
		}
		return 0
	}
	peak := s.r.clock.Now().Before(c.clipEnd)
	audio := c.audio
	if peak {
		audio = 0
	}
	lqi := em6000Byte(float64(c.quality()) * 51)
	return []int{
		em6000Byte(c.rfA*2 + 255), 0, em6000Byte(c.rfB*2 + 255), 0,
		b(c.rfA > noSignal && c.rfA >= c.rfB), b(c.rfB > noSignal && c.rfB > c.rfA),
		lqi, em6000Byte((audio+128)*2 - 1), b(peak),
	}
}

// buildEM6000Tree declares the addresses of a Digital 6000 EM 6000.
func (s *sscServer) buildEM6000Tree() {
	r := s.r
	s.root.add("device/name", &sscLeaf{
		// §11.54: the device appends its MAC to the name it is given.
		get: func() (any, int) { return okv(r.name) },
		set: func(v any, apply bool) int {
			name, good := asString(v, 18)
			if !good {
				return sscNotAcceptable
			}
			if apply {
				r.name = name
			}
			return 0
		},
	})
	s.root.add("device/identity/version", ro(func() (any, int) { return okv(r.spec.fw) }))
	s.root.add("device/identity/vendor", ro(func() (any, int) { return okv("Sennheiser electronic GmbH & Co. KG") }))
	s.root.add("device/identity/product", ro(func() (any, int) { return okv(r.product()) }))
	s.root.add("mm", ro(func() (any, int) {
		rows := make([]any, 0, len(r.ch))
		for _, c := range r.ch {
			rows = append(rows, s.mmRow(c))
		}
		return okv(rows)
	}))
	for i, c := range r.ch {
		rx := fmt.Sprintf("rx%d", i+1)
		s.root.add(rx+"/name", &sscLeaf{
			get: func() (any, int) { return okv(c.name) },
			set: func(v any, apply bool) int {
				name, good := asString(v, r.spec.nameMax)
				if !good {
					return sscNotAcceptable
				}
				if apply {
					c.name = name
				}
				return 0
			},
		})
		s.root.add(rx+"/carrier", ro(func() (any, int) { return okv(c.freq) }))
		s.root.add(rx+"/audio_mute", ro(func() (any, int) { return okv(c.mute) }))
		s.root.add(rx+"/active_warnings", ro(func() (any, int) {
			var w []string
			switch {
			case !c.txOn:
				w = append(w, "NoLink")
			case c.bestRF() <= noSignal+5:
				w = append(w, "LowSignal")
			}
			if c.txOn && r.clock.Now().Before(c.clipEnd) {
				w = append(w, "AFPeak")
			}
			if c.txOn && c.percent() <= 10 {
				w = append(w, "LowBattery")
			}
			if w == nil {
				w = []string{}
			}
			return okv(w)
		}))
		s.root.add(rx+"/skx/battery", ro(func() (any, int) {
			if !c.txOn {
				return okv([]string{})
			}
			// Four steps, and a time the transmitter estimates.
			p := c.percent()
			state := "low"
			switch {
			case p > 85:
				state = "100%"
			case p > 50:
				state = "70%"
			case p > 15:
				state = "30%"
			}
			m := c.minutes()
			return okv([]string{state, fmt.Sprintf("%d:%02d", m/60, m%60)})
		}))
		s.root.add(rx+"/skx/capsule", ro(func() (any, int) {
			if !c.txOn || !strings.HasPrefix(c.txModel, "SKM") {
				return okv("")
			}
			return okv("MMD 935")
		}))
	}
}
