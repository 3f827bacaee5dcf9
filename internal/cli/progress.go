package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/muaibench/muaibench/internal/metrics"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sys/unix"
)

// progress draws one bar per scenario on a terminal; elsewhere (CI logs,
// pipes) it prints one line per finished scenario.
type progress struct {
	w      io.Writer
	tty    bool
	p      *mpb.Progress
	bar    *mpb.Bar
	name   string
	errors int
	done   int
}

func newProgress(w io.Writer) *progress {
	pr := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		pr.tty = err == nil
	}
	return pr
}

func (pr *progress) Start(name string, total int) {
	pr.name, pr.errors, pr.done = name, 0, 0
	if !pr.tty {
		return
	}
	pr.p = mpb.New(mpb.WithOutput(pr.w), mpb.WithWidth(40))
	pr.bar = pr.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name+" "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO), decor.Name(" "), decor.Any(func(decor.Statistics) string {
			if pr.errors == 0 {
				return ""
			}
			return fmt.Sprintf("%d errors", pr.errors)
		})),
	)
}

func (pr *progress) Done(r *metrics.Record) {
	pr.done++
	if !r.OK() {
		pr.errors++
	}
	if pr.bar != nil {
		pr.bar.Increment()
	}
}

func (pr *progress) Finish() {
	if pr.p != nil {
		pr.bar.SetTotal(-1, true)
		pr.p.Wait()
		pr.p, pr.bar = nil, nil
		return
	}
	fmt.Fprintf(pr.w, "%s: %d requests, %d errors\n", pr.name, pr.done, pr.errors)
}
