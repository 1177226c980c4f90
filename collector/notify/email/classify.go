package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/textproto"

	"github.com/wneessen/go-mail"
)

// retryable tells whether resending could succeed after err. SMTP says so
// itself: 4xx replies (421 service unavailable, 450/451/452 mailbox busy, local
// error, out of storage, 454 temporary auth failure) are transient and 5xx
// replies (550 no such user, 535 bad credentials, 554 rejected) are final. A
// connection that could not be made or broke off is worth another try; a
// certificate that does not verify, a server without STARTTLS or the chosen
// AUTH mechanism, or a password go-mail will not send in clear are
// configuration, and retrying cannot fix them.
func retryable(err error) bool {
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		if sendErr.ErrorCode() != 0 {
			return sendErr.IsTemp()
		}
		switch sendErr.Reason {
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			return false // the message, not the server
		}
		// No reply code: the connection failed mid-transaction. SendError
		// does not wrap the cause, so this cannot look further.
		return true
	}
	var reply *textproto.Error
	if errors.As(err, &reply) {
		return reply.Code/100 == 4
	}
	var (
		verifyErr    *tls.CertificateVerificationError
		unknownCA    x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		notTLSServer tls.RecordHeaderError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &unknownCA) || errors.As(err, &hostnameErr) ||
		errors.As(err, &invalidCert) || errors.As(err, &notTLSServer) {
		return false
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}
