package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// Viewports: a mid-range phone and a projector.
const (
	phoneW, phoneH         = 360, 740
	projectorW, projectorH = 1280, 720
	laptopW, laptopH       = 1280, 800
)

// Timeouts. The product's target for a live update is about a second; the
// tests wait longer so that a loaded CI machine does not flake, and log
// the latency they measured.
const (
	liveTimeout = 10 * time.Second // a pushed update reaches a page
	pageTimeout = 15 * time.Second // a navigation or form post completes
	liveBudget  = time.Second      // logged when exceeded, not failed
)

// browser is one Chromium process with one tab: its own cookie jar, like a
// separate device in the room.
type browser struct {
	t       *testing.T
	name    string
	ctx     context.Context
	console *syncBuffer // the page's console messages and exceptions
	touch   bool        // a phone: taps instead of mouse clicks
}

// requireChromium skips the test when Chromium is not installed, except in
// CI where a missing browser must fail loudly.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("browser tests need Chromium at %s (apt-get install chromium): %v", chromiumPath, err)
	}
}

// newBrowser starts a headless Chromium with a fresh profile and a
// viewport of w×h. The browser is closed when the test ends.
func newBrowser(t *testing.T, name string, w, h int64, mobile bool) *browser {
	t.Helper()
	requireChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Background tabs must not throttle timers: every browser here is
		// its own window, and the reconnect backoff runs on timers.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(w), int(h)),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(func(string, ...any) {}))
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	return attachBrowser(t, name, ctx, w, h, mobile)
}

// newBrowserContext opens a new tab in its own browser context (own
// cookies and storage, like a separate device) in the Chromium of root,
// which must already be running. It is closed when the test ends.
func newBrowserContext(t *testing.T, root context.Context, name string, w, h int64, mobile bool) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return attachBrowser(t, name, ctx, w, h, mobile)
}

// attachBrowser sets the viewport of the tab of ctx and starts recording
// its console.
func attachBrowser(t *testing.T, name string, ctx context.Context, w, h int64, mobile bool) *browser {
	t.Helper()
	// The first Run starts the browser; it must not carry a timeout, which
	// would stop the whole browser when it expires.
	var vp []chromedp.EmulateViewportOption
	if mobile {
		vp = append(vp, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h, vp...)); err != nil {
		t.Fatalf("%s: start chromium: %v", name, err)
	}
	b := &browser{t: t, name: name, ctx: ctx, console: &syncBuffer{}, touch: mobile}
	// Keep the console (script errors, refused connections, CSP reports)
	// for failure messages.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			fmt.Fprintf(b.console, "%s %s\n", m.Type, m.Text)
		}
	}()
	// A dialog (alert, confirm) means script ran that no page has: an
	// injected one. Dismiss it so the page goes on, and fail the test.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			fmt.Fprintf(b.console, "dialog %s %q\n", ev.Type, ev.Message)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	t.Cleanup(b.checkConsole)
	return b
}

// checkConsole fails the test on an uncaught script error, a Content
// Security Policy violation or a dialog in the page: the first two break a
// page silently for the person holding the phone, the last is injected
// script running.
func (b *browser) checkConsole() {
	for _, line := range strings.Split(b.console.String(), "\n") {
		if strings.HasPrefix(line, string(chromedp.ConsoleException)+" ") || strings.HasPrefix(line, "dialog ") ||
			strings.Contains(line, "Content Security Policy") {
			b.t.Errorf("%s: console: %s", b.name, line)
		}
	}
}

func newPhone(t *testing.T, name string) *browser {
	return newBrowser(t, name, phoneW, phoneH, true)
}

func newProjector(t *testing.T) *browser {
	return newBrowser(t, "projector", projectorW, projectorH, false)
}

func newLaptop(t *testing.T, name string) *browser {
	return newBrowser(t, name, laptopW, laptopH, false)
}

// disableJavaScript turns off script execution in the tab, like a phone
// with JavaScript blocked; pages must work with plain forms.
func (b *browser) disableJavaScript() {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatalf("%s: disable JavaScript: %v", b.name, err)
	}
}

// do runs actions with the page timeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %s: %v\n%s", b.name, what, err, b.describe())
	}
}

// navigate loads url and waits for the load event.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

// click clicks (on a phone, taps) the first element matching the CSS
// selector, once it is visible.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, b.clickAction(sel))
}

func (b *browser) clickAction(sel string) chromedp.Action[chromedp.Void] {
	if b.touch {
		return chromedp.Tap(chromedp.CSS(sel), chromedp.NodeVisible)
	}
	return chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)
}

// submitAndWait clicks a submit button and waits for the page it leads to
// (a form post answered by a redirect, then a load).
func (b *browser) submitAndWait(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, b.clickAction(sel)); err != nil {
		b.t.Fatalf("%s: submit %s: %v\n%s", b.name, sel, err, b.describe())
	}
}

// typeInto fills a text field.
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// eval evaluates a JavaScript expression in the page and decodes the
// result into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: eval %s: %v", b.name, expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is truthy, and returns
// how long that took. It tolerates evaluation errors, which happen while
// a page navigates or reloads. It fails the test after timeout, showing
// the page's state.
func (b *browser) waitFor(what, cond string, timeout time.Duration) time.Duration {
	b.t.Helper()
	d, err := waitFor(b.ctx, cond, timeout)
	if err != nil {
		b.t.Fatalf("%s: waiting %v for %s (%s): %v\n%s", b.name, timeout, what, cond, err, b.describe())
	}
	return d
}

// waitFor is the polling loop of browser.waitFor: no sleep decides the
// outcome, the condition does.
func waitFor(ctx context.Context, cond string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	expr := "(() => { try { return !!(" + cond + "); } catch (e) { return false; } })()"
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return time.Since(start), nil
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				return time.Since(start), fmt.Errorf("timed out (last error: %w)", lastErr)
			}
			return time.Since(start), fmt.Errorf("timed out")
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-tick.C:
		}
	}
}

// describe is the page's URL and the start of its body text, for failure
// messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body"), chromedp.NodeReady))
	if err != nil {
		html = "(no body: " + err.Error() + ")"
	}
	if len(html) > 4000 {
		html = html[:4000] + "…"
	}
	return "  page " + loc + ":\n" + html + "\n  console:\n" + b.console.String()
}

// screenshot saves a PNG of the viewport under the artifacts folder, named
// after the test and the browser.
func (b *browser) screenshot(label string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("%s: screenshot: %v", b.name, err)
		return
	}
	dir := artifactsDir(b.t)
	name := fmt.Sprintf("%s-%s-%s.png", sanitize(b.t.Name()), sanitize(b.name), sanitize(label))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("%s: save screenshot: %v", b.name, err)
		return
	}
	b.t.Logf("screenshot %s", path)
}

// artifactsDir is $AGORA_ARTIFACTS, or artifacts/ at the repository root
// (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AGORA_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	return dir
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// jsString quotes s as a JavaScript string literal (JSON is valid JS).
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// logLatency records how long a live update took, flagging the ones over
// the product's budget without failing on them (speed targets belong in
// benchmarks, not in timed tests).
func logLatency(t *testing.T, what string, d time.Duration) {
	t.Helper()
	if d > liveBudget {
		t.Logf("latency %s: %v (over the %v budget)", what, d.Round(time.Millisecond), liveBudget)
		return
	}
	t.Logf("latency %s: %v", what, d.Round(time.Millisecond))
}

// contextTimeout is the browser's context with a timeout, for direct
// chromedp calls.
func contextTimeout(b *browser, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}
