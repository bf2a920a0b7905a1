//go:build !race

package server_test

// raceNote marks memory figures taken under the race detector.
const raceNote = ""

// healthBudgetHere is healthBudget as this build can be held to.
const healthBudgetHere = healthBudget
