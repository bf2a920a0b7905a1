package shure

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// DefaultSLPAddr is where Shure devices announce themselves: the SLP
// multicast group on Shure's port (PROTOCOLS.md §1 "Discovery").
const DefaultSLPAddr = "239.255.254.253:8427"

// slpModel is what a device class id says about a receiver.
type slpModel struct {
	Model    string
	Channels int
}

// shureDCIDs maps Shure device class ids (the value after "cd:" in an SLP
// announcement, upper case) to receiver models. Shure ships the full map
// (thousands of ids, one per product and RF band) as DCIDMap.xml with the
// Shure Update Utility; the ids below are the band-independent and a few
// common-band ids of the receivers Micboard drives, as open-source Micboard's
// dcid.json (converted from that file) lists them. A device whose id is not
// here is still found: Identify asks it what it is.
var shureDCIDs = map[string]slpModel{
	// ULX-D single ("ULX-DSingle"): no band, no band, G50.
	"CCCF2B0A-E139-11DF-8326-0015C5F3F612": {"ULXD4", 1},
	"CCE1BAD6-E139-11DF-983D-0015C5F3F612": {"ULXD4", 1},
	"CCCD012C-E139-11DF-8DF8-0015C5F3F612": {"ULXD4", 1},
	// ULX-D dual ("ULX-DDual"): no band, G50.
	"CCD19DAE-E139-11DF-949E-0015C5F3F612": {"ULXD4D", 2},
	"CCCF5206-E139-11DF-87FD-0015C5F3F612": {"ULXD4D", 2},
	// ULX-D quad ("ULX-DQuad"): no band, no band, G50.
	"CCD3F5A4-E139-11DF-95EF-0015C5F3F612": {"ULXD4Q", 4},
	"CCE212C4-E139-11DF-8ED9-0015C5F3F612": {"ULXD4Q", 4},
	"CCD1CAF4-E139-11DF-9F98-0015C5F3F612": {"ULXD4Q", 4},
	// QLX-D ("QLX-DSingle"): G50, G62.
	"CCE8D7E4-E139-11DF-86E4-0015C5F3F612": {"QLXD4", 1},
	"0405BFCC-FD5A-11E3-BEEE-0015C5F3F612": {"QLXD4", 1},
	// Axient Digital dual: four band-independent ids, R52.
	"CD282D40-E139-11DF-8481-0015C5F3F612": {"AD4D", 2},
	"CD285B30-E139-11DF-8923-0015C5F3F612": {"AD4D", 2},
	"CD2886E6-E139-11DF-8A35-0015C5F3F612": {"AD4D", 2},
	"CD28B486-E139-11DF-8E0F-0015C5F3F612": {"AD4D", 2},
	"042D1C02-FD5A-11E3-B298-0015C5F3F612": {"AD4D", 2},
	// Axient Digital quad: four band-independent ids, R52.
	"CD28E12C-E139-11DF-8153-0015C5F3F612": {"AD4Q", 4},
	"CD290B70-E139-11DF-8374-0015C5F3F612": {"AD4Q", 4},
	"CD293640-E139-11DF-9DC0-0015C5F3F612": {"AD4Q", 4},
	"CD296318-E139-11DF-8044-0015C5F3F612": {"AD4Q", 4},
	"042D5A00-FD5A-11E3-A553-0015C5F3F612": {"AD4Q", 4},
	// UHF-R ("UR4S", "UR4D"): one band-independent id each.
	"CCB8A40C-E139-11DF-94A5-0015C5F3F612": {"UR4S", 1},
	"CCB8DB5C-E139-11DF-8A4C-0015C5F3F612": {"UR4D", 2},
	// PSM1000 dual-channel transmitter ("PSM1KTx"): one id per RF band, as
	// dcid.json lists them (G10 G10E H8Z J8 J8E K10E L8 L8E L9E G11 P8 Q21
	// Q22E R26 R27 A24 X1 X2 X7 G62 J8A L8A G10J J8J L8J L11J). The
	// PSM1000 bodypack receivers ("PSM1KRx") are not network devices
	// Micboard watches and are left out.
	"CCC665EC-E139-11DF-86B9-0015C5F3F612": {"P10T", 2},
	"CCC68C52-E139-11DF-8742-0015C5F3F612": {"P10T", 2},
	"CCC6B772-E139-11DF-855C-0015C5F3F612": {"P10T", 2},
	"CCC6E562-E139-11DF-9006-0015C5F3F612": {"P10T", 2},
	"CCC713E8-E139-11DF-8462-0015C5F3F612": {"P10T", 2},
	"CCC740B6-E139-11DF-8554-0015C5F3F612": {"P10T", 2},
	"CCC76DF2-E139-11DF-860C-0015C5F3F612": {"P10T", 2},
	"CCC79CC8-E139-11DF-9E05-0015C5F3F612": {"P10T", 2},
	"CCC7CC66-E139-11DF-8E06-0015C5F3F612": {"P10T", 2},
	"CCC7F9FC-E139-11DF-9E4A-0015C5F3F612": {"P10T", 2},
	"CCC827D8-E139-11DF-863F-0015C5F3F612": {"P10T", 2},
	"CCC85654-E139-11DF-8F82-0015C5F3F612": {"P10T", 2},
	"CCC8AF46-E139-11DF-86CE-0015C5F3F612": {"P10T", 2},
	"CCC8DB92-E139-11DF-83CC-0015C5F3F612": {"P10T", 2},
	"CCC909FA-E139-11DF-8FFB-0015C5F3F612": {"P10T", 2},
	"CCC93646-E139-11DF-81B4-0015C5F3F612": {"P10T", 2},
	"CCC95F5E-E139-11DF-9591-0015C5F3F612": {"P10T", 2},
	"CCC98740-E139-11DF-810A-0015C5F3F612": {"P10T", 2},
	"CCE48608-E139-11DF-8B4E-0015C5F3F612": {"P10T", 2},
	"041382D8-FD5A-11E3-A8AA-0015C5F3F612": {"P10T", 2},
	"0423D214-FD5A-11E3-8123-0015C5F3F612": {"P10T", 2},
	"042410C6-FD5A-11E3-B916-0015C5F3F612": {"P10T", 2},
	"CD00A7F2-E139-11DF-82BC-0015C5F3F612": {"P10T", 2},
	"CD00CE58-E139-11DF-9CC1-0015C5F3F612": {"P10T", 2},
	"CD00F572-E139-11DF-8DE1-0015C5F3F612": {"P10T", 2},
	"CD011B92-E139-11DF-9F26-0015C5F3F612": {"P10T", 2},
	// SLX-D+: no public DCID list includes it (dcid.json predates it, and
	// Shure publishes DCIDMap.xml only inside its update utility), so the
	// table has none: an SLX-D+ announces an id ParseSLP reports with an
	// empty Model, discovery logs the id and identifies the device by
	// asking it (GET MODEL, then its channel answers), as for any id.
	// SLX-D: PLACEHOLDERS, NOT REAL SHURE IDS. No public DCID list we could
	// find includes SLX-D (it is newer than Micboard's dcid.json). Replace
	// these with the ids from a current DCIDMap.xml; until then real SLX-D
	// receivers announce unknown ids and are identified by asking them.
	"00000000-0000-0000-0000-534C58443401": {"SLXD4", 1},
	"00000000-0000-0000-0000-534C58443402": {"SLXD4D", 2},
}

