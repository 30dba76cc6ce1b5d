package wasmbin

import "testing"

func BenchmarkDisassembleAllOps(b *testing.B) {
	bin := allOpsModule(true)
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if _, err := Disassemble(bin); err != nil {
			b.Fatal(err)
		}
	}
}
