package model

// Severity ranks a status for the "worst first" order of the board: a
// receiver that does not answer, then critical batteries, then batteries
// to replace, then clips, then the rest. Lower is worse.
func (s Status) Severity() int {
	switch s {
	case StatusRxOffline:
		return 0
	case StatusCritical, StatusPrevCritical:
		return 1
	case StatusReplace, StatusPrevReplace:
		return 2
	case StatusAudioPeak:
		return 3
	case StatusGood, StatusPrevGood:
		return 4
	case StatusTxOff:
		return 5
	}
	return 6
}
