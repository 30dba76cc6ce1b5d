//go:build !js

package cpu

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tabtune/tabtune/targets"
)

func TestReadCaches(t *testing.T) {
	dir := t.TempDir()
	for i, c := range [][3]string{{"1", "Data", "48K"}, {"1", "Instruction", "32K"}, {"2", "Unified", "1024K"}, {"3", "Unified", "32M"}} {
		d := filepath.Join(dir, "index"+string(rune('0'+i)))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{"level", "type", "size"} {
			if err := os.WriteFile(filepath.Join(d, name), []byte(c[j]+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := readCaches(dir)
	if want := (targets.Caches{L1: 48 << 10, L2: 1 << 20, L3: 32 << 20}); err != nil || got != want {
		t.Errorf("readCaches: %+v, %v; want %+v", got, err, want)
	}
	if _, err := readCaches(t.TempDir()); err == nil {
		t.Error("an empty directory gave caches")
	}
	for _, s := range []string{"", "K", "-1K", "12X"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q) gave no error", s)
		}
	}
}

func TestWithNativeCaches(t *testing.T) {
	fixed := targets.MustParseTarget("cpu -mcpu=native -l2=512")
	if got := WithNativeCaches(fixed); got != fixed {
		t.Errorf("a target with its caches set became %s", got)
	}
	other := targets.MustParseTarget("cpu -mcpu=skylake-avx512")
	if got := WithNativeCaches(other); got != other {
		t.Errorf("a target for another processor became %s", got)
	}
	c, err := NativeCaches()
	if err != nil {
		t.Skipf("no caches here: %v", err)
	}
	got := WithNativeCaches(targets.MustParseTarget("cpu -mcpu=native -cores=2"))
	if got.Caches() != c || got.Validate() != nil {
		t.Errorf("native: %s, caches %+v, want %+v", got, got.Caches(), c)
	}
}
