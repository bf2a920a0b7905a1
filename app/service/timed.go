package service

import (
	"context"
	"time"
)

//go:generate go run ./internal/timedgen/cmd

// Observer is told of every call of a timed service (TimeDevices,
// TimeUsers, ...): which method, when it began, and the error it returned
// (nil on success), through a pointer read once the call has returned.
// app/metrics implements it.
type Observer interface {
	ObserveCall(ctx context.Context, method string, start time.Time, err *error)
}
