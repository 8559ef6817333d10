package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which scripts/setup.sh installs.
const chromiumPath = "/usr/bin/chromium"

// browser is one headless Chromium with a fresh profile, and the page errors it saw.
type browser struct {
	t      *testing.T
	ctx    context.Context
	dir    string // screenshots
	mu     sync.Mutex
	errors []string
}

// newBrowser starts headless Chromium; it skips the test only when Chromium is absent and
// the test is not running under CI (make test's setup installs it).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else if os.Getenv("CI") == "" {
			t.Skipf("browser test skipped: %s is not installed (run scripts/setup.sh, or apt-get install chromium)", chromiumPath)
		} else {
			t.Fatalf("browser test: %s is not installed, and CI is set: scripts/setup.sh should have installed it", chromiumPath)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers' /dev/shm is small
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	dir := os.Getenv("VIGIL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browser: make the artifacts folder: %v", err)
	}
	b := &browser{t: t, ctx: ctx, dir: dir}
	// The first run starts the browser, on the test's context, without a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: start %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if pageError(m) {
				b.addError(m.String() + " (" + m.URL + ")")
			}
		}
	}()
	return b
}

// pageError says whether a console message is a fault of the page: an exception, a
// console.error, a refusal by the Content-Security-Policy, a missing file or a server
// error. Answers the scenario asks for (401 to a wrong password, 403, 422) are not.
func pageError(m chromedp.ConsoleMessage) bool {
	switch {
	case m.IsException():
		return true
	case m.Type != chromedp.ConsoleError:
		return false
	case m.Source == "network":
		return strings.Contains(m.Text, "status of 404") || strings.Contains(m.Text, "status of 5")
	}
	return true
}

func (b *browser) addError(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

// run runs actions; a failure names the step and what the page showed.
func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tctx, tcancel := context.WithTimeout(b.ctx, 5*time.Second)
		text, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("body")))
		tcancel()
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("browser: %s: %v\npage text: %.1500s\npage errors: %v", step, err, text, b.pageErrors())
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		b.t.Fatalf("browser: %s: the page reported errors: %v", step, errs)
	}
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// screenshot saves the viewport as NAME.png among the artifacts and logs its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("browser: screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("browser: save screenshot: %v", err)
		return ""
	}
	b.t.Logf("screenshot %s: %s", name, path)
	return path
}

// read runs one action that returns a value.
func read[T any](b *browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("browser: %s: %v\npage errors: %v", step, err, b.pageErrors())
	}
	return v
}

// count is document.querySelectorAll(sel).length.
func count(b *browser, sel string) int {
	return read(b, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// waitCount waits until at least min elements match the CSS selector sel.
func waitCount(sel string, min int) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](fmt.Sprintf("document.querySelectorAll(%q).length >= %d", sel, min), chromedp.WithPollingTimeout(25*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			_, err := poll(ctx, t)
			// A page that navigates while it is polled (a sign-in's redirect) is polled again.
			if err == nil || ctx.Err() != nil || !navigated(err) {
				if err != nil {
					return chromedp.Void{}, fmt.Errorf("wait for %d of %s: %w", min, sel, err)
				}
				return chromedp.Void{}, nil
			}
		}
	}
}

