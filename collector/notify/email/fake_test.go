package email

import (
	"bufio"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// startFakeSMTP runs a scripted SMTP server for the replies maildev cannot
// give (it accepts every recipient). replies maps a command verb (EHLO, MAIL,
// RCPT, DATA, NOOP) or "greeting" or "." (end of data) to the reply line; the
// rest get a success. It listens on listen (host:0) and returns its
// host:port, and a channel that gets a value each time a client connection
// ends.
func startFakeSMTP(t *testing.T, listen string, replies map[string]string) (addr string, ended <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		// Only an IPv6 loopback may be missing, and only on a laptop.
		if strings.HasPrefix(listen, "[") && os.Getenv("CI") != "true" {
			t.Skipf("no IPv6 loopback here (listen on %s: %v)", listen, err)
		}
		t.Fatalf("listen on %s: %v", listen, err)
	}
	endedc := make(chan struct{}, 100)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Go(func() {
				serveFake(conn, replies)
				endedc <- struct{}{}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), endedc
}

func serveFake(conn net.Conn, replies map[string]string) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(conn)
	reply := func(key, fallback string) {
		line := replies[key]
		if line == "" {
			line = fallback
		}
		_, _ = conn.Write([]byte(line + "\r\n"))
	}
	reply("greeting", "220 fake ESMTP")
	if g := replies["greeting"]; g != "" && g[0] != '2' {
		return // a refusing server hangs up after its greeting
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		verb = strings.ToUpper(verb)
		switch verb {
		case "EHLO", "HELO":
			reply(verb, "250-fake\r\n250 8BITMIME")
		case "DATA":
			reply(verb, "354 go ahead")
			if !strings.HasPrefix(replies["DATA"], "354") && replies["DATA"] != "" {
				continue
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			reply(".", "250 queued")
		case "QUIT":
			reply(verb, "221 bye")
			return
		default:
			reply(verb, "250 ok")
		}
	}
}
