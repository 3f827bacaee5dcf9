// Package kernels holds the embedded engine's numeric kernels: the packed
// matrix multiply behind every Linear layer, the vector operations of
// attention and residuals, LayerNorm, GELU and Softmax, and the memory
// read-bandwidth probe that gives decode its ceiling.
//
// Weights are packed once into panels of 32 output features interleaved
// across K: panel p holds W[32p:32p+32][k] for k = 0..K-1 as K rows of 32
// contiguous floats, the last panel zero-padded. Decode (m = 1) streams
// four panels at once and keeps their sums in vector registers, with no
// horizontal reductions; prefill (m > 1) packs x into blocks of MR rows,
// [K][MR], and runs a register-blocked MR×32 micro-kernel down each panel,
// the panel staying in L2 across the row blocks.
//
// Both sum every output in the same order: one chain of fused
// multiply-adds per output, starting from the bias, in k order. A row of
// MatMul is therefore bitwise the same whatever m is, whatever rows sit
// beside it and however many threads run, which is what makes the model's
// batched and unbatched generation draw identical tokens. DotRows and
// AxpyRows, attention's scores and weighted sums, keep the same promise
// per row.
//
// Three implementations share that layout and are chosen at start-up from
// the CPU's features: AVX-512 (MR = 12, 24 zmm accumulators), AVX2 with FMA
// (MR = 6, a tile as two 6×16 halves) and pure Go (MR = 4), which is also the
// reference the others are tested against. Impl reports which one runs.
// The SIMD paths also vectorise GELU and Softmax's exponentials (a minimax
// e^r scaled by 2^n, within 2.5e-7 relative of math.Exp). The pure-Go path
// rounds each product before adding it, so it agrees with the SIMD paths
// within rounding, not bitwise; each path is batch-invariant on its own.
//
// A Packed may also store its panels as FP16, INT8 (symmetric, a float32
// scale per block of 32 rows along K per output feature) or INT4 (a scale
// and a minimum per such block); see Format, PackAs and PackKNAs. Weights
// are widened to float32 in registers and activations stay float32: decode
// runs fused kernels (four panels at once, F16C's VCVTPH2PS or integer
// widening, then the same FMA chain as FP32), prefill widens one panel at a
// time into a worker's scratch and runs the float32 tiles over it. Both
// widen each weight to the same float32 bits, so every format keeps the
// batch invariance above. Without a fused kernel (AVX2, pure Go), decode
// widens panel by panel as prefill does.
//
// Work is split over a pool of worker goroutines shared by every caller
// (SetThreads); each loop is cut into a few chunks per thread that the
// caller and the workers take in turn, and idle workers poll briefly before
// they park, since decode issues a MatMul every few tens of microseconds.
//
// Packed weights from 256 KiB up live in 2 MiB-aligned anonymous mappings
// advised for transparent huge pages, small matrices sharing 64 MiB chunks.
// On the virtual machines measured, streaming weights through 4 KiB pages
// ran at half the speed; Packed.Free returns the memory without waiting for
// the collector, which does not see it.
package kernels
