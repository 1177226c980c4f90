package fakees

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authenticate enforces the configured authentication and writes the
// refusal itself. raw is the body as received (SigV4 signs the wire bytes).
func (s *Server) authenticate(rc *reqCtx, raw []byte) bool {
	o := s.opts
	auth := rc.r.Header.Get("Authorization")
	switch {
	case o.SigV4 != nil:
		if status, msg := s.verifySigV4(rc.r, raw); status != 0 {
			rc.json(status, map[string]any{"message": msg})
			return false
		}
		return true
	case o.APIKey != "":
		scheme, cred, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "ApiKey") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), []byte(o.APIKey)) == 1 {
			return true
		}
	case o.BasicUser != "" || o.BasicPass != "":
		u, p, ok := rc.r.BasicAuth()
		if ok && subtle.ConstantTimeCompare([]byte(u), []byte(o.BasicUser)) == 1 && subtle.ConstantTimeCompare([]byte(p), []byte(o.BasicPass)) == 1 {
			return true
		}
	default:
		return true
	}
	s.unauthorized(rc, auth)
	return false
}

// unauthorized is the 401 of ES's security layer, or of the OpenSearch
// security plugin (a plain-text body).
func (s *Server) unauthorized(rc *reqCtx, auth string) {
	uri := rc.r.URL.RequestURI()
	if s.opts.Flavor == OpenSearch {
		rc.w.Header().Set("WWW-Authenticate", `Basic realm="OpenSearch Security"`)
		rc.raw(http.StatusUnauthorized, "text/plain; charset=UTF-8", []byte("Unauthorized"))
		return
	}
	challenges := []string{`Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, `ApiKey`}
	for _, c := range challenges {
		rc.w.Header().Add("WWW-Authenticate", c)
	}
	reason := "missing authentication credentials for REST request [" + uri + "]"
	if scheme, cred, _ := strings.Cut(auth, " "); auth != "" {
		reason = "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
		if strings.EqualFold(scheme, "Basic") {
			user := "?"
			if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				user, _, _ = strings.Cut(string(dec), ":")
			}
			reason = "unable to authenticate user [" + user + "] for REST request [" + uri + "]"
		}
	}
	e := newErr("security_exception", "%s", reason).with("header", map[string]any{"WWW-Authenticate": challenges})
	rc.fail(http.StatusUnauthorized, e)
}

const (
	msgSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	amzDate      = "20060102T150405Z"
)

// verifySigV4 checks an AWS Signature Version 4 the way the service does:
// it re-signs a copy of the request (method, URL, host and exactly the
// signed headers) with the configured credentials using the SDK's own
// signer and compares the Authorization headers. It returns 0 when valid,
// else the status and message OpenSearch Service answers with.
func (s *Server) verifySigV4(r *http.Request, raw []byte) (int, string) {
	o := s.opts.SigV4
	auth := r.Header.Get("Authorization")
	action := "es:ESHttp" + strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:])
	if auth == "" {
		return http.StatusForbidden, "User: anonymous is not authorized to perform: " + action + " because no resource-based policy allows the " + action + " action"
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		return http.StatusForbidden, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth
	}
	var signed []string
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "SignedHeaders" {
			signed = strings.Split(v, ";")
		}
	}
	t, err := time.Parse(amzDate, r.Header.Get("X-Amz-Date"))
	if err != nil || len(signed) == 0 {
		return http.StatusForbidden, msgSignature
	}
	// Signers use the wall clock, so skew is judged against it, not Options.Now.
	if now := time.Now().UTC(); t.Before(now.Add(-15*time.Minute)) || t.After(now.Add(15*time.Minute)) {
		return http.StatusForbidden, "Signature expired: " + t.Format(amzDate) + " is now earlier than " + now.Add(-15*time.Minute).Format(amzDate) + " (" + now.Format(amzDate) + " - 15 min.)"
	}
	sum := sha256.Sum256(raw)
	payload := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		if h == "UNSIGNED-PAYLOAD" {
			payload = h
		} else if h != payload {
			return http.StatusForbidden, "The provided 'x-amz-content-sha256' header does not match what was computed."
		}
	}
	if r.Header.Get("X-Amz-Security-Token") != o.SessionToken {
		return http.StatusForbidden, "The security token included in the request is invalid."
	}
	u, err := url.Parse("http://" + r.Host + r.RequestURI)
	if err != nil {
		return http.StatusForbidden, msgSignature
	}
	cp := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range signed {
		switch name {
		case "host":
		case "content-length":
			cp.ContentLength = int64(len(raw))
		default:
			key := textproto.CanonicalMIMEHeaderKey(name)
			cp.Header[key] = r.Header.Values(key)
		}
	}
	creds := aws.Credentials{AccessKeyID: o.AccessKey, SecretAccessKey: o.SecretKey, SessionToken: o.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, payload, o.Service, o.Region, t); err != nil {
		return http.StatusForbidden, msgSignature
	}
	if subtle.ConstantTimeCompare([]byte(cp.Header.Get("Authorization")), []byte(auth)) != 1 {
		return http.StatusForbidden, msgSignature
	}
	return 0, ""
}
