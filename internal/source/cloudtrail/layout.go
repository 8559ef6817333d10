package cloudtrail

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The layouts a trail writes:
//
//	[PREFIX/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
//	[PREFIX/]AWSLogs/o-ORG/ACCOUNT/CloudTrail/REGION/…   (an organisation trail)
//	o-ORG/AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/…     (Control Tower: prefix o-ORG)
//
// Digest files go to …/CloudTrail-Digest/… and are never listed; a key that is not a
// .json.gz log file is skipped.

// fileTimeRE finds the delivery time in a log file's name.
var fileTimeRE = regexp.MustCompile(`^(.*_)(\d{8}T\d{4}Z)(_[^/]*)$`)

// logFile says whether a key is a CloudTrail log file to read.
func logFile(key string) bool {
	return strings.HasSuffix(key, ".json.gz") && !strings.Contains(key, "CloudTrail-Digest") &&
		!strings.Contains(path.Base(key), "Digest")
}

// keyTime is the delivery time a log file's name carries.
func keyTime(key string) (time.Time, bool) {
	m := fileTimeRE.FindStringSubmatch(path.Base(key))
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[2])
	return t, err == nil
}

// lowKey is the key a listing starts after so that it sees again every file of the
// prefix delivered from t on: the day folder of t and, when last names a log file, its
// name's stem with t's time (shorter than any real key of that minute, so sorts first).
func lowKey(prefix, last string, t time.Time) string {
	t = t.UTC()
	day := prefix + t.Format("2006/01/02/")
	if m := fileTimeRE.FindStringSubmatch(path.Base(last)); m != nil {
		return day + m[1] + t.Format("20060102T1504Z")
	}
	return day
}

// discover lists the account and region prefixes under the root, each ending in
// REGION/: organisation folders (o-…) are descended into, configured accounts and
// regions are used instead of listing them.
func (s *Source) discover(ctx context.Context) ([]string, error) {
	root := s.cfg.Prefix
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	root += "AWSLogs/"
	tops, err := s.children(ctx, root)
	if err != nil {
		return nil, err
	}
	var accountRoots []string // folders holding ACCOUNT/ folders
	accountRoots = append(accountRoots, root)
	for _, t := range tops {
		if strings.HasPrefix(t, "o-") {
			accountRoots = append(accountRoots, root+t+"/")
		}
	}
	var out []string
	for _, ar := range accountRoots {
		accounts := s.cfg.Accounts
		if len(accounts) == 0 {
			names := tops
			if ar != root {
				if names, err = s.children(ctx, ar); err != nil {
					return nil, err
				}
			}
			accounts = nil
			for _, n := range names {
				if accountRE.MatchString(n) {
					accounts = append(accounts, n)
				}
			}
		}
		for _, a := range accounts {
			base := ar + a + "/CloudTrail/"
			regions := s.cfg.Regions
			if len(regions) == 0 {
				if regions, err = s.children(ctx, base); err != nil {
					return nil, err
				}
			}
			for _, r := range regions {
				out = append(out, base+r+"/")
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// children lists the folder names directly under prefix.
func (s *Source) children(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	for {
		page, err := s.s3.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail: list s3://%s/%s: %w", s.cfg.Bucket, prefix, classify(err))
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				out = append(out, name)
			}
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}
