// Package sim simulates wireless microphone receivers on loopback sockets,
// speaking the real protocols of PROTOCOLS.md byte for byte: Shure
// command strings over TCP (ULX-D, QLX-D, Axient Digital, SLX-D, SLX-D+ and
// the PSM1000 P10T in-ear transmitter), UHF-R's `* ... *` strings over UDP,
// Sennheiser SSC v1 JSON over UDP (EW-DX EM 2 / EM 4, and the Digital 6000
// EM 6000 with its own paths and raw /mm meters), and the ew G4's text
// lines over UDP with Push. Each Shure
// family plays what the public references document (Shure's command-string
// documents, the original micboard, the Bitfocus Companion modules), not
// what Micboard's driver expects: ULX-D and QLX-D stay silent to GET MODEL,
// SLX-D+ answers GET 0 ALL with REP ERR and starts metering, the P10T
// reports with REPORT. See shure_models.go for the sources per family.
//
// A Receiver is one simulated device with test hooks (SetBatteryBars,
// SetTxOff, Drop, Stall, SendGarbage, Clip...) that push unprompted updates
// like hardware does. A Fleet starts many receivers and an Engine that plays
// a scenario (static, steady, show) deterministically from a seed. All time
// goes through a Clock, so tests advance a ManualClock instead of sleeping.
//
// Wire formats chosen where PROTOCOLS.md leaves room (Shure): counts and
// levels are three zero-padded digits (BATT_BARS 005, 255 unknown), minutes
// five digits (BATT_RUN_TIME 00245, 65535 unknown), FREQUENCY six digits on
// ULX-D/QLX-D and seven on AD/SLX-D, METER_RATE five digits. CHAN_NAME is
// brace-padded to 8 on ULX-D/QLX-D and 31 elsewhere.
package sim
