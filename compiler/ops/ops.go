// Package ops is the operator zoo: the tensor programs tabtune tunes by
// name, from the command line (`tabtune tune c2d:CI=128,stride=2`) or from
// tests.
//
// Each operator is a Go function that writes its program in the text format
// of package te (see te.Parse) for integer parameters, and te.Parse turns
// the text into a DAG. The definitions are meant to be read: they follow
// TVM's topi and the Ansor paper's benchmark set (OSDI'20, Sec. 7.1) and
// double as examples of the text format. `tabtune ops` prints the list
// (Usage); Op.Source prints the program of one shape.
//
// A spec names an operator and some of its parameters, as
// "gmm:M=512,N=256,K=64" or just "gmm"; parameters left out take their
// defaults, the shapes Ansor benchmarks (ResNet-50 layers and the like).
package ops

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/te"
)

// Param is an integer parameter of an operator.
type Param struct {
	Name    string
	Default int64
	Doc     string

	// min is the smallest value allowed: 1 for sizes, 0 for padding.
	min int64
}

// Op is an operator of the zoo.
type Op struct {
	// Name is how the command line names it: lowercase, no spaces.
	Name string
	// Doc is a one-line description.
	Doc string
	// Params are its parameters, in the order Usage and Spec print them.
	Params []Param
	// Small is a tiny shape, a value for every parameter, that a naive
	// interpreter evaluates in a few milliseconds at most (under 200k
	// FLOPs, no tensor over 2048 elements).
	// Its sizes are not powers of two, and strides and padding are not
	// trivial where the operator has them.
	Small map[string]int64

	build func(p map[string]int64) (string, error)
}

// size is a parameter that must be at least 1.
func size(name string, def int64, doc string) Param {
	return Param{Name: name, Default: def, Doc: doc, min: 1}
}

// padding is a parameter that may be 0.
func padding(name string, def int64, doc string) Param {
	return Param{Name: name, Default: def, Doc: doc, min: 0}
}

// maxParam bounds every parameter, so that no index arithmetic of a
// generated program can overflow.
const maxParam = 1 << 24

// maxElems bounds the number of elements of every tensor of a built
// program.
const maxElems = 1 << 40

// All returns the operators, in a fixed order: Ansor's single-operator
// benchmark set first, then the others.
func All() []*Op {
	return append([]*Op(nil), registry...)
}

// Names returns the operators' names, in the order of All.
func Names() []string {
	names := make([]string, len(registry))
	for i, o := range registry {
		names[i] = o.Name
	}
	return names
}

