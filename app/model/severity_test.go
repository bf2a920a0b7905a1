package model

import (
	"slices"
	"testing"
)

func TestSeverityOrdersWorstFirst(t *testing.T) {
	got := []Status{StatusGood, StatusUnassigned, StatusReplace, StatusTxOff, StatusRxOffline, StatusPrevCritical, StatusAudioPeak, StatusCritical, StatusPrevReplace}
	slices.SortStableFunc(got, func(a, b Status) int { return a.Severity() - b.Severity() })
	want := []Status{StatusRxOffline, StatusPrevCritical, StatusCritical, StatusReplace, StatusPrevReplace, StatusAudioPeak, StatusGood, StatusTxOff, StatusUnassigned}
	if !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}
