// Package service holds Micboard's business rules: the ones that span
// several repositories or need a transaction. Every method takes a context
// first and returns domain errors that handlers map to HTTP statuses in one
// place.
package service

import (
	"errors"
	"sort"
	"strings"
)

// Domain errors of the services (the store's ErrNotFound, ErrAlreadyExists
// and ErrConflict pass through as they are).
var (
	// ErrAlreadyAssigned: the channel already has an active assignment.
	ErrAlreadyAssigned = errors.New("channel already has an active assignment")
	// ErrLocationInUse: the location still holds devices or child locations.
	ErrLocationInUse = errors.New("location in use")
)

// ValidationError lists what is wrong with an input, field by field, in
// words a person can act on. It wraps store.ErrInvalid's meaning: nothing
// was changed.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// validator collects field problems; err returns nil when there are none.
type validator map[string]string

func (v validator) check(ok bool, field, msg string) {
	if !ok {
		if _, seen := v[field]; !seen {
			v[field] = msg
		}
	}
}

func (v validator) err() error {
	if len(v) == 0 {
		return nil
	}
	return &ValidationError{Fields: v}
}

// IsValidation reports whether err is a ValidationError.
func IsValidation(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}
