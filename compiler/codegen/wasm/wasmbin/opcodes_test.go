package wasmbin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestOpcodeTable checks opcodes.go against itself: every Op constant has
// a row in opTable, the row's text name spells the Go name (f32x4.add is
// F32x4Add or opF32x4Add, case and punctuation aside), the constant's
// comment starts with that name, and no row lacks a constant.
func TestOpcodeTable(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "opcodes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	prefixes := map[string]uint64{"prefixFC": prefixFC, "prefixFD": prefixFD}
	var eval func(e ast.Expr) uint64
	eval = func(e ast.Expr) uint64 {
		switch e := e.(type) {
		case *ast.BasicLit:
			v, err := strconv.ParseUint(e.Value, 0, 32)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(e.Pos()), err)
			}
			return v
		case *ast.Ident:
			v, ok := prefixes[e.Name]
			if !ok {
				t.Fatalf("%s: unexpected identifier %s", fset.Position(e.Pos()), e.Name)
			}
			return v
		case *ast.BinaryExpr:
			if e.Op == token.OR {
				return eval(e.X) | eval(e.Y)
			}
		}
		t.Fatalf("%s: cannot evaluate opcode expression", fset.Position(e.Pos()))
		return 0
	}
	squash := func(s string) string {
		s = strings.TrimPrefix(s, "op")
		return strings.ToLower(strings.NewReplacer(".", "", "_", "").Replace(s))
	}
	declared := map[Op]bool{}
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Op" {
				continue
			}
			name := vs.Names[0].Name
			op := Op(eval(vs.Values[0]))
			pos := fset.Position(vs.Pos())
			declared[op] = true
			info := opIndex[op]
			if info == nil {
				t.Errorf("%s: %s (%#x) has no row in opTable", pos, name, uint32(op))
				continue
			}
			if squash(info.name) != squash(name) && !(name == "opSelectT" && info.name == "select") {
				t.Errorf("%s: constant %s = %#x is %s in opTable", pos, name, uint32(op), info.name)
			}
			if ast.IsExported(name) {
				if vs.Comment == nil || strings.TrimRight(strings.Fields(vs.Comment.Text())[0], ":,") != info.name {
					t.Errorf("%s: the comment of %s should start with %s", pos, name, info.name)
				}
				if info.imm != immNone {
					t.Errorf("%s: exported %s takes immediates; Emit cannot write it", pos, name)
				}
			}
		}
	}
	for _, info := range opTable {
		if !declared[info.op] {
			t.Errorf("opTable row %s has no constant in opcodes.go", info.name)
		}
		if info.imm == immNone && info.sig != "" {
			in, out, ok := strings.Cut(info.sig, ":")
			if !ok || strings.Trim(in+out, "ilfdv") != "" {
				t.Errorf("%s: bad signature %q", info.name, info.sig)
			}
		}
		if (info.imm == immMem || info.imm == immMemLane) && !strings.HasPrefix(info.sig, "i") {
			t.Errorf("%s: memory access rows need a signature starting with the address", info.name)
		}
	}
}

func TestOpString(t *testing.T) {
	for op, want := range map[Op]string{F32x4RelaxedMadd: "f32x4.relaxed_madd", End: "end", opV128Load: "v128.load", Op(0xd7): "Op(0xd7)", prefixFD | 0x7f: "Op(0xfd007f)"} {
		if got := op.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint32(op), got, want)
		}
	}
}

