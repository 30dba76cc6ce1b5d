package ir

import "fmt"

// CheckOrder reports the first ordering constraint that a list of pass
// names breaks: a name listed twice, a constraint {a, b} (a runs before
// b) whose passes are not both listed, or one in the wrong order. The
// lowering passes and the code generators' passes state their constraints
// this way, as the Go compiler's pass table does.
func CheckOrder(names []string, order [][2]string) error {
	at := map[string]int{}
	for i, n := range names {
		if _, dup := at[n]; dup {
			return fmt.Errorf("pass %s is listed twice", n)
		}
		at[n] = i
	}
	for _, c := range order {
		a, okA := at[c[0]]
		b, okB := at[c[1]]
		switch {
		case !okA || !okB:
			return fmt.Errorf("pass order %s before %s: a pass is missing", c[0], c[1])
		case a > b:
			return fmt.Errorf("pass %s must run before %s", c[0], c[1])
		}
	}
	return nil
}