// ModelForDCID returns the receiver model and channel count a Shure device
// class id stands for.
func ModelForDCID(dcid string) (modelName string, channels int, ok bool) {
	m, ok := shureDCIDs[strings.ToUpper(strings.TrimSpace(dcid))]
	return m.Model, m.Channels, ok
}

// SLP function ids (RFC 2608 §8) whose bodies carry an attribute list.
const (
	slpSrvReg   = 3
	slpAttrRply = 7
	slpDAAdvert = 8
	slpSAAdvert = 11
)

// SLPAnnouncement is what Micboard reads from one SLP datagram.
type SLPAnnouncement struct {
	// Function is the SLPv2 function id; 0 when the header did not parse
	// (the datagram was then searched as plain text).
	Function uint8
	// URL is the service URL of a registration or advert, when present.
	URL string
	// DCID is the Shure device class id after "cd:", upper case.
	DCID string
	// Model and Channels come from the DCID table; empty and 0 for an id
	// the table does not know.
	Model    string
	Channels int
}

// ParseSLP reads an SLP datagram and reports whether it carries a Shure
// device class id. It parses SLPv2 framing where it can (header, then the
// URL and attribute list of a registration or advert) and otherwise searches
// the whole datagram for "cd:", as open-source monitors do; it never trusts
// a length field beyond the bytes present and never panics.
func ParseSLP(b []byte) (SLPAnnouncement, bool) {
	var a SLPAnnouncement
	fn, url, attrs, ok := parseSLPv2(b)
	if ok {
		a.Function, a.URL = fn, url
	}
	dcid := findDCID(attrs)
	if dcid == "" {
		dcid = findDCID(b)
	}
	if dcid == "" {
		return SLPAnnouncement{}, false
	}
	a.DCID = dcid
	a.Model, a.Channels, _ = ModelForDCID(dcid)
	return a, true
}

// slpReader reads big-endian SLP fields; any short read sets bad and yields
// zero values from then on.
type slpReader struct {
	b   []byte
	bad bool
}

func (r *slpReader) take(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *slpReader) u8() int {
	if p := r.take(1); p != nil {
		return int(p[0])
	}
	return 0
}

