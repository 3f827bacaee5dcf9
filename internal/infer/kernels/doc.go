// Package kernels holds the embedded engine's numeric kernels: the packed
// matrix multiply behind every Linear layer, the vector operations of
// attention and residuals, LayerNorm, GELU and Softmax, and the memory
// read-bandwidth probe that gives decode its ceiling.
//
// Weights are packed once into panels of 32 output features interleaved
// across K: panel p holds W[32p:32p+32][k] for k = 0..K-1 as K rows of 32
// contiguous floats. Decode (m = 1) then streams each panel linearly and
// keeps the 32 sums in two vector registers, with no horizontal reductions;
// prefill (m > 1) packs x into row blocks of MR rows, [K][MR], and runs a
// register-blocked MR×32 micro-kernel over each panel.
//
// Three implementations share that layout and are chosen at start-up from
// the CPU's features: AVX-512 (MR = 12), AVX2 with FMA (MR = 6) and pure Go
// (MR = 4). Impl reports which one runs. Work is split over a shared pool
// of worker goroutines, one per thread (SetThreads).
package kernels
