package kernels

import (
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkLayoutStreams measures what laying each thread's share of the
// decode weights out as one run of memory would gain: gpt2's 48 INT8
// block products (12 layers of 768×2304, 768×768, 768×3072, 3072×768) run
// back to back as decode runs them, split between two threads as matVecs
// splits them, once over matrices packed one after another (each thread
// jumps over the other's half at every product, as the engine lays them
// out today) and once over the same bytes with each thread's halves
// packed one after another in a region of its own, so that its stream
// runs on from one product into the next. The two alternate, in rounds
// of four tokens classed by the read bandwidth around them; it reports
// each layout's rate as a fraction of the bandwidth (-frac) and the
// median ratio of their times (-ratio > 1: one region per thread is
// faster). In attention-gap, an attention-like read of cold memory (8 runs
// of 24 KiB a thread) follows every QKV product.
func BenchmarkLayoutStreams(b *testing.B) {
	for _, gap := range []bool{false, true} {
		name := "no-gap"
		if gap {
			name = "attention-gap"
		}
		b.Run(name, func(b *testing.B) { benchLayoutStreams(b, gap) })
	}
}

// streamMat is one INT8 product of BenchmarkLayoutStreams: its panels
// [0, h) are thread 0's, [h, np) thread 1's, each part's weights and
// scales at q[t] and s[t].
type streamMat struct {
	np, nb, h int
	q         [2]unsafe.Pointer
	s         [2]unsafe.Pointer
}

func benchLayoutStreams(b *testing.B, gap bool) {
	if Threads() < 2 {
		b.Skip("needs two threads")
	}
	shapes := [][2]int{{2304, 768}, {768, 768}, {3072, 768}, {768, 3072}} // n, k
	var mats []streamMat
	total := 0
	for range 12 {
		for _, sh := range shapes {
			np, nb := sh[0]/nr, sh[1]/qblock
			mats = append(mats, streamMat{np: np, nb: nb, h: (np + intGroup - 1) / intGroup / 2 * intGroup})
			total += np * nb * (qblock*nr + 2*nr)
		}
	}
	owner := new(Packed)
	defer runtime.KeepAlive(owner)
	// fill gives a part of np panels its bytes from buf at off: weights,
	// then scales (each a half of 2⁻¹²).
	fill := func(buf []byte, off, np, nb int) (q, s unsafe.Pointer, next int) {
		qb, sb := np*nb*qblock*nr, np*nb*2*nr
		for i := off; i < off+qb; i++ {
			buf[i] = byte(i * 7)
		}
		for i := off + qb; i < off+qb+sb; i += 2 {
			buf[i], buf[i+1] = 0, 0x0c
		}
		return unsafe.Pointer(&buf[off]), unsafe.Pointer(&buf[off+qb]), off + qb + sb
	}
	// Today's layout: matrix after matrix.
	today := slices.Clone(mats)
	buf, _ := allocBytes(owner, total, nil)
	off := 0
	for i := range today {
		m := &today[i]
		q, s, next := fill(buf, off, m.np, m.nb)
		m.q[0], m.s[0] = q, s
		m.q[1], m.s[1] = unsafe.Add(q, m.h*m.nb*qblock*nr), unsafe.Add(s, m.h*m.nb*2*nr)
		off = next
	}
	// One region per thread, its parts product after product.
	regions := slices.Clone(mats)
	buf2, _ := allocBytes(owner, total, nil)
	off = 0
	for t := range 2 {
		for i := range regions {
			m := &regions[i]
			np := m.h
			if t == 1 {
				np = m.np - m.h
			}
			m.q[t], m.s[t], off = fill(buf2, off, np, m.nb)
		}
	}
	kv, _ := allocFloats(owner, 64<<20)
	kvOff := 0
	xq := make([]int8, 3072)
	xs := make([]float32, 3072/qblock)
	xsum := make([]int32, 3072/qblock)
	for i := range xs {
		xs[i] = 1.0 / 127
	}
	out := make([]float32, 3072)
	im := cur()
	token := func(mats []streamMat) time.Duration {
		t0 := time.Now()
		for i, m := range mats {
			parallelForChunks(m.np, intGroup, 1, func(lo, hi int) {
				t, base := 0, 0
				if lo > 0 {
					t, base = 1, m.h
				}
				for q := lo; q < hi; q += intGroup {
					o := q - base
					im.gemvQ8(&out[q*nr], (*byte)(unsafe.Add(m.q[t], o*m.nb*qblock*nr)), m.nb*qblock*nr,
						&xq[0], &xs[0], &xsum[0], (*uint16)(unsafe.Add(m.s[t], o*m.nb*2*nr)), m.nb*2*nr, m.nb, min(intGroup, hi-q))
				}
			})
			if gap && i%4 == 0 {
				parallelForChunks(2, 1, 1, func(lo, _ int) {
					for r := range 8 {
						im.sum(&kv[(kvOff+(lo*8+r)*3*6144)%(len(kv)-6144)], 6144)
					}
				})
				kvOff = (kvOff + 1<<20) % (len(kv) - 6144)
			}
		}
		return time.Since(t0)
	}
	p := NewBandwidthProbe(256 << 20)
	defer p.Close()
	type class struct{ ratio, today, regions []float64 }
	var full, shared class
	for i := 0; b.Loop(); i++ {
		bw := p.Bandwidth(0)
		var d [2]time.Duration
		for r := range 4 {
			if (i+r)%2 == 0 {
				d[0] += token(today)
				d[1] += token(regions)
			} else {
				d[1] += token(regions)
				d[0] += token(today)
			}
		}
		bw = min(bw, p.Bandwidth(0))
		c := &shared
		switch {
		case bw > 45e9:
			c = &full
		case bw > 38e9:
			continue
		}
		ideal := 4 * float64(total) / bw
		c.ratio = append(c.ratio, d[0].Seconds()/d[1].Seconds())
		c.today = append(c.today, ideal/d[0].Seconds())
		c.regions = append(c.regions, ideal/d[1].Seconds())
	}
	med := func(x []float64) float64 {
		s := slices.Clone(x)
		slices.Sort(s)
		return s[len(s)/2]
	}
	for _, c := range []struct {
		name string
		c    class
	}{{"full", full}, {"shared", shared}} {
		if len(c.c.ratio) == 0 {
			continue
		}
		b.ReportMetric(float64(len(c.c.ratio)), c.name+"-rounds")
		b.ReportMetric(med(c.c.ratio), c.name+"-ratio")
		b.ReportMetric(med(c.c.today), c.name+"-today-frac")
		b.ReportMetric(med(c.c.regions), c.name+"-regions-frac")
	}
}
