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

// DotRows computes out[t] = Σ_i q[i]·k[t·stride+i] for every t < len(out):
// the scores of one query against a run of keys laid out stride floats
// apart. Each out[t] is computed by the same operations in the same order
// whatever len(out) is and wherever the row sits, so attention that scores
// keys one at a time and attention that scores them in runs agree
// exactly. (It may differ from Dot in the last bits.)
func DotRows(out, q, k []float32, stride int) {
	n, d := len(out), len(q)
	if n == 0 {
		return
	}
	if d == 0 {
		clear(out)
		return
	}
	if len(k) < (n-1)*stride+d {
		panic("kernels: DotRows: k is too short")
	}
	im := cur()
	if im.dotRows != nil && d%im.lanes == 0 {
		im.dotRows(&out[0], &q[0], &k[0], stride, n, d)
		return
	}
	for t := range out {
		out[t] = im.dot(&q[0], ptr(k, t*stride), d)
	}
}

// AxpyRows computes y[i] += Σ_t p[t]·v[t·stride+i] for i < len(y), adding
// the rows in t order: the weighted sum of a run of values in attention,
// bitwise the same as one Axpy per row.
func AxpyRows(p, v []float32, stride int, y []float32) {
	n, d := len(p), len(y)
	if n == 0 || d == 0 {
		return
	}
	if len(v) < (n-1)*stride+d {
		panic("kernels: AxpyRows: v is too short")
	}
	im := cur()
	if im.axpyRows != nil && d%im.lanes == 0 {
		im.axpyRows(&p[0], &v[0], stride, n, &y[0], d)
		return
	}
	for t, a := range p {
		im.axpy(a, ptr(v, t*stride), &y[0], d)
	}
}

// DotRowsF16 is DotRows over keys stored as IEEE half floats (a KV cache
// in FP16): bitwise DotRows over the keys widened to float32.
func DotRowsF16(out, q []float32, k []uint16, stride int) {
	n, d := len(out), len(q)
	if n == 0 {
		return
	}
	if d == 0 {
		clear(out)
		return
	}
	if len(k) < (n-1)*stride+d {
		panic("kernels: DotRowsF16: k is too short")
	}
	im := cur()
	if im.dotRowsF16 != nil && d%im.lanes == 0 {
		im.dotRowsF16(&out[0], &q[0], &k[0], stride, n, d)
		return
	}
	buf := getPanel(d)
	row := *buf
	for t := range out {
		deq16Generic(&k[t*stride], &row[0], d)
		DotRows(out[t:t+1], q, row, d)
	}
	panelScratch.Put(buf)
}

// AxpyRowsF16 is AxpyRows over values stored as IEEE half floats: bitwise
// AxpyRows over the values widened to float32.
func AxpyRowsF16(p []float32, v []uint16, stride int, y []float32) {
	n, d := len(p), len(y)
	if n == 0 || d == 0 {
		return
	}
	if len(v) < (n-1)*stride+d {
		panic("kernels: AxpyRowsF16: v is too short")
	}
	im := cur()
	if im.axpyRowsF16 != nil && d%im.lanes == 0 {
		im.axpyRowsF16(&p[0], &v[0], stride, n, &y[0], d)
		return
	}
	buf := getPanel(d)
	row := *buf
	for t := range p {
		deq16Generic(&v[t*stride], &row[0], d)
		AxpyRows(p[t:t+1], row, d, y)
	}
	panelScratch.Put(buf)
}

// ToF16 rounds src into dst as IEEE half floats, to the nearest, ties to
// even (VCVTPS2PH's rounding); dst must be at least as long as src.
func ToF16(dst []uint16, src []float32) {
	if len(dst) < len(src) {
		panic("kernels: ToF16: dst is too short")
	}
	i := 0
	if im := cur(); im.toF16 != nil {
		i = len(src) / im.lanes * im.lanes
		if i > 0 {
			im.toF16(&dst[0], &src[0], i)
		}
	}
	for ; i < len(src); i++ {
		dst[i] = f32ToF16(src[i])
	}
}

// Argmax returns the index of the largest value of x, the first one on a
// tie; NaNs are never the largest (all NaN: 0). It is the greedy choice of
// a token from its logits, a 50,257-wide scan every decoded token.
func Argmax(x []float32) int {
	if i, ok := argmaxSIMD(x); ok {
		return i
	}
	return argmaxGeneric(x)
}

func argmaxGeneric(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] || x[best] != x[best] {
			best = i
		}
	}
	if x := x[best:]; len(x) > 0 && x[0] != x[0] {
		return 0
	}
	return best
}
