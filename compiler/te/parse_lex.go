package te

import (
	"fmt"
	"unicode/utf8"
)

// This file is the lexer of the text format (see Parse): it splits the
// source into tokens, one at a time, and tracks 1-based lines and columns
// (columns count characters, a tab is one).

// pos is a position in the source: 1-based line and column.
type pos struct {
	line, col int
}

// before reports whether p comes before q in the source.
func (p pos) before(q pos) bool {
	return p.line < q.line || p.line == q.line && p.col < q.col
}

type tokKind uint8

const (
	tEOF     tokKind = iota
	tNewline         // a statement ends
	tIdent
	tInt
	tFloat
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tColon
	tAssign // =
	tPlus
	tMinus
	tStar
	tSlash      // /
	tSlashSlash // //
	tPercent
	tLT
	tLE
	tGT
	tGE
	tEQ
	tNE
	tAndAnd
	tOrOr
	tNot   // !
	tError // a character the format does not use; text is the message
)

var tokText = [...]string{
	tLParen: "(", tRParen: ")", tLBrack: "[", tRBrack: "]", tComma: ",",
	tColon: ":", tAssign: "=", tPlus: "+", tMinus: "-", tStar: "*",
	tSlash: "/", tSlashSlash: "//", tPercent: "%", tLT: "<", tLE: "<=",
	tGT: ">", tGE: ">=", tEQ: "==", tNE: "!=", tAndAnd: "&&", tOrOr: "||",
	tNot: "!",
}

// singleTok maps the one-character tokens that no longer token starts with.
var singleTok = map[byte]tokKind{
	'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, ',': tComma,
	':': tColon, '+': tPlus, '-': tMinus, '*': tStar, '%': tPercent,
}

type token struct {
	kind tokKind
	text string // the identifier or number as written; the message of tError
	pos  pos
}

// String describes the token for an error message: "end of line",
// "identifier k", "number 3", "','".
func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tNewline:
		return "end of line"
	case tIdent:
		return "identifier " + t.text
	case tInt, tFloat:
		return "number " + t.text
	case tError:
		return "invalid input"
	}
	if int(t.kind) < len(tokText) && tokText[t.kind] != "" {
		return "'" + tokText[t.kind] + "'"
	}
	return fmt.Sprintf("token %d", t.kind)
}

type lexer struct {
	src       string
	off       int
	line, col int
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1, col: 1} }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// peekByte is the byte k ahead of the current one, or 0 past the end.
func (l *lexer) peekByte(k int) byte {
	if l.off+k < len(l.src) {
		return l.src[l.off+k]
	}
	return 0
}

// advance moves over n bytes that are all ASCII and not newlines.
func (l *lexer) advance(n int) {
	l.off += n
	l.col += n
}

// next returns the next token. After the end it keeps returning tEOF.
func (l *lexer) next() token {
	// Blanks and comments.
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == ' ' || c == '\t' || c == '\r' {
			l.advance(1)
			continue
		}
		if c == '#' {
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				_, size := utf8.DecodeRuneInString(l.src[l.off:])
				l.off += size
				l.col++
			}
			continue
		}
		break
	}
	p := pos{l.line, l.col}
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: p}
	}
	c := l.src[l.off]
	switch {
	case c == '\n':
		l.off++
		l.line++
		l.col = 1
		return token{kind: tNewline, pos: p}
	case isLetter(c):
		start := l.off
		for l.off < len(l.src) && (isLetter(l.src[l.off]) || isDigit(l.src[l.off])) {
			l.advance(1)
		}
		return token{kind: tIdent, text: l.src[start:l.off], pos: p}
	case isDigit(c) || c == '.' && isDigit(l.peekByte(1)):
		return l.number(p)
	}
	two := func(second byte, with, without tokKind) token {
		if l.peekByte(1) == second {
			l.advance(2)
			return token{kind: with, pos: p}
		}
		l.advance(1)
		return token{kind: without, pos: p}
	}
	if k, ok := singleTok[c]; ok {
		l.advance(1)
		return token{kind: k, pos: p}
	}
	switch c {
	case '/':
		return two('/', tSlashSlash, tSlash)
	case '<':
		return two('=', tLE, tLT)
	case '>':
		return two('=', tGE, tGT)
	case '=':
		return two('=', tEQ, tAssign)
	case '!':
		return two('=', tNE, tNot)
	case '&', '|':
		if l.peekByte(1) == c {
			l.advance(2)
			if c == '&' {
				return token{kind: tAndAnd, pos: p}
			}
			return token{kind: tOrOr, pos: p}
		}
		l.advance(1)
		return token{kind: tError, text: fmt.Sprintf("unexpected character '%c' (did you mean '%c%c'?)", c, c, c), pos: p}
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	l.col++
	if r == utf8.RuneError && size == 1 {
		return token{kind: tError, text: fmt.Sprintf("unexpected byte 0x%02x (not UTF-8 text)", c), pos: p}
	}
	return token{kind: tError, text: fmt.Sprintf("unexpected character %q", r), pos: p}
}

// number lexes digits [. digits] [e [+-] digits], or . digits [...]. A
// number with a point or an exponent is a float.
func (l *lexer) number(p pos) token {
	start := l.off
	kind := tInt
	for isDigit(l.peekByte(0)) {
		l.advance(1)
	}
	if l.peekByte(0) == '.' {
		kind = tFloat
		l.advance(1)
		for isDigit(l.peekByte(0)) {
			l.advance(1)
		}
	}
	if c := l.peekByte(0); c == 'e' || c == 'E' {
		k := 1
		if s := l.peekByte(1); s == '+' || s == '-' {
			k = 2
		}
		if isDigit(l.peekByte(k)) {
			kind = tFloat
			l.advance(k)
			for isDigit(l.peekByte(0)) {
				l.advance(1)
			}
		}
	}
	if c := l.peekByte(0); isLetter(c) || isDigit(c) || c == '.' {
		for c := l.peekByte(0); isLetter(c) || isDigit(c) || c == '.'; c = l.peekByte(0) {
			l.advance(1)
		}
		return token{kind: tError, text: fmt.Sprintf("malformed number %s", l.src[start:l.off]), pos: p}
	}
	return token{kind: kind, text: l.src[start:l.off], pos: p}
}
