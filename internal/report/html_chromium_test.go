package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromium finds a Chromium or Chrome binary. A missing browser skips
// the test on a developer's machine and fails it in CI (CI=true), where
// scripts/install-chromium.sh must have installed it.
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	if env := os.Getenv("MUAIBENCH_CHROMIUM"); env != "" {
		names = append([]string{env}, names...)
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed but CI=true: scripts/install-chromium.sh must install it (apt-get install chromium)")
	}
	t.Skip("Chromium is not installed: run scripts/install-chromium.sh to run the HTML screenshot test")
	return ""
}

// headless runs Chromium headless on url with the extra arguments, in a
// fresh profile, with everything that would reach out switched off.
func headless(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestHTMLInChromium opens the report in a real headless Chromium, served
// from a loopback server that counts every request: the page must be the
// only one, the rendered DOM must hold the charts and no external
// reference, and the screenshot must show the charts' series colours.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	_, d := buildFixture(t)
	var page bytes.Buffer
	if err := WriteHTML(&page, d); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var others []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/report.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page.Bytes())
			return
		}
		mu.Lock()
		others = append(others, r.URL.Path)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/report.html"

	dom := string(headless(t, bin, url, "--dump-dom", "--virtual-time-budget=2000"))
	if !strings.Contains(dom, `data-chart="latency_comparison"`) || !strings.Contains(dom, `data-chart="throughput_scaling"`) {
		t.Errorf("the rendered DOM lacks the inline charts (%d bytes)", len(dom))
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).FindString(dom); m != "" {
		t.Errorf("the rendered DOM references an external resource: %s", m)
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("the rendered DOM holds a script")
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	if dir := os.Getenv("MUAIBENCH_SCREENSHOT_DIR"); dir != "" {
		shot = filepath.Join(dir, "report.png") // to look at it
	}
	headless(t, bin, url, "--screenshot="+shot, "--window-size=1280,4200")
	mu.Lock()
	if len(others) > 0 {
		t.Errorf("the page fetched %v; it must fetch nothing", others)
	}
	mu.Unlock()

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The latency chart has four series (two engines × P50, P95), the
	// throughput chart one: each colour must cover a chart-sized area.
	counts := colourCounts(img, Palette[:4])
	for i, c := range Palette[:4] {
		if counts[i] < 400 {
			t.Errorf("series colour %s covers %d pixels in the screenshot, want a drawn chart (>= 400)", c, counts[i])
		}
	}
	if !t.Failed() {
		t.Logf("screenshot %s: series pixels %v", shot, counts)
	}
}

// colourCounts counts the pixels within a small distance of each colour.
func colourCounts(img image.Image, colours []string) []int {
	type rgb struct{ r, g, b int }
	want := make([]rgb, len(colours))
	for i, c := range colours {
		col := hexColor(c)
		r, g, b, _ := col.RGBA()
		want[i] = rgb{int(r >> 8), int(g >> 8), int(b >> 8)}
	}
	counts := make([]int, len(colours))
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			p := rgb{int(r >> 8), int(g >> 8), int(b >> 8)}
			for i, w := range want {
				if abs(p.r-w.r)+abs(p.g-w.g)+abs(p.b-w.b) < 12 {
					counts[i]++
				}
			}
		}
	}
	return counts
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
