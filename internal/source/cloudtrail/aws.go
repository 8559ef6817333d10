package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/vigil-sec/vigil/internal/source"
)

// objectStore is the part of the S3 API the collector calls.
type objectStore interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// queue is the part of the SQS API SQS mode calls.
type queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// awsConfig loads the SDK configuration: the region, the credentials (static keys, else the
// default chain; a role assumed on top with its external id) and the HTTP client. The SDK's
// own retries are off: the supervisor owns retries and backoff.
func awsConfig(ctx context.Context, c Config, hc *http.Client, log *slog.Logger) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		// The SDK's own messages go to our logger, not to its default stderr one.
		awsconfig.WithLogger(logging.LoggerFunc(func(cl logging.Classification, format string, v ...any) {
			level := slog.LevelDebug
			if cl == logging.Warn {
				level = slog.LevelWarn
			}
			log.Log(context.Background(), level, "cloudtrail: aws sdk: "+fmt.Sprintf(format, v...))
		})),
	}
	if r := c.region(); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	if hc != nil {
		opts = append(opts, awsconfig.WithHTTPClient(hc))
	}
	if c.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey.Reveal(), c.SessionToken.Reveal())))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("cloudtrail: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if c.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if c.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(c.STSEndpoint)
			}
		})
		provider := stscreds.NewAssumeRoleProvider(stsClient, c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "vigil-cloudtrail"
			if c.ExternalID != "" {
				o.ExternalID = aws.String(c.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}

func newS3(cfg aws.Config, c Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.PathStyle
		// CloudTrail objects carry no checksum; the SDK would log each GET as unvalidated.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

func newSQS(cfg aws.Config, c Config) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if c.SQSEndpoint != "" {
			o.BaseEndpoint = aws.String(c.SQSEndpoint)
		}
	})
}

// throttleWait is how long a throttled source waits when AWS does not say (S3's SlowDown
// carries no Retry-After).
const throttleWait = 5 * time.Second

// classify turns an AWS error into what the supervisor branches on: throttling (503
// SlowDown, 429, Throttling) becomes a source.RetryAfter, a missing permission or bucket a
// permanent error.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	wait := throttleWait
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		if re.Response != nil {
			if s, perr := strconv.Atoi(re.Response.Header.Get("Retry-After")); perr == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
		}
	}
	switch {
	case code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
		code == "RequestLimitExceeded" || code == "ServiceUnavailable" || status == 429 || status == 503:
		return &source.RetryAfter{Wait: wait, Err: err}
	case code == "AccessDenied" || code == "NoSuchBucket" || code == "InvalidAccessKeyId" ||
		code == "SignatureDoesNotMatch" || code == "AWS.SimpleQueueService.NonExistentQueue" ||
		code == "QueueDoesNotExist" || status == 403:
		return source.Permanent(err)
	}
	return err
}
