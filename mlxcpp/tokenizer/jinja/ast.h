// The syntax tree of a template: expressions and statements.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlxcpp/tokenizer/jinja/value.h"

namespace mlxcpp::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/** Arguments as written in a call, a filter or a test. */
struct ArgList {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

struct Expr {
  enum class Kind {
    Literal,    // value
    Name,       // name
    List,       // items
    Tuple,      // items
    Dict,       // items (key, value pairs flattened)
    GetAttr,    // a.name
    GetItem,    // a[b]
    Slice,      // a[b:c:d]; items = start, stop, step (null when absent)
    Call,       // a(args)
    Filter,     // a | name(args)
    Test,       // a is [not] name(args)
    Unary,      // op a
    Binary,     // a op b
    Condition,  // items[0] if items[1] else items[2] (null when absent)
  };
  Kind kind;
  int line = 0;
  int depth = 1;  // of this expression's tree (bounded by the parser)
  Value value;
  std::string name;  // Name, GetAttr, Filter, Test; the operator of Unary/Binary
  bool negated = false;
  ExprPtr a, b;
  std::vector<ExprPtr> items;
  ArgList args;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    Text,         // text
    Output,       // {{ expr }}
    If,           // conditions[i] -> bodies[i]; else_body
    For,          // targets in expr [if cond] body else_body
    Set,          // targets (or attr target) = expr
    SetBlock,     // {% set name %}body{% endset %}, filters applied to the text
    Macro,        // name(params) body
    CallBlock,    // {% call(params) expr %}body{% endcall %}
    FilterBlock,  // {% filter f %}body{% endfilter %}
    Break,
    Continue,
  };
  Kind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body body;
  Body else_body;
  std::vector<std::string> targets;
  std::string attr;                                     // Set: ns.attr
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro / CallBlock (default may be null)
  std::vector<ExprPtr> filters;  // SetBlock / FilterBlock: Filter exprs with a null operand
};

/** A parsed template. */
struct Program {
  Body body;
};

}  // namespace mlxcpp::jinja