// navigated says whether err is the browser's answer to a script whose page went away.
func navigated(err error) bool {
	return strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "Cannot find context")
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// consoleScenario is the analyst's walk through the console at base (http://host:port)
// signing in as user/password: the overview and its map, the alerts, an incident and its
// chain, its entity's pattern of life, an event search and a raw record, acknowledging an
// alert.
func consoleScenario(t *testing.T, base, user, password string) {
	b := newBrowser(t)
	b.run("open the console", chromedp.Navigate(base+"/#/alerts"), chromedp.WaitVisible(css("#username")))
	if url := read(b, "location", chromedp.Location()); !strings.Contains(url, "/login") {
		t.Fatalf("not signed in, / went to %s instead of the login page", url)
	}
	b.run("a wrong password is refused",
		chromedp.SendKeys(css("#username"), user),
		chromedp.SendKeys(css("#password"), "not-the-password"),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#login-error")))
	if text := read(b, "login error", chromedp.Text(css("#login-error"))); text == "" {
		t.Fatal("the login page showed no error for a wrong password")
	}
	b.run("sign in",
		chromedp.Clear(css("#password")),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("#signin")),
		waitCount("#who:not(:empty)", 1),
		waitCount("main .page table", 1))
	if url := read(b, "location", chromedp.Location()); !strings.HasSuffix(url, "/#/alerts") {
		t.Errorf("after signing in the console shows %s, not the alerts asked for", url)
	}

	b.run("overview: severity, incidents and the map",
		chromedp.Navigate(base+"/#/"),
		waitCount("#map-card svg.worldmap path.land", 100),
		waitCount("#map-card circle.point", 1))
	if n := count(b, "#map-card circle.point.anomalous"); n == 0 {
		t.Error("the overview's map shows no anomalous point")
	}
	b.screenshot("overview-map")

	b.run("alerts list", chromedp.Navigate(base+"/#/alerts"), waitCount("main table tbody tr", 1))
	t.Logf("the alerts page lists %d alerts", count(b, "main table tbody tr"))

	b.run("incidents list", chromedp.Navigate(base+"/#/incidents"), waitCount("main table tbody tr a[href^='#/incidents/']", 1))
	// A person's incident shows the richest pattern of life; any incident will do otherwise.
	href := read(b, "choose an incident", chromedp.Evaluate[string](`(() => {
		const rows = [...document.querySelectorAll("main table tbody tr")];
		const row = rows.find((r) => r.querySelector("a[href^='#/entity?type=user']")) || rows[0];
		return row.querySelector("a[href^='#/incidents/']").getAttribute("href");
	})()`))
	b.run("open an incident",
		chromedp.Click(css("main table tbody tr a[href='"+href+"']")),
		waitCount("#chain svg circle.step", 2))
	t.Logf("the incident's chain has %d steps", count(b, "#chain svg circle.step"))
	b.screenshot("incident-chain")

	b.run("follow its entity",
		chromedp.Click(css(".entity a[href^='#/entity']")),
		waitCount("#pattern svg rect.cell", 168))
	t.Logf("entity page: %s", read(b, "entity name", chromedp.Text(css("main h1"))))
	b.screenshot("entity-pattern-of-life")

	b.run("search events",
		chromedp.Click(css("a[href^='#/events?entity_type=']")),
		waitCount("main table tbody tr", 1),
		chromedp.Click(css("main table tbody tr a[href^='#/events/']")),
		chromedp.WaitVisible(css("#raw")))
	if text := read(b, "raw record", chromedp.Text(css("#raw"))); !strings.Contains(text, "{") {
		t.Errorf("the raw record is not shown: %q", text)
	}
	b.screenshot("event-raw")

	// A Sigma rule's alert: it always names its evidence (a source's setup or silence alert
	// names none, and the demo may raise one first).
	b.run("acknowledge an alert",
		chromedp.Navigate(base+"/#/alerts?status=new&kind=sigma"),
		waitCount("main table tbody tr a[href^='#/alerts/']", 1),
		chromedp.Click(css("main table tbody tr a[href^='#/alerts/']")),
		chromedp.WaitEnabled(css("#acknowledge")),
		chromedp.Click(css("#acknowledge")),
		waitCount("h1 + .actions .state-acknowledged", 1))
	b.screenshot("alert-acknowledged")
	b.run("follow the alert's evidence",
		chromedp.Click(css("main a[href^='#/events?field.metadata.uid=']")),
		waitCount("main table tbody tr a[href^='#/events/']", 1))

	for _, page := range []string{"#/sources", "#/rules"} {
		b.run("open "+page, chromedp.Navigate(base+"/"+page), waitCount("main .page table, main .page .empty, main .page section", 1))
	}
}

// TestConsoleInBrowser runs `vigil demo` in-process (a small tenant, accelerated), waits
// until detection has raised alerts, grouped an incident and placed activity on the map,
// and walks the console in headless Chromium as the demo's admin.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	const password = "browser-test-password-1"
	t.Setenv(adminPasswordEnv, password)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--users", "40", "--history", "3", "--speed", "600", "--quiet", "--listen", addr, "--data", t.TempDir()},
			stdio{in: strings.NewReader(""), out: &out, err: &out})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("vigil demo did not stop within 30s of its context ending")
		}
	})
	base := "http://" + addr
	waitForDemoData(t, base, password, done, &out)
	consoleScenario(t, base, "admin", password)
}

// waitForDemoData signs in over HTTP and polls the API until the demo has an incident
// of two steps or more and an anomalous place on the map (2 minutes at most).
func waitForDemoData(t *testing.T, base, password string, done <-chan int, out *syncBuffer) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	get := func(path string, v any) error {
		res, err := client.Get(base + path)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, res.Status)
		}
		return json.NewDecoder(res.Body).Decode(v)
	}
	deadline := time.Now().Add(2 * time.Minute)
	signedIn := false
	var last string
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("vigil demo ended (exit %d) before the console had data:\n%s", code, out.String())
		case <-time.After(250 * time.Millisecond): // the poll's interval, not a wait for an event
		}
		if !signedIn {
			res, err := client.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
			if err != nil {
				last = err.Error()
				continue
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("sign in over HTTP: %s\n%s", res.Status, out.String())
			}
			signedIn = true
		}
		var inc struct {
			Items []struct {
				Chain []json.RawMessage `json:"chain"`
			} `json:"items"`
		}
		var m struct {
			Points []struct {
				Anomalous bool `json:"anomalous"`
			} `json:"points"`
		}
		if err := get("/api/v1/incidents?limit=20", &inc); err != nil {
			last = err.Error()
			continue
		}
		if err := get("/api/v1/map", &m); err != nil {
			last = err.Error()
			continue
		}
		chained, anomalous := 0, 0
		for _, i := range inc.Items {
			if len(i.Chain) >= 2 {
				chained++
			}
		}
		for _, p := range m.Points {
			if p.Anomalous {
				anomalous++
			}
		}
		last = fmt.Sprintf("%d incidents (%d of 2+ steps), %d places (%d anomalous)", len(inc.Items), chained, len(m.Points), anomalous)
		if chained > 0 && anomalous > 0 {
			t.Logf("demo data ready: %s", last)
			return
		}
	}
	t.Fatalf("the demo had no incident chain and anomalous place within 2 minutes (last: %s)\n%s", last, out.String())
}