func (r *slpReader) u16() int {
	if p := r.take(2); p != nil {
		return int(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (r *slpReader) u24() int {
	if p := r.take(3); p != nil {
		return int(p[0])<<16 | int(p[1])<<8 | int(p[2])
	}
	return 0
}

// str reads a string with a 2-byte length.
func (r *slpReader) str() []byte { return r.take(r.u16()) }

// skipAuths skips a count of authentication blocks (RFC 2608 §9.2), each
// "BSD(2) length(2) ..." where length counts the whole block.
func (r *slpReader) skipAuths() {
	for n := r.u8(); n > 0 && !r.bad; n-- {
		r.u16()
		r.take(r.u16() - 4)
	}
}

// parseSLPv2 returns the function id, service URL and attribute list of an
// SLPv2 message; ok is false when the header is not SLPv2. Body fields that
// do not fit are left empty.
func parseSLPv2(b []byte) (fn uint8, url string, attrs []byte, ok bool) {
	r := &slpReader{b: b}
	version, function := r.u8(), r.u8()
	length := r.u24()
	r.u16() // flags
	r.u24() // next extension offset
	r.u16() // XID
	r.str() // language tag
	if r.bad || version != 2 || function == 0 || length < 14 {
		return 0, "", nil, false
	}
	// The length field covers the whole message; trust it only to shorten.
	if body := len(b) - len(r.b); length < len(b) && length >= body {
		r.b = r.b[:length-body]
	}
	fn = uint8(function)
	switch function {
	case slpSrvReg:
		r.u8()  // reserved
		r.u16() // lifetime
		u := r.str()
		r.skipAuths()
		r.str() // service type
		r.str() // scope list
		a := r.str()
		return fn, cleanText(u), keep(r, a), true
	case slpSAAdvert:
		u := r.str()
		r.str() // scope list
		a := r.str()
		return fn, cleanText(u), keep(r, a), true
	case slpDAAdvert:
		r.u16() // error code
		r.take(4)
		u := r.str()
		r.str() // scope list
		a := r.str()
		return fn, cleanText(u), keep(r, a), true
	case slpAttrRply:
		r.u16() // error code
		return fn, "", keep(r, r.str()), true
	}
	return fn, "", nil, true
}

// keep returns the attribute list only if everything up to it parsed.
func keep(r *slpReader, attrs []byte) []byte {
	if r.bad {
		return nil
	}
	return attrs
}

// cleanText keeps the printable ASCII of a wire string, for logs.
func cleanText(b []byte) string {
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7e {
			return -1
		}
		return c
	}, string(b))
}

// maxDCID bounds an id; a Shure id is a 36-character GUID.
const maxDCID = 64

// findDCID returns the value after the first "cd:" that starts an
// attribute (at the start, or after a non-alphanumeric byte such as "(" or
// ","), upper-cased, up to the next delimiter; "" when there is none.
func findDCID(b []byte) string {
	lower := asciiLower(b)
	for i := 0; i+3 <= len(b); {
		j := bytes.Index(lower[i:], []byte("cd:"))
		if j < 0 {
			return ""
		}
		at := i + j
		i = at + 3
		if at > 0 && isAlnum(b[at-1]) {
			continue
		}
		end := i
		for end < len(b) && end-i < maxDCID && isDCIDByte(b[end]) {
			end++
		}
		if v := strings.TrimSpace(string(b[i:end])); v != "" {
			return strings.ToUpper(v)
		}
	}
	return ""
}

// asciiLower lower-cases ASCII letters only, so offsets into the result are
// offsets into b (bytes.ToLower would rewrite invalid UTF-8 and shift them).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isDCIDByte accepts printable ASCII except the attribute list's delimiters.
func isDCIDByte(c byte) bool {
	if c <= ' ' || c > '~' {
		return false
	}
	switch c {
	case ',', '(', ')', ';', '=', '"', '\'', '<', '>':
		return false
	}
	return true
}

// slpStr is an SLP string: 2-byte length, bytes.
func slpStr(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// slpMessage frames an SLPv2 body (RFC 2608 §8): version, function, 3-byte
// length, flags, next-extension offset, XID, language tag.
func slpMessage(function byte, body []byte) []byte {
	head := []byte{2, function, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}
	head = append(head, slpStr("en")...)
	msg := append(head, body...)
	n := len(msg)
	msg[2], msg[3], msg[4] = byte(n>>16), byte(n>>8), byte(n)
	return msg
}

// EncodeSLPSrvReg builds an SLPv2 service registration carrying attrs, the
// shape of what a Shure device multicasts; the simulator and tests send it.
// Only the "cd:" attribute matters to Micboard.
func EncodeSLPSrvReg(url, attrs string) []byte {
	var b []byte
	b = append(b, 0)          // reserved
	b = append(b, 0xff, 0xff) // lifetime
	b = append(b, slpStr(url)...)
	b = append(b, 0) // URL auths
	b = append(b, slpStr("service:shure.wireless")...)
	b = append(b, slpStr("DEFAULT")...)
	b = append(b, slpStr(attrs)...)
	b = append(b, 0) // attribute auths
	return slpMessage(3, b)
}

// EncodeSLPSAAdvert builds an SLPv2 service agent advertisement carrying attrs.
func EncodeSLPSAAdvert(url, attrs string) []byte {
	var b []byte
	b = append(b, slpStr(url)...)
	b = append(b, slpStr("DEFAULT")...)
	b = append(b, slpStr(attrs)...)
	b = append(b, 0)
	return slpMessage(11, b)
}
