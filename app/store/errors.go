package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Domain errors: callers test with errors.Is and never see SQLSTATE codes.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict means the change would break a reference: a row still in
	// use, or a reference to a row that does not exist.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means a value broke a rule of the schema (a CHECK).
	ErrInvalid = errors.New("invalid value")
)

// ConstraintError keeps the name of the constraint a write broke, so a
// service can say which rule it was.
type ConstraintError struct {
	Kind       error
	Constraint string
	Detail     string
}

func (e *ConstraintError) Error() string {
	if e.Constraint == "" {
		return e.Kind.Error()
	}
	return fmt.Sprintf("%s (%s)", e.Kind, e.Constraint)
}

// Unwrap lets errors.Is match the domain error.
func (e *ConstraintError) Unwrap() error { return e.Kind }

// mapError turns driver errors into domain errors. It is the only place
// that knows PostgreSQL's error codes.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	var kind error
	switch pgErr.Code {
	case "23505": // unique_violation
		kind = ErrAlreadyExists
	case "23503", "23P01": // foreign_key_violation, exclusion_violation
		kind = ErrConflict
	case "23514", "23502", "22P02", "22003", "22001": // check, not null, bad text repr, out of range, too long
		kind = ErrInvalid
	default:
		return err
	}
	return &ConstraintError{Kind: kind, Constraint: pgErr.ConstraintName, Detail: pgErr.Detail}
}

// wrap maps err and adds what was being done.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, mapError(err))...)
}

// ConstraintName returns the constraint behind err, or "".
func ConstraintName(err error) string {
	var ce *ConstraintError
	if errors.As(err, &ce) {
		return ce.Constraint
	}
	return ""
}
