// Package ingest is the collector's front door for agent batches: it authenticates
// the agent, bounds and decodes the body, validates it, and acks only after the
// batch is durable in the store.
package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
)

// minTokenLen keeps guessable tokens out: 16 characters of a random token is well
// past brute force over HTTP.
const minTokenLen = 16

// Tokens holds the agent tokens the collector accepts. Only SHA-256 digests are kept
// in memory, so a heap dump does not leak them and every comparison is the same
// length.
type Tokens struct {
	names   []string
	digests [][sha256.Size]byte
}

// LoadTokens reads a tokens file: one token per line, either "TOKEN" or
// "NAME TOKEN" (the name shows in logs instead of the token). Blank lines and lines
// starting with # are ignored. Errors name file:line.
func LoadTokens(path string) (*Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	return ParseTokens(path, data)
}

// ParseTokens parses the content of a tokens file named name.
func ParseTokens(name string, data []byte) (*Tokens, error) {
	t := &Tokens{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		var tokName, tok string
		switch len(fields) {
		case 1:
			tokName, tok = fmt.Sprintf("%s:%d", name, line), fields[0]
		case 2:
			tokName, tok = fields[0], fields[1]
		default:
			return nil, fmt.Errorf("%s:%d: want \"TOKEN\" or \"NAME TOKEN\", got %d fields", name, line, len(fields))
		}
		if len(tok) < minTokenLen {
			return nil, fmt.Errorf("%s:%d: token %q is shorter than %d characters", name, line, tokName, minTokenLen)
		}
		t.names = append(t.names, tokName)
		t.digests = append(t.digests, sha256.Sum256([]byte(tok)))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(t.digests) == 0 {
		return nil, fmt.Errorf("%s: no tokens: agents could not authenticate", name)
	}
	return t, nil
}

// Check reports whether token is valid and, if so, the token's name. Every stored
// digest is compared, so the time taken does not depend on which one matches.
func (t *Tokens) Check(token string) (name string, ok bool) {
	d := sha256.Sum256([]byte(token))
	match := -1
	for i := range t.digests {
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return "", false
	}
	return t.names[match], true
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.digests) }
