package ses

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// throttleCodes are the SES error codes that mean "later": over the sending
// rate or the daily quota (SES advises waiting and retrying), or a request
// the service timed out.
var throttleCodes = map[string]bool{
	"TooManyRequestsException": true,
	"LimitExceededException":   true,
	"Throttling":               true,
	"ThrottlingException":      true,
	"RequestTimeout":           true,
	"RequestTimeoutException":  true,
}

// retryable tells whether resending could succeed after err, which the SDK
// returns once its own attempts are spent. Throttling, 429, 408 and 5xx
// answers are worth another try, and so is no answer at all (network,
// timeout, credentials not yet available from the instance role). Every other
// refusal is final: MessageRejected, MailFromDomainNotVerifiedException,
// AccountSuspendedException, SendingPausedException, NotFoundException,
// BadRequestException, and signature or permission errors.
func retryable(err error) bool {
	var apiErr smithy.APIError
	isAPI := errors.As(err, &apiErr)
	if isAPI && throttleCodes[apiErr.ErrorCode()] {
		return true
	}
	// A request that got no answer is a ResponseError too, with status 0.
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != 0 {
		code := respErr.HTTPStatusCode()
		return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
	}
	if isAPI {
		return apiErr.ErrorFault() == smithy.FaultServer
	}
	var invalid smithy.InvalidParamsError
	if errors.As(err, &invalid) {
		return false // the SDK refused the request before sending it
	}
	return true
}
