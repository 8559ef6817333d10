package webhook

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/alert"
	"github.com/vigil-sec/vigil/internal/output"
)

// jsonAlert is an alert as the json format sends it: the stored alert and its version.
type jsonAlert struct {
	alert.Alert
	Version string `json:"version"`
}

// jsonBody is the json format's request body.
type jsonBody struct {
	SentAt time.Time   `json:"sent_at"`
	Alerts []jsonAlert `json:"alerts"`
}

func newJSONBody(now time.Time, as []alert.Alert) jsonBody {
	b := jsonBody{SentAt: now.UTC(), Alerts: make([]jsonAlert, len(as))}
	for i, a := range as {
		b.Alerts[i] = jsonAlert{Alert: a, Version: output.Version(a)}
	}
	return b
}

// slackEscape escapes what Slack's mrkdwn treats as control characters.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackMessage is an incoming-webhook message: a fallback text and Block Kit blocks.
func slackMessage(a alert.Alert, consoleURL string) map[string]any {
	title := slackEscape.Replace(a.Title)
	if link := alertLink(consoleURL, a.ID); link != "" {
		title = "<" + link + "|" + title + ">"
	}
	fields := []map[string]any{}
	for _, f := range facts(a) {
		fields = append(fields, map[string]any{"type": "mrkdwn", "text": "*" + f[0] + "*\n" + slackEscape.Replace(f[1])})
	}
	return map[string]any{
		"text": fmt.Sprintf("[%s] %s: %s", a.Severity, a.Title, a.Reason),
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn",
				"text": fmt.Sprintf("*%s* (%s, score %d)\n%s", title, a.Severity, a.Score, slackEscape.Replace(a.Reason))}},
			map[string]any{"type": "section", "fields": fields},
		},
	}
}

// teamsMessage is an Adaptive Card in the envelope Teams' Workflows webhooks take.
func teamsMessage(a alert.Alert, consoleURL string) map[string]any {
	var factList []any
	for _, f := range facts(a) {
		factList = append(factList, map[string]any{"title": f[0], "value": f[1]})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body": []any{
			map[string]any{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": a.Title},
			map[string]any{"type": "TextBlock", "wrap": true, "text": a.Reason},
			map[string]any{"type": "FactSet", "facts": factList},
		},
	}
	if link := alertLink(consoleURL, a.ID); link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in Vigil", "url": link}}
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "content": card}}}
}

// facts are the label/value pairs both chat formats show.
func facts(a alert.Alert) [][2]string {
	out := [][2]string{
		{"Severity", fmt.Sprintf("%s (score %d)", a.Severity, a.Score)},
		{"Entity", a.Entity.Key()},
		{"Rule", a.Rule.ID},
		{"Time", a.Time.UTC().Format(time.RFC3339)},
		{"Alert", a.ID},
	}
	if len(a.Attack) > 0 {
		out = append(out, [2]string{"ATT&CK", strings.Join(a.Attack, ", ")})
	}
	if a.Occurrences > 1 {
		out = append(out, [2]string{"Occurrences", fmt.Sprint(a.Occurrences)})
	}
	return out
}

func alertLink(consoleURL, id string) string {
	if consoleURL == "" {
		return ""
	}
	return strings.TrimRight(consoleURL, "/") + "/alerts/" + url.PathEscape(id)
}
