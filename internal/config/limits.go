package config

import (
	"fmt"

	"github.com/goccy/go-yaml/token"
)

// Limits on what Parse accepts. A config file is written by people, so these
// are far above anything real, but they keep a broken or hostile file from
// taking minutes or gigabytes: goccy's parser stores every node's full path
// as a string (quadratic in nesting depth and key length) and parses a block
// mapping recursively, copying its tail once per key (quadratic in the
// number of keys), and alias expansion is exponential in the worst case.
const (
	maxSize  = 4 << 20 // bytes of input
	maxDepth = 100     // nested collections
	// maxPathBytes bounds the sum over all nodes of the length of the path
	// goccy stores for them.
	maxPathBytes = 64 << 20
	// maxKeys bounds the keys of one block mapping, and maxKeyWork the sum
	// over all block mappings of keys²/2, which is what goccy's parser
	// copies: room for four mappings of maxKeys keys, a second or so.
	maxKeys    = 5000
	maxKeyWork = 5 * maxKeys * maxKeys / 2
	// maxNodes bounds the nodes of the document with every alias expanded.
	maxNodes = 1 << 20
	// goccy's lexer is quadratic in runs of '<', in runs of blank lines and
	// in tabs on one line; these bound the sum of its extra steps for each.
	maxLessWork  = 100_000_000
	maxBlankWork = 10_000_000
	maxTabWork   = 30_000_000
)

// scanError is a limit exceeded before parsing.
type scanError struct {
	line, col int
	msg       string
}

func (e *scanError) Error() string { return e.msg }

// scanBytes checks, before goccy's lexer runs, what the lexer is quadratic
// in: runs of '<' (at each one it measures the whole run, looking for a
// merge key), runs of blank lines (in a block scalar, at each one it looks
// ahead over the rest) and tabs (in a double-quoted string, at each one it
// looks ahead to the end of the line). Each is counted everywhere, which
// overestimates, but real files are far below the bounds.
func scanBytes(data []byte) *scanError {
	var (
		less, lessWork   int
		blank, blankWork int
		tabs, tabWork    int
		lineBlank        = true
		line, col        = 1, 0
	)
	for i, c := range data {
		col++
		atLine, atCol := line, col // where c is; a newline moves line and col
		if c == '<' {
			less++
			lessWork += less
		} else {
			less = 0
		}
		tabWork += tabs
		switch c {
		case '\r', '\n':
			if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				break // CRLF counts once, at the LF
			}
			if lineBlank {
				blank++
				blankWork += blank
			} else {
				blank = 0
			}
			lineBlank, tabs = true, 0
			line, col = line+1, 0
		case '\t':
			tabs++
		case ' ':
		default:
			lineBlank = false
		}
		msg := ""
		switch {
		case lessWork > maxLessWork:
			msg = "too many '<' in a row to parse"
		case blankWork > maxBlankWork:
			msg = "too many blank lines in a row to parse"
		case tabWork > maxTabWork:
			msg = "too many tabs on one line to parse"
		default:
			continue
		}
		return &scanError{line: atLine, col: atCol, msg: msg}
	}
	return nil
}

// scanFrame is one open collection while scanning tokens.
type scanFrame struct {
	col   int  // column of a block collection's entries
	flow  bool // [..] or {..}
	seq   bool
	keys  int // keys of a block mapping so far
	base  int // length of the collection's path
	child int // length of the current entry's path
}

// scanTokens checks the limits that have to hold before goccy's parser runs:
// nesting depth, the total length of node paths, keys per block mapping,
// and one document per file. It tracks block structure by columns, which is
// approximate for malformed input; that is fine since it only bounds cost.
func scanTokens(tokens token.Tokens) *scanError {
	var (
		stack              []scanFrame
		pathBytes          int
		keyWork            int
		markers            int
		content, docBreak  bool
		lastOpen, lastSpan int // offset of the last flow opener, length of the last closed flow collection
		opens              []int
	)
	cur := func() int {
		if len(stack) == 0 {
			return 1 // "$"
		}
		return stack[len(stack)-1].child
	}
	errAt := func(tk *token.Token, format string, args ...any) *scanError {
		return &scanError{line: tk.Position.Line, col: tk.Position.Column, msg: fmt.Sprintf(format, args...)}
	}
	inFlow := func() bool { return len(stack) > 0 && stack[len(stack)-1].flow }
	// popBlock closes the block collections a token at column col ends.
	popBlock := func(col int, key bool) {
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			if f.flow || f.col < col || (f.col == col && (!key || !f.seq)) {
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	for i, tk := range tokens {
		at := tk // where to report a limit: the key, for a key
		switch tk.Type {
		case token.CommentType, token.DirectiveType, token.SpaceType:
			continue
		case token.DocumentHeaderType, token.DocumentEndType:
			if markers++; markers > 2 {
				return errAt(tk, "a config file must hold one YAML document, found several document markers")
			}
			if content {
				docBreak = true
			}
			stack = stack[:0]
			continue
		}
		if docBreak {
			return errAt(tk, "a config file must hold one YAML document, found another one here")
		}
		content = true
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			seq := tk.Type == token.SequenceStartType
			f := scanFrame{flow: true, seq: seq, base: cur(), child: cur()}
			if seq {
				f.child += 3
			}
			stack = append(stack, f)
			opens = append(opens, tk.Position.Offset)
		case token.SequenceEndType, token.MappingEndType:
			for len(stack) > 0 {
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if f.flow {
					break
				}
			}
			if len(opens) > 0 {
				lastOpen, opens = opens[len(opens)-1], opens[:len(opens)-1]
				lastSpan = tk.Position.Offset - lastOpen + 1
			}
		case token.CollectEntryType:
			if inFlow() {
				f := &stack[len(stack)-1]
				f.child = f.base
				if f.seq {
					f.child += 3
				}
			}
		case token.SequenceEntryType:
			if inFlow() {
				break
			}
			col := tk.Position.Column
			popBlock(col, false)
			if n := len(stack); n > 0 && stack[n-1].seq && stack[n-1].col == col {
				break // next item of the same list
			}
			stack = append(stack, scanFrame{col: col, seq: true, base: cur(), child: cur() + 3})
		case token.MappingValueType:
			if i == 0 {
				break
			}
			key := tokens[i-1]
			at = key
			keyLen := len(key.Value)
			if key.Type == token.SequenceEndType || key.Type == token.MappingEndType {
				keyLen = lastSpan // a flow collection used as a key
			}
			if inFlow() {
				f := &stack[len(stack)-1]
				f.child = f.base + 1 + keyLen
				break
			}
			col := key.Position.Column
			popBlock(col, true)
			if n := len(stack); n > 0 && !stack[n-1].seq && stack[n-1].col == col {
				f := &stack[n-1]
				f.keys++
				keyWork += f.keys
				if f.keys > maxKeys {
					return errAt(key, "mapping has more than %d keys", maxKeys)
				}
				if keyWork > maxKeyWork {
					return errAt(key, "document has too many keys in large mappings to parse in reasonable time; split it into several files")
				}
				f.child = f.base + 1 + keyLen
				break
			}
			base := cur()
			stack = append(stack, scanFrame{col: col, keys: 1, base: base, child: base + 1 + keyLen})
		}
		if len(stack) > maxDepth {
			return errAt(at, "nesting is deeper than %d levels", maxDepth)
		}
		if pathBytes += cur(); pathBytes > maxPathBytes {
			return errAt(at, "document is too complex to parse (keys too long or nested too deeply)")
		}
	}
	return nil
}
