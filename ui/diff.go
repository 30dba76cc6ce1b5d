package ui

import "strings"

// DiffLine is a line of a diff: Op is ' ' (kept), '-' (removed) or '+'
// (added).
type DiffLine struct {
	Op   byte
	Text string
}

// Class is the line's CSS class.
func (d DiffLine) Class() string {
	switch d.Op {
	case '+':
		return "add"
	case '-':
		return "del"
	}
	return "same"
}

// Mark is the line's sign in the margin.
func (d DiffLine) Mark() string { return string(d.Op) }

// Diff is the line diff from a to b (a longest common subsequence: loop
// nests are short).
func Diff(a, b string) []DiffLine {
	x := strings.Split(strings.TrimRight(a, "\n"), "\n")
	y := strings.Split(strings.TrimRight(b, "\n"), "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out = append(out, DiffLine{' ', x[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, DiffLine{'-', x[i]})
			i++
		default:
			out = append(out, DiffLine{'+', y[j]})
			j++
		}
	}
	return out
}
