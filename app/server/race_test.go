//go:build race

package server_test

// raceNote marks memory figures taken under the race detector, whose
// shadow memory is part of the resident size.
const raceNote = " (race detector on: RSS includes its shadow memory)"

// healthBudgetHere is healthBudget as this build can be held to: the race
// detector slows every goroutine (and the scheduler with them) several
// times over, so under it a probe is allowed three times as long.
const healthBudgetHere = 3 * healthBudget
