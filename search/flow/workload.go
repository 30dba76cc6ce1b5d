package flow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/te"
)

// IsText reports whether src is a program in the text format rather than
// an operator spec: text has an assignment or spans several lines, a spec
// (gmm, gmm:M=64,N=64,K=64) is one word.
func IsText(src string) bool {
	s := strings.TrimSpace(src)
	return strings.ContainsAny(s, "\n[(") || strings.Contains(s, " = ") || (strings.Contains(s, "=") && !strings.Contains(s, ":"))
}

// Workload resolves what a user typed: an operator spec of the zoo, or a
// program in the text format (see IsText). A parse error is a *te.ParseError
// with its line and column; a spec error names the spec.
func Workload(src string) (*te.DAG, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("no workload: give an operator spec such as gmm:M=64,N=64,K=64, or a program in the text format")
	}
	if IsText(src) {
		return te.Parse(src)
	}
	d, err := ops.BuildSpec(strings.TrimSpace(src))
	if err != nil {
		return nil, fmt.Errorf("workload %q: %w", strings.TrimSpace(src), err)
	}
	return d, nil
}

// ParseFile parses a program in the text format read from a file (or an
// editor's buffer) called name; a parse error reads name:line:col: message.
func ParseFile(name, src string) (*te.DAG, error) {
	d, err := te.Parse(src)
	if err != nil {
		var pe *te.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: %s", name, pe.Line, pe.Column, pe.Msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
