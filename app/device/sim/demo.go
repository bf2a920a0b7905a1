package sim

// demoCodes make a mixed fleet with one receiver of each family Micboard
// finds by address alone: Shure ULX-D, Axient Digital, SLX-D, QLX-D,
// SLX-D+, UHF-R and a PSM1000 in-ear transmitter; Sennheiser EW-DX (SSC
// and, from firmware 4, SSCv2 with its password), Digital 6000 and ew G4
// (told apart from SSC by probing, since a demo on loopback cannot promise
// its port 53212). New codes go at the end: receiver i of a demo listens on
// base+i, and a restarted demo finds its receivers by their ports.
var demoCodes = []string{"ulxd4q", "ad4d", "slxd4d", "ewdx4", "qlxd4", "slxd4qplus", "ur4d", "p10t", "em6000", "ewdx2v2", "ewg4"}

// DemoModels lists the model codes of `micboard serve --demo`: one receiver
// of every family the simulator plays.
func DemoModels() []string { return append([]string(nil), demoCodes...) }