// TestEncodings pins the bytes of a few instructions with immediates.
func TestEncodings(t *testing.T) {
	cases := []struct {
		name string
		emit func(f *Func)
		want []byte
	}{
		{"block f32", func(f *Func) { f.Block(BlockResult(F32)) }, []byte{0x02, 0x7d}},
		{"loop void", func(f *Func) { f.Loop(Void) }, []byte{0x03, 0x40}},
		{"i32.const -65", func(f *Func) { f.I32Const(-65) }, []byte{0x41, 0xbf, 0x7f}},
		{"i32.const 64", func(f *Func) { f.I32Const(64) }, []byte{0x41, 0xc0, 0x00}},
		{"f32.const 1", func(f *Func) { f.F32Const(1) }, []byte{0x43, 0x00, 0x00, 0x80, 0x3f}},
		{"v128.load", func(f *Func) { f.V128Load(4, 128) }, []byte{0xfd, 0x00, 0x04, 0x80, 0x01}},
		{"f32.load", func(f *Func) { f.F32Load(8) }, []byte{0x2a, 0x02, 0x08}},
		{"f32x4.add", func(f *Func) { f.Emit(F32x4Add) }, []byte{0xfd, 0xe4, 0x01}},
		{"relaxed_madd", func(f *Func) { f.Emit(F32x4RelaxedMadd) }, []byte{0xfd, 0x85, 0x02}},
		{"trunc_sat", func(f *Func) { f.Emit(I32TruncSatF32S) }, []byte{0xfc, 0x00}},
		{"lane", func(f *Func) { f.F32x4ExtractLane(3) }, []byte{0xfd, 0x1f, 0x03}},
		{"load32_lane", func(f *Func) { f.V128Load32Lane(4, 2) }, []byte{0xfd, 0x56, 0x02, 0x04, 0x02}},
		{"select v128", func(f *Func) { f.SelectT(V128) }, []byte{0x1c, 0x01, 0x7b}},
		{"br_table", func(f *Func) { f.BrTable([]uint32{1, 200}, 0) }, []byte{0x0e, 0x02, 0x01, 0xc8, 0x01, 0x00}},
		{"memory.copy", func(f *Func) { f.MemoryCopy() }, []byte{0xfc, 0x0a, 0x00, 0x00}},
		{"v128.const i32", func(f *Func) { f.V128ConstI32([4]int32{1, -1, 0, 0}) },
			[]byte{0xfd, 0x0c, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		var f Func
		c.emit(&f)
		if string(f.code) != string(c.want) {
			t.Errorf("%s: % x, want % x", c.name, f.code, c.want)
		}
	}
	// Arguments that cannot be encoded validly panic.
	for name, bad := range map[string]func(f *Func){
		"lane 4":          func(f *Func) { f.F32x4ExtractLane(4) },
		"shuffle 32":      func(f *Func) { f.I8x16Shuffle([16]byte{15: 32}) },
		"align 5":         func(f *Func) { f.V128Load(5, 0) },
		"64-bit lane 2":   func(f *Func) { f.V128Store64Lane(0, 2) },
		"Emit(local.get)": func(f *Func) { f.Emit(opLocalGet) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			bad(new(Func))
		}()
	}
}

// TestModuleLayout pins the bytes of a small module: section ids and
// order, the memory import, a global's init expression, exports, and
// locals grouped by runs.
func TestModuleLayout(t *testing.T) {
	m := NewModule()
	m.ImportMemory("env", "memory", 2)
	m.ExportGlobal("g", m.AddGlobal(true, -1))
	f := m.AddFunc([]ValType{I32}, nil)
	f.AddLocal(I32)
	f.AddLocal(V128)
	f.AddLocal(V128)
	m.ExportFunc("k", f)
	want := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		1, 5, 1, 0x60, 1, 0x7f, 0, // type: (func (param i32))
		2, 15, 1, 3, 'e', 'n', 'v', 6, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, 2, // import memory, min 2
		3, 2, 1, 0, // function: type 0
		6, 6, 1, 0x7f, 1, 0x41, 0x7f, 0x0b, // global (mut i32) (i32.const -1)
		7, 9, 2, 1, 'g', 3, 0, 1, 'k', 0, 0, // exports: global 0, func 0
		10, 8, 1, 6, 2, 1, 0x7f, 2, 0x7b, 0x0b, // code: locals 1 i32, 2 v128; end
	}
	if got := m.Bytes(); string(got) != string(want) {
		t.Errorf("module bytes\n% x\nwant\n% x", got, want)
	}
}
