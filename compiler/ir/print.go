package ir

import (
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
)

// String prints a function as readable C-like text:
//
//	kernel(A: f32[64, 32], B: f32[32, 64], C: f32[64, 64]) {
//	  parallel for (i.0 = 0; i.0 < 4; i.0++) {
//	    C[i.0*16 + i.1, j] = 0.0;
//	    ...
func (f *Func) String() string {
	var b strings.Builder
	b.WriteString(f.Name)
	b.WriteByte('(')
	for i, p := range f.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == len(f.Params)-f.Outputs {
			b.WriteString("out ")
		}
		b.WriteString(p.Name)
		b.WriteString(": ")
		writeType(&b, p)
	}
	b.WriteString(") {\n")
	printStmt(&b, f.Body, 1)
	b.WriteString("}\n")
	return b.String()
}

// StmtString prints a statement alone.
func StmtString(s Stmt) string {
	var b strings.Builder
	printStmt(&b, s, 0)
	return b.String()
}

func writeType(b *strings.Builder, buf *Buffer) {
	b.WriteString(buf.DType.String())
	b.WriteByte('[')
	for i, d := range buf.Shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(d, 10))
	}
	b.WriteByte(']')
	if buf.Strides != nil {
		b.WriteString(" strides[")
		for i, d := range buf.Strides {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatInt(d, 10))
		}
		b.WriteByte(']')
	}
}

func indent(b *strings.Builder, n int) {
	for range n {
		b.WriteString("  ")
	}
}

func printStmt(b *strings.Builder, s Stmt, depth int) {
	switch n := s.(type) {
	case *Seq:
		for _, c := range n.Stmts {
			printStmt(b, c, depth)
		}
	case *For:
		indent(b, depth)
		switch n.Kind {
		case Serial:
		case ThreadBound:
			b.WriteString("bind(" + n.Thread.String() + ") ")
		default:
			b.WriteString(n.Kind.String())
			b.WriteByte(' ')
		}
		for _, p := range n.Pragmas {
			b.WriteString("pragma(" + string(p.Key) + "=" + strconv.FormatInt(p.Value, 10) + ") ")
		}
		v := n.Var.Name
		b.WriteString("for (" + v + " = 0; " + v + " < " + strconv.FormatInt(n.Extent, 10) + "; " + v + "++) {\n")
		printStmt(b, n.Body, depth+1)
		indent(b, depth)
		b.WriteString("}\n")
	case *Store:
		indent(b, depth)
		b.WriteString(n.Buf.Name)
		writeIndex(b, n.Index)
		b.WriteString(" = ")
		expr.Fprint(b, n.Value)
		b.WriteString(";\n")
	case *Alloc:
		indent(b, depth)
		b.WriteString(n.Buf.Scope.String() + " " + n.Buf.Name + ": ")
		writeType(b, n.Buf)
		b.WriteString(";\n")
		printStmt(b, n.Body, depth)
	case *If:
		indent(b, depth)
		b.WriteString("if (")
		expr.Fprint(b, n.Cond)
		b.WriteString(") {\n")
		printStmt(b, n.Then, depth+1)
		indent(b, depth)
		if n.Else != nil {
			b.WriteString("} else {\n")
			printStmt(b, n.Else, depth+1)
			indent(b, depth)
		}
		b.WriteString("}\n")
	case *Let:
		indent(b, depth)
		b.WriteString("let " + n.Var.Name + " = ")
		expr.Fprint(b, n.Value)
		b.WriteString(";\n")
		printStmt(b, n.Body, depth)
	}
}

func writeIndex(b *strings.Builder, idx []expr.Expr) {
	b.WriteByte('[')
	for i, e := range idx {
		if i > 0 {
			b.WriteString(", ")
		}
		expr.Fprint(b, e)
	}
	b.WriteByte(']')
}
