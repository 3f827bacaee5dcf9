package kernels

// Dot returns Σ a[i]·b[i] over len(a) elements; b must be at least as long.
func Dot(a, b []float32) float32 {
	if len(b) < len(a) {
		panic("kernels: Dot: b is shorter than a")
	}
	if len(a) == 0 {
		return 0
	}
	return cur().dot(&a[0], &b[0], len(a))
}

// Axpy computes y[i] += a·x[i] over len(x) elements; y must be at least as
// long.
func Axpy(a float32, x, y []float32) {
	if len(y) < len(x) {
		panic("kernels: Axpy: y is shorter than x")
	}
	if len(x) == 0 {
		return
	}
	cur().axpy(a, &x[0], &y[0], len(x))
}

// Scale computes x[i] *= a.
func Scale(a float32, x []float32) {
	for i := range x {
		x[i] *= a
	}
}

// Add computes dst[i] += x[i] over len(x) elements, the residual
// connection.
func Add(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] += v
	}
}
