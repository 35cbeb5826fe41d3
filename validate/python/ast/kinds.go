// The node types, fields, operators and contexts of CPython's
// Parser/Python.asdl, by CPython's names.

package ast

import "fmt"

// Kind is a node's type: CPython's AST class, plus Identifier and Operator.
type Kind uint8

const (
	BadKind Kind = iota
	Module
	FunctionDef
	AsyncFunctionDef
	ClassDef
	Return
	Delete
	Assign
	TypeAlias
	AugAssign
	AnnAssign
	For
	AsyncFor
	While
	If
	With
	AsyncWith
	Match
	Raise
	Try
	TryStar
	Assert
	Import
	ImportFrom
	Global
	Nonlocal
	Expr
	Pass
	Break
	Continue
	BoolOp
	NamedExpr
	BinOp
	UnaryOp
	Lambda
	IfExp
	Dict
	Set
	ListComp
	SetComp
	DictComp
	GeneratorExp
	Await
	Yield
	YieldFrom
	Compare
	Call
	FormattedValue
	JoinedStr
	Constant
	Attribute
	Subscript
	Starred
	Name
	List
	Tuple
	Slice
	Comprehension
	ExceptHandler
	Arguments
	Arg
	Keyword
	Alias
	WithItem
	MatchCase
	MatchValue
	MatchSingleton
	MatchSequence
	MatchMapping
	MatchClass
	MatchStar
	MatchAs
	MatchOr
	TypeVar
	ParamSpec
	TypeVarTuple
	Identifier
	Operator
)

var kindNames = [...]string{"?", "Module", "FunctionDef", "AsyncFunctionDef", "ClassDef", "Return", "Delete", "Assign", "TypeAlias", "AugAssign", "AnnAssign", "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Match", "Raise", "Try", "TryStar", "Assert", "Import", "ImportFrom", "Global", "Nonlocal", "Expr", "Pass", "Break", "Continue", "BoolOp", "NamedExpr", "BinOp", "UnaryOp", "Lambda", "IfExp", "Dict", "Set", "ListComp", "SetComp", "DictComp", "GeneratorExp", "Await", "Yield", "YieldFrom", "Compare", "Call", "FormattedValue", "JoinedStr", "Constant", "Attribute", "Subscript", "Starred", "Name", "List", "Tuple", "Slice", "comprehension", "ExceptHandler", "arguments", "arg", "keyword", "alias", "withitem", "match_case", "MatchValue", "MatchSingleton", "MatchSequence", "MatchMapping", "MatchClass", "MatchStar", "MatchAs", "MatchOr", "TypeVar", "ParamSpec", "TypeVarTuple", "Identifier", "Operator"}

// String is CPython's name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Field is what a child is of its parent: CPython's field names.
type Field uint8

const (
	NoField Field = iota
	Body
	OrElse
	FinalBody
	Handlers
	Decorators
	Ident
	Args
	Returns
	TypeParams
	Bases
	Keywords
	Value
	Targets
	Target
	Annotation
	Iter
	Test
	Items
	Subject
	Cases
	Exc
	Cause
	Msg
	Names
	ModuleName
	Values
	Left
	Right
	Operand
	Ops
	Comparators
	Elts
	Keys
	Elt
	Key
	Generators
	Ifs
	Func
	FormatSpec
	Attr
	Index
	Lower
	Upper
	Step
	Type
	PosOnlyArgs
	VarArg
	KwOnlyArgs
	KwArg
	Default
	ArgName
	AsName
	ContextExpr
	OptionalVars
	Pattern
	Guard
	Patterns
	Cls
	KwdAttrs
	KwdPatterns
	Rest
	Bound
	DefaultValue
)

var fieldNames = [...]string{"", "body", "orelse", "finalbody", "handlers", "decorator_list", "name", "args", "returns", "type_params", "bases", "keywords", "value", "targets", "target", "annotation", "iter", "test", "items", "subject", "cases", "exc", "cause", "msg", "names", "module", "values", "left", "right", "operand", "ops", "comparators", "elts", "keys", "elt", "key", "generators", "ifs", "func", "format_spec", "attr", "slice", "lower", "upper", "step", "type", "posonlyargs", "vararg", "kwonlyargs", "kwarg", "default", "arg", "asname", "context_expr", "optional_vars", "pattern", "guard", "patterns", "cls", "kwd_attrs", "kwd_patterns", "rest", "bound", "default_value"}

// String is CPython's name of the field.
func (f Field) String() string {
	if int(f) < len(fieldNames) {
		return fieldNames[f]
	}
	return fmt.Sprintf("Field(%d)", f)
}

// Op is an operator, or a Constant's type.
type Op uint8

const (
	NoOp Op = iota
	Add
	Sub
	Mult
	MatMult
	Div
	Mod
	Pow
	LShift
	RShift
	BitOr
	BitXor
	BitAnd
	FloorDiv
	Invert
	Not
	UAdd
	USub
	And
	Or
	Eq
	NotEq
	Lt
	LtE
	Gt
	GtE
	Is
	IsNot
	In
	NotIn
	Str
	Bytes
	Int
	Float
	Complex
	True
	False
	None
	Ellipsis
)

var opNames = [...]string{"", "Add", "Sub", "Mult", "MatMult", "Div", "Mod", "Pow", "LShift", "RShift", "BitOr", "BitXor", "BitAnd", "FloorDiv", "Invert", "Not", "UAdd", "USub", "And", "Or", "Eq", "NotEq", "Lt", "LtE", "Gt", "GtE", "Is", "IsNot", "In", "NotIn", "str", "bytes", "int", "float", "complex", "True", "False", "None", "Ellipsis"}

// String is CPython's name of the operator, or the Constant type's.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// Ctx is an expression's context.
type Ctx uint8

const (
	NoCtx Ctx = iota
	Load
	Store
	Del
)

var ctxNames = [...]string{"", "Load", "Store", "Del"}

// String is CPython's name of the context.
func (c Ctx) String() string {
	if int(c) < len(ctxNames) {
		return ctxNames[c]
	}
	return fmt.Sprintf("Ctx(%d)", c)
}
