//go:build !js

package cpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/targets"
)

// sysCache is where Linux describes the caches of the first processor.
const sysCache = "/sys/devices/system/cpu/cpu0/cache"

// NativeCaches reads the data cache sizes of the machine tabtune runs on
// (Linux's sysfs, as the caches of cpu0: L1 data, L2, L3).
func NativeCaches() (targets.Caches, error) { return readCaches(sysCache) }

// WithNativeCaches returns t with its -l1, -l2 and -l3 flags set to the
// sizes NativeCaches reads, when t is a cpu target for the machine tabtune
// runs on (-mcpu=native or none) that sets none of them, so that the cost
// model's features describe this machine's caches (targets.Target.Caches).
// Other targets, and any target when the caches cannot be read, come back
// as they are.
func WithNativeCaches(t targets.Target) targets.Target {
	if t.Kind != targets.CPU || (t.MCPU != "" && t.MCPU != "native") || t.L1 != 0 || t.L2 != 0 || t.L3 != 0 {
		return t
	}
	c, err := NativeCaches()
	if err != nil {
		return t
	}
	t.L1, t.L2, t.L3 = int(c.L1>>10), int(c.L2>>10), int(c.L3>>10)
	return t
}

// readCaches reads the index*/ directories of a sysfs cache directory:
// level, type (Data, Instruction, Unified) and size ("48K", "1M").
func readCaches(dir string) (targets.Caches, error) {
	var c targets.Caches
	entries, err := filepath.Glob(filepath.Join(dir, "index*"))
	if err != nil || len(entries) == 0 {
		return c, fmt.Errorf("cpu: no caches described in %s", dir)
	}
	for _, e := range entries {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(e, name))
			return strings.TrimSpace(string(b))
		}
		if read("type") == "Instruction" {
			continue
		}
		size, err := parseSize(read("size"))
		if err != nil {
			return c, fmt.Errorf("cpu: %s: %w", e, err)
		}
		switch read("level") {
		case "1":
			c.L1 = size
		case "2":
			c.L2 = size
		case "3":
			c.L3 = size
		}
	}
	if c.L1 == 0 || c.L2 == 0 {
		return c, fmt.Errorf("cpu: no L1 data or L2 cache in %s", dir)
	}
	if c.L3 == 0 {
		c.L3 = c.L2
	}
	return c, nil
}

// parseSize reads a sysfs cache size: a number of bytes with a K, M or G
// suffix or none.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(strings.TrimRight(s, "KMG"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("cache size %q: want a positive number of bytes, K, M or G", s)
	}
	return n * mult, nil
}
