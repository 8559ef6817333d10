package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/console"
)

// runStatus is `vigil status [--url URL] [--token-file F]`: the running daemon's sources'
// health, read from its API.
func runStatus(ctx context.Context, args []string, std stdio) error {
	fl := flag.NewFlagSet("status", flag.ContinueOnError)
	fl.SetOutput(std.err)
	url := fl.String("url", "http://127.0.0.1:8080", "the daemon's address (its listen setting)")
	tokenFile := fl.String("token-file", "", "a file holding the API token (default: $VIGIL_API_TOKEN)")
	asJSON := fl.Bool("json", false, "print the API's JSON instead of a table")
	fl.Usage = func() {
		fmt.Fprintln(std.err, "usage: vigil status [--url URL] [--token-file F] [--json]")
		fl.PrintDefaults()
	}
	if rest, err := parseFlags(fl, args); err != nil || len(rest) > 0 {
		if err == nil { // the flag package printed the usage for a bad flag or -help
			fl.Usage()
		}
		return errUsage
	}
	token := os.Getenv("VIGIL_API_TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--token-file: %w", err)}
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return &exitError{code: 2, err: errors.New("no API token: set VIGIL_API_TOKEN or give --token-file")}
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, "GET", strings.TrimRight(*url, "/")+"/api/v1/sources", nil)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--url: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is the daemon running at %s? %w", *url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	if *asJSON {
		std.out.Write(body)
		return nil
	}
	var sr console.SourcesResponse
	if err := json.Unmarshal(body, &sr); err != nil {
		return fmt.Errorf("%s: not the API's answer: %w", req.URL, err)
	}
	writeStatus(std.out, sr)
	return nil
}

func writeStatus(w io.Writer, sr console.SourcesResponse) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTATE\tLAST POLL\tEVENTS\tEV/S\tLAG\tPROVIDER p50/p95\tSTORE p50/p95\tERRORS\tLAST ERROR")
	for _, s := range sr.Sources {
		last := "never"
		if !s.LastPoll.IsZero() {
			last = s.LastPoll.UTC().Format(time.RFC3339)
		}
		state := s.State
		if s.Silent {
			state += " (silent)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%s\t%s/%s\t%s/%s\t%d\t%s\n", s.Name, state, last, s.Events, s.EventsPerS,
			dash(s.Lag), dash(s.ProviderLatencyP50), dash(s.ProviderLatencyP95), dash(s.StoreLatencyP50), dash(s.StoreLatencyP95), s.Errors, dash(s.LastError))
	}
	tw.Flush()
	// A source's check of its provider's setup (a CloudTrail trail not logging, a hub
	// without the Listen right) is said under the table, one finding a line.
	for _, s := range sr.Sources {
		for _, f := range s.Findings {
			fmt.Fprintf(w, "%s: finding: %s\n", s.Name, f)
		}
	}
	if !sr.Watermark.IsZero() {
		fmt.Fprintf(w, "ordered detections up to %s\n", sr.Watermark.UTC().Format(time.RFC3339))
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
