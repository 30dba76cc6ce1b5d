package targets

// GPULimits are the limits of a GPU that sampling keeps every candidate
// within, as Ansor's HardwareParams do for CUDA. Device limits live on
// the target, so the sampler and (later) the code generator read the same
// numbers.
type GPULimits struct {
	// MaxThreadsPerBlock bounds the threads of one block: the largest
	// extent of a loop bound to threadIdx.x in a kernel.
	MaxThreadsPerBlock int64
	// MaxSharedBytesPerBlock bounds the shared memory one block holds at
	// once: the sum of its shared tiles.
	MaxSharedBytesPerBlock int64
	// MaxVThread bounds the virtual threads of a block (the product of
	// its vthread loops).
	MaxVThread int64
	// WarpSize is the number of threads that run in lock step; a
	// multi-level tiled kernel with fewer threads per block than a warp
	// wastes most of each warp, and sampling rejects it when the work
	// is large enough to fill one.
	WarpSize int64
	// MaxGridX bounds the blocks of a kernel (blockIdx.x).
	MaxGridX int64
}

// GPU returns the limits kernels for t must respect: those of every CUDA
// device since compute capability 3.0 (1024 threads per block, 48 KiB of
// statically allocated shared memory per block, warps of 32, 2^31-1
// blocks in x), and Ansor's bound of 8 virtual threads. The zero value
// for targets that are not GPUs.
func (t Target) GPU() GPULimits {
	if !t.IsGPU() {
		return GPULimits{}
	}
	return GPULimits{
		MaxThreadsPerBlock:     1024,
		MaxSharedBytesPerBlock: 48 << 10,
		MaxVThread:             8,
		WarpSize:               32,
		MaxGridX:               1<<31 - 1,
	}
}
