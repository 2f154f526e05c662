package components

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError reports one invalid input: which field, what was received and
// what is allowed. Its message reads `field: got "value", want ...`.
type FieldError struct {
	// Field is the Args field (or configuration key) in lowerCamelCase.
	Field string
	// Got is the value received.
	Got any
	// Want says what is allowed.
	Want string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: got %s, want %s", e.Field, formatGot(e.Got), e.Want)
}

func formatGot(v any) string {
	switch g := v.(type) {
	case string:
		return fmt.Sprintf("%q", g)
	case []string:
		return fmt.Sprintf("%q", g)
	case fmt.Stringer:
		return fmt.Sprintf("%q", g.String())
	default:
		return fmt.Sprintf("%v", g)
	}
}

// fieldErr is shorthand for a *FieldError.
func fieldErr(field string, got any, want string, args ...any) error {
	return &FieldError{Field: field, Got: got, Want: fmt.Sprintf(want, args...)}
}

// RenameFields returns err with every FieldError's field renamed by rename,
// keeping the errors joined; a FieldError renamed to "" is dropped (its
// caller reports that field itself). Other errors pass unchanged.
func RenameFields(err error, rename func(field string) string) error {
	var out []error
	for _, e := range Unjoin(err) {
		var fe *FieldError
		if !errors.As(e, &fe) {
			out = append(out, e)
			continue
		}
		if f := rename(fe.Field); f != "" {
			out = append(out, &FieldError{Field: f, Got: fe.Got, Want: fe.Want})
		}
	}
	return errors.Join(out...)
}

// Unjoin flattens errors.Join trees into their leaves, in order.
func Unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

// ErrorLines renders joined errors one per line, for CLIs.
func ErrorLines(err error) string {
	var b strings.Builder
	for _, e := range Unjoin(err) {
		b.WriteString("  - ")
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}
