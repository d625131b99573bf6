package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// remote is a phusong server a command talks to over HTTP with a bearer token (phusong upload,
// phusong uploads): --server (default $PHUSONG_SERVER or http://localhost:8080), --token
// (default $PHUSONG_TOKEN, which keeps it out of shell history) and --timeout.
type remote struct {
	cmd     string // the command, prefixing errors: "upload", "uploads list"
	server  string
	token   string
	timeout time.Duration
	base    *url.URL // the parsed server, set by check
}

// addFlags adds --server, --token and --timeout to fs.
func (r *remote) addFlags(fs *flag.FlagSet, io stdio, timeout time.Duration) {
	server := io.Getenv("PHUSONG_SERVER")
	if server == "" {
		server = "http://localhost:8080"
	}
	fs.StringVar(&r.server, "server", server, "server base URL ($PHUSONG_SERVER when set)")
	fs.StringVar(&r.token, "token", "", "token (default $PHUSONG_TOKEN, which keeps it out of shell history)")
	fs.DurationVar(&r.timeout, "timeout", timeout, "give up after this long")
}

// check takes the token from $PHUSONG_TOKEN when --token is not given and validates the server
// URL; it sends nothing.
func (r *remote) check(io stdio) error {
	if r.token == "" {
		r.token = io.Getenv("PHUSONG_TOKEN")
	}
	if r.token == "" {
		return fmt.Errorf("%s: no token: pass --token or set PHUSONG_TOKEN", r.cmd)
	}
	base, err := url.Parse(r.server)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("%s: --server %q: want http(s)://host[:port]", r.cmd, r.server)
	}
	r.base = base
	return nil
}

// request builds a request for path (joined to the server URL) with query, the bearer token
// and JSON accepted; body may be nil.
func (r *remote) request(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	u := r.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.cmd, err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "phusong-"+r.cmd)
	return req, nil
}

// do sends req and returns the body of a 2xx reply. It warns on stderr when the token goes
// unencrypted to another machine. A busy server (503 or 429 with a Retry-After of at most
// maxRetryWait: its upload gates are full) is waited for and req sent again, saying so on
// stderr, up to uploadAttempts times in all. A reply other than 2xx is an error carrying the
// server's message; its full JSON body, when it says more than the message, goes to stderr.
func (r *remote) do(req *http.Request, stderr io.Writer) ([]byte, error) {
	if req.URL.Scheme == "http" && !isLoopback(req.URL.Hostname()) {
		fmt.Fprintf(stderr, "warning: the token goes unencrypted over http to %s; use https\n", req.URL.Host)
	}
	client := &http.Client{Timeout: r.timeout}
	for attempt := 1; ; attempt++ {
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.cmd, err)
		}
		body, err := readAllLimit(resp.Body, uploadMaxReplyBytes)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: reading the reply (%s): %w", r.cmd, resp.Status, err)
		}
		if wait, ok := retryWait(resp); ok && attempt < uploadAttempts && (req.Body == nil || req.GetBody != nil) {
			fmt.Fprintf(stderr, "%s: server busy (%s); retrying in %s\n", r.cmd, resp.Status, wait)
			select {
			case <-req.Context().Done():
				return nil, fmt.Errorf("%s: %w", r.cmd, req.Context().Err())
			case <-time.After(wait):
			}
			if req, err = again(req); err != nil {
				return nil, fmt.Errorf("%s: %w", r.cmd, err)
			}
			continue
		}
		if resp.StatusCode/100 != 2 {
			return nil, serverFailure(stderr, r.cmd, resp.Status, body)
		}
		return body, nil
	}
}

// call builds and sends a request without a body and returns the reply's body.
func (r *remote) call(ctx context.Context, stderr io.Writer, method, path string, query url.Values) ([]byte, error) {
	req, err := r.request(ctx, method, path, query, nil)
	if err != nil {
		return nil, err
	}
	return r.do(req, stderr)
}

// uploadAttempts is how many times an upload is sent while the server answers 503 with a
// Retry-After of at most maxRetryWait (its upload gates are full).
const (
	uploadAttempts = 4
	maxRetryWait   = time.Minute
)

// retryWait returns the wait a 503 or 429 reply asks for (Retry-After in seconds), when it is
// one to wait for: at most maxRetryWait.
func retryWait(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || s < 0 || time.Duration(s)*time.Second > maxRetryWait {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}

// again is req to send once more, with its body from the start.
func again(req *http.Request) (*http.Request, error) {
	next := req.Clone(req.Context())
	if req.GetBody == nil {
		return next, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	next.Body = body
	return next, nil
}