// Lookup finds an operator by name, ignoring case.
func Lookup(name string) (*Op, bool) {
	for _, o := range registry {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return nil, false
}

// paramNames lists the parameters as "M, N, K".
func (o *Op) paramNames() string {
	names := make([]string, len(o.Params))
	for i, p := range o.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// param finds a parameter by name: the exact name, else the one name that
// matches ignoring case.
func (o *Op) param(name string) (Param, bool) {
	for _, p := range o.Params {
		if p.Name == name {
			return p, true
		}
	}
	for _, p := range o.Params {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Param{}, false
}

// Resolve checks args and returns a value for every parameter, under its
// canonical name: the value in args, or the default. Names match ignoring
// case. It reports unknown names, a parameter given twice (as M and m),
// values out of range and, in Source, combinations that make no program.
func (o *Op) Resolve(args map[string]int64) (map[string]int64, error) {
	out := make(map[string]int64, len(o.Params))
	// Sorted, so that the first error reported does not depend on map order.
	given := make([]string, 0, len(args))
	for name := range args {
		given = append(given, name)
	}
	sort.Strings(given)
	from := map[string]string{}
	for _, name := range given {
		p, ok := o.param(name)
		if !ok {
			return nil, fmt.Errorf("%s has no parameter %s; it takes %s", o.Name, name, o.paramNames())
		}
		if prev, dup := from[p.Name]; dup {
			return nil, fmt.Errorf("%s: parameter %s is given twice (as %s and %s)", o.Name, p.Name, prev, name)
		}
		from[p.Name] = name
		out[p.Name] = args[name]
	}
	for _, p := range o.Params {
		v, ok := out[p.Name]
		if !ok {
			v = p.Default
			out[p.Name] = v
		}
		switch {
		case v < p.min && p.min == 1:
			return nil, fmt.Errorf("%s: %s=%d: it must be positive", o.Name, p.Name, v)
		case v < p.min:
			return nil, fmt.Errorf("%s: %s=%d: it must not be negative", o.Name, p.Name, v)
		case v > maxParam:
			return nil, fmt.Errorf("%s: %s=%d: it is too large (at most %d)", o.Name, p.Name, v, int64(maxParam))
		}
	}
	return out, nil
}

// Source returns the program of the operator for args, in the text format.
// Parameters missing from args take their defaults.
func (o *Op) Source(args map[string]int64) (string, error) {
	p, err := o.Resolve(args)
	if err != nil {
		return "", err
	}
	body, err := o.build(p)
	if err != nil {
		return "", fmt.Errorf("%s: %w", o.Name, err)
	}
	return "# " + o.Spec(p) + "\n# " + o.Doc + "\n" + body, nil
}

// Build returns the DAG of the operator for args. Parameters missing from
// args take their defaults.
func (o *Op) Build(args map[string]int64) (*te.DAG, error) {
	src, err := o.Source(args)
	if err != nil {
		return nil, err
	}
	d, err := te.Parse(src)
	if err != nil {
		// The text is generated here: failing to parse it is a bug of this
		// package, not of the arguments.
		return nil, fmt.Errorf("%s: the generated program does not parse: %w\n%s", o.Name, err, src)
	}
	for _, t := range d.Tensors {
		n := 1.0
		for _, s := range t.Shape {
			n *= float64(s)
		}
		if n > maxElems {
			return nil, fmt.Errorf("%s: tensor %s would have %.3g elements, too many", o.Name, t.Name, n)
		}
	}
	return d, nil
}

// Spec prints the operator and a value for every parameter as a spec,
// "gmm:M=1024,N=1024,K=1024", in the order of Params. Parameters missing
// from args print their defaults.
func (o *Op) Spec(args map[string]int64) string {
	var b strings.Builder
	b.WriteString(o.Name)
	for i, p := range o.Params {
		v, ok := args[p.Name]
		if !ok {
			v = p.Default
		}
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%d", p.Name, v)
	}
	return b.String()
}

// Defaults returns the default value of every parameter.
func (o *Op) Defaults() map[string]int64 {
	m := make(map[string]int64, len(o.Params))
	for _, p := range o.Params {
		m[p.Name] = p.Default
	}
	return m
}

// ParseSpec reads a spec: an operator name, optionally followed by a colon
// and comma-separated NAME=VALUE pairs of integer parameters, as
// "c2d:CI=128,stride=2". Names match ignoring case. The returned arguments
// are the ones the spec gives, under their canonical names; the others take
// their defaults in Source and Build. The arguments are checked as Source
// checks them.
func ParseSpec(spec string) (*Op, map[string]int64, error) {
	name, list, hasArgs := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil, fmt.Errorf("empty operator spec %q: want NAME or NAME:PARAM=VALUE,...; operators: %s", spec, strings.Join(Names(), ", "))
	}
	o, ok := Lookup(name)
	if !ok {
		return nil, nil, fmt.Errorf("unknown operator %q; known operators: %s", name, strings.Join(Names(), ", "))
	}
	args := map[string]int64{}
	if hasArgs {
		for item := range strings.SplitSeq(list, ",") {
			item = strings.TrimSpace(item)
			key, val, ok := strings.Cut(item, "=")
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if !ok || key == "" || val == "" {
				return nil, nil, fmt.Errorf("%s: bad argument %q in spec %q: want PARAM=VALUE, as %s", o.Name, item, spec, o.example())
			}
			p, known := o.param(key)
			if !known {
				return nil, nil, fmt.Errorf("%s has no parameter %s; it takes %s", o.Name, key, o.paramNames())
			}
			v, err := strconv.ParseInt(val, 10, 64)
			if errors.Is(err, strconv.ErrRange) && strings.HasPrefix(val, "-") {
				return nil, nil, fmt.Errorf("%s: %s=%s: it must be positive", o.Name, key, val)
			}
			if errors.Is(err, strconv.ErrRange) {
				return nil, nil, fmt.Errorf("%s: %s=%s: the value is too large (at most %d)", o.Name, key, val, int64(math.MaxInt64))
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s=%s: the value is not an integer", o.Name, key, val)
			}
			if _, dup := args[p.Name]; dup {
				return nil, nil, fmt.Errorf("%s: parameter %s is given twice", o.Name, p.Name)
			}
			args[p.Name] = v
		}
	}
	if _, err := o.Source(args); err != nil {
		return nil, nil, err
	}
	return o, args, nil
}

// example is a valid argument for error messages: the first parameter at
// its default.
func (o *Op) example() string {
	if len(o.Params) == 0 {
		return o.Name
	}
	p := o.Params[0]
	return fmt.Sprintf("%s=%d", p.Name, p.Default)
}

// BuildSpec parses a spec and builds its DAG.
func BuildSpec(spec string) (*te.DAG, error) {
	o, args, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return o.Build(args)
}

// Usage is the table of operators for `tabtune ops`: each name, its
// parameters with their defaults, and what it computes.
func Usage() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "OPERATOR\tPARAMETERS (defaults)\tDESCRIPTION")
	for _, o := range registry {
		parts := make([]string, len(o.Params))
		for i, p := range o.Params {
			parts[i] = fmt.Sprintf("%s=%d", p.Name, p.Default)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", o.Name, strings.Join(parts, " "), o.Doc)
	}
	w.Flush()
	b.WriteString("\nA spec picks an operator and overrides parameters: gmm:M=512,N=256,K=64.\n")
	return b.String()
}

// Help describes one operator: what it computes, each parameter, and the
// program at its defaults.
func (o *Op) Help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\nparameters:\n", o.Name, o.Doc)
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, p := range o.Params {
		fmt.Fprintf(w, "  %s\t%d\t%s\n", p.Name, p.Default, p.Doc)
	}
	w.Flush()
	if src, err := o.Source(nil); err == nil {
		b.WriteString("\nprogram at the defaults:\n\n")
		b.WriteString(src)
	}
	return b.String()
}

// flt prints an integer as a float literal of the text format: 9.0.
func flt(v int64) string { return expr.FormatFloat(float32(v)) }
