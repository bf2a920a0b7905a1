package model

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckLabel accepts a name a person gave something (a kiosk, a group, a
// discovery task, a location): not blank, at most max characters, valid
// UTF-8 and free of control characters. A tab or a newline in a name breaks
// every table that lists it, on the command line and on the page alike.
func CheckLabel(name string, max int) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case !utf8.ValidString(name):
		return fmt.Errorf("is not valid UTF-8 text")
	case utf8.RuneCountInString(name) > max:
		return fmt.Errorf("at most %d characters", max)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control characters such as tabs or line breaks (found %q)", r)
		}
	}
	return nil
}
