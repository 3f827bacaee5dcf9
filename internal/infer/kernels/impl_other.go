//go:build !amd64

package kernels

func simdImpls() []*impl { return nil }

func geluPad(im *impl, p *[16]float32) { geluGeneric(&p[0], im.lanes) }

func expSumPad(im *impl, p *[16]float32, mx float32) float32 {
	return expSumGeneric(&p[0], im.lanes, mx)
}

func argmaxSIMD(x []float32) (int, bool) { return 0, false }
