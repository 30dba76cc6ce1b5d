package wasmbin

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDisassemble checks that Disassemble never panics and that every
// failure is a DecodeError inside the input.
func FuzzDisassemble(f *testing.F) {
	f.Add(allOpsModule(true))
	f.Add(fmaReluKernel())
	f.Add(envMemoryModule(3))
	f.Add(NewModule().Bytes())
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x04\x03abc"))
	f.Fuzz(func(t *testing.T, bin []byte) {
		text, err := Disassemble(bin)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a DecodeError", err)
			}
			if de.Offset < 0 || de.Offset > len(bin) {
				t.Fatalf("error offset %d outside the %d-byte input", de.Offset, len(bin))
			}
			return
		}
		if !strings.HasPrefix(text, "(module\n") || !strings.HasSuffix(text, ")\n") {
			t.Fatalf("odd text:\n%s", text)
		}
	})
}
