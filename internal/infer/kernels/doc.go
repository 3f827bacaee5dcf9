// Package kernels holds the embedded engine's numeric kernels: the packed
// matrix multiply behind every Linear layer, the vector operations of
// attention and residuals, LayerNorm, GELU and Softmax, and the memory
// read-bandwidth probe that gives decode its ceiling.
//
// Weights are packed once into panels of 32 output features interleaved
// across K: panel p holds W[32p:32p+32][k] for k = 0..K-1 as K rows of 32
// contiguous floats, the last panel zero-padded. Decode (m = 1) gives each
// thread one run of panels and streams them one after another (INT8 and
// INT4 read their scales beside), each panel's sums kept in vector
// registers, with no horizontal reductions; prefill (m > 1) packs x into
// blocks of MR rows, [K][MR], and runs a register-blocked MR×32
// micro-kernel down each panel, the panel staying in L2 across the row
// blocks.
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
// A Packed may also store its panels as FP16, INT8 (symmetric, an IEEE
// half scale per block of 32 rows along K per output feature) or INT4 (a
// half scale and a half minimum per such block); see Format, PackAs and
// PackKNAs. FP16 is
// widened to float32 in registers (decode: a panel at a time through
// F16C's VCVTPH2PS, then the same FMA chain as FP32) or a panel at a time
// into a worker's scratch for the float32 tiles (prefill), to the same
// bits either way. INT8 and INT4 are multiplied as integers: each row of
// activations is quantized to int8 per block of 32, the block's dot
// products are exact int32 sums (AVX-512 VNNI's VPDPBUSD, AVX2's
// VPMADDUBSW, or Go) and each block's sum is scaled into a float32
// accumulator in a fixed order, so all three paths agree bitwise and
// every batch size gives each row the same bits.
//
// Work is split over a pool of worker goroutines shared by every caller
// (SetThreads); each loop is cut into a few chunks per thread that the
// caller and the workers take in turn (decode's products into one per
// thread, each thread's run of panels one stream from memory), and idle
// workers poll for the next loop for 200 µs before they park, since decode
// issues a MatMul every few tens of microseconds and a parked thread wakes
// late (BenchmarkDecodeStep runs both ways).
//
// Packed weights from 256 KiB up live in 2 MiB-aligned anonymous mappings
// advised for transparent huge pages, small matrices sharing 64 MiB chunks.
// On the virtual machines measured, streaming weights through 4 KiB pages
// ran at half the speed; Packed.Free returns the memory without waiting for
// the collector, which does not see it.
package kernels
