package hostinfo

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/vigilmon/vigil/internal/model"
)

// ec2Cloud reads cloud.* from the EC2 instance identity document, or returns
// nil when there is no answer within o.IMDSTimeout (not on EC2, IMDS off, hop
// limit too low in a container).
func ec2Cloud(ctx context.Context, o Options, log *slog.Logger) *model.Cloud {
	timeout := o.IMDSTimeout
	if timeout <= 0 {
		timeout = defaultIMDSTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Our own transport: never through $HTTP_PROXY (a proxy cannot reach the
	// link-local metadata address), no idle connections left behind after
	// this one-off pair of requests.
	tr := &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: timeout}).DialContext,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := imds.New(imds.Options{
		Endpoint: o.IMDSEndpoint,
		// Configured on purpose: ignore AWS_EC2_METADATA_DISABLED.
		ClientEnableState: imds.ClientEnabled,
		HTTPClient:        &http.Client{Transport: tr},
		// One attempt: the timeout is for starting fast, not for retries.
		Retryer: aws.NopRetryer{},
		// IMDSv2 only: no silent fallback to the unauthenticated v1 flow.
		EnableFallback: aws.FalseTernary,
	})
	doc, err := client.GetInstanceIdentityDocument(ctx, &imds.GetInstanceIdentityDocumentInput{})
	if err != nil {
		log.Debug("no EC2 instance metadata", "endpoint", o.IMDSEndpoint, "err", err)
		return nil
	}
	return &model.Cloud{
		Provider:         "aws",
		Region:           doc.Region,
		AvailabilityZone: doc.AvailabilityZone,
		InstanceID:       doc.InstanceID,
		InstanceType:     doc.InstanceType,
		AccountID:        doc.AccountID,
	}
}
