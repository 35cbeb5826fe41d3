package python

import "fmt"

// Kind is a token's type, as CPython's token module names it.
type Kind uint8

const (
	EndMarker Kind = iota
	Name
	Number
	String
	Newline
	Indent
	Dedent
	Op
	Comment
	NL
	FStringStart
	FStringMiddle
	FStringEnd
	// ErrorToken is a character no token starts with ($, ?, `): the
	// parser refuses it with "invalid syntax" where it stands.
	ErrorToken
)

var kindNames = [...]string{"ENDMARKER", "NAME", "NUMBER", "STRING", "NEWLINE", "INDENT", "DEDENT", "OP", "COMMENT",
	"NL", "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END", "ERRORTOKEN"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Pos is a position as the tokenize module gives it: Line from 1, Col from
// 0 in characters (code points) of that line. (32 bits: a token takes 28
// bytes, and a megabyte of source can hold a million tokens.)
type Pos struct{ Line, Col int32 }

// Token is one token: its text is src[Off:EndOff] (a FSTRING_MIDDLE
// ending in a doubled brace holds the first of the two).
type Token struct {
	Kind Kind
	// Level is the bracket depth after the token (an opening bracket
	// counts itself), as CPython's tokenizer records it.
	Level       uint8
	Start, End  Pos
	Off, EndOff int32
}

// Text is the token's text in src.
func (t Token) Text(src []byte) string { return string(src[t.Off:t.EndOff]) }

// Error is the first error CPython's tokenizer raises, as its SyntaxError
// (or IndentationError, TabError) says it: Line from 1, Col from 1 in
// characters, as SyntaxError.offset.
type Error struct {
	Type      string
	Line, Col int
	Msg       string
	// charCol is Col in characters where Col counts bytes (0: the same):
	// see Declared.
	charCol int
	// quiet: a tokenizer error that does not replace the parser's
	// earlier one (see check).
	quiet bool
}

// Declared is e as CPython reports it for a file that declares its
// encoding (a coding comment): up to 3.12 its parser counts the columns of
// a file's bytes in bytes, as importlib hands them to compile(), unless
// the file declares its encoding; Parse and ParseFile answer for a file
// that does not (nearly every DAG file), and from 3.13 both count in
// characters.
func (e *Error) Declared() *Error {
	if e == nil || e.charCol == 0 {
		return e
	}
	d := *e
	d.Col, d.charCol = e.charCol, 0
	return &d
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (line %d, column %d)", e.Type, e.Msg, e.Line, e.Col)
}

// The limits of CPython's tokenizer (Parser/lexer/state.h).
const (
	// MaxIndent is the deepest indentation: the 100th level is refused.
	MaxIndent = 100
	// MaxLevel is the deepest bracket nesting: the 201st bracket is refused.
	MaxLevel = 200
)

// Tokens is a source's tokens, kept in blocks of 4096 that never move once
// full: a megabyte's million tokens take their 28 bytes each, not the
// copies a growing slice leaves behind. (A pointer to a token, ptr, holds
// only until the next add.)
type Tokens struct {
	blocks [][]Token
	n      int
}

const blockBits = 12

// Len is the number of tokens.
func (ts *Tokens) Len() int { return ts.n }

// At is the i-th token.
func (ts *Tokens) At(i int) Token { return *ts.ptr(i) }

func (ts *Tokens) ptr(i int) *Token { return &ts.blocks[i>>blockBits][i&(1<<blockBits-1)] }

// Slice copies the tokens into one slice (for tests and small sources).
func (ts *Tokens) Slice() []Token {
	out := make([]Token, 0, ts.n)
	for _, b := range ts.blocks {
		out = append(out, b...) // (reset leaves the blocks after the last empty)
	}
	return out
}

// reset empties ts, keeping its blocks' memory.
func (ts *Tokens) reset() {
	for i := range ts.blocks {
		ts.blocks[i] = ts.blocks[i][:0]
	}
	ts.n = 0
}

func (ts *Tokens) add(t Token) {
	b := ts.n >> blockBits
	if b == len(ts.blocks) {
		// The first block grows as a slice does (a small file's tokens
		// take little room); the next ones are allocated whole.
		size := 1 << blockBits
		if ts.n == 0 {
			size = 64
		}
		ts.blocks = append(ts.blocks, make([]Token, 0, size))
	}
	ts.blocks[b] = append(ts.blocks[b], t)
	ts.n++
}
