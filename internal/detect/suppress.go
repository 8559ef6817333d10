package detect

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Why a detection did not raise (or lowered) a candidate: countable reasons, one constant
// per rule of thumb, so a tuning mistake shows as a count that jumped.
type SuppressReason string

// Suppression reasons the built-in detections report.
const (
	ReasonSharedEgress   SuppressReason = "shared-egress"     // an address or network many people use (VPN, relay, carrier, cloud)
	ReasonSameNetwork    SuppressReason = "same-network"      // both sign-ins from one network: its geolocation moved, not the person
	ReasonUsualNetworks  SuppressReason = "usual-networks"    // two networks the person uses regularly (home, carrier, service edge, VPN)
	ReasonOwnDevice      SuppressReason = "own-device"        // a token refresh by another registered device the person owns
	ReasonCloudClient    SuppressReason = "cloud-client"      // a client that runs in a cloud (a SaaS app's server), not where the person is
	ReasonSameJourney    SuppressReason = "same-journey"      // another hop of a journey already raised
	ReasonIncomparable   SuppressReason = "incomparable"      // the two sign-ins came from clients that cannot be compared
	ReasonProviderRisk   SuppressReason = "provider-risk-low" // provider risk low or medium alone: lowered, not paged
	ReasonRoutine        SuppressReason = "routine-for-actor" // a privileged operation routine for this identity: lowered
	ReasonPIMActivation  SuppressReason = "pim-activation"    // an eligible role activated through PIM: lowered
	ReasonWithinCooldown SuppressReason = "cooldown"          // the same finding on the same identity raised moments ago
	ReasonLearning       SuppressReason = "learning"          // a token-refresh hop while the identity's networks are still being learned
)

// A Suppression is a candidate a detection removed or lowered, and why.
type Suppression struct {
	Detection string         `json:"detection"`
	Reason    SuppressReason `json:"reason"`
	Lowered   bool           `json:"lowered,omitempty"` // raised at a lower severity instead of removed
	Entity    event.Entity   `json:"entity"`
	Time      time.Time      `json:"time"`
	EventUID  string         `json:"event_uid,omitempty"`
	Detail    string         `json:"detail,omitempty"` // one line for a person
}

// Suppressed receives suppressions as detections make them.
type Suppressed func(Suppression)

// SuppressionCounts counts suppressions by detection and reason.
type SuppressionCounts map[[2]string]int

// Add counts s.
func (c SuppressionCounts) Add(s Suppression) {
	c[[2]string{s.Detection, string(s.Reason)}]++
}

// Print writes the counts as a table, largest first.
func (c SuppressionCounts) Print(w io.Writer) {
	keys := make([][2]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c[keys[i]] != c[keys[j]] {
			return c[keys[i]] > c[keys[j]]
		}
		return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1]
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DETECTION\tSUPPRESSED BY\tCANDIDATES")
	total := 0
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", k[0], k[1], c[k])
		total += c[k]
	}
	fmt.Fprintf(tw, "total\t\t%d\n", total)
	tw.Flush()
}
