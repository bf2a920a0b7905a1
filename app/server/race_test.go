//go:build race

package server_test

// raceNote marks memory figures taken under the race detector, whose
// shadow memory is part of the resident size.
const raceNote = " (race detector on: RSS includes its shadow memory)"
