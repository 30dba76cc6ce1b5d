//go:build !js

package evolve

// DefaultPopulation is the population of DefaultParams natively: Ansor's.
const DefaultPopulation = 2048
